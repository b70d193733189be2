"""Double of modules/shared_cmd_options.py: ``cmd_opts`` is a plain argparse Namespace tests may edit."""

from __future__ import annotations

import argparse

# Defaults of the flags the double (and typical extensions) read; any attribute can be added by tests.
CMD_DEFAULTS: dict[str, object] = {
    "api": False,
    "nowebui": False,
    "no_prompt_history": False,
    "embeddings_dir": "",
    "disable_nan_check": False,
    "freeze_settings": False,
    "freeze_settings_in_sections": None,
    "freeze_specific_settings": None,
    "hide_ui_dir_config": False,
    "use_textbox_seed": False,
    "enable_console_prompts": False,
    "unix_filenames_sanitization": False,
    "filenames_max_length": 128,
    "skip_install": False,
    "lowvram": False,
    "medvram": False,
    "no_half": False,
    "no_half_vae": False,
    "use_cpu": [],
    "ckpt": None,
    "data_dir": None,
    "controlnet_dir": None,
    "controlnet_tracemalloc": False,
    "disable_all_extensions": False,
    "disable_extra_extensions": False,
}

parser = argparse.ArgumentParser(add_help=False)
cmd_opts = argparse.Namespace(**CMD_DEFAULTS)


def reset_cmd_opts() -> None:
    """Restore ``cmd_opts`` in place (other modules keep references to the same Namespace)."""
    vars(cmd_opts).clear()
    vars(cmd_opts).update(CMD_DEFAULTS)
