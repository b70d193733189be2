"""The WebUI test double (tests/webui_double) with HandRefine's real script loaded into it."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from ..conftest import HANDS_DIR, MODEL, ROOT

sys.path.insert(0, str(ROOT / "tests" / "webui_double"))

import harness

from lib_handrefine.webui import state

SCRIPT = str(ROOT / "scripts" / "handrefine.py")
MODELS = ["control_sd15_inpaint_depth_hand_fp16 [09456e54]", "control_v11f1p_sd15_depth [cfd03158]"]
NEO_MODELS = ["control_sd15_inpaint_depth_hand_fp16", "control_v11f1p_sd15_depth"]  # Neo lists bare stems


class Inner:
    """Records every nested pass HandRefine starts (processing objects and their results)."""

    def __init__(self) -> None:
        self.passes: list = []
        self.job_counts: list[int] = []  # shared.state.job_count when each nested pass started
        self.cache_slots: list[int] = []  # len(p.cached_c) of each nested pass as it started


def _recording_webui(monkeypatch, flavour: str, models: list[str]):
    harness.reset_webui(flavour=flavour)
    from modules import processing, shared

    shared.opts.data["handrefine_model_path"] = str(MODEL)
    harness.set_controlnet_models(models)
    inner = Inner()
    real = processing.process_images

    def recording(p):
        if state.is_inner(p):
            inner.job_counts.append(shared.state.job_count)
            inner.cache_slots.append(len(p.cached_c))
        result = real(p)
        if state.is_inner(p):
            inner.passes.append((p, result))
        return result

    monkeypatch.setattr(processing, "process_images", recording)
    return inner


@pytest.fixture
def webui(monkeypatch):
    yield _recording_webui(monkeypatch, "a1111", MODELS)


@pytest.fixture
def neo_webui(monkeypatch):
    """Forge Neo: its built-in ControlNet (lib_controlnet) and Neo's processing differences."""
    yield _recording_webui(monkeypatch, "neo", NEO_MODELS)
    harness.reset_webui()  # back to A1111 for the next test


def runner_for(is_img2img: bool):
    return harness.make_runner(is_img2img, [SCRIPT])


def args_with(runner, **settings):
    from lib_handrefine.settings import HandRefineSettings

    args = harness.default_args(runner)
    me = harness.script_of(runner, "HandRefine")
    values = HandRefineSettings().replace(enabled=True, **settings).to_args()
    args[me.args_from:me.args_to] = values
    return args


def hand_image(name: str = "d01_sd_malformed_1.jpg") -> Image.Image:
    return Image.open(HANDS_DIR / name).convert("RGB")


def changed(a: Image.Image, b: Image.Image) -> np.ndarray:
    return np.abs(np.asarray(a, int) - np.asarray(b, int)).sum(axis=2) > 0
