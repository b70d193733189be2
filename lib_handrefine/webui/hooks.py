"""What HandRefine's Script does at each WebUI hook. scripts/handrefine.py only forwards to these functions."""

from __future__ import annotations

from typing import Any

from PIL import Image

from ..settings import SAME, SAME_SAMPLER, HandRefineSettings, SettingsError, field_names
from . import environment, state
from .refine import refine_image
from .state import Run

INFOTEXT_KEY = "HandRefine"
RESULT_KEY = "HandRefine result"


def settings_from_args(args: tuple | list) -> HandRefineSettings:
    """Settings from the script's args: UI values, API positional values, or one dict of named values."""
    if len(args) == 1 and isinstance(args[0], HandRefineSettings):
        return args[0]
    return HandRefineSettings.from_any(list(args))


def on_process(p: Any, args: tuple, is_img2img: bool) -> None:
    if state.is_inner(p):
        return
    try:
        settings = settings_from_args(args)
        overrides = state.xyz_overrides(p)
        if overrides:
            settings = settings.replace(**overrides)
    except SettingsError as exc:
        _on_invalid_settings(p, args, is_img2img, str(exc))
        return
    if not settings.enabled:
        return
    run = Run(settings, skip_main_pass=is_img2img and settings.fix_hands_only)
    state.set_run(p, run)
    p.extra_generation_params[INFOTEXT_KEY] = settings.to_infotext()
    p.extra_generation_params[RESULT_KEY] = run.result_for_infotext
    if run.skip_main_pass:
        _skip_sampling(p)


def _on_invalid_settings(p: Any, args: tuple, is_img2img: bool, why: str) -> None:
    """Bad values must never let a pass run that the user did not ask for: when HandRefine was (or may have been)
    enabled for an img2img "fix hands only" run, the main img2img pass is skipped all the same and the input comes
    back unchanged; the error goes to the console and the generation info either way."""
    if not _flag(args, "enabled", absent=False, unreadable=True):
        return
    print(f"HandRefine: invalid settings, hands are not fixed: {why}")
    if is_img2img and _flag(args, "fix_hands_only", absent=True, unreadable=True):
        run = Run(HandRefineSettings(), skip_main_pass=True, error=why)
        state.set_run(p, run)
        p.extra_generation_params[RESULT_KEY] = run.result_for_infotext
        _skip_sampling(p)
    else:
        p.extra_generation_params[RESULT_KEY] = f"error: {why}"


def _flag(args: tuple, name: str, absent: bool, unreadable: bool) -> bool:
    """One on/off setting as the caller passed it (a dict entry wins, as in from_any, else its slot), read on its
    own with the settings' own rules, while the settings as a whole are invalid."""
    raw = next((v[name] for v in reversed(args) if isinstance(v, dict) and name in v), None)
    slot = field_names().index(name)
    if raw is None and slot < len(args) and not isinstance(args[slot], dict):
        raw = args[slot]
    if raw is None:
        return absent
    try:
        return bool(getattr(HandRefineSettings.from_dict({name: raw}), name))
    except SettingsError:
        return unreadable


class _DecodedImages(list):
    already_decoded = True  # what processing.DecodedSamples says, for WebUIs that lack that class


def _skip_sampling(p: Any) -> None:
    """"Fix hands only": the outer img2img is never sampled. Its sample() becomes a no-op that returns
    already-decoded placeholder images (a list of CxHxW tensors in -1..1, as the WebUI's decoder returns); the hooks
    then fix the untouched input. Its init() still runs (sampler, masks, overlays, color corrections: the WebUI's
    bookkeeping) but without the VAE encode of the full-size input, which only sampling reads and which cost more
    than everything else outside our passes (measured on A1111 1.10.1: ~85 % of the overhead)."""
    import torch
    from modules import processing

    decoded_type = getattr(processing, "DecodedSamples", _DecodedImages)

    def sample(*args: Any, **kwargs: Any) -> Any:
        placeholder = decoded_type()
        placeholder.extend(torch.zeros((3, p.height, p.width)) for _ in range(p.batch_size))
        return placeholder

    def no_image_conditioning(source_image: Any, latent_image: Any, *args: Any, **kwargs: Any) -> Any:
        # what the WebUI gives a plain model; an inpainting or edit model would VAE-encode the image again
        return latent_image.new_zeros(latent_image.shape[0], 5, 1, 1)

    p.sample = sample
    p.init = _without_vae_encode(p.init)
    p.img2img_image_conditioning = no_image_conditioning


def _without_vae_encode(init: Any) -> Any:
    """`init` with the WebUI's image-to-latent encode answered by a zero latent of the same shape."""
    import functools

    import torch
    from modules import processing, shared

    encode = getattr(processing, "images_tensor_to_samples", None)
    if encode is None:  # a WebUI that encodes elsewhere: its init stays as it is
        return init

    def zero_latent(image: Any, approximation: Any = None, model: Any = None) -> Any:
        channels = getattr(model or shared.sd_model, "latent_channels", 4)
        return torch.zeros((image.shape[0], channels, image.shape[-2] // 8, image.shape[-1] // 8),
                           dtype=image.dtype, device=image.device)

    @functools.wraps(init)
    def init_without_encode(*args: Any, **kwargs: Any) -> Any:
        processing.images_tensor_to_samples = zero_latent  # the WebUI runs one generation at a time
        try:
            return init(*args, **kwargs)
        finally:
            processing.images_tensor_to_samples = encode

    return init_without_encode


def on_postprocess_image(script: Any, p: Any, pp: Any, after_composite: bool) -> None:
    run = state.run_of(p)
    if run is None:
        return
    user_mask = getattr(p, "image_mask", None)
    # inpaint runs are fixed after the WebUI pasted its result into the full image; all others right away
    if (user_mask is not None) != after_composite:
        return
    index = getattr(pp, "index", None)
    if index is None:
        index = p.iteration * p.batch_size + p.batch_index
    image = pp.image
    if run.skip_main_pass:
        image = p.init_images[index % len(p.init_images)]
        _uncount_skipped_main_pass(p, run)
    if run.error is not None:
        pp.image = image
        run.results[index] = f"error: {run.error}; input returned unchanged"
        return
    if environment.opt("handrefine_save_before"):
        _save(p, image, index, "-before-handrefine")
    outcome = refine_image(p, image, index, run.settings, script, user_mask)
    pp.image = outcome.image if outcome.changed or run.skip_main_pass else pp.image
    run.results[index] = outcome.summary
    for name, picture in outcome.debug:
        run.debug.append((index, name, picture))
        if environment.opt("handrefine_save_debug"):
            _save(p, picture, index, f"-handrefine-{name}")


def _uncount_skipped_main_pass(p: Any, run: Run) -> None:
    """The WebUI counts each batch of the main pass as one job (state.job_count) and has already called nextjob()
    for it. With "fix hands only" that pass did nothing: take it out once per batch, so that the progress bars
    (web: job_no / job_count; console: job_count x sampling steps) measure our region passes only and reach 100 %."""
    from modules import shared

    iteration = int(getattr(p, "iteration", 0))
    if iteration in run.uncounted:
        return
    run.uncounted.add(iteration)
    if shared.state.job_count > 0 and shared.state.job_no > 0:
        shared.state.job_count -= 1
        shared.state.job_no -= 1


def on_postprocess(p: Any, processed: Any) -> None:
    run = state.run_of(p)
    if run is None:
        return
    # every image's infotext is written by now; Forge Classic's Processed.js() dumps these params without a
    # `default=`, so the per-image callable must become plain text before the API or UI serialises them
    for params in (getattr(p, "extra_generation_params", None), getattr(processed, "extra_generation_params", None)):
        if isinstance(params, dict) and callable(params.get(RESULT_KEY)):
            params[RESULT_KEY] = run.results.get(min(run.results, default=0), "")
    if not run.debug:
        return
    first = int(getattr(processed, "index_of_first_image", 0) or 0)  # a grid, when there is one, comes first
    for index, _name, picture in run.debug:
        processed.images.append(picture)
        infotexts = getattr(processed, "infotexts", None)
        if infotexts is not None:
            infotexts.append(infotexts[min(first + index, len(infotexts) - 1)] if infotexts else "")


def _save(p: Any, image: Image.Image, index: int, suffix: str) -> None:
    from modules import images, shared

    seeds = getattr(p, "all_seeds", None) or [getattr(p, "seed", -1)]
    prompts = getattr(p, "all_prompts", None) or [getattr(p, "prompt", "")]
    images.save_image(image, p.outpath_samples, "", seeds[index % len(seeds)], prompts[index % len(prompts)],
                      shared.opts.samples_format, p=p, suffix=suffix)


def on_infotext_pasted(infotext: str, params: dict[str, Any]) -> None:
    """Spread our compact entry over per-setting keys, which the accordion's controls are bound to."""
    if INFOTEXT_KEY not in params:
        params.setdefault(f"{INFOTEXT_KEY} enabled", False)
        return
    try:
        settings = HandRefineSettings.from_infotext(str(params[INFOTEXT_KEY]))
    except SettingsError as exc:
        print(f"HandRefine: cannot read the pasted settings: {exc}")
        return
    for name, value in settings.to_dict().items():
        if name == "sampler" and value == SAME:
            value = SAME_SAMPLER
        params[f"{INFOTEXT_KEY} {name}"] = value

