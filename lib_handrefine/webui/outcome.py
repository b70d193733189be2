"""What fixing one image came to, and the deliberate no-op that any step may end it with."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


@dataclass
class Outcome:
    image: Image.Image
    summary: str  # one line for the console and the generation info
    changed: bool = False
    debug: list[tuple[str, Image.Image]] = field(default_factory=list)


class SkipImage(Exception):
    """A deliberate no-op (e.g. no suitable ControlNet and the settings say skip); the message says why."""
