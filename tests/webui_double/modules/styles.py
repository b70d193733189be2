"""Double of modules/styles.py: an in-memory style database (tests add entries to ``styles``)."""

from __future__ import annotations

from typing import NamedTuple


class PromptStyle(NamedTuple):
    name: str
    prompt: str
    negative_prompt: str
    path: str | None = None


def merge_prompts(style_prompt: str, prompt: str) -> str:
    if "{prompt}" in style_prompt:
        return style_prompt.replace("{prompt}", prompt)
    return ", ".join(x for x in (prompt.strip(), style_prompt.strip()) if x)


def apply_styles_to_prompt(prompt: str, styles: list[str]) -> str:
    for style in styles:
        prompt = merge_prompts(style, prompt)
    return prompt


class StyleDatabase:
    def __init__(self) -> None:
        self.no_style = PromptStyle("None", "", "", None)
        self.styles: dict[str, PromptStyle] = {}

    def apply_styles_to_prompt(self, prompt: str, styles: list[str]) -> str:
        return apply_styles_to_prompt(prompt, [self.styles.get(x, self.no_style).prompt for x in styles])

    def apply_negative_styles_to_prompt(self, prompt: str, styles: list[str]) -> str:
        return apply_styles_to_prompt(prompt, [self.styles.get(x, self.no_style).negative_prompt for x in styles])
