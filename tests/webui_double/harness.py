"""Test harness over the WebUI double: reset, build ScriptRunners like A1111's UI, run generations (UI or API).

Typical use::

    import harness
    harness.reset_webui()
    runner = harness.make_runner(True, [HandRefineScript])      # or a path to the script file
    args = harness.default_args(runner)
    processed = harness.run_generation(runner, args, prompt="hands", init_images=[img], mask=mask, seed=1)
"""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import closing
from pathlib import Path
from types import ModuleType
from typing import Any

DOUBLE_ROOT = Path(__file__).resolve().parent
if str(DOUBLE_ROOT) not in sys.path:
    sys.path.insert(0, str(DOUBLE_ROOT))

from modules import (  # noqa: E402
    double_flavour,
    errors,
    extensions,
    extra_networks,
    images,
    paths_internal,
    processing,
    script_callbacks,
    scripts,
    sd_models,
    sd_samplers,
    shared,
    shared_cmd_options,
    shared_options,
)
from modules.api import api  # noqa: E402

CN_DIR = DOUBLE_ROOT / "extensions" / "sd-webui-controlnet"
FORGE_CN_DIR = DOUBLE_ROOT / "forge" / "extensions-builtin" / "sd_forge_controlnet"
NEO_CN_DIR = DOUBLE_ROOT / "neo" / "extensions-builtin" / "sd_forge_controlnet"
FLAVOURS = ("a1111", "neo")
PROCESSING_SCRIPTS_DIR = DOUBLE_ROOT / "modules" / "processing_scripts"
DEFAULT_FORGE_MODELS = ["control_sd15_inpaint_depth_hand_fp16", "control_v11f1p_sd15_depth"]

last_p: processing.StableDiffusionProcessing | None = None
"""The processing object of the most recent run_generation() call."""
_ui_callbacks_fired = False


def _is_builtin(data: scripts.ScriptClassData) -> bool:
    return Path(data.path).resolve().parent == PROCESSING_SCRIPTS_DIR


def reset_webui(
    *, controlnet: bool = True, xyz: bool = True, builtin_ui_scripts: bool = True, sd_model: str = "sd15",
    forge_controlnet: bool = False, flavour: str = "a1111", disabled_extensions: tuple[str, ...] | list[str] = (),
) -> None:
    """Fresh opts/cmd_opts/state/callbacks/script registry, then "load" root, extension and built-in scripts.

    Everything is reset in place, so modules that did ``from modules.shared import opts, state`` stay valid.
    sd_model: "sd15", "sd15-inpainting" (conditioning_key "hybrid"), "sdxl" or "sdxl-inpainting".
    forge_controlnet: Forge's built-in ControlNet (``lib_controlnet`` importable, its "ControlNet" script loaded)
    instead of sd-webui-controlnet, which Forge force-disables (so ``controlnet`` is then ignored).
    flavour: "a1111" (v1.10.1 + sd-webui-controlnet) or "neo" (Forge Neo: its built-in ControlNet and the few
    processing differences that check modules.double_flavour.is_neo()).
    disabled_extensions: folder names for opts "disabled_extensions" ("sd-webui-controlnet", or "sd_forge_controlnet"
    in Forge mode); like the real WebUI, only active extensions' scripts load (and, Forge, reach sys.path).
    """
    global _ui_callbacks_fired, last_p
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {FLAVOURS}")
    disable_forge_mode()
    _set_flavour(flavour)
    shared_cmd_options.reset_cmd_opts()
    shared.opts.data_labels = shared_options.make_options_templates()
    shared.opts.data = {k: v.default for k, v in shared.opts.data_labels.items() if not v.do_not_save}
    shared.opts.data["disabled_extensions"] = list(disabled_extensions)
    paths_internal.extensions_builtin_dir = str(FORGE_CN_DIR.parent if forge_controlnet
                                                else DOUBLE_ROOT / "extensions-builtin")
    extensions.list_extensions()
    if forge_controlnet or not controlnet:  # sd-webui-controlnet counts as not installed
        gone = extensions.loaded_extensions.pop(CN_DIR.name.lower(), None)
        if gone is not None:
            extensions.extensions.remove(gone)
            del extensions.extension_paths[gone.path]
    active = {e.name for e in extensions.active()}
    shared.state.__dict__.clear()
    shared.state.__init__()
    shared.total_tqdm.clear()
    shared.total_tqdm.finished.clear()
    shared.prompt_styles.styles.clear()
    shared.sd_model = sd_models.DoubleSdModel(sd_model)
    sd_models.checkpoints_list.clear()
    sd_models.checkpoint_aliases.clear()
    sd_models.register_checkpoint(shared.sd_model)
    sd_models.reload_calls.clear()
    sd_samplers.set_samplers()
    images.saved_images.clear()
    errors.reported.clear()
    extra_networks.activations.clear()
    script_callbacks.clear_callbacks()
    scripts.scripts_data.clear()
    scripts.postprocessing_scripts_data.clear()
    scripts.scripts_txt2img = scripts.scripts_img2img = scripts.scripts_current = None
    _ui_callbacks_fired = False
    last_p = None
    if xyz:
        scripts.load_script_file(str(DOUBLE_ROOT / "scripts" / "xyz_grid.py"), scripts.paths.script_path)
    if forge_controlnet and FORGE_CN_DIR.name not in active:
        forge_controlnet = controlnet = False  # Forge still force-disables sd-webui-controlnet
    if forge_controlnet:
        enable_forge_mode()
        forge_state = importlib.import_module("lib_controlnet.global_state")
        forge_state.double_log.clear()
        forge_state.set_double_models(DEFAULT_FORGE_MODELS)
        scripts.load_script_file(str(FORGE_CN_DIR / "scripts" / "controlnet.py"), str(FORGE_CN_DIR))
    elif controlnet and flavour == "neo":
        # Neo keeps every script basedir on sys.path (scripts.py:504-506), so lib_controlnet stays importable
        scripts.load_script_file(str(NEO_CN_DIR / "scripts" / "controlnet.py"), str(NEO_CN_DIR))
        neo_global_state = sys.modules["lib_controlnet.global_state"]
        neo_global_state.double_log.clear()
        neo_global_state.set_double_models(neo_global_state.DEFAULT_DOUBLE_MODELS)
    elif controlnet and CN_DIR.name in active:
        for name in sorted(os.listdir(CN_DIR / "scripts")):
            if name.endswith(".py"):
                scripts.load_script_file(str(CN_DIR / "scripts" / name), str(CN_DIR))
        cn_global_state = sys.modules["scripts.global_state"]
        cn_global_state.double_log.clear()
        cn_global_state.set_double_models(cn_global_state.DEFAULT_DOUBLE_MODELS)
        sys.modules["scripts.supported_preprocessor"].register_default_preprocessors()
    if builtin_ui_scripts:
        for name in ("sampler.py", "seed.py"):
            scripts.load_script_file(str(PROCESSING_SCRIPTS_DIR / name), scripts.paths.script_path)


def _register(script_classes: list, before_controlnet: bool) -> None:
    """Insert extension scripts after ControlNet (or before it) and before the built-in UI scripts, like A1111."""
    data = scripts.scripts_data
    insert_at = next((i for i, d in enumerate(data) if _is_builtin(d)), len(data))
    if before_controlnet:
        insert_at = next((i for i, d in enumerate(data) if Path(d.path).resolve().is_relative_to(CN_DIR)), insert_at)
    for item in script_classes:
        if isinstance(item, type) and any(d.script_class is item for d in data):
            continue
        start = len(data)
        if isinstance(item, type):
            path = getattr(sys.modules.get(item.__module__), "__file__", None) or f"{item.__module__}.py"
            scripts.register_script_class(item, path)
        else:
            path = str(Path(item).resolve())
            if any(d.path == path for d in data):
                continue
            scripts.load_script_file(path, str(Path(path).parent.parent))
        new = data[start:]
        del data[start:]
        data[insert_at:insert_at] = new
        insert_at += len(new)


def make_runner(
    is_img2img: bool,
    script_classes: list | tuple = (),
    cn_units: int = 3,
    *,
    controls: dict[type, list] | None = None,
    before_controlnet: bool = False,
    fire_ui_callbacks: bool = True,
) -> scripts.ScriptRunner:
    """Build a tab's ScriptRunner the way ui.create_ui does and install it as scripts.scripts_[txt2img|img2img].

    script_classes: Script subclasses or paths of script files (loaded like A1111 loads extension scripts).
    cn_units: opts "control_net_unit_count" (ControlNet's number of unit args).
    controls: optional {ScriptClass: [values]} to use instead of calling that class's ui() (one slot per value).
    Resulting layout: slot 0 = selectable-script index, then Sampler (3) and Seed (6) built-ins, the section-None
    alwayson scripts (ControlNet, then yours) and the selectable scripts (X/Y/Z plot).
    before_ui_callback() fires before the first runner after a reset, ui_settings_callback() after it.
    """
    global _ui_callbacks_fired
    _register(list(script_classes), before_controlnet)
    shared.opts.data["control_net_unit_count"] = cn_units
    first = fire_ui_callbacks and not _ui_callbacks_fired
    if first:
        script_callbacks.before_ui_callback()
    runner = scripts.ScriptRunner()
    scripts.scripts_current = runner
    runner.initialize_scripts(is_img2img)
    overrides = controls or {}
    if overrides:
        original = runner.create_script_ui_inner

        def inner(script, controls_override=None):
            return original(script, overrides.get(type(script), controls_override))

        runner.create_script_ui_inner = inner
    runner.create_ui()
    if overrides:
        del runner.create_script_ui_inner
    if is_img2img:
        scripts.scripts_img2img = runner
    else:
        scripts.scripts_txt2img = runner
    if first:
        script_callbacks.ui_settings_callback()
        _ui_callbacks_fired = True
    return runner


def default_args(runner: scripts.ScriptRunner) -> list[Any]:
    """What the UI submits untouched: 0 for the script dropdown, then each control's default value."""
    return runner.default_args()


def script_of(runner: scripts.ScriptRunner, title: str) -> scripts.Script:
    found = runner.script(title) or next((s for s in runner.scripts if s.title().lower() == title.lower()), None)
    if found is None:
        raise KeyError(title)
    return found


def set_script_args(runner: scripts.ScriptRunner, args: list, title: str, values: list) -> list:
    """Write ``values`` into the slot range of the script titled ``title`` (from its first arg on)."""
    script = script_of(runner, title)
    args[script.args_from : script.args_from + len(values)] = values
    return args


_BUILTIN_FIELDS = {"Seed": ("seed",), "Sampler": ("steps", "sampler_name", "scheduler")}


def run_generation(
    runner: scripts.ScriptRunner,
    args: list | tuple | None = None,
    *,
    api_request: bool = False,
    alwayson_scripts: dict | None = None,
    script_name: str | None = None,
    script_args: list | None = None,
    save_images: bool = False,
    **p_kwargs: Any,
) -> processing.Processed:
    """Run one generation like modules/txt2img.py / img2img.py (UI) or the /sdapi/v1/*2img routes (API).

    UI path: p is built from p_kwargs; seed/steps/sampler_name/scheduler go into the built-in Seed/Sampler args
    (whose setup() copies them into p, as in the UI); ``p.scripts = runner; p.script_args = tuple(args)``;
    ``state.begin()``; the selected script's run() or process_images(p); ``state.end()``.
    API path (api_request=True): ``args`` is ignored; script args are assembled like Api.init_script_args from
    ui() defaults + ``alwayson_scripts`` {"title": {"args": [...]}} (+ ``script_name``/``script_args``);
    p_kwargs are request fields (sampler defaults to "Euler" like the API model); ``p.is_api = True``;
    save_images=False sets do_not_save_samples/grid. img2img is chosen when ``init_images`` is given.
    """
    global last_p
    is_img2img = "init_images" in p_kwargs
    cls = processing.StableDiffusionProcessingImg2Img if is_img2img else processing.StableDiffusionProcessingTxt2Img
    tab = "img2img" if is_img2img else "txt2img"
    kwargs = dict(p_kwargs)
    if api_request:
        defaults = api.init_default_script_args(runner)
        selectable, selectable_idx = None, None
        if script_name:
            selectable = api.get_script(script_name, runner)
            selectable_idx = runner.selectable_scripts.index(selectable)
        full_args = api.init_script_args(script_args, alwayson_scripts, defaults, selectable, selectable_idx, runner)
        kwargs["sampler_name"], scheduler = sd_samplers.get_sampler_and_scheduler(
            kwargs.get("sampler_name") or "Euler", kwargs.get("scheduler")
        )
        if not kwargs.get("scheduler") and scheduler != "Automatic":
            kwargs["scheduler"] = scheduler
        kwargs.setdefault("do_not_save_samples", not save_images)
        kwargs.setdefault("do_not_save_grid", not save_images)
        p = cls(sd_model=shared.sd_model, **kwargs)
        p.is_api = True
        p.scripts = runner
        p.outpath_grids = getattr(shared.opts, f"outdir_{tab}_grids")
        p.outpath_samples = getattr(shared.opts, f"outdir_{tab}_samples")
        last_p = p
        with closing(p):
            try:
                shared.state.begin(job=f"scripts_{tab}")
                if selectable is not None:
                    p.script_args = full_args
                    processed = runner.run(p, *p.script_args)
                else:
                    p.script_args = tuple(full_args)
                    processed = processing.process_images(p)
            finally:
                shared.state.end()
                shared.total_tqdm.clear()
        return processed

    full_args = list(args if args is not None else default_args(runner))
    for title, fields in _BUILTIN_FIELDS.items():
        builtin = runner.script(title)
        if builtin is None:
            continue
        for offset, name in enumerate(fields):
            if name in kwargs:
                full_args[builtin.args_from + offset] = kwargs.pop(name)
    kwargs.setdefault("outpath_samples", shared.opts.outdir_samples or getattr(shared.opts, f"outdir_{tab}_samples"))
    kwargs.setdefault("outpath_grids", shared.opts.outdir_grids or getattr(shared.opts, f"outdir_{tab}_grids"))
    p = cls(sd_model=shared.sd_model, **kwargs)
    p.scripts = runner
    p.script_args = tuple(full_args)
    last_p = p
    shared.state.begin(job=f"task({tab})")
    try:
        with closing(p):
            processed = runner.run(p, *p.script_args)
            if processed is None:
                processed = processing.process_images(p)
    finally:
        shared.state.end()
        shared.total_tqdm.clear()
    return processed


# ---- ControlNet / X/Y/Z / Forge helpers -------------------------------------------------------------------------
def controlnet_external_code() -> ModuleType:
    """The module other extensions get from ``from scripts import external_code`` after ControlNet loaded."""
    return sys.modules["scripts.external_code"]


def _controlnet_state() -> ModuleType:
    """The loaded ControlNet's global_state: lib_controlnet's in Forge and Neo mode, else sd-webui-controlnet's."""
    forge = sys.modules.get("lib_controlnet.global_state")
    return forge if forge is not None and hasattr(forge, "double_log") else sys.modules["scripts.global_state"]


def set_controlnet_models(names: list[str]) -> None:
    """Pretend exactly these ControlNet models are installed ("stem [hash]" or bare stems; Neo: stems)."""
    _controlnet_state().set_double_models(names)


def controlnet_log() -> list[dict[str, Any]]:
    """One dict per enabled unit ControlNet prepared: unit, model, input_image (after the crop), detected_map, p...
    (Neo: also model_filename, input_mask and "samplings", one dict of strength/start/end per sampling run)."""
    return _controlnet_state().double_log


def xyz_grid_module() -> ModuleType:
    """Find the X/Y/Z module the way ControlNet/ADetailer do (by ``script_class.__module__ == "xyz_grid.py"``)."""
    return next(x.module for x in scripts.scripts_data if x.script_class.__module__ == "xyz_grid.py")


def _set_flavour(flavour: str) -> None:
    """Switch the double's few flavour-dependent pieces (see modules/double_flavour.py)."""
    double_flavour.NAME = flavour
    neo = flavour == "neo"
    scripts.PostprocessImageArgs = scripts.NeoPostprocessImageArgs if neo else scripts.A1111PostprocessImageArgs
    slots = 3 if neo else 2  # Neo's prompt caches have a third slot (processing.py:195-196)
    processing.StableDiffusionProcessing.cached_c = [None] * slots
    processing.StableDiffusionProcessing.cached_uc = [None] * slots
    if neo:
        processing.StableDiffusionProcessing.distilled_cfg_scale = 3.5  # Neo field (processing.py:163), for Flux
    elif "distilled_cfg_scale" in vars(processing.StableDiffusionProcessing):
        del processing.StableDiffusionProcessing.distilled_cfg_scale
    while str(NEO_CN_DIR) in sys.path:
        sys.path.remove(str(NEO_CN_DIR))
    _forget_lib_controlnet()
    if neo:
        sys.path.insert(0, str(NEO_CN_DIR))
    importlib.invalidate_caches()


def _forget_lib_controlnet() -> None:
    for name in [n for n in sys.modules if n == "lib_controlnet" or n.startswith("lib_controlnet.")]:
        del sys.modules[name]


def enable_forge_mode() -> None:
    """Make Forge's ``lib_controlnet`` importable (Forge keeps extension dirs on sys.path permanently)."""
    if str(FORGE_CN_DIR) not in sys.path:
        sys.path.insert(0, str(FORGE_CN_DIR))
    importlib.invalidate_caches()


def disable_forge_mode() -> None:
    while str(FORGE_CN_DIR) in sys.path:
        sys.path.remove(str(FORGE_CN_DIR))
        _forget_lib_controlnet()
    importlib.invalidate_caches()
