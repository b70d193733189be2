"""Double of modules/script_callbacks.py: registration (on_*), params classes and the *_callback() firers.

Ordering: registration order, then the user priority list ``opts.prioritized_callbacks_<category>`` like A1111;
metadata.ini Before/After ordering is not modelled.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Callable
from typing import Any

from modules import errors


def report_exception(c: ScriptCallback, job: str) -> None:
    errors.report(f"Error executing callback {job} for {c.script}", exc_info=True)


class ImageSaveParams:
    def __init__(self, image, p, filename, pnginfo):
        self.image = image
        self.p = p
        self.filename = filename
        self.pnginfo = pnginfo


class ExtraNoiseParams:
    def __init__(self, noise, x, xi):
        self.noise = noise
        self.x = x
        self.xi = xi


class CFGDenoiserParams:
    def __init__(
        self, x, image_cond, sigma, sampling_step, total_sampling_steps, text_cond, text_uncond, denoiser=None
    ):
        self.x = x
        self.image_cond = image_cond
        self.sigma = sigma
        self.sampling_step = sampling_step
        self.total_sampling_steps = total_sampling_steps
        self.text_cond = text_cond
        self.text_uncond = text_uncond
        self.denoiser = denoiser


class CFGDenoisedParams:
    def __init__(self, x, sampling_step, total_sampling_steps, inner_model):
        self.x = x
        self.sampling_step = sampling_step
        self.total_sampling_steps = total_sampling_steps
        self.inner_model = inner_model


class AfterCFGCallbackParams:
    def __init__(self, x, sampling_step, total_sampling_steps):
        self.x = x
        self.sampling_step = sampling_step
        self.total_sampling_steps = total_sampling_steps


class UiTrainTabParams:
    def __init__(self, txt2img_preview_params):
        self.txt2img_preview_params = txt2img_preview_params


class ImageGridLoopParams:
    def __init__(self, imgs, cols, rows):
        self.imgs = imgs
        self.cols = cols
        self.rows = rows


@dataclasses.dataclass
class BeforeTokenCounterParams:
    prompt: str
    steps: int
    styles: list
    is_positive: bool = True


@dataclasses.dataclass
class ScriptCallback:
    script: str
    callback: Any
    name: str = "unnamed"


def _extension_name(filename: str) -> str:
    parts = os.path.normpath(filename).split(os.sep)
    for marker in ("extensions", "extensions-builtin"):
        if marker in parts[:-1]:
            idx = len(parts) - 1 - parts[::-1].index(marker)
            if idx + 1 < len(parts) - 1:
                return parts[idx + 1].lower().strip()
    return "base"


def add_callback(
    callbacks: list, fun: Callable, *, name: str | None = None, category: str = "unknown", filename: str | None = None
) -> None:
    """Append a ScriptCallback named ``<extension>/<file>/<category>[/<name>]`` (uniquified with -N)."""
    if filename is None:
        stack = [x for x in inspect.stack() if x.filename != __file__]
        filename = stack[0].filename if stack else "unknown file"
    callback_name = f"{_extension_name(filename)}/{os.path.basename(filename)}/{category}"
    if name is not None:
        callback_name += f"/{name}"
    unique = callback_name
    for index in range(1000):
        if not any(x.name == unique for x in callbacks):
            break
        unique = f"{callback_name}-{index + 1}"
    callbacks.append(ScriptCallback(filename, fun, unique))


def sort_callbacks(category: str, unordered_callbacks: list, *, enable_user_sort: bool = True) -> list:
    from modules import shared

    callbacks = unordered_callbacks.copy()
    if enable_user_sort:
        for name in reversed(getattr(shared.opts, "prioritized_callbacks_" + category, None) or []):
            index = next((i for i, c in enumerate(callbacks) if c.name == name), None)
            if index is not None:
                callbacks.insert(0, callbacks.pop(index))
    return callbacks


def ordered_callbacks(category: str, unordered_callbacks: list | None = None, *, enable_user_sort: bool = True) -> list:
    if unordered_callbacks is None:
        unordered_callbacks = callback_map.get("callbacks_" + category, [])
    if not enable_user_sort:
        return sort_callbacks(category, unordered_callbacks, enable_user_sort=False)
    cached = ordered_callbacks_map.get(category)
    if cached is not None and len(cached) == len(unordered_callbacks):
        return cached
    cached = sort_callbacks(category, unordered_callbacks)
    ordered_callbacks_map[category] = cached
    return cached


def enumerate_callbacks():
    for category, callbacks in callback_map.items():
        yield (category[10:] if category.startswith("callbacks_") else category), callbacks


_CATEGORIES = (
    "app_started",
    "model_loaded",
    "ui_tabs",
    "ui_train_tabs",
    "ui_settings",
    "before_image_saved",
    "image_saved",
    "extra_noise",
    "cfg_denoiser",
    "cfg_denoised",
    "cfg_after_cfg",
    "before_component",
    "after_component",
    "image_grid",
    "infotext_pasted",
    "script_unloaded",
    "before_ui",
    "on_reload",
    "list_optimizers",
    "list_unets",
    "before_token_counter",
)
callback_map: dict[str, list[ScriptCallback]] = {f"callbacks_{c}": [] for c in _CATEGORIES}
ordered_callbacks_map: dict[str, list[ScriptCallback]] = {}


def clear_callbacks() -> None:
    for callback_list in callback_map.values():
        callback_list.clear()
    ordered_callbacks_map.clear()


def _fire(category: str, job: str, *args, reverse: bool = False, **kwargs) -> None:
    callbacks = ordered_callbacks(category)
    for c in reversed(callbacks) if reverse else callbacks:
        try:
            c.callback(*args, **kwargs)
        except Exception:
            report_exception(c, job)


def _collect(category: str, job: str) -> list:
    res: list = []
    for c in ordered_callbacks(category):
        try:
            c.callback(res)
        except Exception:
            report_exception(c, job)
    return res


def app_started_callback(demo: Any | None, app: Any) -> None:
    _fire("app_started", "app_started_callback", demo, app)


def app_reload_callback() -> None:
    _fire("on_reload", "callbacks_on_reload")


def model_loaded_callback(sd_model) -> None:
    _fire("model_loaded", "model_loaded_callback", sd_model)


def ui_tabs_callback() -> list:
    res: list = []
    for c in ordered_callbacks("ui_tabs"):
        try:
            res += c.callback() or []
        except Exception:
            report_exception(c, "ui_tabs_callback")
    return res


def ui_train_tabs_callback(params: UiTrainTabParams) -> None:
    _fire("ui_train_tabs", "callbacks_ui_train_tabs", params)


def ui_settings_callback() -> None:
    _fire("ui_settings", "ui_settings_callback")


def before_image_saved_callback(params: ImageSaveParams) -> None:
    _fire("before_image_saved", "before_image_saved_callback", params)


def image_saved_callback(params: ImageSaveParams) -> None:
    _fire("image_saved", "image_saved_callback", params)


def extra_noise_callback(params: ExtraNoiseParams) -> None:
    _fire("extra_noise", "callbacks_extra_noise", params)


def cfg_denoiser_callback(params: CFGDenoiserParams) -> None:
    _fire("cfg_denoiser", "cfg_denoiser_callback", params)


def cfg_denoised_callback(params: CFGDenoisedParams) -> None:
    _fire("cfg_denoised", "cfg_denoised_callback", params)


def cfg_after_cfg_callback(params: AfterCFGCallbackParams) -> None:
    _fire("cfg_after_cfg", "cfg_after_cfg_callback", params)


def before_component_callback(component, **kwargs) -> None:
    _fire("before_component", "before_component_callback", component, **kwargs)


def after_component_callback(component, **kwargs) -> None:
    _fire("after_component", "after_component_callback", component, **kwargs)


def image_grid_callback(params: ImageGridLoopParams) -> None:
    _fire("image_grid", "image_grid", params)


def infotext_pasted_callback(infotext: str, params: dict[str, Any]) -> None:
    _fire("infotext_pasted", "infotext_pasted", infotext, params)


def script_unloaded_callback() -> None:
    _fire("script_unloaded", "script_unloaded", reverse=True)


def before_ui_callback() -> None:
    _fire("before_ui", "before_ui", reverse=True)


def list_optimizers_callback() -> list:
    return _collect("list_optimizers", "list_optimizers")


def list_unets_callback() -> list:
    return _collect("list_unets", "list_unets")


def before_token_counter_callback(params: BeforeTokenCounterParams) -> None:
    _fire("before_token_counter", "before_token_counter", params)


def remove_current_script_callbacks() -> None:
    stack = [x for x in inspect.stack() if x.filename != __file__]
    filename = stack[0].filename if stack else "unknown file"
    if filename == "unknown file":
        return
    for lst in [*callback_map.values(), *ordered_callbacks_map.values()]:
        for cb in [cb for cb in lst if cb.script == filename]:
            lst.remove(cb)


def remove_callbacks_for_function(callback_func: Callable) -> None:
    for lst in [*callback_map.values(), *ordered_callbacks_map.values()]:
        for cb in [cb for cb in lst if cb.callback == callback_func]:
            lst.remove(cb)


def _register(category: str, callback: Callable, name: str | None) -> None:
    add_callback(callback_map[f"callbacks_{category}"], callback, name=name, category=category)


def on_app_started(callback, *, name=None):
    _register("app_started", callback, name)


def on_before_reload(callback, *, name=None):
    _register("on_reload", callback, name)


def on_model_loaded(callback, *, name=None):
    _register("model_loaded", callback, name)


def on_ui_tabs(callback, *, name=None):
    _register("ui_tabs", callback, name)


def on_ui_train_tabs(callback, *, name=None):
    _register("ui_train_tabs", callback, name)


def on_ui_settings(callback, *, name=None):
    _register("ui_settings", callback, name)


def on_before_image_saved(callback, *, name=None):
    _register("before_image_saved", callback, name)


def on_image_saved(callback, *, name=None):
    _register("image_saved", callback, name)


def on_extra_noise(callback, *, name=None):
    _register("extra_noise", callback, name)


def on_cfg_denoiser(callback, *, name=None):
    _register("cfg_denoiser", callback, name)


def on_cfg_denoised(callback, *, name=None):
    _register("cfg_denoised", callback, name)


def on_cfg_after_cfg(callback, *, name=None):
    _register("cfg_after_cfg", callback, name)


def on_before_component(callback, *, name=None):
    _register("before_component", callback, name)


def on_after_component(callback, *, name=None):
    _register("after_component", callback, name)


def on_image_grid(callback, *, name=None):
    _register("image_grid", callback, name)


def on_infotext_pasted(callback, *, name=None):
    _register("infotext_pasted", callback, name)


def on_script_unloaded(callback, *, name=None):
    _register("script_unloaded", callback, name)


def on_before_ui(callback, *, name=None):
    _register("before_ui", callback, name)


def on_list_optimizers(callback, *, name=None):
    _register("list_optimizers", callback, name)


def on_list_unets(callback, *, name=None):
    _register("list_unets", callback, name)


def on_before_token_counter(callback, *, name=None):
    _register("before_token_counter", callback, name)
