"""Double of modules/paths.py (re-exports the path constants; no repository discovery)."""

from modules.paths_internal import (  # noqa: F401
    cwd,
    data_path,
    extensions_builtin_dir,
    extensions_dir,
    models_path,
    script_path,
)
