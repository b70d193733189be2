"""Double of modules/script_loading.py: load a script file as a module named after its basename."""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType

loaded_scripts: dict[str, ModuleType] = {}


def load_module(path: str) -> ModuleType:
    """Execute ``path`` as module ``os.path.basename(path)`` (e.g. "xyz_grid.py"); NOT put into sys.modules."""
    spec = importlib.util.spec_from_file_location(os.path.basename(path), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    loaded_scripts[path] = module
    return module
