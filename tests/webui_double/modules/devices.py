"""Double of modules/devices.py: CPU-only device/dtype globals and helpers."""

from __future__ import annotations

import contextlib

import torch

cpu: torch.device = torch.device("cpu")
device: torch.device = cpu
device_interrogate = device_gfpgan = device_esrgan = device_codeformer = cpu
dtype: torch.dtype = torch.float32
dtype_vae: torch.dtype = torch.float32
dtype_unet: torch.dtype = torch.float32
dtype_inference: torch.dtype = torch.float32
unet_needs_upcast = False
fp8 = False


class NansException(Exception):
    pass


def torch_gc() -> None:
    """Nothing to free on the CPU double."""


def get_device_for(task: str) -> torch.device:
    return cpu


def cond_cast_unet(x: torch.Tensor) -> torch.Tensor:
    return x


def cond_cast_float(x: torch.Tensor) -> torch.Tensor:
    return x.float() if x.dtype == torch.float16 else x


def autocast(disable: bool = False):
    return contextlib.nullcontext()


def without_autocast(disable: bool = False):
    return contextlib.nullcontext()


def test_for_nans(x: torch.Tensor, where: str) -> None:
    from modules import shared

    if shared.cmd_opts.disable_nan_check:
        return
    if not torch.isnan(x[(0,) * len(x.shape)]):
        return
    raise NansException(f"A tensor with NaNs was produced in {'Unet' if where == 'unet' else 'VAE'}.")
