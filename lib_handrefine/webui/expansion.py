"""Sequential mask expansion inside our own nested passes, through the WebUI's per-step mask-blend hook."""

from __future__ import annotations

from typing import Any

from .state import pass_of


def on_mask_blend(p: Any, mba: Any) -> None:
    """Per-step blend of our own passes with the expansion schedule; inert everywhere else and for the final blend
    (which stays on the real mask, as does the UNet's inpainting conditioning)."""
    planned = pass_of(p)
    if planned is None or planned.schedule is None or mba.is_final_blend:
        return
    import torch

    from ..schedule import latent_core

    nmask = mba.nmask
    # the pass's real repaint mask: p.nmask, never the denoiser's (we replace that one below, for Forge)
    source = getattr(p, "nmask", None)
    real = (source if source is not None else nmask).detach().float().cpu().numpy()
    while real.ndim > 2:
        real = real[0]
    denoiser = mba.denoiser
    total = expected_calls(denoiser, str(getattr(p, "sampler_name", "") or ""))
    step = int(getattr(denoiser, "step", 0))
    image_size = p.init_images[0].size
    core = latent_core(planned.cores, getattr(p, "paste_to", None), image_size, real.shape)

    def as_tensor(mask):
        return torch.from_numpy(mask).to(device=nmask.device, dtype=nmask.dtype).expand_as(nmask)

    now = as_tensor(planned.schedule.repaint_mask(step, total, real, core))
    mba.blended_latent = mba.current_latent * now + mba.init_latent * (1 - now)
    # Forge also blends before the model, from the denoiser's own masks: give it the next call's (new tensors;
    # p.mask / p.nmask are the same objects and must stay untouched)
    upcoming = as_tensor(planned.schedule.repaint_mask(step + 1, total, real, core))
    denoiser.nmask = upcoming
    denoiser.mask = 1 - upcoming


def expected_calls(denoiser: Any, sampler_name: str) -> int:
    """How many denoiser calls this sampling run makes. `total_steps` is exact for k-diffusion samplers; the
    WebUI's DDIM loops make two calls fewer and PLMS one fewer (their loops stop one timestep early). A1111 marks
    the denoiser of those loops with `mask_before_denoising`, Forge / Neo with `classic_ddim_eps_estimation`."""
    total = int(getattr(denoiser, "total_steps", 0) or getattr(denoiser, "steps", 1) or 1)
    if getattr(denoiser, "mask_before_denoising", False) or getattr(denoiser, "classic_ddim_eps_estimation", False):
        name = sampler_name.upper()
        if name.startswith("DDIM"):
            total -= 2
        elif name.startswith("PLMS"):
            total -= 1
    return max(1, total)
