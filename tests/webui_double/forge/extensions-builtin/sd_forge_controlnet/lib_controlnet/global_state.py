"""Double of Forge lib_controlnet/global_state.py: model names, preprocessors and the model-file table.

Forge lists a model as "stem [hash]" (`get_all_models`: `name + f" [{sd_models.model_hash(filename)}]"`) and looks
a unit's model up by that exact key (`get_controlnet_filename`, a KeyError otherwise). Preprocessors come from
`modules_forge.shared.supported_preprocessors` (name -> Preprocessor); `get_preprocessor` returns None for an
unknown name, e.g. A1111's lowercase "none".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modules import sd_models


@dataclass
class Preprocessor:
    """The attributes of modules_forge.supported_preprocessor.Preprocessor that ControlNet reads; identity call."""

    name: str
    do_not_need_model: bool = False
    corp_image_with_a1111_mask_when_in_img2img_inpaint_tab: bool = True
    fill_mask_with_one_when_resize_and_fill: bool = False
    expand_mask_when_resize_and_fill: bool = False

    def __call__(self, input_image: Any, resolution: int, slider_1=None, slider_2=None, slider_3=None,
                 input_mask=None, **kwargs) -> Any:
        return input_image


supported_preprocessors: dict[str, Preprocessor] = {
    name: Preprocessor(name)
    for name in ("None", "depth_anything", "depth_midas", "depth_hand_refiner", "canny", "inpaint_global_harmonious",
                 "inpaint_only")
}
controlnet_filename_dict: dict[str, str] = {"None": "model.safetensors"}
controlnet_names: list[str] = ["None"]
double_log: list[dict[str, Any]] = []  # double-only: one record per unit the ControlNet script prepared


def set_double_models(names: list[str]) -> None:
    """Double-only: pretend these ControlNet files ("stem [hash]" or bare stems) are installed."""
    global controlnet_filename_dict, controlnet_names
    controlnet_filename_dict = {"None": "model.safetensors"}
    for entry in names:
        stem = entry.split(" [")[0]
        filename = f"/models/ControlNet/{stem}.safetensors"
        title = entry if " [" in entry else f"{stem} [{sd_models.model_hash(filename)}]"
        controlnet_filename_dict[title] = filename
    controlnet_names = list(controlnet_filename_dict.keys())


def get_preprocessor(name: str) -> Preprocessor | None:
    return supported_preprocessors.get(name)


def get_all_controlnet_names() -> list[str]:
    return controlnet_names


def get_controlnet_filename(controlnet_name: str) -> str:
    return controlnet_filename_dict[controlnet_name]


def get_all_preprocessor_names() -> list[str]:
    return list(supported_preprocessors)


def update_controlnet_filenames() -> None:
    """Files are not scanned in the double: the table set_double_models built stays."""
