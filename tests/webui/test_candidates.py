"""The after-fix check and best-of-N inside the WebUI double: what the region's pass returns decides what is kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lib_handrefine.webui import state
from lib_handrefine.webui.candidates import is_out_of_memory

from .conftest import args_with, changed, hand_image, harness, runner_for

PHOTO = "a01_photo_thumb_up.jpg"


@pytest.fixture(scope="module")
def clean() -> Image.Image:
    return hand_image(PHOTO)


@pytest.fixture(scope="module")
def grainy(clean) -> Image.Image:
    """The photo with grain: its hand is still found, and the clean photo is a fix that matches it."""
    noise = np.random.default_rng(3).normal(0, 10, (clean.height, clean.width, 3))
    return Image.fromarray(np.clip(np.asarray(clean, float) + noise, 0, 255).astype(np.uint8))


def _noise_in_hand(image: Image.Image, seed: int) -> Image.Image:
    out = np.asarray(image).copy()
    out[60:400, 150:400] = np.random.default_rng(seed).integers(0, 256, out[60:400, 150:400].shape)
    return Image.fromarray(out)


def _shifted(image: Image.Image) -> Image.Image:
    """The same photo moved 200 px: a hand, but not where the one asked for is."""
    out = np.full_like(np.asarray(image), 128)
    out[:, 200:] = np.asarray(image)[:, :-200]
    return Image.fromarray(out)


def _passes_return(monkeypatch, make_candidates) -> list:
    """Every nested HandRefine pass returns make_candidates(p) as its batch; the calls are recorded."""
    from modules import processing

    real = processing.process_images
    calls = []

    def process_images(p):
        result = real(p)
        if state.is_inner(p):
            calls.append((p.batch_size, list(p.all_seeds)))
            result.images[:p.batch_size] = make_candidates(p)
        return result

    monkeypatch.setattr(processing, "process_images", process_images)
    return calls


def _run(runner, image, **settings):
    return harness.run_generation(runner, args_with(runner, **settings), init_images=[image], seed=7, steps=2,
                                  width=512, height=512)


def test_a_real_hand_is_kept(webui, monkeypatch, clean, grainy):
    calls = _passes_return(monkeypatch, lambda p: [clean])
    processed = _run(runner_for(True), grainy)
    assert calls == [(1, [7])]
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(clean))
    info = processed.infotexts[0]
    assert "1/1 region(s) fixed" in info and "hand 1: fixed (match 0.9" in info


def test_noise_is_rejected_and_the_input_comes_back_unchanged(webui, monkeypatch, grainy, capsys):
    _passes_return(monkeypatch, lambda p: [_noise_in_hand(grainy, 1)])
    processed = _run(runner_for(True), grainy)
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(grainy))
    info = processed.infotexts[0]
    assert "0/1 region(s) fixed" in info
    assert "hand 1: fix rejected, no hand found in the result" in info and "original kept" in info
    assert "hand 1: fix rejected, no hand found in the result" in capsys.readouterr().out


def test_always_keeps_even_a_bad_fix(webui, monkeypatch, grainy):
    bad = _noise_in_hand(grainy, 2)
    _passes_return(monkeypatch, lambda p: [bad])
    processed = _run(runner_for(True), grainy, keep_fix="always")
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(bad))
    assert "1/1 region(s) fixed" in processed.infotexts[0]


def test_best_of_n_runs_one_batch_and_keeps_the_best(webui, monkeypatch, clean, grainy):
    calls = _passes_return(monkeypatch, lambda p: [_noise_in_hand(grainy, 4), _shifted(clean), clean])
    processed = _run(runner_for(True), grainy, attempts=3)
    assert calls == [(3, [7, 8, 9])]  # one sampling call, batch size 3, consecutive seeds
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(clean))
    assert webui.job_counts == [1]  # the batch is one job (fix hands only: the skipped main pass is none)


def test_out_of_memory_falls_back_to_one_candidate_at_a_time(webui, monkeypatch, clean, grainy, capsys):
    from modules import processing

    real = processing.process_images
    calls = []

    def process_images(p):
        if state.is_inner(p):
            calls.append((p.batch_size, p.seed))
            if p.batch_size > 1:
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
            result = real(p)
            result.images[0] = clean if p.seed == 8 else _noise_in_hand(grainy, p.seed)
            return result
        return real(p)

    monkeypatch.setattr(processing, "process_images", process_images)
    processed = _run(runner_for(True), grainy, attempts=3)
    assert calls == [(3, 7), (1, 7), (1, 8), (1, 9)]
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(clean))
    assert "running them one by one" in capsys.readouterr().out


def test_out_of_memory_is_recognised():
    assert is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"))
    assert is_out_of_memory(RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate "
                                         "memory: you tried to allocate 1234 bytes"))
    assert not is_out_of_memory(ValueError("bad value"))


def test_only_hands_that_look_wrong(webui, monkeypatch, clean):
    calls = _passes_return(monkeypatch, lambda p: [clean])
    processed = _run(runner_for(True), clean, fix_mode="hands that look wrong", look_wrong_threshold=0.6)
    assert calls == []  # a clean photo's hand looks right: no pass at all
    assert not changed(processed.images[0], clean).any()
    assert "no hands to fix, skipped: 1 looks right" in processed.infotexts[0]
    processed = _run(runner_for(True), clean, fix_mode="every hand")
    assert len(calls) == 1


def test_debug_images_show_each_candidate_with_its_scores(webui, monkeypatch, clean, grainy):
    _passes_return(monkeypatch, lambda p: [_noise_in_hand(grainy, 5), clean])
    processed = _run(runner_for(True), grainy, attempts=2, debug_images=True)
    assert len(processed.images) == 1 + 3 + 2  # the result, depth / mask / overlay, one per candidate
    assert processed.images[-1].height > 256 and processed.images[-2].height > 256
