"""Double of modules/shared.py: the process-wide singletons (opts, cmd_opts, state, sd_model, ...)."""

from __future__ import annotations

import sys

from modules import options, sd_models, shared_cmd_options, shared_options, shared_state, shared_total_tqdm, styles
from modules.paths_internal import (  # noqa: F401
    data_path,
    default_sd_model_file,
    extensions_builtin_dir,
    extensions_dir,
    models_path,
    script_path,
    sd_configs_path,
    sd_default_config,
    sd_model_file,
)

cmd_opts = shared_cmd_options.cmd_opts
parser = shared_cmd_options.parser

batch_cond_uncond = True
parallel_processing_allowed = True
demo = None
device = "cpu"
weight_load_location = None
xformers_available = False
hypernetworks: dict = {}
loaded_hypernetworks: list = []
face_restorers: list = []
interrogator = None
settings_components: dict | None = None
tab_names: list[str] = []
sd_upscalers: list = []
clip_model = None
progress_print_out = sys.stdout
mem_mon = None

latent_upscale_default_mode = "Latent"
latent_upscale_modes = {
    "Latent": {"mode": "bilinear", "antialias": False},
    "Latent (antialiased)": {"mode": "bilinear", "antialias": True},
    "Latent (bicubic)": {"mode": "bicubic", "antialias": False},
    "Latent (bicubic antialiased)": {"mode": "bicubic", "antialias": True},
    "Latent (nearest)": {"mode": "nearest", "antialias": False},
    "Latent (nearest-exact)": {"mode": "nearest-exact", "antialias": False},
}

options_section = options.options_section
OptionInfo = options.OptionInfo
OptionHTML = options.OptionHTML

restricted_opts: set[str] = {
    "samples_filename_pattern",
    "directories_filename_pattern",
    "outdir_samples",
    "outdir_txt2img_samples",
    "outdir_img2img_samples",
    "outdir_grids",
    "outdir_txt2img_grids",
    "outdir_img2img_grids",
    "outdir_save",
    "outdir_init_images",
}
options_templates: dict = shared_options.make_options_templates()
opts: options.Options = options.Options(options_templates, restricted_opts)
state: shared_state.State = shared_state.State()
total_tqdm: shared_total_tqdm.TotalTQDM = shared_total_tqdm.TotalTQDM()
prompt_styles: styles.StyleDatabase = styles.StyleDatabase()
sd_model: sd_models.DoubleSdModel = sd_models.DoubleSdModel()
sd_models.register_checkpoint(sd_model)
