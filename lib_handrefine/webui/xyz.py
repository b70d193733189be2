"""HandRefine's axes for the WebUI's X/Y/Z plot script: one per setting marked `axis` in settings.py.

An axis value overrides the accordion's setting for its cell only: X/Y/Z runs each cell on a shallow copy of the
processing object, so the value goes onto that copy (state.add_xyz_override), which our `process` hook reads.
Registered at import (with --nowebui the X/Y/Z UI is built before any before-UI callback) and again before the
UI is built (the fallback), never twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..settings import HandRefineSettings
from . import state
from .controlnet import controlnet_choices

PREFIX = "[HandRefine]"
ON_OFF = ("On", "Off")


def _set(name: str, convert: Callable[[Any], Any] | None = None):
    def apply(p: Any, value: Any, values: Any) -> None:
        state.add_xyz_override(p, name, convert(value) if convert else value)

    return apply


def _on(value: Any) -> bool:
    return str(value).strip().lower() in ("on", "true", "1", "yes")


def axis_specs(list_models: Callable[[bool], list[str]]) -> list[tuple[str, type, Any, Any]]:
    """(label, value type, apply, choices) for every setting marked as an axis, in settings order."""
    specs = []
    for f in dataclasses.fields(HandRefineSettings):
        label, default = f.metadata["axis"], f.default
        if not label:
            continue
        if isinstance(default, bool):
            specs.append((label, str, _set(f.name, _on), lambda: list(ON_OFF)))
        elif f.name == "controlnet_model":
            specs.append((label, str, _set(f.name), lambda: controlnet_choices(list_models(False))))
        elif f.metadata["choices"]:
            specs.append((label, str, _set(f.name), lambda c=f.metadata["choices"]: list(c)))
        else:
            specs.append((label, type(default), _set(f.name), None))
    return specs


def find_xyz_module() -> Any | None:
    from modules import scripts

    return next((d.module for d in scripts.scripts_data if d.script_class.__module__ == "xyz_grid.py"), None)


def register_axes(list_models: Callable[[bool], list[str]]) -> bool:
    """Add our axes to the X/Y/Z plot once. False when the X/Y/Z script is not loaded (yet)."""
    xyz = find_xyz_module()
    if xyz is None:
        return False
    if any(str(getattr(o, "label", "")).startswith(PREFIX) for o in xyz.axis_options):
        return True
    for label, kind, apply, choices in axis_specs(list_models):
        xyz.axis_options.append(xyz.AxisOption(f"{PREFIX} {label}", kind, apply, choices=choices))
    return True
