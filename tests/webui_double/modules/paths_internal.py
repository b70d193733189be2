"""Double of modules/paths_internal.py: directory layout of the (fake) webui install.

The double's root (tests/webui_double) plays the webui root; user data goes to a temporary directory so that
runs never write into the repository.
"""

from __future__ import annotations

import os
import tempfile

modules_path = os.path.dirname(os.path.realpath(__file__))
script_path = os.path.dirname(modules_path)

data_path = os.environ.get("WEBUI_DOUBLE_DATA_DIR") or tempfile.mkdtemp(prefix="webui-double-data-")
models_path = os.path.join(data_path, "models")
extensions_dir = os.path.join(script_path, "extensions")
extensions_builtin_dir = os.path.join(script_path, "extensions-builtin")
default_output_dir = os.path.join(data_path, "outputs")
sd_configs_path = os.path.join(script_path, "configs")
sd_default_config = os.path.join(sd_configs_path, "v1-inference.yaml")
sd_model_file = os.path.join(script_path, "model.ckpt")
default_sd_model_file = sd_model_file
cwd = os.getcwd()
