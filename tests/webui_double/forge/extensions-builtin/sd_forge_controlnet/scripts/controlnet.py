"""Double of Forge's extensions-builtin/sd_forge_controlnet/scripts/controlnet.py (`ControlNetForForgeOfficial`).

`process()` does what the real one does up to loading the model: parse units from its args (dicts via
`ControlNetUnit.from_dict`, then `assert isinstance(unit, ControlNetUnit)`), and per enabled unit
`process_unit_after_click_generate`: look the preprocessor up by its exact name (an unknown one, e.g. A1111's
"none", is None and fails on first use), choose the input image (the unit's, else the img2img input), crop it with
the A1111 mask for "only masked" inpainting, run the (identity) preprocessor, crop-and-resize to the target size,
and look the model up by its exact "stem [hash]" key. Instead of patching the UNet it records each unit in
`global_state.double_log` and `p._cn_double_units`. Forge's `p.extra_result_images` exists only on Forge's
processing class, which the double does not have, so detected maps are appended only where p has that list.
"""

from __future__ import annotations

from typing import Any

import modules.scripts as scripts
import numpy as np
from lib_controlnet import external_code, global_state
from lib_controlnet.external_code import ControlNetUnit
from lib_controlnet.utils import HWC3, align_dim_latent, crop_and_resize_image, prepare_mask
from modules import images, masking, shared
from modules.processing import StableDiffusionProcessingImg2Img, StableDiffusionProcessingTxt2Img
from modules.ui_components import Component
from PIL import Image

global_state.update_controlnet_filenames()


class ControlNetCachedParameters:
    def __init__(self) -> None:
        self.preprocessor = None
        self.model = None
        self.control_cond = None
        self.control_mask = None


class ControlNetForForgeOfficial(scripts.Script):
    sorting_priority = 10

    def title(self):
        return "ControlNet"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        """One state control per unit (default `ControlNetUnit(enabled=False, module="None", model="None")`)."""
        max_models = shared.opts.data.get("control_net_unit_count", 3)
        default_unit = ControlNetUnit(enabled=False, module="None", model="None")
        return tuple(Component(default_unit, label=f"ControlNet Unit {i}") for i in range(max_models))

    def get_enabled_units(self, units):
        units = [ControlNetUnit.from_dict(unit) if isinstance(unit, dict) else unit for unit in units]
        assert all(isinstance(unit, ControlNetUnit) for unit in units)
        return [x for x in units if x.enabled]

    @staticmethod
    def try_crop_image_with_a1111_mask(p, unit, input_image: np.ndarray, resize_mode, preprocessor) -> np.ndarray:
        a1111_mask_image = getattr(p, "image_mask", None)
        is_only_masked_inpaint = (
            issubclass(type(p), StableDiffusionProcessingImg2Img)
            and p.inpaint_full_res
            and a1111_mask_image is not None
        )
        if preprocessor.corp_image_with_a1111_mask_when_in_img2img_inpaint_tab and is_only_masked_inpaint:
            channels = [Image.fromarray(input_image[:, :, i]) for i in range(input_image.shape[2])]
            mask = prepare_mask(a1111_mask_image, p)
            crop_region = masking.get_crop_region(np.array(mask), p.inpaint_full_res_padding)
            crop_region = masking.expand_crop_region(crop_region, p.width, p.height, mask.width, mask.height)
            channels = [images.resize_image(resize_mode.int_value(), c, mask.width, mask.height) for c in channels]
            channels = [c.crop(crop_region) for c in channels]
            channels = [images.resize_image(external_code.ResizeMode.OUTER_FIT.int_value(), c, p.width, p.height)
                        for c in channels]
            input_image = np.stack([np.asarray(c)[:, :, 0] for c in channels], axis=2)
        return input_image

    def get_input_data(self, p, unit, preprocessor, h, w):
        resize_mode = external_code.resize_mode_from_value(unit.resize_mode)
        a1111_i2i_image = getattr(p, "init_images", [None])[0]
        if unit.image is None:
            resize_mode = external_code.resize_mode_from_value(p.resize_mode)
            image = HWC3(np.asarray(a1111_i2i_image))
        else:
            image = unit.image
        if not isinstance(image, np.ndarray):
            raise ValueError("controlnet is enabled but no input image is given")
        image = self.try_crop_image_with_a1111_mask(p, unit, HWC3(image), resize_mode, preprocessor)
        return [[image, None]], resize_mode

    @staticmethod
    def get_target_dimensions(p) -> tuple[int, int, int, int]:
        h, w = align_dim_latent(p.height), align_dim_latent(p.width)
        if isinstance(p, StableDiffusionProcessingTxt2Img) and getattr(p, "enable_hr", False):
            if p.hr_resize_x == 0 and p.hr_resize_y == 0:
                return h, w, align_dim_latent(int(p.height * p.hr_scale)), align_dim_latent(int(p.width * p.hr_scale))
            return h, w, align_dim_latent(p.hr_resize_y), align_dim_latent(p.hr_resize_x)
        return h, w, h, w

    def process_unit_after_click_generate(self, p, unit, params, *args, **kwargs) -> dict[str, Any]:
        h, w, _hr_y, _hr_x = self.get_target_dimensions(p)
        if unit.use_preview_as_input:
            unit.module = "None"
        preprocessor = global_state.get_preprocessor(unit.module)
        input_list, resize_mode = self.get_input_data(p, unit, preprocessor, h, w)
        input_image = input_list[0][0]
        if unit.pixel_perfect:
            unit.processor_res = external_code.pixel_perfect_resolution(input_image, target_H=h, target_W=w,
                                                                        resize_mode=resize_mode)
        output = preprocessor(input_image=input_image, input_mask=None, resolution=unit.processor_res,
                              slider_1=unit.threshold_a, slider_2=unit.threshold_b)
        control_cond = crop_and_resize_image(output, resize_mode, h, w)
        if unit.save_detected_map and hasattr(p, "extra_result_images"):
            p.extra_result_images.append(external_code.visualize_inpaint_mask(control_cond))
        if preprocessor.do_not_need_model:
            model_filename = "Not Needed"
        else:
            assert unit.model != "None", "You have not selected any control model!"
            model_filename = global_state.get_controlnet_filename(unit.model)
        params.preprocessor, params.model, params.control_cond = preprocessor, model_filename, control_cond
        return {"unit": unit, "model": model_filename, "input_image": input_image, "detected_map": control_cond,
                "resize_mode": resize_mode, "target_hw": (h, w), "processing": type(p).__name__, "p": p}

    def process(self, p, *args, **kwargs):
        self.current_params = {}
        records = []
        for i, unit in enumerate(self.get_enabled_units(args)):
            params = ControlNetCachedParameters()
            records.append(self.process_unit_after_click_generate(p, unit, params, *args, **kwargs))
            self.current_params[i] = params
        p._cn_double_units = records
        global_state.double_log.extend(records)

    def postprocess(self, p, processed, *args):
        self.current_params = {}
