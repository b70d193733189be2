"""Double of sd-webui-controlnet scripts/enums.py (v1.1.455): enum names and string values as in the real one."""

from __future__ import annotations

from enum import Enum


class StableDiffusionVersion(Enum):
    UNKNOWN = 0
    SD1x = 1
    SD2x = 2
    SDXL = 3

    @staticmethod
    def detect_from_model_name(model_name: str) -> StableDiffusionVersion:
        if any(f"sd{v}" in model_name.lower() for v in ("14", "15", "16")):
            return StableDiffusionVersion.SD1x
        if "sd21" in model_name or "2.1" in model_name:
            return StableDiffusionVersion.SD2x
        if "xl" in model_name.lower():
            return StableDiffusionVersion.SDXL
        return StableDiffusionVersion.UNKNOWN

    def is_compatible_with(self, other: StableDiffusionVersion) -> bool:
        """Incompatible only when exactly one side is SDXL (UNKNOWN is compatible with everything)."""
        return (
            StableDiffusionVersion.UNKNOWN in (self, other)
            or sum(v == StableDiffusionVersion.SDXL for v in (self, other)) != 1
        )


class HiResFixOption(Enum):
    BOTH = "Both"
    LOW_RES_ONLY = "Low res only"
    HIGH_RES_ONLY = "High res only"


class InputMode(Enum):
    SIMPLE = "simple"
    BATCH = "batch"
    MERGE = "merge"


class PuLIDMode(Enum):
    FIDELITY = "Fidelity"
    STYLE = "Extremely style"


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


class ControlNetUnionControlType(Enum):
    OPENPOSE = "OpenPose"
    DEPTH = "Depth"
    SOFT_EDGE = "Soft Edge"
    HARD_EDGE = "Hard Edge"
    NORMAL_MAP = "Normal Map"
    SEGMENTATION = "Segmentation"
    TILE = "Tile"
    INPAINT = "Inpaint"
    UNKNOWN = "Unknown"
