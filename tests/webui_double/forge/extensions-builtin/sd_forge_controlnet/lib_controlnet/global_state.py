"""Double of Forge lib_controlnet/global_state.py: model names and preprocessor names (configurable)."""

from __future__ import annotations

controlnet_filename_dict: dict[str, str] = {"None": "model.safetensors"}
controlnet_names: list[str] = ["None"]
preprocessor_names: list[str] = [
    "None",
    "depth_anything",
    "depth_midas",
    "depth_hand_refiner",
    "canny",
    "inpaint_global_harmonious",
    "inpaint_only",
]


def set_double_models(names: list[str]) -> None:
    """Double-only: pretend these ControlNet files are installed (Forge names have no hash suffix)."""
    global controlnet_filename_dict, controlnet_names
    controlnet_filename_dict = {
        "None": "model.safetensors",
        **{n: f"/models/ControlNet/{n}.safetensors" for n in names},
    }
    controlnet_names = list(controlnet_filename_dict.keys())


def get_all_controlnet_names() -> list[str]:
    return controlnet_names


def get_controlnet_filename(controlnet_name: str) -> str:
    return controlnet_filename_dict[controlnet_name]


def get_all_preprocessor_names() -> list[str]:
    return list(preprocessor_names)


def update_controlnet_filenames() -> None:
    """Files are not scanned in the double."""
