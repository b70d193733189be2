"""Double of Forge lib_controlnet/external_code.py (API version 2): a *dataclass* unit, module default "None"."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

import numpy as np
from modules import shared
from modules.api import api

from lib_controlnet.enums import HiResFixOption, InputMode


def get_api_version() -> int:
    return 2


class ControlMode(Enum):
    BALANCED = "Balanced"
    PROMPT = "My prompt is more important"
    CONTROL = "ControlNet is more important"


class BatchOption(Enum):
    DEFAULT = "All ControlNet units for all images in a batch"
    SEPARATE = "Each ControlNet unit for each image in a batch"


class ResizeMode(Enum):
    RESIZE = "Just Resize"
    INNER_FIT = "Crop and Resize"
    OUTER_FIT = "Resize and Fill"

    def int_value(self) -> int:
        return {ResizeMode.RESIZE: 0, ResizeMode.INNER_FIT: 1, ResizeMode.OUTER_FIT: 2}[self]


resize_mode_aliases = {
    "Inner Fit (Scale to Fit)": "Crop and Resize",
    "Outer Fit (Shrink to Fit)": "Resize and Fill",
    "Scale to Fit (Inner Fit)": "Crop and Resize",
    "Envelope (Outer Fit)": "Resize and Fill",
}


def resize_mode_from_value(value: str | int | ResizeMode) -> ResizeMode:
    if isinstance(value, str):
        return ResizeMode(resize_mode_aliases.get(value, value))
    if isinstance(value, int):
        assert value >= 0
        if value == 3 or value >= len(ResizeMode):
            return ResizeMode.RESIZE
        return list(ResizeMode)[value]
    return value


def control_mode_from_value(value: str | int | ControlMode) -> ControlMode:
    if isinstance(value, str):
        return ControlMode(value)
    if isinstance(value, int):
        return list(ControlMode)[value]
    return value


def visualize_inpaint_mask(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3 and img.shape[2] == 4:
        result = img.copy()
        result[:, :, 3] = 255 - result[:, :, 3] // 2
        return np.ascontiguousarray(result)
    return img


def pixel_perfect_resolution(image: np.ndarray, target_H: int, target_W: int, resize_mode: ResizeMode) -> int:
    raw_h, raw_w, _ = image.shape
    k0, k1 = float(target_H) / float(raw_h), float(target_W) / float(raw_w)
    k = min(k0, k1) if resize_mode == ResizeMode.OUTER_FIT else max(k0, k1)
    return int(np.round(k * float(min(raw_h, raw_w))))


@dataclass
class ControlNetUnit:
    input_mode: InputMode = InputMode.SIMPLE
    use_preview_as_input: bool = False
    batch_image_dir: str = ""
    batch_mask_dir: str = ""
    batch_input_gallery: list[str] | None = None
    batch_mask_gallery: list[str] | None = None
    generated_image: np.ndarray | None = None
    mask_image: Any = None
    mask_image_fg: Any = None
    hr_option: HiResFixOption | int | str = HiResFixOption.BOTH
    enabled: bool = True
    module: str = "None"
    model: str = "None"
    weight: float = 1.0
    image: Any = None
    image_fg: Any = None
    resize_mode: ResizeMode | int | str = ResizeMode.INNER_FIT
    processor_res: int = -1
    threshold_a: float = -1
    threshold_b: float = -1
    guidance_start: float = 0.0
    guidance_end: float = 1.0
    pixel_perfect: bool = False
    control_mode: ControlMode | int | str = ControlMode.BALANCED
    save_detected_map: bool = True

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
            "hr_option",
        )

    @staticmethod
    def from_dict(d: dict) -> ControlNetUnit:
        """Known keys only; base64 ``image`` / ``mask_image`` strings are decoded to uint8 arrays."""
        names = {f.name for f in fields(ControlNetUnit)}
        unit = ControlNetUnit(**{k: v for k, v in d.items() if k in names})
        if isinstance(unit.image, str):
            unit.image = np.array(api.decode_base64_to_image(unit.image)).astype("uint8")
        if isinstance(unit.mask_image, str):
            unit.mask_image = np.array(api.decode_base64_to_image(unit.mask_image)).astype("uint8")
        return unit


UiControlNetUnit = ControlNetUnit


def to_base64_nparray(encoding: str) -> np.ndarray:
    return np.array(api.decode_base64_to_image(encoding)).astype("uint8")


def get_max_models_num() -> int:
    return shared.opts.data.get("control_net_unit_count", 3)
