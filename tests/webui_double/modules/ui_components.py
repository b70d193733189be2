"""Double of modules/ui_components.py: gradio-free stand-ins (``value``, ``label``, ``elem_id``, no-op events).

Only use these in tests where gradio is not importable; they are not gradio components.
"""

from __future__ import annotations

from typing import Any


class Component:
    """Minimal stand-in for a gradio component: value/label/elem_id/choices/min/max/step, ``with`` and no-op events."""

    def __init__(self, value: Any = None, **kwargs: Any):
        self.value = value
        self.label = kwargs.pop("label", None)
        self.elem_id = kwargs.pop("elem_id", None)
        self.visible = kwargs.pop("visible", True)
        self.choices = kwargs.pop("choices", None)
        self.minimum = kwargs.pop("minimum", None)
        self.maximum = kwargs.pop("maximum", None)
        self.step = kwargs.pop("step", None)
        self.kwargs = kwargs

    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        return None

    def _event(self, *args: Any, **kwargs: Any) -> None:
        return None

    change = click = release = input = select = upload = clear = edit = submit = then = _event


class FormComponent(Component):
    pass


class ToolButton(FormComponent):
    pass


class ResizeHandleRow(Component):
    pass


class FormRow(FormComponent):
    pass


class FormColumn(FormComponent):
    pass


class FormGroup(FormComponent):
    pass


class FormHTML(FormComponent):
    pass


class FormColorPicker(FormComponent):
    pass


class DropdownMulti(FormComponent):
    pass


class DropdownEditable(FormComponent):
    pass


class InputAccordion(Component):
    """Checkbox whose value says whether the accordion is open; ``with`` returns the checkbox itself."""

    global_index = 0

    def __init__(self, value: bool, **kwargs: Any):
        self.accordion_id = kwargs.get("elem_id") or f"input-accordion-{InputAccordion.global_index}"
        InputAccordion.global_index += 1
        super().__init__(value, **kwargs)
        self.accordion = Component(None, label=kwargs.get("label"), elem_id=self.accordion_id)

    def extra(self) -> Component:
        return Component(None)
