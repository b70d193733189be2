"""Double of sd-webui-controlnet internal_controlnet/external_code.py (API version 3).

Reachable, exactly as in a real A1111 process that loaded ControlNet, as ``scripts.external_code`` (and
``internal_controlnet.external_code``) in sys.modules, and via importlib as
``extensions.sd-webui-controlnet.scripts.external_code`` when the webui root is on sys.path.
"""

from __future__ import annotations

import logging
from copy import copy
from typing import Any

import numpy as np
from modules import processing, scripts, shared
from modules.api import api
from scripts.enums import BatchOption, ControlMode, ResizeMode  # noqa: F401  (re-exported like the real module)
from scripts.supported_preprocessor import Preprocessor, PreprocessorParameter  # noqa: F401

from scripts import global_state

from .args import ControlNetUnit

logger = logging.getLogger("ControlNet")


def get_api_version() -> int:
    return 3


resize_mode_aliases = {
    "Inner Fit (Scale to Fit)": "Crop and Resize",
    "Outer Fit (Shrink to Fit)": "Resize and Fill",
    "Scale to Fit (Inner Fit)": "Crop and Resize",
    "Envelope (Outer Fit)": "Resize and Fill",
}


def resize_mode_from_value(value: str | int | ResizeMode) -> ResizeMode:
    """String (incl. legacy aliases) or A1111 int resize mode (3 = latent upscale -> RESIZE) to ResizeMode."""
    if isinstance(value, str):
        return ResizeMode(resize_mode_aliases.get(value, value))
    if isinstance(value, int):
        assert value >= 0
        if value == 3 or value >= len(ResizeMode):
            return ResizeMode.RESIZE
        return list(ResizeMode)[value]
    return value


def visualize_inpaint_mask(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3 and img.shape[2] == 4:
        result = img.copy()
        result[:, :, 3] = 255 - result[:, :, 3] // 2
        return np.ascontiguousarray(result)
    return img


def pixel_perfect_resolution(image: np.ndarray, target_H: int, target_W: int, resize_mode: ResizeMode) -> int:
    """Preprocessor resolution so the map lands at the target size (min side scaled by the fit factor)."""
    raw_h, raw_w, _ = image.shape
    k0, k1 = float(target_H) / float(raw_h), float(target_W) / float(raw_w)
    k = min(k0, k1) if resize_mode == ResizeMode.OUTER_FIT else max(k0, k1)
    return int(np.round(k * float(min(raw_h, raw_w))))


def to_base64_nparray(encoding: str) -> np.ndarray:
    return np.array(api.decode_base64_to_image(encoding)).astype("uint8")


def get_all_units_in_processing(p: processing.StableDiffusionProcessing) -> list[ControlNetUnit]:
    return get_all_units(p.scripts, p.script_args)


def get_all_units(script_runner: scripts.ScriptRunner, script_args: list[Any]) -> list[ControlNetUnit]:
    cn_script = find_cn_script(script_runner)
    if cn_script:
        return get_all_units_from(script_args[cn_script.args_from : cn_script.args_to])
    return []


def get_all_units_from(script_args: list[Any]) -> list[ControlNetUnit]:
    """Units (ControlNetUnit, dict via from_dict, or any object with a superset of the unit's fields)."""

    def is_controlnet_unit(arg: Any) -> bool:
        return isinstance(arg, (ControlNetUnit, dict)) or (
            hasattr(arg, "__dict__") and set(vars(ControlNetUnit()).keys()).issubset(set(vars(arg).keys()))
        )

    all_units = [to_processing_unit(arg) for arg in script_args if is_controlnet_unit(arg)]
    if not all_units:
        logger.warning(
            "No ControlNetUnit detected in args. It is very likely that you are having an extension "
            f"conflict.Here are args received by ControlNet: {script_args}."
        )
    return all_units


def get_single_unit_from(script_args: list[Any], index: int = 0) -> ControlNetUnit | None:
    i = 0
    while i < len(script_args) and index >= 0:
        if index == 0 and script_args[i] is not None:
            return to_processing_unit(script_args[i])
        i += 1
        index -= 1
    return None


def get_max_models_num() -> int:
    return shared.opts.data.get("control_net_unit_count", 3)


def to_processing_unit(unit: dict | ControlNetUnit) -> ControlNetUnit:
    if isinstance(unit, dict):
        return ControlNetUnit.from_dict(unit)
    assert isinstance(unit, ControlNetUnit)
    return unit


def update_cn_script_in_processing(p: processing.StableDiffusionProcessing, cn_units: list[ControlNetUnit], **_kwargs):
    """Write ``cn_units`` (padded to control_net_unit_count) into the ControlNet slot of ``p.script_args``."""
    p.script_args = update_cn_script(p.scripts, p.script_args_value, cn_units)


def update_cn_script(
    script_runner: scripts.ScriptRunner, script_args: tuple | list, cn_units: list[ControlNetUnit]
) -> tuple | list:
    """Return script_args (same type) with the CN slot replaced; later alwayson scripts' ranges are shifted."""
    args_type = type(script_args)
    assert args_type in (tuple, list), args_type
    updated = list(copy(script_args))
    cn_script = find_cn_script(script_runner)
    if cn_script is None or len(script_args) < cn_script.args_from:
        return script_args
    max_models = shared.opts.data.get("control_net_unit_count", 3)
    cn_units = cn_units + [ControlNetUnit(enabled=False)] * max(max_models - len(cn_units), 0)
    diff = 0
    for script in script_runner.alwayson_scripts:
        if script is cn_script:
            diff = len(cn_units) - (cn_script.args_to - cn_script.args_from)
            updated[script.args_from : script.args_to] = cn_units
            script.args_to = script.args_from + len(cn_units)
        else:
            script.args_from += diff
            script.args_to += diff
    return args_type(updated)


def update_cn_script_in_place(
    script_runner: scripts.ScriptRunner, script_args: list[Any], cn_units: list[ControlNetUnit], **_kwargs
) -> None:
    assert isinstance(script_args, list), type(script_args)
    script_args[:] = update_cn_script(script_runner, script_args, cn_units)


def get_models(update: bool = False) -> list[str]:
    """Installed model titles ("name [hash]"), without "None"."""
    if update:
        global_state.update_cn_models()
    return list(global_state.cn_models_names.values())


def get_modules(alias_names: bool = False) -> list[str]:
    return [(p.label if alias_names else p.name) for p in Preprocessor.get_sorted_preprocessors()]


def get_modules_detail(alias_names: bool = False) -> dict[str, Any]:
    return {
        name: {"model_free": Preprocessor.get_preprocessor(name).do_not_need_model, "sliders": []}
        for name in get_modules(alias_names)
    }


def find_cn_script(script_runner: scripts.ScriptRunner) -> scripts.Script | None:
    if script_runner is None:
        return None
    for script in script_runner.alwayson_scripts:
        if is_cn_script(script):
            return script
    return None


def is_cn_script(script: scripts.Script) -> bool:
    return script.title().lower() == "controlnet"


ControlNetUnit.cls_match_model = staticmethod(lambda model: True)
ControlNetUnit.cls_match_module = staticmethod(lambda module: Preprocessor.get_preprocessor(module) is not None)
ControlNetUnit.cls_get_preprocessor = staticmethod(Preprocessor.get_preprocessor)
ControlNetUnit.cls_decode_base64 = staticmethod(to_base64_nparray)
ControlNetUnit.cls_logger = logger
