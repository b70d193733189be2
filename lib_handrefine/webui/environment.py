"""What the running WebUI tells us: options, the loaded checkpoint, the hand model's location, our own scripts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..box_detector import BoxDetector, get_box_detector
from ..box_model_file import resolve_detector_model
from ..model_file import WEBUI_HINT, ModelFileError, resolve_model_path
from ..settings import AUTO_MODEL, HandRefineSettings
from .outcome import SkipImage

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
MODEL_RETRY_S = 600.0  # how long a missing hand model is not looked for again (with unchanged settings)
_warned: set[str] = set()
_model_failures: dict[tuple[Any, ...], tuple[float, str]] = {}  # settings -> (when, why)


def opt(name: str) -> Any:
    from modules import shared

    return shared.opts.data.get(name, OPTION_DEFAULTS[name])


def hand_model_path() -> Path:
    """Setting, then --handrefine-hand-landmarker, then $HANDREFINE_HAND_LANDMARKER, then models/handrefine/.

    Without a usable model this raises SkipImage with the reason (a clean "skipped" line, no traceback). The
    failure is remembered for MODEL_RETRY_S with the same settings, so the following images of a batch (offline,
    say) do not each retry the download; a changed setting is tried at once.
    """
    from modules import paths, shared

    explicit = opt("handrefine_model_path") or getattr(shared.cmd_opts, "handrefine_hand_landmarker", None) or None
    download = bool(opt("handrefine_allow_download"))
    key = (explicit, download, str(paths.models_path))
    failed = _model_failures.get(key)
    if failed is not None and time.monotonic() - failed[0] < MODEL_RETRY_S:
        raise SkipImage(failed[1])
    try:
        path = resolve_model_path(explicit, paths.models_path, download=download, hint=WEBUI_HINT)
    except ModelFileError as exc:
        _model_failures[key] = (time.monotonic(), str(exc))
        raise SkipImage(str(exc)) from None
    _model_failures.pop(key, None)
    return path


def box_detector(settings: HandRefineSettings) -> BoxDetector | None:
    """The anime hand detector when the settings choose it: their model file, else models/handrefine/ (downloaded
    on first use if downloads are allowed)."""
    if not settings.uses_box_detector:
        return None
    from modules import paths

    try:
        path = resolve_detector_model(settings.detector_model or None, paths.models_path,
                                      download=bool(opt("handrefine_allow_download")))
    except ModelFileError as exc:
        raise SkipImage(str(exc)) from None  # one clean line, like a missing hand model
    return get_box_detector(path)


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
