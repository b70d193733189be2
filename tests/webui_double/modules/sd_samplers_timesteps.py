"""Double of modules/sd_samplers_timesteps.py: DDIM/PLMS/UniPC-style samplers (blend BEFORE the model).

All four use a deterministic DDIM loop (eta=0) over the real timestep list, i.e. ``len(timesteps) - 1`` denoiser
calls; the "sigma" handed to the denoiser (and to MaskBlendArgs) is the timestep value, as in A1111.
"""

from __future__ import annotations

import torch

from modules import double_flavour, sd_samplers_cfg_denoiser, sd_samplers_common, shared
from modules.script_callbacks import ExtraNoiseParams, extra_noise_callback

samplers_timesteps = [
    ("DDIM", "ddim", ["ddim"], {}),
    ("DDIM CFG++", "ddim_cfgpp", ["ddim_cfgpp"], {}),
    ("PLMS", "plms", ["plms"], {}),
    ("UniPC", "unipc", ["unipc"], {}),
]


class _TimestepsInner:
    """Returns the eps prediction (what CompVisTimestepsDenoiser returns) that points at the target x0."""

    def __init__(self, denoiser):
        self.denoiser = denoiser

    def __call__(self, x, timesteps, cond=None):
        a_t = shared.sd_model.alphas_cumprod[timesteps.long()][:, None, None, None].to(x.dtype)
        x0 = sd_samplers_cfg_denoiser.DoubleUNet.target(self.denoiser.p, x.shape).to(x.dtype)
        return (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()


class CFGDenoiserTimesteps(sd_samplers_cfg_denoiser.CFGDenoiser):
    def __init__(self, sampler):
        super().__init__(sampler)
        self.alphas = shared.sd_model.alphas_cumprod
        if double_flavour.is_neo():
            self.classic_ddim_eps_estimation = True  # Neo sd_samplers_timesteps.py:35; no mask_before_denoising
        else:
            self.mask_before_denoising = True

    def noisy_initial_latent(self, sigma):
        a_t = self.alphas[sigma.to(dtype=int)][:, None, None, None].to(self.init_latent.dtype)
        return a_t.sqrt() * self.init_latent + (1 - a_t).sqrt() * torch.randn_like(self.init_latent)

    def get_pred_x0(self, x_in, x_out, sigma):
        a_t = self.alphas[sigma.to(dtype=int)][:, None, None, None]
        return (x_in - (1 - a_t).sqrt() * x_out) / a_t.sqrt()

    @property
    def inner_model(self):
        if self.model_wrap is None:
            self.model_wrap = _TimestepsInner(self)
        return self.model_wrap


class CompVisSampler(sd_samplers_common.Sampler):
    def __init__(self, funcname, sd_model):
        super().__init__(funcname)
        self.eta_option_field = "eta_ddim"
        self.eta_infotext_field = "Eta DDIM"
        self.eta_default = 0.0
        self.model_wrap_cfg = CFGDenoiserTimesteps(self)
        self.model_wrap = self.model_wrap_cfg.inner_model

    def get_timesteps(self, p, steps: int) -> torch.Tensor:
        return torch.clip(torch.asarray(list(range(0, 1000, 1000 // steps))) + 1, 0, 999)

    def _ddim(self, x: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        alphas_cumprod = shared.sd_model.alphas_cumprod
        alphas = alphas_cumprod[timesteps]
        alphas_prev = alphas_cumprod[torch.nn.functional.pad(timesteps[:-1], pad=(1, 0))]
        s_in = x.new_ones(x.shape[0])
        for i in range(len(timesteps) - 1):
            index = len(timesteps) - 1 - i
            e_t = self.model_wrap_cfg(x, timesteps[index].item() * s_in, **self.sampler_extra_args)
            a_t, a_prev = alphas[index].item(), alphas_prev[index].item()
            pred_x0 = (x - (1 - a_t) ** 0.5 * e_t) / a_t**0.5
            x = a_prev**0.5 * pred_x0 + (1.0 - a_prev) ** 0.5 * e_t
            self.callback_state({"x": x, "i": i, "sigma": 0, "sigma_hat": 0, "denoised": pred_x0})
        return x

    def sample_img2img(
        self, p, x, noise, conditioning, unconditional_conditioning, steps=None, image_conditioning=None
    ):
        steps, t_enc = sd_samplers_common.setup_img2img_steps(p, steps)
        timesteps = self.get_timesteps(p, steps)
        timesteps_sched = timesteps[:t_enc]
        a = shared.sd_model.alphas_cumprod[timesteps[t_enc]]
        xi = x * a.sqrt() + noise * (1 - a).sqrt()
        if shared.opts.img2img_extra_noise > 0:
            p.extra_generation_params["Extra noise"] = shared.opts.img2img_extra_noise
            extra_noise_params = ExtraNoiseParams(noise, x, xi)
            extra_noise_callback(extra_noise_params)
            xi += extra_noise_params.noise * shared.opts.img2img_extra_noise * a.sqrt()
        self.initialize(p)
        self.model_wrap_cfg.init_latent = x
        self.last_latent = x
        self.sampler_extra_args = {
            "cond": conditioning,
            "image_cond": image_conditioning,
            "uncond": unconditional_conditioning,
            "cond_scale": p.cfg_scale,
            "s_min_uncond": self.s_min_uncond,
        }
        samples = self.launch_sampling(t_enc + 1, lambda: self._ddim(xi, timesteps_sched))
        self.add_infotext(p)
        return samples

    def sample(self, p, x, conditioning, unconditional_conditioning, steps=None, image_conditioning=None):
        steps = steps or p.steps
        timesteps = self.get_timesteps(p, steps)
        self.initialize(p)
        self.last_latent = x
        self.sampler_extra_args = {
            "cond": conditioning,
            "image_cond": image_conditioning,
            "uncond": unconditional_conditioning,
            "cond_scale": p.cfg_scale,
            "s_min_uncond": self.s_min_uncond,
        }
        samples = self.launch_sampling(steps, lambda: self._ddim(x, timesteps))
        self.add_infotext(p)
        return samples


samplers_data_timesteps = [
    sd_samplers_common.SamplerData(
        label, lambda model, funcname=funcname: CompVisSampler(funcname, model), aliases, options
    )
    for label, funcname, aliases, options in samplers_timesteps
]
