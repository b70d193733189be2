"""HandRefine's axes for the WebUI's X/Y/Z plot script.

An axis value overrides the accordion's setting for its cell only: X/Y/Z runs each cell on a shallow copy of the
processing object, so the value goes into a fresh dict on that copy, which our `process` hook reads.
Registered at import (with --nowebui the X/Y/Z UI is built before any before-UI callback) and again before the
UI is built (the fallback), never twice.
"""

from __future__ import annotations

from typing import Any

from . import state
from .controlnet import controlnet_choices

PREFIX = "[HandRefine]"
ON_OFF = ("On", "Off")


def _set(name: str, convert=None):
    def apply(p: Any, value: Any, values: Any) -> None:
        state.add_xyz_override(p, name, convert(value) if convert else value)

    return apply


def _on(value: Any) -> bool:
    return str(value).strip().lower() in ("on", "true", "1", "yes")


def axis_specs(list_models) -> list[tuple[str, type, Any, Any]]:
    """(label, value type, apply, choices) for every axis."""
    return [
        ("Enabled", str, _set("enabled", _on), lambda: list(ON_OFF)),
        ("Control weight", float, _set("control_weight"), None),
        ("Guidance start", float, _set("guidance_start"), None),
        ("Guidance end", float, _set("guidance_end"), None),
        ("Denoising strength", float, _set("denoising_strength"), None),
        ("Mask padding", int, _set("mask_padding"), None),
        ("Detection confidence", float, _set("detect_confidence"), None),
        ("Sequential mask expansion", str, _set("sequential_expansion", _on), lambda: list(ON_OFF)),
        ("ControlNet model", str, _set("controlnet_model"), lambda: controlnet_choices(list_models(False))),
    ]


def find_xyz_module() -> Any | None:
    from modules import scripts

    return next((d.module for d in scripts.scripts_data if d.script_class.__module__ == "xyz_grid.py"), None)


def register_axes(list_models) -> bool:
    """Add our axes to the X/Y/Z plot once. False when the X/Y/Z script is not loaded (yet)."""
    xyz = find_xyz_module()
    if xyz is None:
        return False
    if any(str(getattr(o, "label", "")).startswith(PREFIX) for o in xyz.axis_options):
        return True
    for label, kind, apply, choices in axis_specs(list_models):
        xyz.axis_options.append(xyz.AxisOption(f"{PREFIX} {label}", kind, apply, choices=choices))
    return True
