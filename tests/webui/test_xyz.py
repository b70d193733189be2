"""HandRefine's X/Y/Z plot axes against the double's X/Y/Z script."""

import dataclasses

import pytest

from lib_handrefine.settings import CONTROL_MODES, HandRefineSettings
from lib_handrefine.webui.xyz import PREFIX, register_axes

from .conftest import MODELS, args_with, hand_image, harness, runner_for


def _ours(xyz):
    return [o for o in xyz.axis_options if o.label.startswith(PREFIX)]


def test_axes_registered_once_at_import_and_before_ui(webui):
    runner_for(True)  # loads the script (import-time registration) and fires on_before_ui
    xyz = harness.xyz_grid_module()
    labels = [o.label for o in _ours(xyz)]
    assert f"{PREFIX} Control weight" in labels and f"{PREFIX} Sequential mask expansion" in labels
    marked = [f.metadata["axis"] for f in dataclasses.fields(HandRefineSettings) if f.metadata["axis"]]
    assert labels == [f"{PREFIX} {label}" for label in marked] and len(set(labels)) == len(marked) >= 15
    assert f"{PREFIX} Attempts per region" in labels and f"{PREFIX} Looks-wrong threshold" in labels
    register_axes(lambda refresh: [])
    assert len(_ours(xyz)) == len(marked)
    model_axis = next(o for o in _ours(xyz) if o.label.endswith("ControlNet model"))
    assert model_axis.choices() == ["Auto", "None", *MODELS]
    mode_axis = next(o for o in _ours(xyz) if o.label.endswith("Control mode"))
    assert mode_axis.choices() == list(CONTROL_MODES)


@pytest.mark.parametrize(("label", "text", "setting", "expected"), [
    ("Enabled", "Off", "enabled", False),
    ("Sequential mask expansion", "On", "sequential_expansion", True),
    ("Inpaint resolution", "384", "inpaint_resolution", 384),
    ("Control mode", CONTROL_MODES[2], "control_mode", CONTROL_MODES[2]),
])
def test_generated_axes_convert_their_values(webui, label, text, setting, expected):
    from lib_handrefine.webui import state

    runner_for(True)
    axis = next(o for o in _ours(harness.xyz_grid_module()) if o.label == f"{PREFIX} {label}")

    class Cell:
        pass

    cell = Cell()
    axis.apply(cell, axis.type(text), [])
    assert state.xyz_overrides(cell) == {setting: expected}


def test_axis_value_reaches_its_cell_only(webui):
    runner = runner_for(True)
    xyz = harness.xyz_grid_module()
    axis = next(o for o in _ours(xyz) if o.label.endswith("Control weight"))
    args = args_with(runner, control_weight=0.55)
    # run the real X/Y/Z script over the axis
    xyz_script = harness.script_of(runner, "X/Y/Z plot")
    full = list(args)
    index = xyz_script.current_axis_options.index(axis)
    values = [index, "0.4, 0.9", None] + [0, "", None] * 2
    full[xyz_script.args_from:xyz_script.args_from + len(values)] = values
    full[0] = runner.selectable_scripts.index(xyz_script) + 1
    processed = harness.run_generation(runner, full, init_images=[hand_image()], seed=1, steps=2)
    weights = [u["unit"].weight for u in harness.controlnet_log()]
    assert weights == [0.4, 0.9]
    # X/Y/Z returns the grid, labelled with its first cell's generation info: that cell's own value
    assert "weight=0.4 " in processed.infotexts[0]
    # the accordion's own value holds outside the plot
    harness.run_generation(runner, args, init_images=[hand_image()], seed=1, steps=2)
    assert harness.controlnet_log()[-1]["unit"].weight == 0.55
