"""Double of modules/extensions.py (A1111 82a973c): the installed extensions and which of them are active.

`list_extensions` scans extensions-builtin then extensions, and marks an extension enabled unless its folder name is
in opts.disabled_extensions; `active()` also honours --disable-all-extensions / --disable-extra-extensions and the
"Disable all extensions" option. metadata.ini (canonical names, requirements) is not read: the canonical name is the
lower-cased folder name. The builtin folder is read from paths_internal at call time, so Forge mode can point it at
the double's forge/extensions-builtin.
"""

from __future__ import annotations

import os

from modules import paths_internal, shared

extensions: list[Extension] = []
extension_paths: dict[str, Extension] = {}
loaded_extensions: dict[str, Extension] = {}


def active() -> list[Extension]:
    if shared.cmd_opts.disable_all_extensions or shared.opts.disable_all_extensions == "all":
        return []
    elif shared.cmd_opts.disable_extra_extensions or shared.opts.disable_all_extensions == "extra":
        return [x for x in extensions if x.enabled and x.is_builtin]
    else:
        return [x for x in extensions if x.enabled]


class Extension:
    def __init__(self, name: str, path: str, enabled: bool = True, is_builtin: bool = False, metadata=None) -> None:
        self.name = name
        self.path = path
        self.enabled = enabled
        self.status = ""
        self.can_update = False
        self.is_builtin = is_builtin
        self.commit_hash = ""
        self.commit_date = None
        self.version = ""
        self.branch = None
        self.remote = None
        self.have_info_from_repo = False
        self.canonical_name = name.lower().strip()


def list_extensions() -> None:
    extensions.clear()
    extension_paths.clear()
    loaded_extensions.clear()
    for dirname in [paths_internal.extensions_builtin_dir, paths_internal.extensions_dir]:
        if not os.path.isdir(dirname):
            continue
        for extension_dirname in sorted(os.listdir(dirname)):
            path = os.path.join(dirname, extension_dirname)
            if not os.path.isdir(path) or extension_dirname.startswith("__"):
                continue
            canonical_name = extension_dirname.lower().strip()
            if canonical_name in loaded_extensions:
                continue
            is_builtin = dirname == paths_internal.extensions_builtin_dir
            extension = Extension(name=extension_dirname, path=path,
                                  enabled=extension_dirname not in shared.opts.disabled_extensions,
                                  is_builtin=is_builtin)
            extensions.append(extension)
            extension_paths[extension.path] = extension
            loaded_extensions[canonical_name] = extension


def find_extension(filename: str) -> Extension | None:
    parentdir = os.path.dirname(os.path.realpath(filename))
    while parentdir != filename:
        extension = extension_paths.get(parentdir)
        if extension is not None:
            return extension
        filename = parentdir
        parentdir = os.path.dirname(filename)
    return None
