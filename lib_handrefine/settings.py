"""Every knob of HandRefine in one dataclass: default, valid range, label, help text, short infotext key and
whether it gets an X/Y/Z plot axis.

The same table drives the WebUI controls, the API's positional and named arguments, the X/Y/Z axes (webui/xyz.py
makes one per knob marked `axis`) and the generation-info string. The README's settings table is written by hand;
a test checks that it names every knob with its default.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONTROL_MODES = ("Balanced", "My prompt is more important", "ControlNet is more important")
AUTO_MODEL = "Auto"  # controlnet_model: pick a hand-depth / depth model that fits the checkpoint
NO_MODEL = "None"  # controlnet_model: plain inpainting, no ControlNet
KEEP_FIX_CHOICES = ("if good", "always")
FIX_MODES = ("every hand", "hands that look wrong")
EXTRA_PASS_MODES = ("off", "auto", "thorough")  # see lib_handrefine.search
HAND_DETECTORS = ("MediaPipe", "MediaPipe + anime detector", "anime detector")
BOX_CONFIDENCE = 0.3  # the recommended anime model's best-F1 threshold is 0.264 (its model card); a little stricter
SAME = ""  # empty string = "same as the image" for sampler / prompts
SAME_SAMPLER = "Same as image"  # the sampler dropdown's label for SAME
SAME_SAMPLER_LABELS = (SAME, SAME_SAMPLER, "Use same sampler")  # all read as SAME (the last is A1111's hires label)


class SettingsError(ValueError):
    """A setting is unknown, of the wrong type or out of range. The message names the setting."""


def _knob(default: Any, key: str, label: str, help: str, minimum: float | None = None,
          maximum: float | None = None, step: float | None = None, choices: tuple[str, ...] | None = None,
          axis: bool | str = False, aliases: dict[str, str] | None = None) -> Any:
    """axis: True = an X/Y/Z axis named by the label; a string = an axis with that name instead.
    aliases: older values a choice setting still accepts (e.g. a former bool), lower-case -> choice."""
    meta = {"key": key, "label": label, "help": help, "min": minimum, "max": maximum, "step": step, "choices": choices,
            "axis": (label if axis is True else axis) or None, "aliases": aliases or {}}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class HandRefineSettings:
    """All settings of one hand pass. Field order is the positional order of the API / UI arguments."""

    enabled: bool = _knob(False, "on", "Enable HandRefine", "Detect hands in every output image and repaint them.",
                          axis="Enabled")
    fix_hands_only: bool = _knob(
        True, "only", "Fix hands only (img2img)",
        "img2img: fix the uploaded image's hands without running the normal img2img pass first.")
    controlnet_model: str = _knob(
        AUTO_MODEL, "model", "ControlNet model",
        "Depth ControlNet fed with the rendered hand depth. Auto: a model named *inpaint_depth_hand*, else a depth "
        f"model matching the checkpoint (SD1.5 / SDXL). {NO_MODEL}: plain inpainting.", axis=True)
    control_weight: float = _knob(
        0.55, "weight", "Control weight",
        "Strength of the hand-depth ControlNet. HandRefiner's authors recommend 0.4-0.8; 1.0 loses skin texture.",
        0.0, 2.0, 0.05, axis=True)
    guidance_start: float = _knob(0.0, "start", "Guidance start", "Share of the steps before ControlNet starts.",
                                  0.0, 1.0, 0.01, axis=True)
    guidance_end: float = _knob(1.0, "end", "Guidance end", "Share of the steps after which ControlNet stops.",
                                0.0, 1.0, 0.01, axis=True)
    control_mode: str = _knob(CONTROL_MODES[0], "mode", "Control mode", "ControlNet control mode.",
                              choices=CONTROL_MODES, axis=True)
    denoising_strength: float = _knob(
        0.75, "denoise", "Denoising strength",
        "How much of each hand region is redrawn. Below ~0.5 wrong fingers tend to survive.", 0.0, 1.0, 0.01,
        axis=True)
    mask_padding: int = _knob(
        30, "pad", "Mask padding",
        "Padding around each hand in px at 512 px image scale (scaled with the image); at least 15 % of the "
        "hand's extent is always added, as in HandRefiner.", 0, 256, 1, axis=True)
    mask_blur: int = _knob(4, "blur", "Mask blur", "Feather of the pasted-back region in px.", 0, 64, 1)
    inpaint_padding: int = _knob(
        32, "context", "Inpaint context padding",
        "Context in px around the mask that the 'only masked' crop takes in.", 0, 256, 1)
    inpaint_resolution: int = _knob(
        0, "res", "Inpaint resolution",
        "Size of each region's inpaint pass: as many pixels as a square of this side, shaped like the region "
        "(512: 512x512, or 704x384 for a wide region). 0: the model's native size (512 SD1.5, 1024 SDXL).",
        0, 2048, 64, axis=True)
    detect_confidence: float = _knob(
        0.5, "conf", "Detection confidence", "Minimum MediaPipe hand detection confidence.", 0.05, 1.0, 0.01,
        axis=True)
    max_hands: int = _knob(8, "max", "Maximum hands", "Most hands fixed per image (the most confident first).",
                           1, 64, 1)
    # was a bool (True/False): the slot and key stay, so old API calls and infotexts read as auto/off
    extra_detection_pass: str = _knob(
        "auto", "extra", "Extra detection pass",
        "off: one whole-image pass. auto: zoomed passes where the image or the hands found call for them (small "
        "hands, many people, grayscale, noisy, dark, blurred or high-contrast images). thorough: always search down to "
        "the smallest fixable hand (slower). Every candidate box passes a hand-or-not check.",
        choices=EXTRA_PASS_MODES, aliases={"1": "auto", "true": "auto", "yes": "auto", "on": "auto", "0": "off",
                                           "false": "off", "no": "off"})
    min_hand_size: int = _knob(
        0, "minsize", "Minimum hand size",
        "Skip hands whose longer side is below this many px (0: keep all; hands below ~60 px get a warning).",
        0, 1024, 1)
    steps: int = _knob(0, "steps", "Steps", "Sampling steps of the hand pass. 0: same as the image.", 0, 150, 1)
    cfg_scale: float = _knob(0.0, "cfg", "CFG scale", "CFG scale of the hand pass. 0: same as the image.",
                             0.0, 30.0, 0.5)
    sampler: str = _knob(SAME, "sampler", "Sampler",
                         f"Sampler of the hand pass. Empty or {SAME_SAMPLER!r}: same as the image.")
    prompt: str = _knob(SAME, "prompt", "Prompt", "Prompt of the hand pass. Empty: the image's own prompt.")
    negative_prompt: str = _knob(SAME, "neg", "Negative prompt",
                                 "Negative prompt of the hand pass. Empty: the image's own.")
    seed: int = _knob(-1, "seed", "Seed",
                      "Seed of the hand pass. -1: the image's seed. Each region adds its index.", -1, 2**32 - 1, 1)
    debug_images: bool = _knob(False, "debug", "Show debug images",
                               "Add the depth map, mask and detection overlay to the gallery.")
    sequential_expansion: bool = _knob(
        False, "seq", "Sequential mask expansion",
        "Blend seams like 'Giving a Hand to Diffusion Models': the context is kept in a ring inside the mask at "
        "first and released step by step down to the real mask; the hand itself is free from the first step.",
        axis=True)
    expansion_ring: int = _knob(32, "ring", "Expansion ring width",
                                "Width in px (of the inpaint pass) of the kept ring at the first step.", 0, 256, 1)
    expansion_release: float = _knob(0.6, "release", "Expansion release share",
                                     "Share of the masked steps over which the ring is released.", 0.05, 1.0, 0.05)
    expansion_free_steps: int = _knob(2, "free", "Unmasked final steps",
                                      "Last steps that run with no mask at all (the paper uses 2).", 0, 10, 1)
    keep_fix: str = _knob(
        KEEP_FIX_CHOICES[0], "keep", "Keep the fix",
        "if good: each hand is detected again after its pass; a fix with no hand, a hand that does not match the "
        "one asked for, or a worse-looking hand is dropped and the original pixels stay. always: keep every fix.",
        choices=KEEP_FIX_CHOICES, axis=True)
    attempts: int = _knob(
        1, "attempts", "Attempts per region",
        "Candidates per region, with consecutive seeds in one batch; the best good one is kept.", 1, 8, 1,
        axis=True)
    fix_mode: str = _knob(
        FIX_MODES[0], "fix", "Fix",
        "every hand, or only hands whose quality score on the original is below the threshold.", choices=FIX_MODES,
        axis=True)
    look_wrong_threshold: float = _knob(
        0.6, "wrong", "Looks-wrong threshold",
        "With 'hands that look wrong': fix hands whose quality (detection confidence and anatomical plausibility, "
        "0..1) is below this.", 0.0, 1.0, 0.01, axis=True)
    hand_detector: str = _knob(
        HAND_DETECTORS[0], "detector", "Hand detector",
        "MediaPipe finds photo-like hands. The anime detector (a YOLOv8 box model) also finds anime, illustrated "
        "and 3D-rendered hands; each of its boxes gets MediaPipe landmarks fitted on a zoomed crop, and a box where "
        "none fit is repainted without ControlNet. It downloads a 12 MB model on first use.", choices=HAND_DETECTORS,
        axis=True)
    detector_model: str = _knob(
        "", "detmodel", "Detector model file",
        "A YOLOv8-style ONNX hand detector for the anime detector. Empty: the recommended model "
        "(deepghs anime_hand_detection v1.0 n), downloaded into models/handrefine/ on first use.")
    detector_confidence: float = _knob(
        BOX_CONFIDENCE, "detconf", "Anime detector confidence",
        "Minimum box score of the anime detector. Lower finds more hands, and more boxes that are not hands.",
        0.05, 1.0, 0.01, axis=True)

    @property
    def uses_mediapipe_pass(self) -> bool:
        """MediaPipe searches the whole image (otherwise it only fits landmarks inside the box model's boxes)."""
        return self.hand_detector != HAND_DETECTORS[2]

    @property
    def uses_box_detector(self) -> bool:
        return self.hand_detector != HAND_DETECTORS[0]

    def __post_init__(self) -> None:
        if self.sampler in SAME_SAMPLER_LABELS:
            object.__setattr__(self, "sampler", SAME)  # the dropdown's label and the API's "" mean the same
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(f.default, float) and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))  # 1 -> 1.0, so equality and infotext are stable
            elif f.metadata["aliases"] and str(value).strip().lower() in f.metadata["aliases"]:
                object.__setattr__(self, f.name, f.metadata["aliases"][str(value).strip().lower()])  # True -> "auto"
            _check(f, getattr(self, f.name))
        if self.guidance_start > self.guidance_end:
            raise SettingsError(
                f"guidance_start ({self.guidance_start}) must not be greater than guidance_end ({self.guidance_end})")

    # ----- construction from the forms the WebUI and its API deliver -----
    @classmethod
    def from_any(cls, value: Any) -> HandRefineSettings:
        """Settings from a HandRefineSettings, a dict of named values, positional values, or positional values
        whose dict elements carry named values (the API's `{"args": [true, {"control_weight": 0.7}]}`)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            # values keep their slots; a dict in any slot carries named values (the API's one-dict form, where the
            # WebUI fills the other slots with the controls' defaults) and wins over positional ones
            names = field_names()
            if len(value) > len(names):
                raise SettingsError(f"too many positional HandRefine arguments: {len(value)} > {len(names)}")
            values = {names[i]: v for i, v in enumerate(value) if not isinstance(v, Mapping)}
            for v in value:
                if isinstance(v, Mapping):
                    values.update(v)
            return cls.from_dict(values)
        raise SettingsError(f"cannot read HandRefine settings from {type(value).__name__}")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> HandRefineSettings:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise SettingsError(f"unknown HandRefine setting(s) {', '.join(unknown)}; valid: {', '.join(fields)}")
        return cls(**{name: _coerce(fields[name], v) for name, v in values.items() if v is not None})

    def replace(self, **changes: Any) -> HandRefineSettings:
        return HandRefineSettings.from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_args(self) -> list[Any]:
        return [getattr(self, n) for n in field_names()]

    # ----- compact, round-trippable generation-info form -----
    def to_infotext(self) -> str:
        """`weight=0.55 start=0 ... prompt="a hand"`: every setting but `enabled`; strings JSON-quoted."""
        parts = []
        for f in dataclasses.fields(self):
            if f.name == "enabled":
                continue
            parts.append(f"{f.metadata['key']}={_format_value(getattr(self, f.name))}")
        return " ".join(parts)

    @classmethod
    def from_infotext(cls, text: str, enabled: bool = True) -> HandRefineSettings:
        by_key = {f.metadata["key"]: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {"enabled": enabled}
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise SettingsError(f"cannot parse HandRefine infotext near {text[pos:pos + 30]!r}")
            key, raw = m.group(1), m.group(2)
            if key not in by_key:
                raise SettingsError(f"unknown HandRefine infotext key {key!r}")
            f = by_key[key]
            values[f.name] = json.loads(raw) if raw.startswith('"') else raw
            pos = m.end()
        return cls.from_dict(values)


_TOKEN = re.compile(r'\s*(\w+)=("(?:[^"\\]|\\.)*"|\S+)\s*')


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(HandRefineSettings)]


def knob(name: str) -> dataclasses.Field:
    for f in dataclasses.fields(HandRefineSettings):
        if f.name == name:
            return f
    raise SettingsError(f"unknown HandRefine setting {name!r}")


def _format_value(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _coerce(f: dataclasses.Field, v: Any) -> Any:
    kind = type(f.default)
    try:
        if kind is bool:
            if isinstance(v, str):
                low = v.strip().lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off", ""):
                    return False
                raise ValueError(v)
            if isinstance(v, (int, float)) and v in (0, 1):
                return bool(v)
            if isinstance(v, bool):
                return v
            raise ValueError(v)
        if kind is int:
            if isinstance(v, bool):
                raise ValueError(v)
            number = float(v)
            if not math.isfinite(number) or number != int(number):
                raise ValueError(v)
            return int(number)
        if kind is float:
            if isinstance(v, bool):
                raise ValueError(v)
            number = float(v)
            if not math.isfinite(number):  # nan / inf pass every range check and make invalid JSON
                raise SettingsError(f"{f.name} must be a finite number, got {v!r}")
            return number
        if kind is str:
            alias = f.metadata["aliases"].get(str(v).strip().lower())
            if alias is not None:
                return alias
            return "" if v is None else str(v)
    except SettingsError:
        raise
    except (TypeError, ValueError, OverflowError):
        raise SettingsError(f"{f.name} must be a {kind.__name__}, got {v!r}") from None
    return v


def _check(f: dataclasses.Field, v: Any) -> None:
    kind = type(f.default)
    if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
        raise SettingsError(f"{f.name} must be a {kind.__name__}, got {v!r}")
    if kind is float and not math.isfinite(v):
        raise SettingsError(f"{f.name} must be a finite number, got {v!r}")
    lo, hi, choices = f.metadata["min"], f.metadata["max"], f.metadata["choices"]
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise SettingsError(f"{f.name} must be between {lo:g} and {hi:g}, got {v!r}")
    if choices and v not in choices:
        raise SettingsError(f"{f.name} must be one of {', '.join(choices)}; got {v!r}")

