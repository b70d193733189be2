"""Double of modules/scripts.py: Script base class, ScriptRunner and the module-level script registry.

The UI-building half is replaced by a gradio-free emulation (``ScriptRunner.create_ui``) that assigns
args_from/args_to exactly like create_script_ui does: every control returned by ``ui()`` is one argument slot.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import sys
from collections import namedtuple
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from modules import errors, paths, script_callbacks, script_loading, shared

AlwaysVisible = object()


class MaskBlendArgs:
    def __init__(self, current_latent, nmask, init_latent, mask, blended_latent, denoiser=None, sigma=None):
        self.current_latent = current_latent
        self.nmask = nmask
        self.init_latent = init_latent
        self.mask = mask
        self.blended_latent = blended_latent
        self.denoiser = denoiser
        self.is_final_blend = denoiser is None
        self.sigma = sigma


class PostSampleArgs:
    def __init__(self, samples):
        self.samples = samples


class PostprocessImageArgs:
    def __init__(self, image):
        self.image = image


A1111PostprocessImageArgs = PostprocessImageArgs


class NeoPostprocessImageArgs:
    """Neo's PostprocessImageArgs (modules/scripts.py:35): also the image's index in the whole generation.
    harness.reset_webui(flavour="neo") installs it as scripts.PostprocessImageArgs."""

    def __init__(self, image, index):
        self.image = image
        self.index = index


class PostProcessMaskOverlayArgs:
    def __init__(self, index, mask_for_overlay, overlay_image):
        self.index = index
        self.mask_for_overlay = mask_for_overlay
        self.overlay_image = overlay_image


class PostprocessBatchListArgs:
    def __init__(self, images):
        self.images = images


@dataclass
class OnComponent:
    component: Any


class Script:
    name = None
    section = None
    filename = None
    args_from = None
    args_to = None
    alwayson = False
    is_txt2img = False
    is_img2img = False
    tabname = None
    group = None
    create_group = True
    infotext_fields = None
    paste_field_names = None
    api_info = None
    on_before_component_elem_id = None
    on_after_component_elem_id = None
    setup_for_ui_only = False
    controls = None

    def title(self):
        raise NotImplementedError()

    def ui(self, is_img2img):
        pass

    def show(self, is_img2img):
        return True

    def run(self, p, *args):
        pass

    def setup(self, p, *args):
        pass

    def before_process(self, p, *args):
        pass

    def process(self, p, *args):
        pass

    def before_process_batch(self, p, *args, **kwargs):
        pass

    def after_extra_networks_activate(self, p, *args, **kwargs):
        pass

    def process_before_every_sampling(self, p, *args, **kwargs):
        pass

    def process_batch(self, p, *args, **kwargs):
        pass

    def postprocess_batch(self, p, *args, **kwargs):
        pass

    def postprocess_batch_list(self, p, pp: PostprocessBatchListArgs, *args, **kwargs):
        pass

    def on_mask_blend(self, p, mba: MaskBlendArgs, *args):
        pass

    def post_sample(self, p, ps: PostSampleArgs, *args):
        pass

    def postprocess_image(self, p, pp: PostprocessImageArgs, *args):
        pass

    def postprocess_maskoverlay(self, p, ppmo: PostProcessMaskOverlayArgs, *args):
        pass

    def postprocess_image_after_composite(self, p, pp: PostprocessImageArgs, *args):
        pass

    def postprocess(self, p, processed, *args):
        pass

    def before_component(self, component, **kwargs):
        pass

    def after_component(self, component, **kwargs):
        pass

    def on_before_component(self, callback, *, elem_id):
        if self.on_before_component_elem_id is None:
            self.on_before_component_elem_id = []
        self.on_before_component_elem_id.append((elem_id, callback))

    def on_after_component(self, callback, *, elem_id):
        if self.on_after_component_elem_id is None:
            self.on_after_component_elem_id = []
        self.on_after_component_elem_id.append((elem_id, callback))

    def describe(self):
        return ""

    def elem_id(self, item_id):
        """``script_[<tab>_]<title slug>_<item_id>``; the tab part only when show() is the same for both tabs."""
        need_tabname = self.show(True) == self.show(False)
        tabname = f"{'img2img' if self.is_img2img else 'txt2img'}_" if need_tabname else ""
        title = re.sub(r"[^a-z_0-9]", "", re.sub(r"\s", "_", self.title().lower()))
        return f"script_{tabname}{title}_{item_id}"

    def before_hr(self, p, *args):
        pass


class ScriptBuiltinUI(Script):
    setup_for_ui_only = True

    def elem_id(self, item_id):
        need_tabname = self.show(True) == self.show(False)
        tabname = ("img2img" if self.is_img2img else "txt2img") + "_" if need_tabname else ""
        return f"{tabname}{item_id}"

    def show(self, is_img2img):
        return AlwaysVisible


current_basedir = paths.script_path


def basedir():
    """Base directory of the script being loaded (extension root), else the webui root."""
    return current_basedir


ScriptFile = namedtuple("ScriptFile", ["basedir", "filename", "path"])
ScriptClassData = namedtuple("ScriptClassData", ["script_class", "path", "basedir", "module"])
scripts_data: list[ScriptClassData] = []
postprocessing_scripts_data: list[ScriptClassData] = []


def register_scripts_from_module(module, path: str, script_basedir: str) -> None:
    for script_class in module.__dict__.values():
        if inspect.isclass(script_class) and issubclass(script_class, Script):
            scripts_data.append(ScriptClassData(script_class, path, script_basedir, module))


def load_script_file(path: str, script_basedir: str | None = None):
    """Double-only: load one script file the way load_scripts() does and register its Script classes.

    ``sys.path`` gets ``script_basedir`` prepended during the import and ``basedir()`` returns it; both are
    restored afterwards. Import errors are reported with errors.report and the module is skipped (as in A1111).
    """
    global current_basedir
    script_basedir = script_basedir or paths.script_path
    syspath = sys.path
    try:
        if script_basedir != paths.script_path:
            sys.path = [script_basedir, *sys.path]
        current_basedir = script_basedir
        module = script_loading.load_module(path)
        register_scripts_from_module(module, path, script_basedir)
        return module
    except Exception:
        errors.report(f"Error loading script: {os.path.basename(path)}", exc_info=True)
        return None
    finally:
        sys.path = syspath
        current_basedir = paths.script_path


def register_script_class(
    script_class: type, path: str, script_basedir: str | None = None, module=None
) -> ScriptClassData:
    """Double-only: append ScriptClassData as if ``script_class`` had been found in the file ``path``."""
    module = module or sys.modules.get(script_class.__module__) or SimpleNamespace(__name__=script_class.__module__)
    data = ScriptClassData(script_class, path, script_basedir or os.path.dirname(os.path.dirname(path)), module)
    scripts_data.append(data)
    return data


def list_script_files(extension_dirs: list[str]) -> list[ScriptFile]:
    """Root ``scripts/*.py`` (sorted), then each extension's ``scripts/*.py``, then modules/processing_scripts."""
    found: list[ScriptFile] = []
    for base, sub in [
        (paths.script_path, "scripts"),
        *((d, "scripts") for d in extension_dirs),
        (paths.script_path, os.path.join("modules", "processing_scripts")),
    ]:
        folder = os.path.join(base, sub)
        if os.path.isdir(folder):
            for filename in sorted(os.listdir(folder)):
                full = os.path.join(folder, filename)
                if os.path.isfile(full) and os.path.splitext(filename)[1].lower() == ".py":
                    found.append(ScriptFile(base if sub == "scripts" else paths.script_path, filename, full))
    return found


def load_scripts(extension_dirs: list[str] | None = None) -> None:
    """Clear registry and callbacks, then load every script file like A1111 (extension dirs in the given order)."""
    global scripts_txt2img, scripts_img2img
    scripts_data.clear()
    postprocessing_scripts_data.clear()
    script_callbacks.clear_callbacks()
    for script_file in list_script_files(extension_dirs or []):
        load_script_file(script_file.path, script_file.basedir)
    scripts_txt2img = ScriptRunner()
    scripts_img2img = ScriptRunner()


def wrap_call(func, filename, funcname, *args, default=None, **kwargs):
    try:
        return func(*args, **kwargs)
    except Exception:
        errors.report(f"Error calling: {filename}/{funcname}", exc_info=True)
    return default


def _control_value(control: Any) -> Any:
    return getattr(control, "value", control)


class ScriptRunner:
    def __init__(self):
        self.scripts: list[Script] = []
        self.selectable_scripts: list[Script] = []
        self.alwayson_scripts: list[Script] = []
        self.titles: list[str] = []
        self.title_map: dict[str, Script] = {}
        self.infotext_fields: list = []
        self.paste_field_names: list = []
        self.inputs: list = [None]
        self.callback_map: dict = {}
        self.callback_names = [
            "before_process",
            "process",
            "before_process_batch",
            "after_extra_networks_activate",
            "process_batch",
            "postprocess",
            "postprocess_batch",
            "postprocess_batch_list",
            "post_sample",
            "on_mask_blend",
            "postprocess_image",
            "postprocess_maskoverlay",
            "postprocess_image_after_composite",
            "before_component",
            "after_component",
        ]
        self.on_before_component_elem_id: dict = {}
        self.on_after_component_elem_id: dict = {}

    def initialize_scripts(self, is_img2img):
        """One fresh instance of every registered Script class for this tab; sorts them by show()."""
        self.scripts.clear()
        self.alwayson_scripts.clear()
        self.selectable_scripts.clear()
        for script_data in scripts_data:
            try:
                script = script_data.script_class()
            except Exception:
                errors.report(f"Error # failed to initialize Script {script_data.module}: ", exc_info=True)
                continue
            script.filename = script_data.path
            script.is_txt2img = not is_img2img
            script.is_img2img = is_img2img
            script.tabname = "img2img" if is_img2img else "txt2img"
            visibility = script.show(script.is_img2img)
            if visibility == AlwaysVisible:
                self.scripts.append(script)
                self.alwayson_scripts.append(script)
                script.alwayson = True
            elif visibility:
                self.scripts.append(script)
                self.selectable_scripts.append(script)
        self.callback_map.clear()
        self.apply_on_before_component_callbacks()

    def apply_on_before_component_callbacks(self):
        for script in self.scripts:
            for attr, target in (
                ("on_before_component_elem_id", self.on_before_component_elem_id),
                ("on_after_component_elem_id", self.on_after_component_elem_id),
            ):
                pending = getattr(script, attr) or []
                for elem_id, callback in pending:
                    target.setdefault(elem_id, []).append((callback, script))
                pending.clear()

    # ---- UI emulation (no gradio) -------------------------------------------------------------------------
    def create_script_ui(self, script):
        script.args_from = len(self.inputs)
        script.args_to = len(self.inputs)
        try:
            self.create_script_ui_inner(script)
        except Exception:
            errors.report(f"Error creating UI for {script.name}: ", exc_info=True)

    def create_script_ui_inner(self, script, controls_override: list | None = None):
        controls = (
            controls_override
            if controls_override is not None
            else wrap_call(script.ui, script.filename, "ui", script.is_img2img)
        )
        script.controls = controls
        if controls is None:
            return
        script.name = wrap_call(script.title, script.filename, "title", default=script.filename).lower()
        api_args = []
        for control in controls:
            with contextlib.suppress(AttributeError):  # plain values used as controls in tests
                control.custom_script_source = os.path.basename(script.filename)
            api_args.append(
                SimpleNamespace(
                    label=getattr(control, "label", None) or "",
                    value=_control_value(control),
                    minimum=getattr(control, "minimum", None),
                    maximum=getattr(control, "maximum", None),
                    step=getattr(control, "step", None),
                    choices=getattr(control, "choices", None),
                )
            )
        script.api_info = SimpleNamespace(
            name=script.name, is_img2img=script.is_img2img, is_alwayson=script.alwayson, args=api_args
        )
        if script.infotext_fields is not None:
            self.infotext_fields += script.infotext_fields
        if script.paste_field_names is not None:
            self.paste_field_names += script.paste_field_names
        self.inputs += controls
        script.args_to = len(self.inputs)

    def setup_ui_for_section(self, section, scriptlist=None):
        for script in self.alwayson_scripts if scriptlist is None else scriptlist:
            if script.alwayson and script.section != section:
                continue
            self.create_script_ui(script)

    def prepare_ui(self):
        self.inputs = [None]

    def setup_ui(self):
        """Section-None alwayson scripts, then the "Script" dropdown in slot 0, then the selectable scripts."""
        all_titles = [wrap_call(s.title, s.filename, "title") or s.filename for s in self.scripts]
        self.title_map = {title.lower(): script for title, script in zip(all_titles, self.scripts)}
        self.titles = [
            wrap_call(s.title, s.filename, "title") or f"{s.filename} [error]" for s in self.selectable_scripts
        ]
        self.setup_ui_for_section(None)
        self.inputs[0] = SimpleNamespace(label="Script", value=0, choices=["None", *self.titles], elem_id="script_list")
        self.setup_ui_for_section(None, self.selectable_scripts)
        self.apply_on_before_component_callbacks()
        return self.inputs

    def create_ui(self):
        """Double-only: the order ui.py builds a tab in (builtin sections, extra sections, then setup_ui())."""
        builtin = [
            "prompt",
            "image",
            "inpaint",
            "sampler",
            "accordions",
            "checkboxes",
            "dimensions",
            "cfg",
            "denoising",
            "seed",
            "batch",
            "override_settings",
        ]
        extra = [s.section for s in self.scripts if isinstance(s.section, str) and s.section not in builtin]
        self.prepare_ui()
        for section in builtin + list(dict.fromkeys(extra)):
            self.setup_ui_for_section(section)
        return self.setup_ui()

    def default_args(self) -> list[Any]:
        """Double-only: the value of every input slot as the UI would submit it (slot 0 = 0 = no script)."""
        return [0] + [_control_value(c) for c in self.inputs[1:]]

    # ---- running ------------------------------------------------------------------------------------------
    def run(self, p, *args):
        script_index = args[0]
        if script_index == 0 or script_index is None:
            return None
        script = self.selectable_scripts[script_index - 1]
        if script is None:
            return None
        processed = script.run(p, *args[script.args_from : script.args_to])
        shared.total_tqdm.clear()
        return processed

    def list_scripts_for_method(self, method_name):
        return self.scripts if method_name in ("before_component", "after_component") else self.alwayson_scripts

    def create_ordered_callbacks_list(self, method_name, *, enable_user_sort=True):
        category = f"script_{method_name}"
        callbacks: list = []
        for script in self.list_scripts_for_method(method_name):
            if getattr(script.__class__, method_name, None) == getattr(Script, method_name, None):
                continue  # scripts that do not override the hook are skipped, as in A1111
            script_callbacks.add_callback(
                callbacks, script, category=category, name=script.__class__.__name__, filename=script.filename
            )
        return script_callbacks.sort_callbacks(category, callbacks, enable_user_sort=enable_user_sort)

    def ordered_callbacks(self, method_name, *, enable_user_sort=True):
        script_list = self.list_scripts_for_method(method_name)
        category = f"script_{method_name}"
        scripts_len, callbacks = self.callback_map.get(category, (-1, None))
        if callbacks is None or scripts_len != len(script_list):
            callbacks = self.create_ordered_callbacks_list(method_name, enable_user_sort=enable_user_sort)
            self.callback_map[category] = len(script_list), callbacks
        return callbacks

    def ordered_scripts(self, method_name):
        return [x.callback for x in self.ordered_callbacks(method_name)]

    def _dispatch(self, method_name: str, label: str, p, *lead, **kwargs) -> None:
        for script in self.ordered_scripts(method_name):
            try:
                script_args = p.script_args[script.args_from : script.args_to]
                getattr(script, method_name)(p, *lead, *script_args, **kwargs)
            except Exception:
                errors.report(f"Error running {label}: {script.filename}", exc_info=True)

    def before_process(self, p):
        self._dispatch("before_process", "before_process", p)

    def process(self, p):
        self._dispatch("process", "process", p)

    def process_before_every_sampling(self, p, **kwargs):
        self._dispatch("process_before_every_sampling", "process_before_every_sampling", p, **kwargs)

    def before_process_batch(self, p, **kwargs):
        self._dispatch("before_process_batch", "before_process_batch", p, **kwargs)

    def after_extra_networks_activate(self, p, **kwargs):
        self._dispatch("after_extra_networks_activate", "after_extra_networks_activate", p, **kwargs)

    def process_batch(self, p, **kwargs):
        self._dispatch("process_batch", "process_batch", p, **kwargs)

    def postprocess(self, p, processed):
        self._dispatch("postprocess", "postprocess", p, processed)

    def postprocess_batch(self, p, images, **kwargs):
        self._dispatch("postprocess_batch", "postprocess_batch", p, images=images, **kwargs)

    def postprocess_batch_list(self, p, pp: PostprocessBatchListArgs, **kwargs):
        self._dispatch("postprocess_batch_list", "postprocess_batch_list", p, pp, **kwargs)

    def post_sample(self, p, ps: PostSampleArgs):
        self._dispatch("post_sample", "post_sample", p, ps)

    def on_mask_blend(self, p, mba: MaskBlendArgs):
        self._dispatch("on_mask_blend", "post_sample", p, mba)  # A1111 reports it under "post_sample"

    def postprocess_image(self, p, pp: PostprocessImageArgs):
        self._dispatch("postprocess_image", "postprocess_image", p, pp)

    def postprocess_maskoverlay(self, p, ppmo: PostProcessMaskOverlayArgs):
        self._dispatch("postprocess_maskoverlay", "postprocess_image", p, ppmo)  # sic, as in A1111

    def postprocess_image_after_composite(self, p, pp: PostprocessImageArgs):
        self._dispatch("postprocess_image_after_composite", "postprocess_image_after_composite", p, pp)

    def before_hr(self, p):
        self._dispatch("before_hr", "before_hr", p)

    def before_component(self, component, **kwargs):
        for callback, script in self.on_before_component_elem_id.get(kwargs.get("elem_id"), []):
            try:
                callback(OnComponent(component=component))
            except Exception:
                errors.report(f"Error running on_before_component: {script.filename}", exc_info=True)
        for script in self.ordered_scripts("before_component"):
            try:
                script.before_component(component, **kwargs)
            except Exception:
                errors.report(f"Error running before_component: {script.filename}", exc_info=True)

    def after_component(self, component, **kwargs):
        for callback, script in self.on_after_component_elem_id.get(getattr(component, "elem_id", None), []):
            try:
                callback(OnComponent(component=component))
            except Exception:
                errors.report(f"Error running on_after_component: {script.filename}", exc_info=True)
        for script in self.ordered_scripts("after_component"):
            try:
                script.after_component(component, **kwargs)
            except Exception:
                errors.report(f"Error running after_component: {script.filename}", exc_info=True)

    def script(self, title):
        return self.title_map.get(title.lower())

    def setup_scrips(self, p, *, is_ui=True):
        """Call setup() of every alwayson script; ScriptBuiltinUI scripts are skipped for API runs."""
        for script in self.ordered_scripts("setup"):
            if not is_ui and script.setup_for_ui_only:
                continue
            try:
                script.setup(p, *p.script_args[script.args_from : script.args_to])
            except Exception:
                errors.report(f"Error running setup: {script.filename}", exc_info=True)

    def set_named_arg(self, args, script_name, arg_elem_id, value, fuzzy=False):
        """Return ``args`` with the control whose elem_id matches replaced (tuple copied, list edited in place)."""
        script = next((x for x in self.scripts if x.name == script_name), None)
        if script is None:
            raise RuntimeError(f"script {script_name} not found")
        for i, control in enumerate(script.controls):
            elem_id = getattr(control, "elem_id", None) or ""
            if (arg_elem_id in elem_id) if fuzzy else (arg_elem_id == elem_id):
                index = script.args_from + i
                if isinstance(args, tuple):
                    return (*args[:index], value, *args[index + 1 :])
                if isinstance(args, list):
                    args[index] = value
                    return args
                raise RuntimeError(f"args is not a list or tuple, but {type(args)}")
        raise RuntimeError(f"arg_elem_id {arg_elem_id} not found in script {script_name}")


scripts_txt2img: ScriptRunner | None = None
scripts_img2img: ScriptRunner | None = None
scripts_postproc = None
scripts_current: ScriptRunner | None = None
reload_scripts = load_scripts
