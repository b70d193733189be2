"""Double of sd-webui-controlnet scripts/controlnet.py: the "ControlNet" AlwaysVisible script.

``process()`` does what the real controlnet_main_entry does up to the point where it would hook the UNet:
parse units from its args slice (dicts via from_dict), apply the remote-call attributes, check SD-version
compatibility, resolve the model name, choose the input image, crop it with the A1111 mask for "only masked"
inpainting, and build the detected map. Instead of hooking the UNet it records each enabled unit in
``p._cn_double_units`` and ``global_state.double_log``. ``postprocess()`` appends detected maps to
``processed.images`` (unless ``control_net_no_detectmap``) and resets, like the real one.
"""

from __future__ import annotations

from copy import copy
from typing import Any

import cv2
import modules.scripts as scripts
import numpy as np
from internal_controlnet.args import HWC3
from internal_controlnet.external_code import ControlNetUnit
from modules import images, masking, script_callbacks, shared
from modules.processing import (
    StableDiffusionProcessing,
    StableDiffusionProcessingImg2Img,
    StableDiffusionProcessingTxt2Img,
)
from modules.ui_components import Component
from PIL import Image, ImageFilter, ImageOps
from scripts.enums import ResizeMode, StableDiffusionVersion
from scripts.supported_preprocessor import Preprocessor

from scripts import external_code, global_state

version_flag = "v1.1.455"
logger = global_state.logger


def find_closest_lora_model_name(search: str) -> str | None:
    """Exact title, else case-insensitive stem, else the shortest stem containing ``search``."""
    if not search:
        return None
    if search in global_state.cn_models:
        return search
    search = search.lower()
    if search in global_state.cn_models_names:
        return global_state.cn_models_names.get(search)
    applicable = sorted((n for n in global_state.cn_models_names if search in n.lower()), key=len)
    return global_state.cn_models_names[applicable[0]] if applicable else None


def prepare_mask(mask: Image.Image, p: StableDiffusionProcessing) -> Image.Image:
    """L, optional invert, then the same separable Gaussian blur as A1111's img2img init."""
    mask = mask.convert("L")
    if getattr(p, "inpainting_mask_invert", False):
        mask = ImageOps.invert(mask)
    if hasattr(p, "mask_blur_x"):
        if getattr(p, "mask_blur_x", 0) > 0:
            k = 2 * int(2.5 * p.mask_blur_x + 0.5) + 1
            mask = Image.fromarray(cv2.GaussianBlur(np.array(mask), (k, 1), p.mask_blur_x))
        if getattr(p, "mask_blur_y", 0) > 0:
            k = 2 * int(2.5 * p.mask_blur_y + 0.5) + 1
            mask = Image.fromarray(cv2.GaussianBlur(np.array(mask), (1, k), p.mask_blur_y))
    elif getattr(p, "mask_blur", 0) > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(p.mask_blur))
    return mask


def align_dim_latent(x: int) -> int:
    return (x // 8) * 8


class Script(scripts.Script):
    def __init__(self) -> None:
        super().__init__()
        self.latest_network = None
        self.input_image = None
        self.latest_model_hash = ""
        self.enabled_units: list[ControlNetUnit] = []
        self.detected_map: list = []
        self.post_processors: list = []
        self.noise_modifier = None
        self.is_img2img = False

    def title(self):
        return "ControlNet"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        """One state control per unit (default ``ControlNetUnit()``), control_net_unit_count of them."""
        self.is_img2img = is_img2img
        max_models = shared.opts.data.get("control_net_unit_count", 3)
        return tuple(Component(ControlNetUnit(), label=f"ControlNet Unit {i}") for i in range(max_models))

    @staticmethod
    def get_remote_call(p, attribute, default=None, idx=0, strict=False, force=False):
        if not force and not shared.opts.data.get("control_net_allow_script_control", False):
            return default
        value = getattr(p, attribute, None)
        if isinstance(value, list):
            value = value[idx] if idx < len(value) else None
        elif strict and idx != 0:
            value = None
        return value if value is not None else default

    @staticmethod
    def parse_remote_call(p, unit: ControlNetUnit, idx: int) -> ControlNetUnit:
        sel = Script.get_remote_call
        unit.enabled = sel(p, "control_net_enabled", unit.enabled, idx, strict=True)
        for attr, field in (
            ("control_net_module", "module"),
            ("control_net_model", "model"),
            ("control_net_weight", "weight"),
            ("control_net_image", "image"),
            ("control_net_resize_mode", "resize_mode"),
            ("control_net_lowvram", "low_vram"),
            ("control_net_pres", "processor_res"),
            ("control_net_pthr_a", "threshold_a"),
            ("control_net_pthr_b", "threshold_b"),
            ("control_net_guidance_start", "guidance_start"),
            ("control_net_guidance_end", "guidance_end"),
            ("control_net_guidance_strength", "guidance_end"),
            ("control_net_control_mode", "control_mode"),
            ("control_net_pixel_perfect", "pixel_perfect"),
        ):
            setattr(unit, field, sel(p, attr, getattr(unit, field), idx))
        return unit

    @staticmethod
    def get_enabled_units(p) -> list[ControlNetUnit]:
        units = external_code.get_all_units_in_processing(p)
        if len(units) == 0:
            remote_unit = Script.parse_remote_call(p, ControlNetUnit(), 0)
            if remote_unit.enabled:
                units.append(remote_unit)
        enabled = []
        for idx, unit in enumerate(units):
            local_unit = Script.parse_remote_call(p, unit, idx)
            if local_unit.enabled:
                enabled.append(local_unit)
        p.extra_generation_params.update({f"ControlNet {i}": u.serialize() for i, u in enumerate(enabled) if u.enabled})
        return enabled

    @staticmethod
    def choose_input_image(p, unit: ControlNetUnit, idx: int) -> tuple[np.ndarray | list, ResizeMode]:
        """Legacy remote image, then unit.image (+mask), then p.init_images[0] (with the A1111 mask for inpaint)."""

        def from_rgba_to_input(img: np.ndarray) -> np.ndarray:
            if (
                shared.opts.data.get("controlnet_ignore_noninpaint_mask", False)
                or (img[:, :, 3] <= 5).all()
                or (img[:, :, 3] >= 250).all()
            ):
                return img[:, :, :3]
            logger.info("Canvas scribble mode. Using mask scribble as input.")
            return HWC3(img[:, :, 3])

        p_input_image = Script.get_remote_call(p, "control_net_input_image", None, idx)
        image = unit.get_input_images_rgba()
        a1111_image = getattr(p, "init_images", [None])[0]
        resize_mode = unit.resize_mode
        if p_input_image is not None:
            input_image = HWC3(np.asarray(p_input_image))
        elif image is not None:
            input_image = image if (unit.is_inpaint or unit.uses_clip) else [from_rgba_to_input(i) for i in image]
            if len(input_image) == 1:
                input_image = input_image[0]
        elif a1111_image is not None:
            input_image = HWC3(np.asarray(a1111_image))
            resize_mode = external_code.resize_mode_from_value(p.resize_mode)
            a1111_mask_image = getattr(p, "image_mask", None)
            if unit.is_inpaint:
                alpha = (
                    np.array(prepare_mask(a1111_mask_image, p))
                    if a1111_mask_image is not None
                    else np.zeros(input_image.shape[:2], dtype=np.uint8)
                )
                input_image = np.concatenate([input_image[:, :, 0:3], alpha[:, :, None]], axis=2)
        else:
            raise ValueError("controlnet is enabled but no input image is given")
        return input_image, resize_mode

    @staticmethod
    def try_crop_image_with_a1111_mask(
        p, unit: ControlNetUnit, input_image: np.ndarray, resize_mode: ResizeMode
    ) -> np.ndarray:
        """For "only masked" img2img: fit the image to the mask size, crop A1111's region, fit to p.width x height."""
        is_upscale_script = any(
            "upscale" in k.lower() and "Hires" not in k for k in getattr(p, "extra_generation_params", {})
        )
        a1111_mask_image = getattr(p, "image_mask", None)
        only_masked = (
            issubclass(type(p), StableDiffusionProcessingImg2Img)
            and p.inpaint_full_res
            and a1111_mask_image is not None
        )
        if "reference" in unit.module or not only_masked or not (is_upscale_script or unit.inpaint_crop_input_image):
            return input_image
        channels = [Image.fromarray(input_image[:, :, i]) for i in range(input_image.shape[2])]
        mask = prepare_mask(a1111_mask_image, p)
        crop_region = masking.get_crop_region(np.array(mask), p.inpaint_full_res_padding)
        crop_region = masking.expand_crop_region(crop_region, p.width, p.height, mask.width, mask.height)
        channels = [images.resize_image(resize_mode.int_value(), c, mask.width, mask.height) for c in channels]
        channels = [c.crop(crop_region) for c in channels]
        channels = [images.resize_image(ResizeMode.OUTER_FIT.int_value(), c, p.width, p.height) for c in channels]
        return np.stack([np.asarray(c)[:, :, 0] for c in channels], axis=2)

    @staticmethod
    def check_sd_version_compatible(unit: ControlNetUnit) -> None:
        sd_version = global_state.get_sd_version()
        assert sd_version != StableDiffusionVersion.UNKNOWN
        if "revision" in unit.module.lower() and sd_version != StableDiffusionVersion.SDXL:
            raise Exception(f"Preprocessor 'revision' only supports SDXL. Current SD base model is {sd_version}.")
        if unit.model is None or unit.model.lower() == "none":
            return
        cnet_sd_version = StableDiffusionVersion.detect_from_model_name(unit.model)
        if cnet_sd_version == StableDiffusionVersion.UNKNOWN:
            logger.warning(f"Unable to determine version for ControlNet model '{unit.model}'.")
            return
        if not sd_version.is_compatible_with(cnet_sd_version):
            raise Exception(
                f"ControlNet model {unit.model}({cnet_sd_version}) is not compatible with sd model({sd_version})"
            )

    @staticmethod
    def resolve_model(model: str | None) -> str:
        """What build_control_model checks before loading: a model must be chosen and installed."""
        if model is None or model == "None":
            raise RuntimeError("You have not selected any ControlNet Model.")
        if global_state.cn_models.get(model) is None:
            model = find_closest_lora_model_name(model)
        if global_state.cn_models.get(model) is None:
            raise RuntimeError(f"model not found: {model}")
        return model

    @staticmethod
    def get_target_dimensions(p) -> tuple[int, int, int, int]:
        h, w = align_dim_latent(p.height), align_dim_latent(p.width)
        if isinstance(p, StableDiffusionProcessingTxt2Img) and getattr(p, "enable_hr", False):
            if p.hr_resize_x == 0 and p.hr_resize_y == 0:
                return h, w, align_dim_latent(int(p.height * p.hr_scale)), align_dim_latent(int(p.width * p.hr_scale))
            return h, w, align_dim_latent(p.hr_resize_y), align_dim_latent(p.hr_resize_x)
        return h, w, h, w

    def controlnet_main_entry(self, p) -> None:
        self.latest_network = None
        self.enabled_units = Script.get_enabled_units(p)
        if len(self.enabled_units) == 0:
            return
        detected_maps = []
        records: list[dict[str, Any]] = []
        for idx, unit in enumerate(self.enabled_units):
            Script.check_sd_version_compatible(unit)
            if (
                unit.module == "inpaint_only"
                and issubclass(type(p), StableDiffusionProcessingImg2Img)
                and p.image_mask is not None
            ):
                logger.warning(
                    "A1111 inpaint and ControlNet inpaint duplicated. Falls back to inpaint_global_harmonious."
                )
                unit.module = "inpaint"
            preprocessor = Preprocessor.get_preprocessor(unit.module)
            assert preprocessor is not None
            model = None if preprocessor.do_not_need_model else Script.resolve_model(unit.model)
            h, w, hr_y, hr_x = Script.get_target_dimensions(p)
            input_image, resize_mode = Script.choose_input_image(p, unit, idx)
            if not isinstance(input_image, list):
                input_image = np.ascontiguousarray(
                    Script.try_crop_image_with_a1111_mask(p, unit, input_image, resize_mode)
                )
            first = input_image[0] if isinstance(input_image, list) else input_image
            if unit.pixel_perfect:
                unit.processor_res = external_code.pixel_perfect_resolution(
                    first, target_H=h, target_W=w, resize_mode=resize_mode
                )
            detected = Image.fromarray(HWC3(np.asarray(first)[:, :, :3].astype(np.uint8)))
            detected_map = np.asarray(images.resize_image(resize_mode.int_value(), detected, w, h))
            if unit.save_detected_map:
                detected_maps.append((detected_map, unit.module))
            records.append(
                {
                    "index": idx,
                    "unit": unit,
                    "model": model,
                    "input_image": input_image,
                    "resize_mode": resize_mode,
                    "detected_map": detected_map,
                    "target_hw": (h, w),
                    "processing": type(p).__name__,
                    "p": p,
                    "is_img2img": self.is_img2img,
                }
            )
        self.latest_network = records
        self.detected_map = detected_maps
        p._cn_double_units = records
        global_state.double_log.extend(records)

    def process(self, p, *args, **kwargs):
        if getattr(p, "refiner_checkpoint", None) is None:
            self.controlnet_main_entry(p)

    def before_process_batch(self, p, *args, **kwargs):
        self.noise_modifier = None
        if getattr(p, "refiner_checkpoint", None) is not None:
            self.controlnet_main_entry(p)

    def postprocess(self, p, processed, *args):
        self.noise_modifier = None
        self.post_processors = []
        p.controlnet_control_loras = []
        self.enabled_units.clear()
        if self.latest_network is None:
            return
        if not shared.opts.data.get("control_net_no_detectmap", False):
            flags = (", ".join(getattr(processed, "extra_generation_params", []))).lower()
            if "sd upscale" not in flags:
                for detect_map, _module in self.detected_map:
                    if detect_map is not None:
                        processed.images.append(
                            Image.fromarray(
                                external_code.visualize_inpaint_mask(np.ascontiguousarray(copy(detect_map)))
                                .clip(0, 255)
                                .astype(np.uint8)
                            )
                        )
        self.input_image = None
        self.latest_network = None
        self.detected_map = []


def on_ui_settings() -> None:
    section = ("control_net", "ControlNet")
    for key, default, label in [
        ("control_net_unit_count", 3, "Multi-ControlNet: ControlNet unit number (requires restart)"),
        ("control_net_model_cache_size", 2, "Model cache size (requires restart)"),
        ("control_net_no_detectmap", False, "Do not append detectmap to output"),
        ("control_net_allow_script_control", False, "Allow other script to control this extension"),
        ("control_net_models_path", "", "Extra path to scan for ControlNet models (e.g. training output directory)"),
        (
            "controlnet_ignore_noninpaint_mask",
            False,
            "Ignore mask on ControlNet input image if control type is not inpaint",
        ),
    ]:
        shared.opts.add_option(key, shared.OptionInfo(default, label, section=section))


script_callbacks.on_ui_settings(on_ui_settings)
