"""Sequential mask expansion inside our own nested passes, through the WebUI's per-step mask-blend hook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEDULE_ATTR = "_handrefine_schedule"


@dataclass
class PassSchedule:
    """Attached to one of our own nested passes when sequential mask expansion is on."""

    schedule: Any  # lib_handrefine.schedule.ExpansionSchedule
    cores: list[tuple[int, int, int, int]]  # the region's hands, unpadded, in full-image pixels


def on_mask_blend(p: Any, mba: Any) -> None:
    """Per-step blend of our own passes with the expansion schedule; inert everywhere else and for the final blend
    (which stays on the real mask, as does the UNet's inpainting conditioning)."""
    planned: PassSchedule | None = getattr(p, SCHEDULE_ATTR, None)
    if planned is None or mba.is_final_blend:
        return
    import torch

    from ..schedule import latent_core

    nmask = mba.nmask
    real = nmask.detach().float().cpu().numpy()
    while real.ndim > 2:
        real = real[0]
    denoiser = mba.denoiser
    total = int(getattr(denoiser, "total_steps", 0) or getattr(denoiser, "steps", 1) or 1)
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
