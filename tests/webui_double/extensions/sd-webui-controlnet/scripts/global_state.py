"""Double of sd-webui-controlnet scripts/global_state.py: the installed-model table, configurable from tests.

``cn_models``: "name [hash]" -> path (with "None" first); ``cn_models_names``: lower-case stem -> "name [hash]".
Double-only: ``set_double_models(names)`` and ``double_log`` (one entry per enabled unit ControlNet prepared).
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from typing import Any

from modules import sd_models, shared
from modules.paths import models_path
from scripts.enums import StableDiffusionVersion

logger = logging.getLogger("ControlNet")
cn_models_dir = os.path.join(models_path, "ControlNet")
cn_models: OrderedDict[str, str | None] = OrderedDict()
cn_models_names: dict[str, str] = {}
DEFAULT_DOUBLE_MODELS = ["control_sd15_inpaint_depth_hand_fp16 [09456e54]", "control_v11f1p_sd15_depth [cfd03158]"]
double_models: list[str] = list(DEFAULT_DOUBLE_MODELS)
double_log: list[dict[str, Any]] = []


def set_double_models(names: list[str]) -> None:
    """Pretend exactly these model files ("stem [hash]" or bare stems) are installed, then refresh the tables."""
    double_models[:] = list(names)
    update_cn_models()


def update_cn_models() -> None:
    cn_models.clear()
    cn_models["None"] = None
    for entry in double_models:
        stem = entry.split(" [")[0]
        title = entry if " [" in entry else f"{stem} [{sd_models.model_hash(stem)}]"
        cn_models[title] = os.path.join(cn_models_dir, f"{stem}.safetensors")
    cn_models_names.clear()
    for title, filename in cn_models.items():
        if filename is not None:
            cn_models_names[os.path.splitext(os.path.basename(filename))[0].lower()] = title


def get_sd_version() -> StableDiffusionVersion:
    model = shared.sd_model
    if model.is_sdxl:
        return StableDiffusionVersion.SDXL
    if model.is_sd2:
        return StableDiffusionVersion.SD2x
    if model.is_sd1:
        return StableDiffusionVersion.SD1x
    return StableDiffusionVersion.UNKNOWN


update_cn_models()
