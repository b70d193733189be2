"""Double of sd-webui-controlnet scripts/supported_preprocessor.py: a name/label registry, no models.

Every preprocessor is an identity map (the input image is the detected map). The default list holds the names
HandRefine-like code uses; tests can call ``Preprocessor.register(...)`` for more.
No ``from __future__ import annotations`` here: A1111 also loads this file as a script module that is not in
sys.modules, and dataclasses would then fail to resolve string annotations.
"""

from dataclasses import dataclass, field
from typing import ClassVar, Optional


@dataclass
class PreprocessorParameter:
    label: str = "EMPTY_LABEL"
    minimum: float = 0.0
    maximum: float = 1.0
    step: float = 0.01
    value: float = 0.5
    visible: bool = True


@dataclass
class Preprocessor:
    name: str
    _label: Optional[str] = None  # noqa: UP045
    tags: list[str] = field(default_factory=list)
    do_not_need_model: bool = False
    returns_image: bool = True
    sorting_priority: int = 0
    slider_resolution: PreprocessorParameter = field(
        default_factory=lambda: PreprocessorParameter(label="Resolution", minimum=64, maximum=2048, value=512, step=8)
    )

    all_processors: ClassVar[dict] = {}
    all_processors_by_name: ClassVar[dict] = {}

    @property
    def label(self) -> str:
        return self._label if self._label is not None else self.name

    @classmethod
    def register(cls, p: "Preprocessor") -> "Preprocessor":
        cls.all_processors[p.label] = p
        cls.all_processors_by_name[p.name] = p
        return p

    @classmethod
    def get_preprocessor(cls, name: str) -> "Preprocessor | None":
        return cls.all_processors.get(name, cls.all_processors_by_name.get(name, None))

    @classmethod
    def get_sorted_preprocessors(cls) -> "list[Preprocessor]":
        rest = [p for k, p in cls.all_processors.items() if k != "none"]
        return [
            cls.all_processors["none"],
            *sorted(rest, key=lambda x: str(x.sorting_priority).zfill(8) + x.label, reverse=True),
        ]


def register_default_preprocessors() -> None:
    Preprocessor.all_processors.clear()
    Preprocessor.all_processors_by_name.clear()
    for name, label, tags, model_free in [
        ("none", None, [], False),
        ("invert", "invert (from white bg & black line)", [], False),
        ("depth_midas", None, ["Depth"], False),
        ("depth_zoe", None, ["Depth"], False),
        ("depth_leres", None, ["Depth"], False),
        ("depth_anything", None, ["Depth"], False),
        ("depth_hand_refiner", None, ["Depth"], False),
        ("canny", None, ["Canny"], False),
        ("openpose_full", None, ["OpenPose"], False),
        ("inpaint_global_harmonious", None, ["Inpaint"], False),
        ("inpaint_only", None, ["Inpaint"], False),
        ("inpaint_only+lama", None, ["Inpaint"], False),
        ("reference_only", None, ["Reference"], True),
        ("tile_resample", None, ["Tile"], False),
    ]:
        Preprocessor.register(Preprocessor(name, label, tags, do_not_need_model=model_free))


register_default_preprocessors()
