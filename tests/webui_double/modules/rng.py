"""Double of modules/rng.py: per-seed CPU torch.Generator noise (subseed slerp kept, seed-resize ignored)."""

from __future__ import annotations

import torch


def randn(seed: int, shape, generator: torch.Generator | None = None) -> torch.Tensor:
    if generator is None:
        generator = torch.Generator("cpu").manual_seed(int(seed) & 0xFFFFFFFFFFFF)
    return torch.randn(tuple(shape), generator=generator)


def randn_local(seed: int, shape) -> torch.Tensor:
    return randn(seed, shape)


def randn_like(x: torch.Tensor) -> torch.Tensor:
    return torch.randn_like(x)


def slerp(val: float, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    low_norm = low / torch.norm(low, dim=1, keepdim=True)
    high_norm = high / torch.norm(high, dim=1, keepdim=True)
    dot = (low_norm * high_norm).sum(1)
    if dot.mean() > 0.9995:
        return low * val + high * (1 - val)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    return (torch.sin((1.0 - val) * omega) / so).unsqueeze(1) * low + (torch.sin(val * omega) / so).unsqueeze(1) * high


class ImageRNG:
    """Same constructor as A1111's ImageRNG; ``next()`` returns [B, *shape] noise, one generator per seed."""

    def __init__(self, shape, seeds, subseeds=None, subseed_strength=0.0, seed_resize_from_h=0, seed_resize_from_w=0):
        self.shape = tuple(map(int, shape))
        self.seeds = seeds
        self.subseeds = subseeds
        self.subseed_strength = subseed_strength
        self.seed_resize_from_h = seed_resize_from_h
        self.seed_resize_from_w = seed_resize_from_w
        self.generators = [torch.Generator("cpu").manual_seed(int(s) & 0xFFFFFFFFFFFF) for s in seeds]
        self.is_first = True

    def first(self) -> torch.Tensor:
        xs = []
        for i, (seed, generator) in enumerate(zip(self.seeds, self.generators)):
            noise = randn(seed, self.shape, generator=generator)
            if self.subseeds is not None and self.subseed_strength != 0:
                subseed = 0 if i >= len(self.subseeds) else self.subseeds[i]
                noise = slerp(self.subseed_strength, noise, randn(subseed, self.shape))
            xs.append(noise)
        return torch.stack(xs)

    def next(self) -> torch.Tensor:
        if self.is_first:
            self.is_first = False
            return self.first()
        return torch.stack([randn(0, self.shape, generator=g) for g in self.generators])
