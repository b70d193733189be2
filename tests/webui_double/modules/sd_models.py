"""Double of modules/sd_models.py + sd_models_types.WebuiSdModel: a weightless stand-in checkpoint.

The "VAE" is a deterministic pixel<->latent map: encode = 8x8 average pool of the [-1, 1] image (3 channels plus
their mean as channel 4); decode = nearest 8x upsample of channels 0-2. decode(encode(img)) is a blocky img.
"""

from __future__ import annotations

import contextlib
import hashlib
from types import SimpleNamespace

import torch
import torch.nn.functional as F


class CheckpointInfo:
    def __init__(self, name: str, sha256: str):
        self.filename = f"/models/Stable-diffusion/{name}.safetensors"
        self.name = f"{name}.safetensors"
        self.name_for_extra = name
        self.model_name = name
        self.sha256 = sha256
        self.hash = sha256[:8]
        self.shorthash = sha256[:10]
        self.title = f"{self.name} [{self.shorthash}]"
        self.short_title = f"{self.name_for_extra} [{self.shorthash}]"


def _sd_alphas_cumprod() -> torch.Tensor:
    betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, dim=0).float()


class DoubleSdModel:
    """What ``shared.sd_model`` exposes to processing, ControlNet and extensions (flags, names, VAE, schedule)."""

    def __init__(self, kind: str = "sd15"):
        inpainting = kind.endswith("inpainting")
        self.is_sdxl = kind.startswith("sdxl")
        self.is_sd2 = kind.startswith("sd2")
        self.is_sd1 = not (self.is_sdxl or self.is_sd2)
        self.is_ssd = False
        self.is_sdxl_inpaint = self.is_sdxl and inpainting
        name = {
            "sd15": "v1-5-pruned-emaonly",
            "sd15-inpainting": "sd-v1-5-inpainting",
            "sdxl": "sd_xl_base_1.0",
            "sdxl-inpainting": "sd_xl_inpainting",
        }.get(kind, kind)
        sha = hashlib.sha256(name.encode()).hexdigest()
        self.sd_checkpoint_info = CheckpointInfo(name, sha)
        self.sd_model_hash = self.sd_checkpoint_info.shorthash
        self.sd_model_checkpoint = self.sd_checkpoint_info.filename
        self.cond_stage_key = "txt" if self.is_sdxl else "crossattn"
        conditioning_key = "hybrid" if (inpainting and not self.is_sdxl) else "crossattn"
        self.model = SimpleNamespace(conditioning_key=conditioning_key, diffusion_model=SimpleNamespace())
        self.latent_channels = 4
        self.dtype = torch.float32
        self.parameterization = "eps"
        self.alphas_cumprod = _sd_alphas_cumprod()

    @contextlib.contextmanager
    def ema_scope(self, context=None):
        yield

    def encode_first_stage(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, 3, H, W] in [-1, 1] -> [B, 4, H/8, W/8]."""
        pooled = F.avg_pool2d(x.float(), 8)
        return torch.cat([pooled, pooled.mean(dim=1, keepdim=True)], dim=1)

    def get_first_stage_encoding(self, encoder_posterior: torch.Tensor) -> torch.Tensor:
        return encoder_posterior

    def decode_first_stage(self, z: torch.Tensor) -> torch.Tensor:
        """z: [B, 4, h, w] -> [B, 3, 8h, 8w] in roughly [-1, 1]."""
        return F.interpolate(z[:, :3].float(), scale_factor=8, mode="nearest")


checkpoints_list: dict[str, CheckpointInfo] = {}
checkpoint_aliases: dict[str, CheckpointInfo] = {}
reload_calls: list[object] = []
"""Double-only: one entry per reload_model_weights() call."""


def register_checkpoint(model: DoubleSdModel) -> None:
    info = model.sd_checkpoint_info
    checkpoints_list[info.title] = info
    for alias in (info.title, info.name, info.name_for_extra, info.model_name, info.hash, info.shorthash, info.sha256):
        checkpoint_aliases[alias] = info


def get_closet_checkpoint_match(search_string: str) -> CheckpointInfo | None:
    if not search_string:
        return None
    found = checkpoint_aliases.get(search_string)
    if found is not None:
        return found
    matches = sorted(
        (info for title, info in checkpoints_list.items() if search_string in title), key=lambda x: len(x.title)
    )
    return matches[0] if matches else None


def select_checkpoint() -> CheckpointInfo | None:
    from modules import shared

    return shared.sd_model.sd_checkpoint_info if shared.sd_model is not None else None


def reload_model_weights(sd_model=None, info=None, forced_reload: bool = False):
    """No weights to load; the call is recorded."""
    from modules import shared

    reload_calls.append(info)
    return shared.sd_model


def apply_token_merging(sd_model, token_merging_ratio: float) -> None:
    """No-op."""


def apply_alpha_schedule_override(sd_model, p=None) -> None:
    """No-op."""


def model_hash(filename: str) -> str:
    return hashlib.sha256(str(filename).encode()).hexdigest()[:8]


class SkipWritingToConfig(contextlib.ContextDecorator):
    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        return None
