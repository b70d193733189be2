"""HandRefine's section on the WebUI's Settings page."""

from __future__ import annotations

from .environment import NO_CONTROLNET_CHOICES, OPTION_DEFAULTS, SECTION


def register_options() -> None:
    import gradio as gr
    from modules import shared

    d = OPTION_DEFAULTS
    options = {
        "handrefine_model_path": shared.OptionInfo(
            d["handrefine_model_path"], "Hand model file (hand_landmarker.task); empty: models/handrefine/"),
        "handrefine_allow_download": shared.OptionInfo(
            d["handrefine_allow_download"], "Download missing models (the hand model; the anime detector when chosen)"),
        "handrefine_default_controlnet_model": shared.OptionInfo(
            d["handrefine_default_controlnet_model"], "Default ControlNet model (Auto, None or a model name)"),
        "handrefine_without_controlnet": shared.OptionInfo(
            d["handrefine_without_controlnet"], "When no ControlNet or no suitable model is installed",
            gr.Radio, {"choices": list(NO_CONTROLNET_CHOICES)}),
        "handrefine_save_before": shared.OptionInfo(
            d["handrefine_save_before"], "Also save each image as it was before the hand fix"),
        "handrefine_save_debug": shared.OptionInfo(
            d["handrefine_save_debug"], "Save debug images (depth, mask, detections) of every fixed image"),
    }
    for name, info in options.items():
        info.section = SECTION
        shared.opts.add_option(name, info)
