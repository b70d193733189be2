"""Bad HandRefine arguments through the API never let a pass run that the user did not ask for."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import hand_image, harness, runner_for

BAD = [
    ({"enabled": True, "control_weight": "abc"}, "control_weight must be a float"),
    ({"enabled": True, "control_weight": 5}, "control_weight must be between 0 and 2"),
    ({"enabled": True, "no_such_knob": 1}, "unknown HandRefine setting(s) no_such_knob"),
    ({"enabled": "perhaps"}, "enabled must be a bool"),
]


@pytest.mark.parametrize(("args", "why"), BAD)
def test_img2img_fix_hands_only_with_a_bad_value_returns_the_input_untouched(webui, args, why, capsys):
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, api_request=True, alwayson_scripts={"handrefine": {"args": [args]}},
                                       init_images=[image], seed=3, steps=2, width=512, height=512)
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(image)), "the main img2img pass ran"
    assert webui.passes == []
    result = processed.infotexts[0].split("HandRefine result: ")[1]
    assert result.startswith('"error: ') and why in result and "input returned unchanged" in result
    assert why in capsys.readouterr().out


def test_positional_bad_value_with_fix_hands_only_also_keeps_the_input(webui):
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, api_request=True,
                                       alwayson_scripts={"handrefine": {"args": [True, True, "Auto", "abc"]}},
                                       init_images=[image], seed=3, steps=2, width=512, height=512)
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(image))
    assert "control_weight must be a float" in processed.infotexts[0]


def test_bad_value_without_fix_hands_only_runs_the_asked_for_main_pass(webui):
    runner = runner_for(True)
    image = hand_image()
    args = [{"enabled": True, "fix_hands_only": False, "control_weight": "abc"}]
    processed = harness.run_generation(runner, api_request=True, alwayson_scripts={"handrefine": {"args": args}},
                                       init_images=[image], seed=3, steps=2, width=512, height=512)
    assert not np.array_equal(np.asarray(processed.images[0]), np.asarray(image))  # img2img was asked for
    assert webui.passes == [] and "error: control_weight must be a float" in processed.infotexts[0]


def test_bad_value_with_handrefine_off_changes_nothing(webui):
    runner = runner_for(True)
    processed = harness.run_generation(runner, api_request=True,
                                       alwayson_scripts={"handrefine": {"args": [{"control_weight": "abc"}]}},
                                       init_images=[hand_image()], seed=3, steps=2)
    assert "HandRefine" not in processed.infotexts[0]


def test_txt2img_with_a_bad_value_still_generates_and_says_why(webui):
    runner_for(True)
    runner = runner_for(False)
    processed = harness.run_generation(runner, api_request=True,
                                       alwayson_scripts={"handrefine": {"args": [{"enabled": True, "max_hands": 0}]}},
                                       prompt="x", seed=3, steps=2, width=64, height=64)
    assert len(processed.images) == 1 and "error: max_hands must be between 1 and 32" in processed.infotexts[0]
