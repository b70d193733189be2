"""Double of sd-webui-controlnet internal_controlnet/args.py: ControlNetUnit without pydantic.

Same field names, defaults and order as the v1.1.455 pydantic model; the validators that matter to callers are
reproduced (unknown module -> ValueError, weight/guidance ranges, guidance_start <= guidance_end, enum coercion
from their string values, resize-mode aliases, legacy key aliases in from_dict, unknown keys ignored).
"""

from __future__ import annotations

import copy as _copy
import logging
import os
from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar

import numpy as np
from PIL import Image
from scripts.enums import ControlMode, ControlNetUnionControlType, HiResFixOption, InputMode, PuLIDMode, ResizeMode


def _unimplemented_func(*args, **kwargs):
    raise NotImplementedError("Not implemented.")


def HWC3(x: np.ndarray) -> np.ndarray:
    """[H, W], [H, W, 1], [H, W, 3] or [H, W, 4] uint8 -> [H, W, 3] (alpha composited over white)."""
    if x.ndim == 2:
        x = x[:, :, None]
    h, w, c = x.shape
    if c == 3:
        return x
    if c == 1:
        return np.concatenate([x, x, x], axis=2)
    color = x[:, :, 0:3].astype(np.float32)
    alpha = x[:, :, 3:4].astype(np.float32) / 255.0
    return (color * alpha + 255.0 * (1.0 - alpha)).clip(0, 255).astype(np.uint8)


_RESIZE_MODE_ALIASES = {
    "Inner Fit (Scale to Fit)": "Crop and Resize",
    "Outer Fit (Shrink to Fit)": "Resize and Fill",
    "Scale to Fit (Inner Fit)": "Crop and Resize",
    "Envelope (Outer Fit)": "Resize and Fill",
}

# name -> default (a callable builds a fresh mutable default)
_FIELDS: dict[str, Any] = {
    "is_ui": False,
    "input_mode": InputMode.SIMPLE,
    "batch_images": None,
    "output_dir": "",
    "loopback": False,
    "enabled": False,
    "module": "none",
    "model": "None",
    "weight": 1.0,
    "image": None,
    "resize_mode": ResizeMode.INNER_FIT,
    "low_vram": False,
    "processor_res": -1,
    "threshold_a": -1,
    "threshold_b": -1,
    "guidance_start": 0.0,
    "guidance_end": 1.0,
    "pixel_perfect": False,
    "control_mode": ControlMode.BALANCED,
    "inpaint_crop_input_image": True,
    "hr_option": HiResFixOption.BOTH,
    "save_detected_map": True,
    "advanced_weighting": None,
    "effective_region_mask": None,
    "pulid_mode": PuLIDMode.FIDELITY,
    "union_control_type": ControlNetUnionControlType.UNKNOWN,
    "ipadapter_input": None,
    "mask": None,
    "batch_mask_dir": None,
    "animatediff_batch": False,
    "batch_modifiers": list,
    "batch_image_files": list,
    "batch_keyframe_idx": None,
}
_ENUMS = {
    "input_mode": InputMode,
    "control_mode": ControlMode,
    "hr_option": HiResFixOption,
    "pulid_mode": PuLIDMode,
    "union_control_type": ControlNetUnionControlType,
}
_BOOLS = {
    "is_ui",
    "loopback",
    "enabled",
    "low_vram",
    "pixel_perfect",
    "inpaint_crop_input_image",
    "save_detected_map",
    "animatediff_batch",
}
_FLOATS = {"weight", "threshold_a", "threshold_b", "guidance_start", "guidance_end"}


def _to_bool(name: str, value: Any) -> bool:
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "1", "yes", "on", "t", "y"):
            return True
        if lowered in ("false", "0", "no", "off", "f", "n"):
            return False
        raise ValueError(f"{name}: value could not be parsed to a boolean")
    if isinstance(value, (bool, int, float)) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{name}: value could not be parsed to a boolean")


class ControlNetUnit:
    """One ControlNet unit. Construction validates like the pydantic model (errors are ValueError)."""

    cls_match_module: ClassVar[Callable[[str], bool]] = _unimplemented_func
    cls_match_model: ClassVar[Callable[[str], bool]] = _unimplemented_func
    cls_decode_base64: ClassVar[Callable[[str], np.ndarray]] = _unimplemented_func
    cls_get_preprocessor: ClassVar[Callable[[str], Any]] = _unimplemented_func
    cls_logger: ClassVar[logging.Logger] = logging.getLogger("ControlNetUnit")

    def __init__(self, **values: Any):
        for name, default in _FIELDS.items():  # like pydantic v1: given values are coerced, defaults are not
            if name in values:
                setattr(self, name, self._coerce(name, values[name]))
            else:
                setattr(self, name, default() if callable(default) else default)
        if not type(self).cls_match_module(self.module):
            raise ValueError(f"module({self.module}) not found in supported modules.")
        if not type(self).cls_match_model(self.model):
            raise ValueError(f"model({self.model}) not found in supported models.")
        if not 0.0 <= self.weight <= 2.0:
            raise ValueError(f"weight({self.weight}) must be within [0.0, 2.0]")
        for name in ("guidance_start", "guidance_end"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name}({getattr(self, name)}) must be within [0.0, 1.0]")
        if self.guidance_start > self.guidance_end:
            raise ValueError(f"guidance_start({self.guidance_start}) > guidance_end({self.guidance_end})")
        if self.enabled and self.module:
            preprocessor = type(self).cls_get_preprocessor(self.module)
            cfg = preprocessor.slider_resolution
            if self.processor_res < cfg.minimum or self.processor_res > cfg.maximum:
                self.processor_res = cfg.value

    @staticmethod
    def _coerce(name: str, value: Any) -> Any:
        if name == "resize_mode":
            if isinstance(value, str):
                return ResizeMode(_RESIZE_MODE_ALIASES.get(value, value))
            if not isinstance(value, ResizeMode):
                raise ValueError(f"resize_mode: {value!r} is not a ResizeMode or one of its string values")
            return value
        if name in _ENUMS and value is not None and not isinstance(value, _ENUMS[name]):
            return _ENUMS[name](value)
        if name in _BOOLS:
            return _to_bool(name, value)
        if name in _FLOATS:
            return float(value)
        if name == "processor_res":
            return int(value)
        if name == "module" and value is not None and not isinstance(value, str):
            raise ValueError("module: str type expected")
        if name == "effective_region_mask" and isinstance(value, str):
            return ControlNetUnit.cls_decode_base64(value)
        return value

    # --- pydantic-v1-like helpers ---
    def dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    def copy(self, update: dict | None = None) -> ControlNetUnit:
        clone = _copy.copy(self.__dict__)
        new = object.__new__(type(self))
        new.__dict__.update(clone)
        new.__dict__.update(update or {})
        return new

    def __copy__(self) -> ControlNetUnit:
        return self.copy()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ControlNetUnit) and all(_safe_eq(getattr(self, k), getattr(other, k)) for k in _FIELDS)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={getattr(self, k)!r}"
            for k in (
                "enabled",
                "module",
                "model",
                "weight",
                "resize_mode",
                "guidance_start",
                "guidance_end",
                "control_mode",
            )
        )
        return f"ControlNetUnit({shown}, ...)"

    @property
    def accepts_multiple_inputs(self) -> bool:
        return self.is_ipadapter

    @property
    def is_animate_diff_batch(self) -> bool:
        return getattr(self, "animatediff_batch", False)

    @property
    def uses_clip(self) -> bool:
        return ("ip-adapter" in self.module and "face_id" not in self.module) or self.module in (
            "clip_vision",
            "revision_clipvision",
            "revision_ignore_prompt",
        )

    @property
    def is_inpaint(self) -> bool:
        return "inpaint" in self.module

    @property
    def is_ipadapter(self) -> bool:
        p = ControlNetUnit.cls_get_preprocessor(self.module)
        return p is not None and "IP-Adapter" in p.tags

    @classmethod
    def parse_image(cls, image: Any) -> np.ndarray:
        if isinstance(image, np.ndarray):
            np_image = image
        elif isinstance(image, str):
            np_image = (
                np.array(Image.open(image)).astype("uint8") if os.path.exists(image) else cls.cls_decode_base64(image)
            )
        else:
            raise ValueError(f"Unrecognized image format {image}.")
        np_image = HWC3(np_image)
        assert np_image.ndim == 3 and np_image.shape[2] == 3
        return np_image

    @classmethod
    def combine_image_and_mask(cls, np_image: np.ndarray, np_mask: np.ndarray | None = None) -> np.ndarray:
        """RGB + optional mask (first channel) -> RGBA; a missing mask gives alpha 0."""
        np_mask = (np.zeros_like(np_image) if np_mask is None else np_mask)[:, :, 0:1]
        if np_image.shape[:2] != np_mask.shape[:2]:
            raise ValueError(f"image shape ({np_image.shape[:2]}) not aligned with mask shape ({np_mask.shape[:2]})")
        return np.concatenate([np_image, np_mask], axis=2)

    @classmethod
    def legacy_field_alias(cls, values: dict) -> dict:
        for alias, key in {"guidance": "guidance_end", "lowvram": "low_vram", "input_image": "image"}.items():
            if alias in values:
                assert key not in values, f"Conflict of field '{alias}' and '{key}'"
                values[key] = values[alias]
        return values

    @classmethod
    def mask_alias(cls, values: dict) -> dict:
        if values.get("mask_image") is not None:
            if values.get("mask") is not None:
                raise ValueError("Cannot specify both 'mask' and 'mask_image'!")
            values["mask"] = values["mask_image"]
        return values

    def get_input_images_rgba(self) -> list[np.ndarray] | None:
        """Accepts {"image", "mask"}, [image, mask], a list of such dicts, or image (+ self.mask); -> RGBA list."""
        init_image, init_mask = self.image, self.mask
        if init_image is None:
            assert init_mask is None
            return None
        if isinstance(init_image, (list, tuple)):
            if not init_image:
                raise ValueError(f"{init_image} is not a valid 'image' field value")
            if isinstance(init_image[0], dict):
                entries = init_image
            else:
                assert len(init_image) == 2
                entries = [{"image": init_image[0], "mask": init_image[1]}]
        elif isinstance(init_image, dict):
            entries = [init_image]
        elif isinstance(init_image, (str, np.ndarray)):
            entries = [{"image": init_image, "mask": init_mask}]
        else:
            raise ValueError(f"Unrecognized image field {init_image}")
        result = []
        for entry in entries:
            assert isinstance(entry, dict) and entry.get("image") is not None
            np_mask = self.parse_image(entry["mask"]) if entry.get("mask") is not None else None
            result.append(self.combine_image_and_mask(self.parse_image(entry["image"]), np_mask))
        return result

    @classmethod
    def from_dict(cls, values: dict) -> ControlNetUnit:
        values = cls.mask_alias(cls.legacy_field_alias(_copy.copy(values)))
        return ControlNetUnit(**values)

    @staticmethod
    def infotext_fields() -> tuple[str, ...]:
        return (
            "module",
            "model",
            "weight",
            "resize_mode",
            "processor_res",
            "threshold_a",
            "threshold_b",
            "guidance_start",
            "guidance_end",
            "pixel_perfect",
            "control_mode",
        )

    def serialize(self) -> str:
        """ "Module: none, Model: x, Weight: 1.0, ..." as written into "ControlNet N" infotext entries."""
        shown = {
            " ".join(w.capitalize() for w in f.split("_")): (v.value if isinstance(v, Enum) else str(v))
            for f in ControlNetUnit.infotext_fields()
            for v in (getattr(self, f),)
        }
        if not all("," not in str(v) and ":" not in str(v) for v in shown.values()):
            self.cls_logger.error(f"Unexpected tokens encountered:\n{shown}")
            return ""
        return ", ".join(f"{k}: {v}" for k, v in shown.items())


def _safe_eq(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is b
    return a == b
