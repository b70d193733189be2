"""Double of modules/sd_schedulers.py: scheduler names/labels only (the double always uses its own sigmas)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Scheduler:
    name: str
    label: str
    function: object = None
    default_rho: float = -1
    need_inner_model: bool = False
    aliases: list | None = None


schedulers = [
    Scheduler("automatic", "Automatic"),
    Scheduler("uniform", "Uniform"),
    Scheduler("karras", "Karras", default_rho=7.0),
    Scheduler("exponential", "Exponential"),
    Scheduler("polyexponential", "Polyexponential", default_rho=1.0),
    Scheduler("sgm_uniform", "SGM Uniform", aliases=["SGMUniform"]),
    Scheduler("kl_optimal", "KL Optimal"),
    Scheduler("align_your_steps", "Align Your Steps"),
    Scheduler("simple", "Simple"),
    Scheduler("normal", "Normal"),
    Scheduler("ddim", "DDIM"),
    Scheduler("beta", "Beta"),
]
schedulers_map = {**{x.name: x for x in schedulers}, **{x.label: x for x in schedulers}}
