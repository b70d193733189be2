"""The after-fix check: real hands are accepted, noise and a wrong hand are rejected, the best candidate wins."""

from __future__ import annotations

import numpy as np
import pytest

from lib_handrefine.fixcheck import (
    CandidateVerdict,
    HandVerdict,
    best_candidate,
    judge_candidate,
    score_hand,
    whole_image_pass,
)
from lib_handrefine.imageio import load_image

from .conftest import HANDS_DIR


@pytest.fixture(scope="module")
def photo(detector):
    rgb = load_image(HANDS_DIR / "a01_photo_thumb_up.jpg")
    hands = detector.detect(rgb, 0.5, 2, False).hands
    assert len(hands) == 1
    before = [score_hand(rgb, hands[0], detector, whole_image_pass(rgb, detector))]
    return rgb, hands, before


def test_the_real_hand_is_accepted(detector, photo):
    rgb, hands, before = photo
    grain = np.random.default_rng(1).integers(-4, 5, rgb.shape)
    candidate = np.clip(rgb.astype(int) + grain, 0, 255).astype(np.uint8)
    verdict = judge_candidate(0, candidate, hands, before, detector)
    assert verdict.good, verdict.hands[0].reason
    assert verdict.hands[0].match > 0.9
    assert verdict.hands[0].describe(1, kept=True).startswith("hand 1: fixed (match 0.9")


def test_noise_is_rejected(detector, photo):
    rgb, hands, before = photo
    candidate = rgb.copy()
    x0, y0, x1, y1 = hands[0].bbox
    candidate[y0:y1, x0:x1] = np.random.default_rng(2).integers(0, 256, candidate[y0:y1, x0:x1].shape)
    verdict = judge_candidate(0, candidate, hands, before, detector)
    assert not verdict.good
    assert verdict.hands[0].reason == "no hand found in the result"
    assert verdict.hands[0].describe(2, kept=False) == (
        f"hand 2: fix rejected, no hand found in the result (quality {before[0].quality:.2f}); original kept")


def test_a_hand_elsewhere_does_not_match(detector, photo):
    rgb, hands, before = photo
    x0, y0, x1, y1 = hands[0].bbox
    shift = (x1 - x0) // 2 + 20
    candidate = np.full_like(rgb, 128)
    candidate[:, shift:] = rgb[:, :-shift]  # the same hand, moved right by over half its width
    verdict = judge_candidate(0, candidate, hands, before, detector)
    assert not verdict.good
    assert "does not match" in verdict.hands[0].reason or "no hand" in verdict.hands[0].reason


def _verdict(index: int, good: bool, match: float, quality: float) -> CandidateVerdict:
    return CandidateVerdict(index, [HandVerdict(good, "" if good else "x", match, 0.5, quality)])


def test_best_candidate_prefers_good_then_match_then_quality():
    bad_but_close = _verdict(0, False, 0.99, 0.99)
    good_far = _verdict(1, True, 0.7, 0.9)
    good_close = _verdict(2, True, 0.9, 0.6)
    good_close_better = _verdict(3, True, 0.9, 0.8)
    assert best_candidate([bad_but_close, good_far]).index == 1
    assert best_candidate([good_far, good_close, bad_but_close]).index == 2
    assert best_candidate([good_close, good_close_better]).index == 3
    assert best_candidate([]) is None
    assert not CandidateVerdict(4).good  # a region with no judged hand is never good
