"""Double of modules/processing_scripts/seed.py: the built-in "Seed" UI script (6 args, UI runs only)."""

from __future__ import annotations

from modules import scripts
from modules.ui_components import Component


class ScriptSeed(scripts.ScriptBuiltinUI):
    section = "seed"
    create_group = False

    def __init__(self):
        self.seed = None

    def title(self):
        return "Seed"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        self.seed = Component(-1, label="Seed", elem_id=self.elem_id("seed"))
        seed_checkbox = Component(False, label="Extra", elem_id=self.elem_id("subseed_show"))
        subseed = Component(-1, label="Variation seed", elem_id=self.elem_id("subseed"))
        subseed_strength = Component(0.0, label="Variation strength", elem_id=self.elem_id("subseed_strength"))
        seed_resize_from_w = Component(0, label="Resize seed from width", elem_id=self.elem_id("seed_resize_from_w"))
        seed_resize_from_h = Component(0, label="Resize seed from height", elem_id=self.elem_id("seed_resize_from_h"))
        return self.seed, seed_checkbox, subseed, subseed_strength, seed_resize_from_w, seed_resize_from_h

    def setup(self, p, seed, seed_checkbox, subseed, subseed_strength, seed_resize_from_w, seed_resize_from_h):
        p.seed = seed
        if seed_checkbox and subseed_strength > 0:
            p.subseed = subseed
            p.subseed_strength = subseed_strength
        if seed_checkbox and seed_resize_from_w > 0 and seed_resize_from_h > 0:
            p.seed_resize_from_w = seed_resize_from_w
            p.seed_resize_from_h = seed_resize_from_h
