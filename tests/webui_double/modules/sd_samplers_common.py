"""Double of modules/sd_samplers_common.py: SamplerData, step bookkeeping, the Sampler base and VAE helpers."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import torch
from PIL import Image

from modules import devices, images, shared

SamplerDataTuple = namedtuple("SamplerData", ["name", "constructor", "aliases", "options"])


class SamplerData(SamplerDataTuple):
    def total_steps(self, steps: int) -> int:
        return steps * 2 if self.options.get("second_order", False) else steps


def setup_img2img_steps(p, steps: int | None = None) -> tuple[int, int]:
    """(steps, t_enc): t_enc = int(min(denoising_strength, 0.999) * steps) unless img2img_fix_steps."""
    if shared.opts.img2img_fix_steps or steps is not None:
        requested_steps = steps or p.steps
        steps = int(requested_steps / min(p.denoising_strength, 0.999)) if p.denoising_strength > 0 else 0
        t_enc = requested_steps - 1
    else:
        steps = p.steps
        t_enc = int(min(p.denoising_strength, 0.999) * steps)
    return steps, t_enc


approximation_indexes = {"Full": 0, "Approx NN": 1, "Approx cheap": 2, "TAESD": 3}


def samples_to_images_tensor(sample: torch.Tensor, approximation=None, model=None) -> torch.Tensor:
    """Latent [B, 4, h, w] -> image [B, 3, 8h, 8w] in [-1, 1] through the double VAE."""
    return (model or shared.sd_model).decode_first_stage(sample)


def decode_first_stage(model, x: torch.Tensor) -> torch.Tensor:
    return samples_to_images_tensor(x.to(devices.dtype_vae), 0, model)


def images_tensor_to_samples(image: torch.Tensor, approximation=None, model=None) -> torch.Tensor:
    """Image [B, 3, H, W] in [0, 1] -> latent [B, 4, H/8, W/8] through the double VAE."""
    model = model or shared.sd_model
    return model.get_first_stage_encoding(model.encode_first_stage(image.to(devices.dtype_vae) * 2 - 1))


def single_sample_to_image(sample: torch.Tensor, approximation=None) -> Image.Image:
    x = torch.clamp(samples_to_images_tensor(sample.unsqueeze(0), approximation)[0] * 0.5 + 0.5, 0.0, 1.0)
    return Image.fromarray((255.0 * np.moveaxis(x.cpu().numpy(), 0, 2)).astype(np.uint8))


def sample_to_image(samples: torch.Tensor, index: int = 0, approximation=None) -> Image.Image:
    return single_sample_to_image(samples[index], approximation)


def samples_to_image_grid(samples: torch.Tensor, approximation=None) -> Image.Image:
    return images.image_grid([single_sample_to_image(s, approximation) for s in samples])


def store_latent(decoded: torch.Tensor) -> None:
    shared.state.current_latent = decoded


def is_sampler_using_eta_noise_seed_delta(p) -> bool:
    from modules import sd_samplers

    config = sd_samplers.find_sampler_config(p.sampler_name)
    eta = p.eta
    if eta is None and p.sampler is not None:
        eta = p.sampler.eta
    if eta is None and config is not None:
        eta = 0 if config.options.get("default_eta_is_0", False) else 1.0
    if eta == 0:
        return False
    return config is not None and config.options.get("uses_ensd", False)


class InterruptedException(BaseException):
    pass


def apply_refiner(cfg_denoiser, sigma=None) -> bool:
    """Refiner switching is not modelled."""
    return False


class Sampler:
    """Base of the double samplers: same fields and the same initialize/launch_sampling/callback_state flow."""

    def __init__(self, funcname):
        self.funcname = funcname
        self.func = funcname
        self.extra_params: list[str] = []
        self.sampler_noises = None
        self.stop_at = None
        self.eta = None
        self.config: SamplerData | None = None
        self.last_latent = None
        self.s_min_uncond = None
        self.s_churn = 0.0
        self.s_tmin = 0.0
        self.s_tmax = float("inf")
        self.s_noise = 1.0
        self.eta_option_field = "eta_ancestral"
        self.eta_infotext_field = "Eta"
        self.eta_default = 1.0
        self.conditioning_key = getattr(shared.sd_model.model, "conditioning_key", "crossattn")
        self.p = None
        self.model_wrap_cfg = None
        self.sampler_extra_args: dict = {}

    def callback_state(self, d: dict) -> None:
        step = d["i"]
        if self.stop_at is not None and step > self.stop_at:
            raise InterruptedException
        shared.state.sampling_step = step
        shared.total_tqdm.update()

    def launch_sampling(self, steps: int, func):
        self.model_wrap_cfg.steps = steps
        self.model_wrap_cfg.total_steps = self.config.total_steps(steps)
        shared.state.sampling_steps = steps
        shared.state.sampling_step = 0
        try:
            return func()
        except InterruptedException:
            return self.last_latent

    def number_of_needed_noises(self, p) -> int:
        return p.steps

    def initialize(self, p) -> dict:
        self.p = p
        self.model_wrap_cfg.p = p
        self.model_wrap_cfg.mask = p.mask if hasattr(p, "mask") else None
        self.model_wrap_cfg.nmask = p.nmask if hasattr(p, "nmask") else None
        self.model_wrap_cfg.step = 0
        self.model_wrap_cfg.image_cfg_scale = getattr(p, "image_cfg_scale", None)
        self.eta = p.eta if p.eta is not None else getattr(shared.opts, self.eta_option_field, 0.0)
        self.s_min_uncond = getattr(p, "s_min_uncond", 0.0)
        return {}

    def add_infotext(self, p) -> None:
        if self.model_wrap_cfg.padded_cond_uncond:
            p.extra_generation_params["Pad conds"] = True
