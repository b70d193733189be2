"""Double of modules/sd_samplers.py: the sampler registry, name/scheduler resolution and create_sampler."""

from __future__ import annotations

import logging

from modules import sd_samplers_common, sd_samplers_kdiffusion, sd_samplers_timesteps, sd_schedulers, shared

samples_to_image_grid = sd_samplers_common.samples_to_image_grid
sample_to_image = sd_samplers_common.sample_to_image

all_samplers = [
    *sd_samplers_kdiffusion.samplers_data_k_diffusion,
    *sd_samplers_timesteps.samplers_data_timesteps,
    sd_samplers_common.SamplerData(
        "LCM", lambda model: sd_samplers_kdiffusion.KDiffusionSampler("sample_lcm", model), ["k_lcm"], {}
    ),
]
all_samplers_map = {x.name: x for x in all_samplers}
samplers: list = []
samplers_for_img2img: list = []
samplers_map: dict[str, str] = {}
samplers_hidden: set[str] = set()


def find_sampler_config(name):
    return all_samplers_map.get(name) if name is not None else all_samplers[0]


def create_sampler(name, model):
    config = find_sampler_config(name)
    assert config is not None, f"bad sampler name: {name}"
    if model.is_sdxl and config.options.get("no_sdxl", False):
        raise Exception(f"Sampler {config.name} is not supported for SDXL")
    sampler = config.constructor(model)
    sampler.config = config
    return sampler


def set_samplers() -> None:
    global samplers, samplers_for_img2img, samplers_hidden
    samplers_hidden = set(shared.opts.hide_samplers)
    samplers = all_samplers
    samplers_for_img2img = all_samplers
    samplers_map.clear()
    for sampler in all_samplers:
        samplers_map[sampler.name.lower()] = sampler.name
        for alias in sampler.aliases:
            samplers_map[alias.lower()] = sampler.name


def visible_sampler_names() -> list[str]:
    return [x.name for x in samplers if x.name not in samplers_hidden]


def visible_samplers() -> list:
    return [x for x in samplers if x.name not in samplers_hidden]


def get_sampler_and_scheduler(sampler_name, scheduler_name, *, convert_automatic=True):
    """Resolve "<sampler> <scheduler>" combos and unknown names to (sampler name, scheduler label)."""
    default_sampler = samplers[0]
    found_scheduler = sd_schedulers.schedulers_map.get(scheduler_name, sd_schedulers.schedulers[0])
    name = sampler_name or default_sampler.name
    for scheduler in sd_schedulers.schedulers:
        for option in [scheduler.label, scheduler.name, *(scheduler.aliases or [])]:
            if name.endswith(" " + option):
                found_scheduler = scheduler
                name = name[0 : -(len(option) + 1)]
                break
    sampler = all_samplers_map.get(name, default_sampler)
    if convert_automatic and sampler.options.get("scheduler", None) == found_scheduler.name:
        found_scheduler = sd_schedulers.schedulers[0]
    return sampler.name, found_scheduler.label


def fix_p_invalid_sampler_and_scheduler(p) -> None:
    i_sampler_name, i_scheduler = p.sampler_name, p.scheduler
    p.sampler_name, p.scheduler = get_sampler_and_scheduler(p.sampler_name, p.scheduler, convert_automatic=False)
    if p.sampler_name != i_sampler_name or i_scheduler != p.scheduler:
        logging.warning(
            f'Sampler Scheduler autocorrection: "{i_sampler_name}" -> "{p.sampler_name}", '
            f'"{i_scheduler}" -> "{p.scheduler}"'
        )


set_samplers()
