"""Double of modules/processing_scripts/sampler.py: the built-in "Sampler" UI script (3 args, UI runs only).

ui() returns (steps, sampler_name, scheduler) whatever the layout, like the real one.
"""

from __future__ import annotations

from modules import scripts, sd_samplers, sd_schedulers
from modules.ui_components import Component


class ScriptSampler(scripts.ScriptBuiltinUI):
    section = "sampler"

    def __init__(self):
        self.steps = None
        self.sampler_name = None
        self.scheduler = None

    def title(self):
        return "Sampler"

    def ui(self, is_img2img):
        sampler_names = [x.name for x in sd_samplers.visible_samplers()]
        scheduler_names = [x.label for x in sd_schedulers.schedulers]
        self.sampler_name = Component(
            sampler_names[0], label="Sampling method", elem_id=f"{self.tabname}_sampling", choices=sampler_names
        )
        self.scheduler = Component(
            scheduler_names[0], label="Schedule type", elem_id=f"{self.tabname}_scheduler", choices=scheduler_names
        )
        self.steps = Component(20, label="Sampling steps", elem_id=f"{self.tabname}_steps")
        return self.steps, self.sampler_name, self.scheduler

    def setup(self, p, steps, sampler_name, scheduler):
        p.steps = steps
        p.sampler_name = sampler_name
        p.scheduler = scheduler
