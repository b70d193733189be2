"""Double of Forge lib_controlnet/enums.py (subset)."""

from __future__ import annotations

from enum import Enum


class HiResFixOption(Enum):
    BOTH = "Both"
    LOW_RES_ONLY = "Low res only"
    HIGH_RES_ONLY = "High res only"


class InputMode(Enum):
    SIMPLE = "simple"
    BATCH = "batch"
    MERGE = "merge"
