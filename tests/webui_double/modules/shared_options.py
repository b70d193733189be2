"""Double of modules/shared_options.py: only the options the processing double and extensions read.

Defaults are the v1.10.1 defaults. Component/UI arguments are dropped (no gradio).
"""

from __future__ import annotations

import os

from modules.options import OptionInfo, options_section
from modules.paths_internal import default_output_dir

_DEFAULTS: dict[tuple[str, str], dict[str, object]] = {
    ("saving-images", "Saving images/grids"): {
        "samples_save": True,
        "samples_format": "png",
        "grid_save": True,
        "grid_format": "png",
        "grid_extended_filename": False,
        "grid_only_if_multiple": True,
        "grid_prevent_empty_spots": False,
        "n_rows": -1,
        "grid_background_color": "#ffffff",
        "enable_pnginfo": True,
        "save_images_before_face_restoration": False,
        "save_images_before_highres_fix": False,
        "save_images_before_color_correction": False,
        "save_mask": False,
        "save_mask_composite": False,
        "jpeg_quality": 80,
        "img_max_size_mp": 200,
        "save_init_img": False,
        "save_incomplete_images": False,
    },
    ("saving-paths", "Paths for saving"): {
        "outdir_samples": "",
        "outdir_txt2img_samples": os.path.join(default_output_dir, "txt2img-images"),
        "outdir_img2img_samples": os.path.join(default_output_dir, "img2img-images"),
        "outdir_grids": "",
        "outdir_txt2img_grids": os.path.join(default_output_dir, "txt2img-grids"),
        "outdir_img2img_grids": os.path.join(default_output_dir, "img2img-grids"),
        "outdir_init_images": os.path.join(default_output_dir, "init-images"),
    },
    ("face-restoration", "Face restoration"): {"face_restoration": False, "face_restoration_model": "CodeFormer"},
    ("system", "System"): {"multiple_tqdm": True, "enable_console_prompts": False, "samples_log_stdout": False},
    ("sd", "Stable Diffusion"): {
        "sd_model_checkpoint": None,
        "sd_checkpoint_hash": "",
        "CLIP_stop_at_last_layers": 1,
        "randn_source": "GPU",
        "tiling": False,
        "emphasis": "Original",
        "sdxl_crop_top": 0,
        "sdxl_crop_left": 0,
    },
    ("vae", "VAE"): {
        "sd_vae": "Automatic",
        "sd_vae_encode_method": "Full",
        "sd_vae_decode_method": "Full",
        "auto_vae_precision": True,
        "auto_vae_precision_bfloat16": False,
    },
    ("img2img", "img2img"): {
        "inpainting_mask_weight": 1.0,
        "initial_noise_multiplier": 1.0,
        "img2img_extra_noise": 0.0,
        "img2img_color_correction": False,
        "img2img_fix_steps": False,
        "img2img_background_color": "#ffffff",
        "return_mask": False,
        "return_mask_composite": False,
        "overlay_inpaint": True,
    },
    ("optimizations", "Optimizations"): {
        "s_min_uncond": 0.0,
        "s_min_uncond_all": False,
        "token_merging_ratio": 0.0,
        "token_merging_ratio_img2img": 0.0,
        "token_merging_ratio_hr": 0.0,
        "pad_cond_uncond": False,
        "pad_cond_uncond_v0": False,
        "persistent_cond_cache": True,
        "batch_cond_uncond": True,
        "fp8_storage": "Disable",
        "cache_fp16_weight": False,
    },
    ("compatibility", "Compatibility"): {
        "use_old_hires_fix_width_height": False,
        "hires_fix_use_firstpass_conds": False,
        "use_old_scheduling": False,
        "refiner_switch_by_sample_steps": False,
    },
    ("infotext", "Infotext"): {
        "add_model_name_to_info": True,
        "add_model_hash_to_info": True,
        "add_vae_name_to_info": True,
        "add_vae_hash_to_info": True,
        "add_user_name_to_info": False,
        "add_version_to_infotext": True,
        "infotext_skip_pasting": [],
        "infotext_styles": "Apply if any",
    },
    ("ui", "User interface"): {
        "return_grid": True,
        "do_not_show_images": False,
        "samplers_in_dropdown": True,
        "disabled_extensions": [],
        "disable_all_extensions": "none",
    },
    ("ui_alternatives", "Live previews"): {
        "live_previews_enable": True,
        "live_previews_image_format": "png",
        "show_progress_grid": True,
        "show_progress_every_n_steps": 10,
        "show_progress_type": "Approx NN",
        "live_preview_content": "Prompt",
    },
    ("sampler-params", "Sampler parameters"): {
        "hide_samplers": [],
        "eta_ddim": 0.0,
        "eta_ancestral": 1.0,
        "ddim_discretize": "uniform",
        "s_churn": 0.0,
        "s_tmin": 0.0,
        "s_tmax": 0.0,
        "s_noise": 1.0,
        "eta_noise_seed_delta": 0,
        "always_discard_next_to_last_sigma": False,
        "skip_early_cond": 0.0,
        "sigma_min": 0.0,
        "sigma_max": 0.0,
        "rho": 0.0,
    },
    ("upscaling", "Upscaling"): {"upscaler_for_img2img": None},
}


def make_options_templates() -> dict[str, OptionInfo]:
    """A fresh ``options_templates`` dict (OptionInfo objects are mutable, so one set per reset)."""
    templates: dict[str, OptionInfo] = {}
    for section, values in _DEFAULTS.items():
        templates.update(options_section(section, {k: OptionInfo(v, k) for k, v in values.items()}))
    return templates
