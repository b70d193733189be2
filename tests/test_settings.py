import dataclasses

import pytest

from lib_handrefine.settings import HandRefineSettings, SettingsError, field_names, knob


def test_defaults_match_handrefiner_recommendations():
    s = HandRefineSettings()
    assert s.control_weight == 0.55
    assert (s.guidance_start, s.guidance_end) == (0.0, 1.0)
    assert s.mask_padding == 30
    assert s.max_hands > 2
    assert s.enabled is False


def test_every_knob_has_label_help_and_unique_key():
    keys = [f.metadata["key"] for f in dataclasses.fields(HandRefineSettings)]
    assert len(keys) == len(set(keys))
    for f in dataclasses.fields(HandRefineSettings):
        assert f.metadata["label"] and f.metadata["help"], f.name


def test_infotext_round_trip_with_awkward_strings():
    s = HandRefineSettings().replace(enabled=True, control_weight=0.7, prompt='a "hand", five fingers: yes\nnext',
                         sampler="DPM++ 2M",
                         negative_prompt="", seed=12345, extra_detection_pass=False, cfg_scale=7)
    text = s.to_infotext()
    assert "\n" not in text
    back = HandRefineSettings.from_infotext(text)
    assert back == s


def test_infotext_rejects_garbage_with_a_clear_message():
    with pytest.raises(SettingsError, match="unknown HandRefine infotext key 'bogus'"):
        HandRefineSettings.from_infotext("weight=0.5 bogus=1")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"control_weight": 3.0}, "control_weight must be between 0 and 2"),
        ({"denoising_strength": -0.1}, "denoising_strength must be between 0 and 1"),
        ({"max_hands": 0}, "max_hands must be between 1 and 64"),
        ({"extra_detection_pass": "sometimes"}, "extra_detection_pass must be one of"),
        ({"control_mode": "Loud"}, "control_mode must be one of"),
        ({"guidance_start": 0.8, "guidance_end": 0.2}, "guidance_start"),
        ({"mask_padding": 2.5}, "mask_padding must be a int"),
        ({"enabled": "maybe"}, "enabled must be a bool"),
    ],
)
def test_validation_names_the_setting(changes, message):
    with pytest.raises(SettingsError, match=message):
        HandRefineSettings.from_dict(changes)


def test_positional_named_and_mixed_api_args_agree():
    named = HandRefineSettings.from_any({"enabled": True, "control_weight": 0.7, "mask_padding": 40})
    positional_values = HandRefineSettings().replace(enabled=True, control_weight=0.7, mask_padding=40).to_args()
    positional = HandRefineSettings.from_any(positional_values)
    mixed = HandRefineSettings.from_any([True, {"control_weight": 0.7, "mask_padding": "40"}])
    # the API's one-dict form: the dict sits in the first slot, the WebUI fills the others with defaults
    one_dict = HandRefineSettings.from_any([{"enabled": True, "control_weight": 0.7, "mask_padding": 40},
                                            *HandRefineSettings().to_args()[1:]])
    assert named == positional == mixed == one_dict
    assert named.control_weight == 0.7 and named.mask_padding == 40


def test_json_types_are_coerced():
    s = HandRefineSettings.from_dict({"enabled": "true", "max_hands": 4.0, "control_weight": 1, "seed": "7"})
    assert s.enabled is True and s.max_hands == 4 and s.control_weight == 1.0 and s.seed == 7
    assert isinstance(s.control_weight, float)


def test_unknown_names_and_too_many_positionals_fail():
    with pytest.raises(SettingsError, match="unknown HandRefine setting"):
        HandRefineSettings.from_any({"weight": 0.5})
    with pytest.raises(SettingsError, match="too many positional"):
        HandRefineSettings.from_any([False] * (len(field_names()) + 1))


def test_knob_lookup():
    assert knob("control_weight").metadata["max"] == 2.0
    with pytest.raises(SettingsError):
        knob("nope")


def test_readme_settings_table_names_every_setting():
    from .conftest import ROOT

    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")]
    for name in field_names():
        assert any(f"`{name}`" in row.split("|")[1] for row in rows), f"README's settings table lacks {name}"


@pytest.mark.parametrize("value", ["nan", float("nan"), "inf", float("-inf"), "1e999"])
@pytest.mark.parametrize("name", ["control_weight", "detect_confidence", "max_hands", "seed"])
def test_non_finite_numbers_are_rejected_everywhere(name, value):
    with pytest.raises(SettingsError, match=name):  # API / CLI (named values)
        HandRefineSettings.from_any({name: value})
    with pytest.raises(SettingsError, match=name):  # infotext paste
        HandRefineSettings.from_infotext(f"{knob(name).metadata['key']}={value}")
    if isinstance(value, float) and isinstance(knob(name).default, float):
        with pytest.raises(SettingsError, match=f"{name} must be a finite number"):  # direct construction
            HandRefineSettings(**{name: value})


def test_detector_settings_come_last_and_round_trip():
    from lib_handrefine.settings import HAND_DETECTORS

    # appended: older positional calls still fit
    assert field_names()[-3:] == ["hand_detector", "detector_model", "detector_confidence"]
    defaults = HandRefineSettings()
    assert defaults.hand_detector == "MediaPipe" and defaults.detector_model == ""
    assert not defaults.uses_box_detector and defaults.uses_mediapipe_pass
    s = defaults.replace(enabled=True, hand_detector=HAND_DETECTORS[1], detector_model='C:\\models\\my "hand".onnx')
    assert HandRefineSettings.from_infotext(s.to_infotext()) == s
    assert HandRefineSettings.from_any(s.to_args()) == s
    assert s.uses_box_detector and s.uses_mediapipe_pass
    assert not defaults.replace(hand_detector=HAND_DETECTORS[2]).uses_mediapipe_pass
    with pytest.raises(SettingsError, match="hand_detector must be one of"):
        defaults.replace(hand_detector="YOLO")


def test_extra_pass_was_a_bool_and_old_values_still_read():
    """The slot and infotext key stayed when the bool became off/auto/thorough: True/False -> auto/off."""
    assert HandRefineSettings().extra_detection_pass == "auto"
    assert HandRefineSettings(extra_detection_pass=True).extra_detection_pass == "auto"
    assert HandRefineSettings.from_dict({"extra_detection_pass": False}).extra_detection_pass == "off"
    assert HandRefineSettings.from_infotext("extra=1").extra_detection_pass == "auto"
    assert HandRefineSettings.from_infotext("extra=0").extra_detection_pass == "off"
    positional = HandRefineSettings().to_args()
    positional[field_names().index("extra_detection_pass")] = False  # an old API call, positional
    assert HandRefineSettings.from_any(positional).extra_detection_pass == "off"
    thorough = HandRefineSettings().replace(extra_detection_pass="thorough")
    assert HandRefineSettings.from_infotext(thorough.to_infotext(), enabled=False) == thorough
