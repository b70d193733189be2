"""Double of Neo extensions-builtin/sd_forge_controlnet/scripts/controlnet.py (ControlNetForForgeOfficial).

The real unit handling, in the real order: `process` parses dict units (`from_dict`), keeps the enabled ones,
writes "ControlNet N" infotext, bound-checks, then per unit looks the preprocessor up by name (KeyError for an
unknown one, e.g. A1111's "none"), builds the input (unit image, or the img2img init image when the unit has none),
crops it like the "only masked" inpaint crop, runs the preprocessor, crops+resizes to p's size, and looks the model
file up by name (`assert unit.model != "None"`, KeyError for an unknown one).
`process_before_every_sampling` sets the model's strength / start / end per sampling run.
No UNet is patched: each prepared unit goes to `global_state.double_log` instead.
"""

from __future__ import annotations

import cv2
import modules.scripts as scripts
import numpy as np
from lib_controlnet import external_code, global_state
from lib_controlnet.enums import HiResFixOption
from lib_controlnet.external_code import ControlNetUnit
from lib_controlnet.utils import HWC3, align_dim_latent, crop_and_resize_image, judge_image_type, prepare_mask
from modules import images, masking, shared
from modules.processing import (
    StableDiffusionProcessing,
    StableDiffusionProcessingImg2Img,
    StableDiffusionProcessingTxt2Img,
)
from PIL import Image

global_state.update_controlnet_filenames()


class ControlNetCachedParameters:
    def __init__(self):
        self.preprocessor = None
        self.model = None
        self.control_cond = None
        self.control_cond_for_hr_fix = None
        self.control_mask = None
        self.control_mask_for_hr_fix = None


class DoubleControlModel:
    """Stands in for the ControlModelPatcher that try_load_supported_control_model returns."""

    def __init__(self, filename: str):
        self.filename = filename
        self.strength = 1.0
        self.start_percent = 0.0
        self.end_percent = 1.0
        self.positive_advanced_weighting = None
        self.negative_advanced_weighting = None
        self.advanced_mask_weighting = None


class ControlNetForForgeOfficial(scripts.Script):
    sorting_priority = 10

    def title(self):
        return "ControlNet"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        """Real: one ControlNetUiGroup per unit, whose render() returns gr.State(default_unit)."""
        max_models = shared.opts.data.get("control_net_unit_count", 3)
        default_unit = ControlNetUnit(enabled=False, module="None", model="None")
        return tuple(default_unit for _ in range(max_models))

    def get_enabled_units(self, units):
        units = [ControlNetUnit.from_dict(unit) if isinstance(unit, dict) else unit for unit in units]
        assert all(isinstance(unit, ControlNetUnit) for unit in units)
        return [x for x in units if x.enabled]

    @staticmethod
    def try_crop_image_with_a1111_mask(p: StableDiffusionProcessing, unit: ControlNetUnit, input_image: np.ndarray,
                                       resize_mode: external_code.ResizeMode, preprocessor, *,
                                       _is_mask: bool = False) -> np.ndarray:
        a1111_mask_image: Image.Image | None = getattr(p, "image_mask", None)
        is_only_masked_inpaint = (issubclass(type(p), StableDiffusionProcessingImg2Img) and p.inpaint_full_res
                                  and a1111_mask_image is not None)
        if preprocessor.corp_image_with_a1111_mask_when_in_img2img_inpaint_tab and is_only_masked_inpaint:
            channels = [Image.fromarray(input_image[:, :, i]) for i in range(input_image.shape[2])]
            mask = prepare_mask(a1111_mask_image, p)
            crop_region = masking.get_crop_region(np.array(mask), p.inpaint_full_res_padding)
            crop_region = masking.expand_crop_region(crop_region, p.width, p.height, mask.width, mask.height)
            channels = [images.resize_image(resize_mode.int_value(), i, mask.width, mask.height) for i in channels]
            channels = [x.crop(crop_region) for x in channels]
            channels = [images.resize_image(external_code.ResizeMode.OUTER_FIT.int_value(), x, p.width, p.height)
                        for x in channels]
            input_image = np.stack([np.asarray(x)[:, :, 0] for x in channels], axis=2)  # resize_image gives RGB
        return input_image

    def get_input_data(self, p, unit: ControlNetUnit, preprocessor, h, w):
        resize_mode = external_code.resize_mode_from_value(unit.resize_mode)
        a1111_i2i_image = getattr(p, "init_images", [None])[0]
        a1111_i2i_mask = getattr(p, "image_mask", None)
        using_a1111_data = False
        if isinstance(unit.image, dict):
            unit_image = unit.image.get("image", None)
            unit_mask_image = unit.image.get("mask", None)
        else:
            unit_image = unit.image
            unit_mask_image = unit.mask_image
        unit_image_fg = unit.image_fg[:, :, 3] if unit.image_fg is not None else None
        unit_mask_image_fg = unit.mask_image_fg[:, :, 3] if unit.mask_image_fg is not None else None
        # (the real "batch dir override" from ControlNetUiGroup.GLOBAL_CONTROLNET_BATCH_DIR is a UI-only feature)
        if unit.use_preview_as_input and unit.generated_image is not None:
            image = unit.generated_image
        elif unit.image is None:
            resize_mode = external_code.resize_mode_from_value(p.resize_mode)
            image = HWC3(np.asarray(a1111_i2i_image))
            using_a1111_data = True
        elif (unit_image < 5).all() and (unit_image_fg > 5).any():
            image = unit_image_fg
        else:
            image = unit_image
        if not isinstance(image, np.ndarray):
            raise ValueError("controlnet is enabled but no input image is given")
        image = HWC3(image)
        if using_a1111_data:
            mask = HWC3(np.asarray(a1111_i2i_mask)) if a1111_i2i_mask is not None else None
        elif unit_mask_image_fg is not None and (unit_mask_image_fg > 5).any():
            mask = unit_mask_image_fg
        elif unit_mask_image is not None and (unit_mask_image > 5).any():
            mask = unit_mask_image
        elif unit_image_fg is not None and (unit_image_fg > 5).any():
            mask = unit_image_fg
        else:
            mask = None
        image = self.try_crop_image_with_a1111_mask(p, unit, image, resize_mode, preprocessor)
        if mask is not None:
            mask = cv2.resize(HWC3(mask), (image.shape[1], image.shape[0]), interpolation=cv2.INTER_NEAREST)
            mask = self.try_crop_image_with_a1111_mask(p, unit, mask, resize_mode, preprocessor, _is_mask=True)
        return [[image, mask]], resize_mode

    @staticmethod
    def get_target_dimensions(p: StableDiffusionProcessing) -> tuple[int, int, int, int]:
        h, w = align_dim_latent(p.height), align_dim_latent(p.width)
        if isinstance(p, StableDiffusionProcessingTxt2Img) and getattr(p, "enable_hr", False):
            if p.hr_resize_x == 0 and p.hr_resize_y == 0:
                hr_y, hr_x = int(p.height * p.hr_scale), int(p.width * p.hr_scale)
            else:
                hr_y, hr_x = p.hr_resize_y, p.hr_resize_x
            return h, w, align_dim_latent(hr_y), align_dim_latent(hr_x)
        return h, w, h, w

    def process_unit_after_click_generate(self, p, unit: ControlNetUnit, params: ControlNetCachedParameters, *args,
                                          **kwargs):
        h, w, hr_y, hr_x = self.get_target_dimensions(p)
        if unit.use_preview_as_input:
            unit.module = "None"
        preprocessor = global_state.get_preprocessor(unit.module)
        input_list, resize_mode = self.get_input_data(p, unit, preprocessor, h, w)
        input_image, input_mask = input_list[0]
        if unit.pixel_perfect:
            unit.processor_res = external_code.pixel_perfect_resolution(input_image, target_H=h, target_W=w,
                                                                        resize_mode=resize_mode)
        output = preprocessor(input_image=input_image, input_mask=input_mask, resolution=unit.processor_res,
                              slider_1=unit.threshold_a, slider_2=unit.threshold_b)
        detected_map = crop_and_resize_image(output, resize_mode, h, w) if judge_image_type(output) else output
        params.control_cond = detected_map
        params.control_mask = input_mask
        if unit.save_detected_map and not shared.opts.data.get("control_net_no_detectmap", False):
            p.extra_result_images.append(detected_map)
        if preprocessor.do_not_need_model:
            model_filename = "Not Needed"
        else:
            assert unit.model != "None", "You have not selected any control model!"
            model_filename = global_state.get_controlnet_filename(unit.model)
        params.model = DoubleControlModel(model_filename)
        params.preprocessor = preprocessor
        global_state.double_log.append({"unit": unit, "model": unit.model, "model_filename": model_filename,
                                        "input_image": input_image, "input_mask": input_mask,
                                        "detected_map": detected_map, "p": p, "samplings": []})
        params.double_log_entry = global_state.double_log[-1]

    def process_unit_before_every_sampling(self, p, unit: ControlNetUnit, params: ControlNetCachedParameters, *args,
                                           **kwargs):
        is_hr_pass = getattr(p, "is_hr_pass", False)
        has_high_res_fix = isinstance(p, StableDiffusionProcessingTxt2Img) and getattr(p, "enable_hr", False)
        hr_option = HiResFixOption.from_value(unit.hr_option) if has_high_res_fix else HiResFixOption.BOTH
        if has_high_res_fix and is_hr_pass and not hr_option.high_res_enabled:
            return
        if has_high_res_fix and not is_hr_pass and not hr_option.low_res_enabled:
            return
        params.model.strength = float(unit.weight)
        params.model.start_percent = float(unit.guidance_start)
        params.model.end_percent = float(unit.guidance_end)
        params.double_log_entry["samplings"].append(
            {"strength": params.model.strength, "start": params.model.start_percent,
             "end": params.model.end_percent, "control_mode": unit.control_mode, "is_hr_pass": is_hr_pass})

    @staticmethod
    def bound_check_params(unit: ControlNetUnit) -> None:
        preprocessor = global_state.get_preprocessor(unit.module)
        if unit.processor_res < 0:
            unit.processor_res = int(preprocessor.slider_resolution.gradio_update_kwargs.get("value", 512))
        if unit.threshold_a < 0:
            unit.threshold_a = int(preprocessor.slider_1.gradio_update_kwargs.get("value", 1.0))
        if unit.threshold_b < 0:
            unit.threshold_b = int(preprocessor.slider_2.gradio_update_kwargs.get("value", 1.0))

    def process(self, p, *args, **kwargs):
        if getattr(p, "control_net_disabled", False):
            return
        self.current_params = {}
        enabled_units = self.get_enabled_units(args)
        p.extra_generation_params.update({f"ControlNet {i}": f"Module: {u.module}, Model: {u.model}"
                                          for i, u in enumerate(enabled_units)})  # Infotext.write_infotext
        for i, unit in enumerate(enabled_units):
            unit._idx = i
            self.bound_check_params(unit)
            params = ControlNetCachedParameters()
            self.process_unit_after_click_generate(p, unit, params, *args, **kwargs)
            self.current_params[i] = params

    def process_before_every_sampling(self, p, *args, **kwargs):
        for i, unit in enumerate(self.get_enabled_units(args)):
            self.process_unit_before_every_sampling(p, unit, self.current_params[i], *args, **kwargs)

    def postprocess_batch_list(self, p, pp, *args, **kwargs):
        for i, _unit in enumerate(self.get_enabled_units(args)):
            self.current_params[i]  # the real per-unit process_after_every_sampling needs it

    def postprocess(self, p, processed, *args):
        self.current_params = {}
