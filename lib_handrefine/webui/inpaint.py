"""One region's nested img2img inpaint pass, built the way the WebUI's own img2img tab would build it.

The pass gets a minimal script runner: only the ControlNet script (with our one unit) and our own script (for the
per-step mask blend). Handing it the user's whole runner would let the built-in seed/sampler scripts overwrite our
seed and sampler from the outer UI args, and every other extension would run inside our pass with the wrong args.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from ..masks import Region
from ..schedule import ExpansionSchedule
from ..settings import HandRefineSettings
from .state import PassState, mark_inner


@dataclass
class PassSpec:
    """Everything one region's pass needs, already resolved from the outer image and the settings."""

    image: Image.Image
    mask: Image.Image  # L, 255 = repaint, full image size
    size: tuple[int, int]
    prompt: str
    negative_prompt: str
    seed: int
    subseed: int
    steps: int
    cfg_scale: float
    sampler_name: str
    scheduler: str | None


def resolve_pass(p: Any, index: int, region_index: int, settings: HandRefineSettings, image: Image.Image,
                 mask: np.ndarray, size: tuple[int, int]) -> PassSpec:
    """Prompts, seed, sampler and steps of a region's pass: the image's own unless the settings override them."""
    prompt = settings.prompt or _pick(getattr(p, "all_prompts", None), index, getattr(p, "prompt", ""))
    negative = settings.negative_prompt or _pick(getattr(p, "all_negative_prompts", None), index,
                                                 getattr(p, "negative_prompt", ""))
    base_seed = settings.seed if settings.seed >= 0 else int(_pick(getattr(p, "all_seeds", None), index,
                                                                   getattr(p, "seed", -1)))
    subseed = int(_pick(getattr(p, "all_subseeds", None), index, getattr(p, "subseed", -1)))
    sampler = settings.sampler or getattr(p, "sampler_name", None)
    return PassSpec(
        image=image,
        mask=Image.fromarray(mask, "L"),
        size=size,
        prompt=prompt,
        negative_prompt=negative,
        seed=(base_seed + region_index) if base_seed >= 0 else -1,
        subseed=subseed,
        steps=settings.steps or int(getattr(p, "steps", 20)),
        cfg_scale=settings.cfg_scale or float(getattr(p, "cfg_scale", 7.0)),
        sampler_name=sampler or "Euler a",
        scheduler=getattr(p, "scheduler", None),
    )


def _pick(values: Any, index: int, fallback: Any) -> Any:
    if values:
        return values[index % len(values)]
    return fallback


def build_pass(p: Any, spec: PassSpec, settings: HandRefineSettings, pass_state: PassState) -> Any:
    """A StableDiffusionProcessingImg2Img for one region ("only masked", original content under the mask)."""
    from modules.processing import StableDiffusionProcessingImg2Img

    p2 = StableDiffusionProcessingImg2Img(
        sd_model=getattr(p, "sd_model", None),
        outpath_samples=getattr(p, "outpath_samples", None),
        outpath_grids=getattr(p, "outpath_grids", None),
        prompt=spec.prompt,
        negative_prompt=spec.negative_prompt,
        styles=[],  # the prompts above already carry the styles
        seed=spec.seed,
        subseed=spec.subseed,
        subseed_strength=getattr(p, "subseed_strength", 0),
        sampler_name=spec.sampler_name,
        batch_size=1,
        n_iter=1,
        steps=spec.steps,
        cfg_scale=spec.cfg_scale,
        width=spec.size[0],
        height=spec.size[1],
        restore_faces=False,
        tiling=getattr(p, "tiling", False),
        init_images=[spec.image],
        resize_mode=0,
        denoising_strength=settings.denoising_strength,
        mask=spec.mask,
        mask_blur=settings.mask_blur,
        inpainting_fill=1,  # start from the original pixels under the mask
        inpaint_full_res=True,  # "only masked": the region is cropped and inpainted at the pass size
        inpaint_full_res_padding=settings.inpaint_padding,
        inpainting_mask_invert=0,
        do_not_save_samples=True,
        do_not_save_grid=True,
        extra_generation_params={},
        override_settings=_plain_copy(getattr(p, "override_settings", None) or {}),
    )
    if spec.scheduler is not None and any(f.name == "scheduler" for f in dataclasses.fields(p2)):
        p2.scheduler = spec.scheduler
    if hasattr(p2, "distilled_cfg_scale"):  # Forge / Neo: Flux-style guidance travels with the image
        p2.distilled_cfg_scale = getattr(p, "distilled_cfg_scale", p2.distilled_cfg_scale)
    # own prompt caches (the class-level ones are shared); as many slots as this WebUI's (A1111 2, Neo 3)
    p2.cached_c = [None] * len(p2.cached_c)
    p2.cached_uc = [None] * len(p2.cached_uc)
    p2.is_api = True  # keeps the UI-only built-in scripts (seed, sampler) from re-reading outer UI values
    mark_inner(p2, pass_state)
    return p2


def _plain_copy(values: dict) -> dict:
    return {k: v for k, v in values.items() if not callable(v)}


def attach_scripts(p2: Any, outer_runner: Any, own_script: Any | None, own_args: list[Any],
                   controlnet_script: Any | None, controlnet_unit: Any | None) -> None:
    """Give the pass a runner holding only ControlNet (one unit) and our script, with matching script_args."""
    from modules import scripts as webui_scripts

    runner = copy.copy(outer_runner) if outer_runner is not None else webui_scripts.ScriptRunner()
    runner.callback_map = {}  # the copy must not share the outer runner's ordered-callback cache
    scripts: list[Any] = []
    args: list[Any] = [0]  # slot 0: the selectable-script index (none)
    if controlnet_script is not None and controlnet_unit is not None:
        cn = copy.copy(controlnet_script)
        cn.args_from, cn.args_to = len(args), len(args) + 1
        args.append(controlnet_unit)
        scripts.append(cn)
    if own_script is not None:
        me = copy.copy(own_script)
        me.args_from, me.args_to = len(args), len(args) + len(own_args)
        args.extend(own_args)
        scripts.append(me)
    runner.alwayson_scripts = scripts
    runner.selectable_scripts = []
    runner.scripts = list(scripts)
    p2.scripts = runner
    p2.script_args = args


def region_pass_builder(p: Any, index: int, region_index: int, region: Region, start: Image.Image,
                        settings: HandRefineSettings, outer_runner: Any, own_script: Any | None,
                        controlnet_script: Any | None, controlnet_unit: Any | None) -> Callable[[int, int], Any]:
    """`build(seed_offset, batch_size)`: the region's pass, ready to run, as candidates.sample_candidates wants it.

    `start` is the image as it stands when this region's turn comes (earlier regions already fixed)."""

    def build(seed_offset: int, batch_size: int) -> Any:
        spec = resolve_pass(p, index, region_index, settings, start, region.mask, region.size)
        if spec.seed >= 0:
            spec.seed += seed_offset
        schedule = ExpansionSchedule(settings.expansion_ring, settings.expansion_release,
                                     settings.expansion_free_steps) if settings.sequential_expansion else None
        p2 = build_pass(p, spec, settings, PassState(region_index, schedule, region.cores))
        p2.batch_size = batch_size
        attach_scripts(p2, outer_runner, own_script, settings.to_args(), controlnet_script, controlnet_unit)
        return p2

    return build
