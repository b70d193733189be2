"""Double of Neo lib_controlnet/global_state.py, with the preprocessor registry of modules_forge/shared.py and
the base classes of modules_forge/supported_preprocessor.py folded in (identity preprocessors, real attributes).

Model names are file stems with no hash; "None" is always the first name and maps to no file."""

from __future__ import annotations

from typing import Any

controlnet_filename_dict: dict[str, str | None] = {"None": None}
controlnet_names: list[str] = ["None"]
double_log: list[dict[str, Any]] = []  # double-only: one entry per enabled unit the ControlNet script prepared
DEFAULT_DOUBLE_MODELS = ["control_sd15_inpaint_depth_hand_fp16", "control_v11f1p_sd15_depth"]
_double_files: list[str] = list(DEFAULT_DOUBLE_MODELS)
update_calls = 0  # double-only: how often update_controlnet_filenames ran


class PreprocessorParameter:
    def __init__(self, minimum=0.0, maximum=1.0, step=0.01, label="Parameter 1", value=0.5, visible=False, **kwargs):
        self.gradio_update_kwargs = dict(minimum=minimum, maximum=maximum, step=step, label=label, value=value,
                                         visible=visible, **kwargs)


class Preprocessor:
    def __init__(self, name: str = "PreprocessorBase", tags: tuple[str, ...] = ()):
        self.name = name
        self.tags = list(tags)
        self.model_filename_filters: list[str] = []
        self.slider_resolution = PreprocessorParameter(label="Resolution", minimum=128, maximum=2048, value=512,
                                                       step=8, visible=True)
        self.slider_1 = PreprocessorParameter()
        self.slider_2 = PreprocessorParameter()
        self.slider_3 = PreprocessorParameter()
        self.show_control_mode = True
        self.do_not_need_model = False
        self.sorting_priority = 0
        self.corp_image_with_a1111_mask_when_in_img2img_inpaint_tab = True
        self.fill_mask_with_one_when_resize_and_fill = False
        self.use_soft_projection_in_hr_fix = False
        self.expand_mask_when_resize_and_fill = False

    def process_after_running_preprocessors(self, process, params, *args, **kwargs):
        return

    def process_before_every_sampling(self, process, cond, mask, *args, **kwargs):
        return cond, mask

    def process_after_every_sampling(self, process, params, *args, **kwargs):
        return

    def __call__(self, input_image, resolution, slider_1=None, slider_2=None, slider_3=None, input_mask=None,
                 **kwargs):
        return input_image


supported_preprocessors: dict[str, Preprocessor] = {}
for _name, _tags in (("None", ()), ("canny", ("Canny",)), ("depth_anything", ("Depth",)),
                     ("depth_anything_v2", ("Depth",)), ("depth_midas", ("Depth",)), ("depth_zoe", ("Depth",)),
                     ("inpaint_global_harmonious", ("Inpaint",)), ("inpaint_only", ("Inpaint",)),
                     ("openpose_hand", ("OpenPose",))):
    supported_preprocessors[_name] = Preprocessor(_name, _tags)


def set_double_models(names: list[str]) -> None:
    """Double-only: the ControlNet files the next update_controlnet_filenames() finds (stems)."""
    global _double_files
    _double_files = list(names)
    update_controlnet_filenames()


def update_controlnet_filenames() -> None:
    global controlnet_filename_dict, controlnet_names, update_calls
    update_calls += 1
    controlnet_filename_dict = {"None": None}
    controlnet_filename_dict.update({n: f"/models/ControlNet/{n}.safetensors" for n in sorted(_double_files)})
    controlnet_names = sorted(controlnet_filename_dict.keys(), key=lambda mdl: mdl)


def get_all_controlnet_names() -> list[str]:
    return controlnet_names


def get_controlnet_filename(controlnet_name: str) -> str:
    return controlnet_filename_dict[controlnet_name]


def get_preprocessor(name: str) -> Preprocessor:
    return supported_preprocessors[name]


def get_all_preprocessor_names() -> list[str]:
    rest = sorted((p for k, p in supported_preprocessors.items() if k != "None"), key=lambda p: p.name)
    return ["None", *(p.name for p in rest)]
