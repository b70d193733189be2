"""What the running WebUI tells us: options, the loaded checkpoint, the hand model's location, our own scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model_file import resolve_model_path
from ..settings import AUTO_MODEL

SECTION = ("handrefine", "HandRefine")
NO_CONTROLNET_CHOICES = ("Inpaint without ControlNet", "Skip the hand fix")
OPTION_DEFAULTS: dict[str, Any] = {
    "handrefine_model_path": "",
    "handrefine_allow_download": True,
    "handrefine_default_controlnet_model": AUTO_MODEL,
    "handrefine_without_controlnet": NO_CONTROLNET_CHOICES[0],
    "handrefine_save_before": False,
    "handrefine_save_debug": False,
}
_warned: set[str] = set()


def opt(name: str) -> Any:
    from modules import shared

    return shared.opts.data.get(name, OPTION_DEFAULTS[name])


def hand_model_path() -> Path:
    """Setting, then --handrefine-hand-landmarker, then $HANDREFINE_HAND_LANDMARKER, then models/handrefine/."""
    from modules import paths, shared

    explicit = opt("handrefine_model_path") or getattr(shared.cmd_opts, "handrefine_hand_landmarker", None)
    return resolve_model_path(explicit or None, paths.models_path, download=bool(opt("handrefine_allow_download")))


def is_sdxl() -> bool:
    from modules import shared

    return bool(getattr(shared.sd_model, "is_sdxl", False))


def model_kind() -> str:
    from modules import shared

    model = shared.sd_model
    if getattr(model, "is_sdxl", False):
        return "sdxl"
    if getattr(model, "is_sd2", False):
        return "sd2"
    return "sd1"


def skip_without_controlnet() -> bool:
    return opt("handrefine_without_controlnet") == NO_CONTROLNET_CHOICES[1]


def warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        print(message)


def own_script(runner: Any, script: Any | None) -> Any | None:
    """Our script's instance in `runner` (txt2img and img2img each have their own instance of every script)."""
    if script is None:
        return None
    for candidate in getattr(runner, "alwayson_scripts", []):
        if type(candidate).__name__ == type(script).__name__ and candidate.title() == script.title():
            return candidate
    return None
