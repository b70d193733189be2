"""Double of modules/sd_samplers_kdiffusion.py: k-diffusion-style samplers (blend AFTER the model, on x0).

One Euler step per sigma interval (Heun-style 2 calls per step, 1 on the last, for "second_order" samplers);
ancestral/SDE noise is not added. Sigmas are the model's discrete schedule (sqrt((1-a)/a)) sampled uniformly
in timestep, with 0 appended — the "Automatic" schedule of k-diffusion for SD1.x.
"""

from __future__ import annotations

import torch

from modules import sd_samplers_cfg_denoiser, sd_samplers_common, shared
from modules.script_callbacks import ExtraNoiseParams, extra_noise_callback

samplers_k_diffusion = [
    ("DPM++ 2M", "sample_dpmpp_2m", ["k_dpmpp_2m"], {"scheduler": "karras"}),
    (
        "DPM++ SDE",
        "sample_dpmpp_sde",
        ["k_dpmpp_sde"],
        {"scheduler": "karras", "second_order": True, "brownian_noise": True},
    ),
    ("DPM++ 2M SDE", "sample_dpmpp_2m_sde", ["k_dpmpp_2m_sde"], {"scheduler": "exponential", "brownian_noise": True}),
    (
        "DPM++ 2M SDE Heun",
        "sample_dpmpp_2m_sde",
        ["k_dpmpp_2m_sde_heun"],
        {"scheduler": "exponential", "brownian_noise": True, "solver_type": "heun"},
    ),
    (
        "DPM++ 2S a",
        "sample_dpmpp_2s_ancestral",
        ["k_dpmpp_2s_a"],
        {"scheduler": "karras", "uses_ensd": True, "second_order": True},
    ),
    (
        "DPM++ 3M SDE",
        "sample_dpmpp_3m_sde",
        ["k_dpmpp_3m_sde"],
        {"scheduler": "exponential", "discard_next_to_last_sigma": True, "brownian_noise": True},
    ),
    ("Euler a", "sample_euler_ancestral", ["k_euler_a", "k_euler_ancestral"], {"uses_ensd": True}),
    ("Euler", "sample_euler", ["k_euler"], {}),
    ("LMS", "sample_lms", ["k_lms"], {}),
    ("Heun", "sample_heun", ["k_heun"], {"second_order": True}),
    (
        "DPM2",
        "sample_dpm_2",
        ["k_dpm_2"],
        {"scheduler": "karras", "discard_next_to_last_sigma": True, "second_order": True},
    ),
    (
        "DPM2 a",
        "sample_dpm_2_ancestral",
        ["k_dpm_2_a"],
        {"scheduler": "karras", "discard_next_to_last_sigma": True, "uses_ensd": True, "second_order": True},
    ),
    ("DPM fast", "sample_dpm_fast", ["k_dpm_fast"], {"uses_ensd": True}),
    ("DPM adaptive", "sample_dpm_adaptive", ["k_dpm_ad"], {"uses_ensd": True}),
    ("Restart", "restart_sampler", ["restart"], {"scheduler": "karras", "second_order": True}),
]


class _KDiffusionInner:
    """Returns the x0 prediction (what k-diffusion's CompVisDenoiser returns)."""

    def __init__(self, denoiser):
        self.denoiser = denoiser

    def __call__(self, x, sigma, cond=None):
        return sd_samplers_cfg_denoiser.DoubleUNet.target(self.denoiser.p, x.shape).to(x.dtype)


class CFGDenoiserKDiffusion(sd_samplers_cfg_denoiser.CFGDenoiser):
    @property
    def inner_model(self):
        if self.model_wrap is None:
            self.model_wrap = _KDiffusionInner(self)
        return self.model_wrap


def discrete_sigmas(steps: int) -> torch.Tensor:
    ac = shared.sd_model.alphas_cumprod.double()
    log_sigmas = (((1 - ac) / ac) ** 0.5).log()
    t = torch.linspace(len(ac) - 1, 0, steps, dtype=torch.float64)
    low = t.floor().long()
    high = torch.clamp(low + 1, max=len(ac) - 1)
    w = t - low
    sig = ((1 - w) * log_sigmas[low] + w * log_sigmas[high]).exp()
    return torch.cat([sig, sig.new_zeros([1])]).float()


class KDiffusionSampler(sd_samplers_common.Sampler):
    def __init__(self, funcname, sd_model, options=None):
        super().__init__(funcname)
        self.model_wrap_cfg = CFGDenoiserKDiffusion(self)
        self.model_wrap = self.model_wrap_cfg.inner_model

    def get_sigmas(self, p, steps: int) -> torch.Tensor:
        discard = self.config is not None and self.config.options.get("discard_next_to_last_sigma", False)
        sigmas = discrete_sigmas(steps + 1 if discard else steps)
        return torch.cat([sigmas[:-2], sigmas[-1:]]) if discard else sigmas

    def _integrate(self, x: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
        model, extra = self.model_wrap_cfg, self.sampler_extra_args
        second_order = self.config is not None and self.config.options.get("second_order", False)
        s_in = x.new_ones([x.shape[0]])
        for i in range(len(sigmas) - 1):
            s, s_next = sigmas[i], sigmas[i + 1]
            denoised = model(x, s * s_in, **extra)
            d = (x - denoised) / s
            if second_order and s_next > 0:
                x_2 = x + d * (s_next - s)
                denoised_2 = model(x_2, s_next * s_in, **extra)
                d = (d + (x_2 - denoised_2) / s_next) / 2
            x = x + d * (s_next - s)
            self.callback_state({"x": x, "i": i, "sigma": s, "sigma_hat": s, "denoised": denoised})
        return x

    def sample_img2img(
        self, p, x, noise, conditioning, unconditional_conditioning, steps=None, image_conditioning=None
    ):
        steps, t_enc = sd_samplers_common.setup_img2img_steps(p, steps)
        sigmas = self.get_sigmas(p, steps)
        sigma_sched = sigmas[steps - t_enc - 1 :]
        xi = x + noise * sigma_sched[0]
        if shared.opts.img2img_extra_noise > 0:
            p.extra_generation_params["Extra noise"] = shared.opts.img2img_extra_noise
            extra_noise_params = ExtraNoiseParams(noise, x, xi)
            extra_noise_callback(extra_noise_params)
            xi += extra_noise_params.noise * shared.opts.img2img_extra_noise
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
        samples = self.launch_sampling(t_enc + 1, lambda: self._integrate(xi, sigma_sched))
        self.add_infotext(p)
        return samples

    def sample(self, p, x, conditioning, unconditional_conditioning, steps=None, image_conditioning=None):
        steps = steps or p.steps
        sigmas = self.get_sigmas(p, steps)
        x = x * sigmas[0]
        self.initialize(p)
        self.last_latent = x
        self.sampler_extra_args = {
            "cond": conditioning,
            "image_cond": image_conditioning,
            "uncond": unconditional_conditioning,
            "cond_scale": p.cfg_scale,
            "s_min_uncond": self.s_min_uncond,
        }
        samples = self.launch_sampling(steps, lambda: self._integrate(x, sigmas))
        self.add_infotext(p)
        return samples


samplers_data_k_diffusion = [
    sd_samplers_common.SamplerData(
        label, lambda model, funcname=funcname: KDiffusionSampler(funcname, model), aliases, options
    )
    for label, funcname, aliases, options in samplers_k_diffusion
]
