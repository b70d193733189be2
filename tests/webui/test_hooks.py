"""Small WebUI-facing pieces: infotext paste, the settings page section, argument forms."""

from lib_handrefine.settings import SAME_SAMPLER, HandRefineSettings
from lib_handrefine.webui.hooks import on_infotext_pasted, settings_from_args

from .conftest import runner_for


def test_pasted_infotext_is_spread_over_the_accordion_keys():
    s = HandRefineSettings(enabled=True, control_weight=0.7, prompt="hands, detailed", sequential_expansion=True)
    params = {"Steps": "20", "HandRefine": s.to_infotext()}
    on_infotext_pasted("", params)
    assert params["HandRefine enabled"] is True
    assert params["HandRefine control_weight"] == 0.7
    assert params["HandRefine prompt"] == "hands, detailed"
    assert params["HandRefine sequential_expansion"] is True
    assert params["HandRefine sampler"] == SAME_SAMPLER  # the dropdown's label for "same as the image"


def test_pasting_an_image_without_handrefine_turns_the_accordion_off():
    params = {"Steps": "20"}
    on_infotext_pasted("", params)
    assert params["HandRefine enabled"] is False


def test_infotext_fields_cover_every_setting(webui):
    runner = runner_for(True)
    me = next(s for s in runner.alwayson_scripts if s.title() == "HandRefine")
    keys = [k for _, k in me.infotext_fields]
    assert keys == [f"HandRefine {n}" for n in HandRefineSettings.__dataclass_fields__]
    assert me.paste_field_names == keys


def test_settings_page_section_is_registered(webui):
    from modules import shared

    runner_for(True)
    labels = shared.opts.data_labels
    for name in ("handrefine_model_path", "handrefine_allow_download", "handrefine_default_controlnet_model",
                 "handrefine_without_controlnet", "handrefine_save_before", "handrefine_save_debug"):
        assert name in labels and labels[name].section[0] == "handrefine"


def test_ui_values_are_understood():
    values = HandRefineSettings(enabled=True).to_args()
    names = list(HandRefineSettings.__dataclass_fields__)
    values[names.index("debug_images")] = True
    values[names.index("sampler")] = SAME_SAMPLER
    values[names.index("seed")] = -1.0  # gr.Number delivers floats
    s = settings_from_args(tuple(values))
    assert s.sampler == "" and s.seed == -1 and s.debug_images is True


def test_every_same_sampler_label_means_the_images_sampler():
    for label in ("", SAME_SAMPLER, "Use same sampler"):
        assert settings_from_args([{"enabled": True, "sampler": label}]).sampler == ""
    assert HandRefineSettings(sampler="DDIM").sampler == "DDIM"
