"""Double of modules/options.py: OptionInfo, options_section and the Options store behind ``shared.opts``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modules import errors
from modules.shared_cmd_options import cmd_opts


class OptionInfo:
    """Same constructor signature as A1111's OptionInfo (options.py:13)."""

    def __init__(
        self,
        default=None,
        label="",
        component=None,
        component_args=None,
        onchange=None,
        section=None,
        refresh=None,
        comment_before="",
        comment_after="",
        infotext=None,
        restrict_api=False,
        category_id=None,
    ):
        self.default = default
        self.label = label
        self.component = component
        self.component_args = component_args
        self.onchange = onchange
        self.section = section
        self.category_id = category_id
        self.refresh = refresh
        self.do_not_save = False
        self.comment_before = comment_before
        self.comment_after = comment_after
        self.infotext = infotext
        self.restrict_api = restrict_api

    def link(self, label: str, url: str) -> OptionInfo:
        self.comment_before += f"[<a href='{url}' target='_blank'>{label}</a>]"
        return self

    def js(self, label: str, js_func: str) -> OptionInfo:
        self.comment_before += f"[<a onclick='{js_func}(); return false'>{label}</a>]"
        return self

    def info(self, info: str) -> OptionInfo:
        self.comment_after += f"<span class='info'>({info})</span>"
        return self

    def html(self, html: str) -> OptionInfo:
        self.comment_after += html
        return self

    def needs_restart(self) -> OptionInfo:
        self.comment_after += " <span class='info'>(requires restart)</span>"
        return self

    def needs_reload_ui(self) -> OptionInfo:
        self.comment_after += " <span class='info'>(requires Reload UI)</span>"
        return self


class OptionHTML(OptionInfo):
    def __init__(self, text: str):
        super().__init__(str(text).strip(), label="", component=None)
        self.do_not_save = True


def options_section(section_identifier: tuple, options_dict: dict[str, OptionInfo]) -> dict[str, OptionInfo]:
    """Tag every OptionInfo with ``(id, label)`` and, for a 3-tuple, the category id."""
    for info in options_dict.values():
        info.section = tuple(section_identifier[:2])
        if len(section_identifier) == 3:
            info.category_id = section_identifier[2]
    return options_dict


_BUILTIN_FIELDS = {"data_labels", "data", "restricted_opts", "typemap"}


class Options:
    """Attribute view over ``self.data`` with defaults from ``self.data_labels`` (like A1111 options.Options)."""

    typemap = {int: float}  # noqa: RUF012

    def __init__(self, data_labels: dict[str, OptionInfo], restricted_opts: set[str]):
        self.data_labels = data_labels
        self.data = {k: v.default for k, v in data_labels.items() if not v.do_not_save}
        self.restricted_opts = restricted_opts

    def __setattr__(self, key: str, value: Any) -> None:
        if key in _BUILTIN_FIELDS:
            return super().__setattr__(key, value)
        if self.data is not None and (key in self.data or key in self.data_labels):
            assert not cmd_opts.freeze_settings, "changing settings is disabled"
            info = self.data_labels.get(key)
            if info is not None and info.do_not_save:
                return None
            if (
                info is not None
                and isinstance(info.component_args, dict)
                and info.component_args.get("visible", True) is False
            ):
                raise RuntimeError(f"not possible to set '{key}' because it is restricted")
            if cmd_opts.hide_ui_dir_config and key in self.restricted_opts:
                raise RuntimeError(f"not possible to set '{key}' because it is restricted with --hide_ui_dir_config")
            self.data[key] = value
            return None
        return super().__setattr__(key, value)

    def __getattr__(self, item: str) -> Any:
        if item in _BUILTIN_FIELDS:
            return super().__getattribute__(item)
        if self.data is not None and item in self.data:
            return self.data[item]
        if item in self.data_labels:
            return self.data_labels[item].default
        return super().__getattribute__(item)

    def set(self, key: str, value: Any, is_api: bool = False, run_callbacks: bool = True) -> bool:
        """Set an option; KeyError for unknown keys, onchange errors are displayed and rolled back (as in A1111)."""
        oldval = self.data.get(key, None)
        if oldval == value:
            return False
        option = self.data_labels[key]
        if option.do_not_save or (is_api and option.restrict_api):
            return False
        try:
            setattr(self, key, value)
        except RuntimeError:
            return False
        if run_callbacks and option.onchange is not None:
            try:
                option.onchange()
            except Exception as e:
                errors.display(e, f"changing setting {key} to {value}")
                setattr(self, key, oldval)
                return False
        return True

    def get_default(self, key: str) -> Any:
        info = self.data_labels.get(key)
        return None if info is None else info.default

    def add_option(self, key: str, info: OptionInfo) -> None:
        self.data_labels[key] = info
        if key not in self.data and not info.do_not_save:
            self.data[key] = info.default

    def onchange(self, key: str, func: Callable[[], None], call: bool = True) -> None:
        self.data_labels[key].onchange = func
        if call:
            func()

    def same_type(self, x: Any, y: Any) -> bool:
        if x is None or y is None:
            return True
        return self.typemap.get(type(x), type(x)) == self.typemap.get(type(y), type(y))

    def cast_value(self, key: str, value: Any) -> Any:
        if value is None:
            return None
        default_value = self.data_labels[key].default
        if default_value is None:
            default_value = getattr(self, key, None)
        if default_value is None:
            return None
        expected_type = type(default_value)
        if expected_type is bool and value == "False":
            return False
        return expected_type(value)
