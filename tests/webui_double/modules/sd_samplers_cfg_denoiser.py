"""Double of modules/sd_samplers_cfg_denoiser.py: CFGDenoiser with the real mask-blend order and hooks.

The UNet is replaced by ``DoubleUNet``: its x0 prediction is a fixed per-seed "target" latent, so every
denoiser call pulls the latent toward that target and tests can see which pixels were regenerated. Cond/uncond
batching and the CFG formula are not simulated (cond_scale has no effect).
Every mask blend is appended to ``p._double_blend_log`` (see ``_log_blend``).
"""

from __future__ import annotations

import torch

from modules import double_flavour, sd_samplers_common, shared
from modules.script_callbacks import (
    AfterCFGCallbackParams,
    CFGDenoisedParams,
    CFGDenoiserParams,
    cfg_after_cfg_callback,
    cfg_denoised_callback,
    cfg_denoiser_callback,
)


class DoubleUNet:
    """Deterministic stand-in for the diffusion model; monkeypatch ``target`` to change what it "draws"."""

    target_scale = 0.8

    @classmethod
    def target(cls, p, shape: torch.Size) -> torch.Tensor:
        """[B, C, h, w] target latent: seeded by p.seeds (falls back to p.seed) so each image differs."""
        seeds = list(getattr(p, "seeds", None) or [getattr(p, "seed", 0)])
        seeds = (seeds * shape[0])[: shape[0]]
        out = [
            torch.randn(tuple(shape[1:]), generator=torch.Generator("cpu").manual_seed((int(s) ^ 0x5EED) & 0xFFFFFFFF))
            for s in seeds
        ]
        return torch.stack(out) * cls.target_scale


def _log_blend(p, denoiser, phase: str, current, nmask, init_latent, mask, blended, sigma) -> None:
    log = getattr(p, "_double_blend_log", None)
    if log is None:
        log = []
        p._double_blend_log = log
    log.append(
        {
            "phase": phase,
            "step": None if denoiser is None else denoiser.step,
            "total_steps": None if denoiser is None else denoiser.total_steps,
            "sigma": sigma,
            "nmask": nmask,
            "mask": mask,
            "current_latent": current,
            "init_latent": init_latent,
            "blended_latent": blended,
        }
    )


class CFGDenoiser(torch.nn.Module):
    def __init__(self, sampler):
        super().__init__()
        self.model_wrap = None
        self.mask = None
        self.nmask = None
        self.init_latent = None
        self.steps = None
        self.total_steps = None
        self.step = 0
        self.image_cfg_scale = None
        self.padded_cond_uncond = False
        self.padded_cond_uncond_v0 = False
        self.sampler = sampler
        self.p = None
        self.cond_scale_miltiplier = 1.0
        self.need_last_noise_uncond = False
        self.last_noise_uncond = None
        self.mask_before_denoising = False
        if double_flavour.is_neo():
            self.classic_ddim_eps_estimation = False  # Neo sd_samplers_cfg_denoiser.py:64 (True for DDIM/PLMS)

    @property
    def inner_model(self):
        raise NotImplementedError()

    def noisy_initial_latent(self, sigma):
        """Neo: the original latent noised to this step's level (predictor.noise_scaling), for its pre-model blend."""
        return self.init_latent + sigma.reshape(-1, *([1] * (self.init_latent.ndim - 1))) * torch.randn_like(
            self.init_latent)

    def get_pred_x0(self, x_in, x_out, sigma):
        return x_out

    def forward(self, x, sigma, uncond, cond, cond_scale, s_min_uncond, image_cond):
        if shared.state.interrupted or shared.state.skipped:
            raise sd_samplers_common.InterruptedException

        def apply_blend(current_latent, phase: str):
            blended_latent = current_latent * self.nmask + self.init_latent * self.mask
            if self.p.scripts is not None:
                from modules import scripts

                mba = scripts.MaskBlendArgs(
                    current_latent, self.nmask, self.init_latent, self.mask, blended_latent, denoiser=self, sigma=sigma
                )
                self.p.scripts.on_mask_blend(self.p, mba)
                blended_latent = mba.blended_latent
            _log_blend(
                self.p, self, phase, current_latent, self.nmask, self.init_latent, self.mask, blended_latent, sigma
            )
            return blended_latent

        if self.mask_before_denoising and self.mask is not None:
            x = apply_blend(x, "before")
        if double_flavour.is_neo() and self.mask is not None:
            # Neo sd_samplers_cfg_denoiser.py:124-133: every sampler blends the input from the denoiser's own
            # masks before the model (no script hook), then blends the output as A1111 does (below)
            x = x * self.nmask + self.noisy_initial_latent(sigma) * self.mask
            _log_blend(self.p, self, "pre-model", x, self.nmask, self.init_latent, self.mask, x, sigma)

        params = CFGDenoiserParams(
            x, image_cond, sigma, shared.state.sampling_step, shared.state.sampling_steps, cond, uncond, self
        )
        cfg_denoiser_callback(params)
        x, image_cond, sigma, cond, uncond = (
            params.x,
            params.image_cond,
            params.sigma,
            params.text_cond,
            params.text_uncond,
        )

        x_out = self.inner_model(x, sigma, cond={"c_crossattn": [cond], "c_concat": [image_cond]})
        cfg_denoised_callback(
            CFGDenoisedParams(x_out, shared.state.sampling_step, shared.state.sampling_steps, self.inner_model)
        )
        denoised = x_out

        if not self.mask_before_denoising and self.mask is not None:
            denoised = apply_blend(denoised, "after")

        self.sampler.last_latent = self.get_pred_x0(x, x_out, sigma)
        sd_samplers_common.store_latent(self.sampler.last_latent)

        after = AfterCFGCallbackParams(denoised, shared.state.sampling_step, shared.state.sampling_steps)
        cfg_after_cfg_callback(after)
        denoised = after.x

        self.step += 1
        return denoised
