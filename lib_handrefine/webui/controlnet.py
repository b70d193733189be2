"""Find the ControlNet extension of this WebUI and build our depth unit for it.

A1111: sd-webui-controlnet, reached through its `external_code` module (a plain dict per unit is what its
`ControlNetUnit.from_dict` reads). Forge and Forge Neo: the built-in ControlNet (`lib_controlnet`), whose units are
dataclasses (Neo's lack Forge's input_mode/batch fields; we set only fields both have) and whose no-op preprocessor is
called "None" (A1111's "none" is a KeyError there); model names are bare file stems. All three crop a full-size
control image the same way as the init image for "only masked" inpainting, so the unit gets the full-size depth map
and no mask.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..settings import AUTO_MODEL, CONTROL_MODES, NO_MODEL, HandRefineSettings
from .outcome import SkipImage


@dataclass
class ControlNetBackend:
    kind: str  # "a1111" or "forge"
    script: Any  # the ControlNet Script instance of the img2img runner
    api: Any  # external_code module
    none_module: str

    def models(self, refresh: bool = False) -> list[str]:
        return list_models(refresh)

    def unit(self, model: str, depth_rgb: np.ndarray, settings: HandRefineSettings) -> Any:
        fields = {
            "enabled": True,
            "module": self.none_module,
            "model": model,
            "weight": settings.control_weight,
            "image": depth_rgb,
            "resize_mode": "Crop and Resize",
            "guidance_start": settings.guidance_start,
            "guidance_end": settings.guidance_end,
            "control_mode": self.control_mode(settings.control_mode),
            "pixel_perfect": True,
            "processor_res": 512,
            "threshold_a": -1,
            "threshold_b": -1,
            "save_detected_map": False,
        }
        if self.kind == "forge":
            # Forge's from_dict would try to base64-decode the image; build its dataclass directly. Forge and Neo
            # (units with an `image_fg` field) take a plain array; Forge Classic and reForge read image["image"] and
            # image["mask"], and an empty mask means "no mask".
            names = {f.name for f in dataclasses.fields(self.api.ControlNetUnit)}
            if "image_fg" not in names:
                fields["image"] = {"image": depth_rgb, "mask": np.zeros_like(depth_rgb)}
            return self.api.ControlNetUnit(**{k: v for k, v in fields.items() if k in names})
        return fields

    def control_mode(self, label: str) -> str:
        """The extension's own spelling of a control mode (reForge says "Prefer Prompt" for A1111's
        "My prompt is more important"): looked up by the enum member, in the order of CONTROL_MODES."""
        modes = getattr(self.api, "ControlMode", None)
        members = ("BALANCED", "PROMPT", "CONTROL")
        if modes is None or label not in CONTROL_MODES:
            return label
        member = getattr(modes, members[CONTROL_MODES.index(label)], None)
        return str(member.value) if member is not None else label



def list_models(refresh: bool = False) -> list[str]:
    """Installed ControlNet models, from the extension's own global list rather than a tab's script runner: the
    WebUI builds txt2img's UI before img2img's runner exists. [] without a ControlNet extension."""
    try:
        forge = importlib.import_module("lib_controlnet.global_state")
    except ImportError:
        forge = None
    if forge is not None:
        if refresh and hasattr(forge, "update_controlnet_filenames"):
            forge.update_controlnet_filenames()
        names = forge.get_all_controlnet_names()
    else:
        api = _a1111_external_code(None)
        names = api.get_models(update=refresh) if api is not None else []
    return [m for m in names if m and m != "None"]  # "None" here is the extension's own no-model entry


def controlnet_backend() -> ControlNetBackend | None:
    """The ControlNet of the img2img tab, whose script instance our nested (img2img) passes run."""
    from modules import scripts

    return find_controlnet(scripts.scripts_img2img)


def find_controlnet(runner: Any) -> ControlNetBackend | None:
    """The ControlNet backend of this WebUI, or None when no ControlNet extension is active."""
    script = next((s for s in getattr(runner, "alwayson_scripts", []) if _title(s) == "controlnet"), None)
    if script is None:
        return None
    try:
        api = importlib.import_module("lib_controlnet.external_code")
        return ControlNetBackend("forge", script, api, "None")
    except ImportError:
        pass
    api = _a1111_external_code(script)
    if api is None:
        return None
    return ControlNetBackend("a1111", script, api, "none")


def _title(script: Any) -> str:
    try:
        return str(script.title()).lower()
    except Exception:
        return ""


def _a1111_external_code(script: Any | None) -> Any | None:
    """sd-webui-controlnet's external_code, as its own scripts imported it (so its global model list is shared);
    failing that, imported from the folder of its `script`."""
    for name in ("scripts.external_code", "internal_controlnet.external_code"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "get_models"):
            return module
    folder = _extension_folder(getattr(script, "filename", "") or "")
    if folder:
        try:
            return importlib.import_module(f"extensions.{folder}.scripts.external_code")
        except ImportError:
            return None
    return None


def _extension_folder(script_path: str) -> str | None:
    parts = script_path.replace("\\", "/").split("/")
    if "extensions" in parts:
        i = parts.index("extensions")
        if i + 1 < len(parts):
            return parts[i + 1]
    return None


def missing_controlnet() -> str:
    """Why no ControlNet script runs: the WebUI's extension list tells "disabled" (by the user, or all extensions
    are) apart from "not installed" (sd-webui-controlnet on A1111, the built-in sd_forge_controlnet on Forge)."""
    try:
        from modules import extensions

        installed = [e for e in extensions.extensions if "controlnet" in str(e.name).lower()]
        active = extensions.active()
    except Exception:  # an older or different WebUI: no extension list to ask
        return "the ControlNet extension is not installed"
    if not installed:
        return "the ControlNet extension is not installed"
    names = ", ".join(e.name for e in installed)
    if not any(e in active for e in installed):
        return f"the ControlNet extension ({names}) is disabled"
    return f"the ControlNet extension ({names}) did not load (see the console at start-up)"


def controlnet_choices(models: list[str]) -> list[str]:
    """The ControlNet model dropdown / X/Y/Z axis choices."""
    return [AUTO_MODEL, NO_MODEL, *models]


def choose_model(requested: str, available: list[str], is_sdxl: bool) -> str | None:
    """The ControlNet model to use: the requested one (exact, case-insensitive, or the shortest name containing it);
    for Auto a hand-depth model, else a depth model of the checkpoint's family. None = no suitable model."""
    if not available or requested == NO_MODEL:
        return None
    if requested and requested != AUTO_MODEL:
        low = requested.lower()
        exact = [m for m in available if m == requested or m.lower() == low]
        if exact:
            return exact[0]
        containing = sorted((m for m in available if low in m.lower()), key=len)
        return containing[0] if containing else None
    lowered = {m: m.lower() for m in available}

    def is_xl(name: str) -> bool:
        return "xl" in name or "sdxl" in name

    hand = [m for m, lo in lowered.items() if "inpaint_depth_hand" in lo and is_xl(lo) == is_sdxl]
    if hand:
        return sorted(hand, key=len)[0]
    depth = [m for m, lo in lowered.items() if "depth" in lo and is_xl(lo) == is_sdxl]
    if depth:
        # prefer the v1.1 / "f1p" depth model for SD1.5, then the shortest name
        return sorted(depth, key=lambda m: (("f1p" not in lowered[m]) and ("v11" not in lowered[m]), len(m)))[0]
    return None


def resolve_model(settings: HandRefineSettings, backend: ControlNetBackend | None, is_sdxl: bool,
                  skip_without: bool) -> tuple[str | None, str | None]:
    """(model, None) when a model fits the settings; (None, None) for "None"; (None, why) when none fits and
    plain inpainting should go on. Raises SkipImage(why) instead when the WebUI setting says to skip then."""
    if settings.controlnet_model == NO_MODEL:
        return None, None
    model = choose_model(settings.controlnet_model, backend.models(), is_sdxl) if backend else None
    if model is not None:
        return model, None
    why = (missing_controlnet() if backend is None
           else f"no suitable ControlNet model (asked for {settings.controlnet_model!r})")
    if skip_without:
        raise SkipImage(why)
    return None, why


@contextmanager
def suspended_outer_controlnet(p: Any) -> Iterator[None]:
    """sd-webui-controlnet (A1111) hooks the UNet for the user's own units. Our nested pass restores that hook; if
    more batches of the user's generation follow, hook it again afterwards. Forge / Neo patch a fresh copy of the
    UNet at every sampling run from the script's own state (our pass uses a copy of the script): nothing to do."""
    outer = find_controlnet(getattr(p, "scripts", None))
    network = getattr(outer.script, "latest_network", None) if outer and outer.kind == "a1111" else None
    if network is None:
        yield
        return
    network.restore()
    try:
        yield
    finally:
        last_in_batch = getattr(p, "batch_index", 0) >= getattr(p, "batch_size", 1) - 1
        more_batches = getattr(p, "iteration", 0) < getattr(p, "n_iter", 1) - 1
        if last_in_batch and more_batches:
            outer.script.process(p, *p.script_args[outer.script.args_from:outer.script.args_to])
