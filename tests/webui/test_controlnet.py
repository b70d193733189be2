"""Choosing the ControlNet model, and our unit through the double's A1111, Forge and SDXL set-ups."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from lib_handrefine.settings import HandRefineSettings
from lib_handrefine.webui.controlnet import choose_model, resolve_model
from lib_handrefine.webui.outcome import SkipImage

from .conftest import MODEL, args_with, changed, hand_image, harness, runner_for

SD15_HAND = "control_sd15_inpaint_depth_hand_fp16 [09456e54]"
SD15_DEPTH = "control_v11f1p_sd15_depth [cfd03158]"
SD15_OLD_DEPTH = "control_sd15_depth [fef5e48e]"
XL_DEPTH = "diffusers_xl_depth_full [2f51180b]"
XL_SMALL_DEPTH = "controlnet-depth-sdxl-1.0-small [d1b2f51a]"
CANNY = "control_v11p_sd15_canny [d14c016b]"
AVAILABLE = [CANNY, SD15_OLD_DEPTH, SD15_DEPTH, SD15_HAND, XL_DEPTH, XL_SMALL_DEPTH]


@pytest.mark.parametrize(("requested", "is_sdxl", "expected"), [
    (CANNY, False, CANNY),  # exact
    ("CONTROL_V11P_SD15_CANNY [D14C016B]", False, CANNY),  # case-insensitive
    ("canny", False, CANNY),  # contained
    ("depth", False, SD15_OLD_DEPTH),  # the shortest name containing it
    ("openpose", False, None),  # asked for one that is not installed
    ("Auto", False, SD15_HAND),  # Auto prefers the hand-depth model
    ("Auto", True, XL_DEPTH),  # SDXL: an xl depth model, never an SD1.5 one
    ("", False, SD15_HAND),
    ("None", False, None),
])
def test_choose_model(requested, is_sdxl, expected):
    assert choose_model(requested, AVAILABLE, is_sdxl) == expected


def test_auto_without_a_hand_model_prefers_the_v11_depth_model():
    assert choose_model("Auto", [CANNY, SD15_OLD_DEPTH, SD15_DEPTH, XL_DEPTH], False) == SD15_DEPTH
    assert choose_model("Auto", [CANNY, XL_DEPTH], False) is None
    assert choose_model("Auto", [], False) is None


class _Backend:
    def __init__(self, models):
        self._models = models

    def models(self, refresh=False):
        return self._models


def test_resolve_model_falls_back_or_skips():
    auto = HandRefineSettings()
    assert resolve_model(auto, _Backend(AVAILABLE), False, skip_without=True) == (SD15_HAND, None)
    assert resolve_model(auto.replace(controlnet_model="None"), None, False, skip_without=True) == (None, None)
    model, why = resolve_model(auto, None, False, skip_without=False)
    assert model is None and why.startswith("the ControlNet extension")  # its state: the tests below
    model, why = resolve_model(auto.replace(controlnet_model="openpose"), _Backend(AVAILABLE), False, False)
    assert model is None and "'openpose'" in why
    with pytest.raises(SkipImage, match="no suitable ControlNet model"):
        resolve_model(auto, _Backend([CANNY]), False, skip_without=True)


def _forge_webui():
    from modules import shared

    harness.reset_webui(forge_controlnet=True)
    shared.opts.data["handrefine_model_path"] = str(MODEL)


def test_forge_builtin_controlnet_gets_our_unit(webui):
    _forge_webui()
    ec = importlib.import_module("lib_controlnet.external_code")
    forge_names = importlib.import_module("lib_controlnet.global_state").get_all_controlnet_names()
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_with(runner, keep_fix="always"), init_images=[image], seed=1,
                                       steps=2, width=512, height=512)  # always: the double's sampler draws no hand
    log = harness.controlnet_log()
    assert len(log) == 1 and len(webui.passes) == 1
    unit = log[0]["unit"]
    assert isinstance(unit, ec.ControlNetUnit)  # Forge's dataclass, not A1111's dict
    assert unit.module == "None" and unit.model in forge_names and "inpaint_depth_hand" in unit.model
    assert log[0]["model"] == f"/models/ControlNet/{unit.model.split(' [')[0]}.safetensors"
    p2 = webui.passes[0][0]
    assert log[0]["p"] is p2 and log[0]["detected_map"].shape[:2] == (p2.height, p2.width)
    assert changed(processed.images[0], image).any()
    assert f"ControlNet {unit.model}" in processed.infotexts[0]


def test_forge_users_own_unit_is_untouched_and_ours_does_not_leak(webui):
    _forge_webui()
    runner = runner_for(True)
    cn = harness.script_of(runner, "ControlNet")
    args = args_with(runner)
    names = importlib.import_module("lib_controlnet.global_state").get_all_controlnet_names()
    depth_name = next(n for n in names if "v11f1p" in n)
    args[cn.args_from] = {"enabled": True, "module": "None", "model": depth_name, "weight": 0.8}
    harness.run_generation(runner, args, init_images=[hand_image()], seed=1, steps=2, width=512, height=512)
    log = harness.controlnet_log()
    outer = [r for r in log if r["p"] is harness.last_p]
    assert [r["unit"].model for r in outer] == [depth_name]  # the user's unit ran in the main pass
    ours = [r for r in log if r["p"] is not harness.last_p]
    assert len(ours) == 1 and "inpaint_depth_hand" in ours[0]["unit"].model


def test_sdxl_checkpoint_gets_an_xl_depth_model_and_native_size(webui):
    from modules import shared

    harness.reset_webui(sd_model="sdxl")
    shared.opts.data["handrefine_model_path"] = str(MODEL)
    harness.set_controlnet_models([SD15_HAND, SD15_DEPTH, XL_DEPTH])
    runner = runner_for(True)
    image = hand_image().resize((1024, 1024))
    processed = harness.run_generation(runner, args_with(runner), init_images=[image], seed=1, steps=2,
                                       width=1024, height=1024)
    log = harness.controlnet_log()
    assert [r["unit"].model for r in log] == [XL_DEPTH]
    p2 = webui.passes[0][0]
    assert p2.width * p2.height >= 0.8 * 1024 * 1024  # SDXL's native pass size
    assert "ControlNet diffusers_xl_depth_full" in processed.infotexts[0]
    assert np.asarray(log[0]["detected_map"]).shape[:2] == (p2.height, p2.width)


def _model_dropdown(runner):
    from lib_handrefine.settings import field_names

    me = harness.script_of(runner, "HandRefine")
    return me.controls[field_names().index("controlnet_model")]


@pytest.mark.parametrize("forge", [False, True])
def test_txt2img_lists_models_before_the_img2img_tab_exists(webui, forge):
    from modules import scripts

    if forge:
        _forge_webui()
    listed = importlib.import_module("lib_controlnet.global_state").get_all_controlnet_names() if forge \
        else harness.controlnet_external_code().get_models()
    expected = [m for m in listed if m != "None"]
    runner = runner_for(False)  # the WebUI builds txt2img's UI first
    assert scripts.scripts_img2img is None
    assert list(_model_dropdown(runner).choices) == ["Auto", "None", *expected]
    assert len(expected) == 2


@pytest.mark.parametrize(("forge", "folder"), [(False, "sd-webui-controlnet"), (True, "sd_forge_controlnet")])
def test_a_disabled_controlnet_extension_is_called_disabled(webui, forge, folder):
    from modules import shared

    harness.reset_webui(forge_controlnet=forge, disabled_extensions=[folder])
    shared.opts.data["handrefine_model_path"] = str(MODEL)
    shared.opts.data["handrefine_without_controlnet"] = "Skip the hand fix"
    runner = runner_for(True)
    assert harness.script_of(runner, "HandRefine") and not any(
        s.title() == "ControlNet" for s in runner.alwayson_scripts)
    processed = harness.run_generation(runner, args_with(runner), init_images=[hand_image()], seed=1, steps=2)
    assert f"skipped: the ControlNet extension ({folder}) is disabled" in processed.infotexts[0]


def test_no_controlnet_extension_is_called_not_installed(webui):
    from modules import shared

    harness.reset_webui(controlnet=False)
    shared.opts.data["handrefine_model_path"] = str(MODEL)
    shared.opts.data["handrefine_without_controlnet"] = "Skip the hand fix"
    runner = runner_for(True)
    processed = harness.run_generation(runner, args_with(runner), init_images=[hand_image()], seed=1, steps=2)
    assert "skipped: the ControlNet extension is not installed" in processed.infotexts[0]


def test_classic_and_reforge_units_get_an_image_mask_pair_and_their_own_mode_names():
    """Forge Classic / reForge units have no `image_fg` and read image["image"] / image["mask"]; reForge spells
    the control modes its own way (mirrors their lib_controlnet.external_code)."""
    import dataclasses
    import enum
    import types

    import numpy as np

    from lib_handrefine.settings import HandRefineSettings
    from lib_handrefine.webui.controlnet import ControlNetBackend

    class ControlMode(enum.Enum):
        BALANCED = "Balanced"
        PROMPT = "Prefer Prompt"
        CONTROL = "Prefer ControlNet"

    @dataclasses.dataclass
    class ControlNetUnit:
        enabled: bool = True
        module: str = "None"
        model: str = "None"
        weight: float = 1.0
        image: object = None
        resize_mode: str = "Crop and Resize"
        processor_res: int = -1
        threshold_a: float = -1
        threshold_b: float = -1
        guidance_start: float = 0.0
        guidance_end: float = 1.0
        pixel_perfect: bool = False
        control_mode: str = "Balanced"
        save_detected_map: bool = True

    api = types.SimpleNamespace(ControlNetUnit=ControlNetUnit, ControlMode=ControlMode)
    backend = ControlNetBackend("forge", None, api, "None")
    depth = np.full((8, 8, 3), 200, np.uint8)
    unit = backend.unit("m", depth, HandRefineSettings(control_mode="My prompt is more important"))
    assert isinstance(unit.image, dict) and unit.image["image"] is depth and not unit.image["mask"].any()
    assert unit.control_mode == "Prefer Prompt"


def test_result_params_are_plain_json_after_the_generation(webui):
    """Forge Classic's Processed.js() dumps extra_generation_params without default=: no callable may remain."""
    import json

    runner = runner_for(True)
    processed = harness.run_generation(runner, args_with(runner), init_images=[hand_image()], seed=1, steps=2)
    params = harness.last_p.extra_generation_params
    text = json.dumps(params)
    assert "HandRefine result" in json.loads(text)
    assert params["HandRefine result"].split(" (")[0] in processed.infotexts[0]
