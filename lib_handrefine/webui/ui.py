"""The HandRefine accordion: one gradio control per setting, built from the settings table, in its field order.

Works with gradio 3.41 (A1111) and 4.x (Forge): only plain components and `gr.update` are used. The help texts go
to the page once, in a hidden element, where javascript/handrefine.js turns them into hover hints.
"""

from __future__ import annotations

import dataclasses
import html
import json
from typing import Any

from ..settings import AUTO_MODEL, SAME_SAMPLER, HandRefineSettings, field_names
from .controlnet import controlnet_choices

GROUPS = (
    ("ControlNet", ("controlnet_model", "control_weight", "guidance_start", "guidance_end", "control_mode")),
    ("Inpainting", ("denoising_strength", "mask_padding", "mask_blur", "inpaint_padding", "inpaint_resolution")),
    ("Detection", ("detect_confidence", "max_hands", "min_hand_size", "extra_detection_pass", "hand_detector",
                   "detector_model", "detector_confidence")),
    ("Result check", ("keep_fix", "attempts", "fix_mode", "look_wrong_threshold")),
)


def sampler_choices() -> list[str]:
    try:
        from modules import sd_samplers

        return [SAME_SAMPLER, *(s.name for s in sd_samplers.visible_samplers())]
    except Exception:
        return [SAME_SAMPLER]


def build_ui(script: Any, is_img2img: bool, default_model: str, list_models) -> list[Any]:
    """Create the controls inside the current gradio Blocks; return them in settings field order."""
    import gradio as gr
    from modules.ui_components import InputAccordion, ToolButton

    d = HandRefineSettings()
    fields = {f.name: f for f in dataclasses.fields(HandRefineSettings)}
    c: dict[str, Any] = {}

    def eid(name: str) -> str:
        return script.elem_id(name)

    def control(name: str) -> Any:
        f = fields[name]
        m, value, label = f.metadata, getattr(d, name), f.metadata["label"]
        if isinstance(value, bool):
            return gr.Checkbox(value=value, label=label, elem_id=eid(name))
        if m["choices"]:
            return gr.Radio(choices=list(m["choices"]), value=value, label=label, elem_id=eid(name))
        if isinstance(value, (int, float)) and m["max"] is not None and m["max"] - m["min"] <= 4096:
            return gr.Slider(minimum=m["min"], maximum=m["max"], step=m["step"], value=value, label=label,
                             elem_id=eid(name))
        if isinstance(value, (int, float)):
            return gr.Number(value=value, label=label, precision=0, elem_id=eid(name))
        return gr.Textbox(value=value, label=label, lines=2 if "prompt" in name else 1, elem_id=eid(name))

    with InputAccordion(False, label="HandRefine", elem_id=eid("enabled")) as enabled:
        c["enabled"] = enabled
        with gr.Row(elem_classes=["handrefine-row"]):
            c["fix_hands_only"] = gr.Checkbox(value=d.fix_hands_only, label=fields["fix_hands_only"].metadata["label"],
                                              visible=is_img2img, elem_id=eid("fix_hands_only"))
            c["debug_images"] = control("debug_images")
        for title, names in GROUPS:
            gr.HTML(f'<div class="handrefine-group-title">{html.escape(title)}</div>')
            with gr.Group(elem_classes=["handrefine-group"]), gr.Row(elem_classes=["handrefine-row"]):
                for name in names:
                    if name == "controlnet_model":
                        models = list_models(False)
                        value = default_model if default_model in controlnet_choices(models) else AUTO_MODEL
                        # own row: keeps the refresh button beside the list when the group row wraps (gradio 4)
                        with gr.Row(elem_classes=["handrefine-model"]):
                            c[name] = gr.Dropdown(choices=controlnet_choices(models), value=value,
                                                  label=fields[name].metadata["label"], elem_id=eid(name))
                            refresh = ToolButton(value="\U0001f504", elem_id=eid("refresh_models"))
                        refresh.click(fn=lambda: gr.update(choices=controlnet_choices(list_models(True))),
                                      inputs=[], outputs=[c[name]])
                    else:
                        c[name] = control(name)
        with gr.Accordion("Sequential mask expansion", open=False, elem_id=eid("expansion")), gr.Row(
                elem_classes=["handrefine-row"]):
            for name in ("sequential_expansion", "expansion_ring", "expansion_release", "expansion_free_steps"):
                c[name] = control(name)
        with gr.Accordion("Overrides (default: same as the image)", open=False, elem_id=eid("overrides")):
            with gr.Row(elem_classes=["handrefine-row"]):
                c["steps"] = control("steps")
                c["cfg_scale"] = control("cfg_scale")
                c["sampler"] = gr.Dropdown(choices=sampler_choices(), value=SAME_SAMPLER,
                                           label=fields["sampler"].metadata["label"], elem_id=eid("sampler"))
                c["seed"] = gr.Number(value=d.seed, label=fields["seed"].metadata["label"], precision=0,
                                      elem_id=eid("seed"))
            c["prompt"] = control("prompt")
            c["negative_prompt"] = control("negative_prompt")
        hints = {eid(n): fields[n].metadata["help"] for n in field_names()}
        gr.HTML(f'<div class="handrefine-hints" hidden data-hints="{html.escape(json.dumps(hints))}"></div>')
    missing = [n for n in field_names() if n not in c]
    if missing:
        raise RuntimeError(f"HandRefine UI has no control for {missing}")
    script.infotext_fields = [(c[n], f"HandRefine {n}") for n in field_names()]
    script.paste_field_names = [f"HandRefine {n}" for n in field_names()]
    return [c[n] for n in field_names()]
