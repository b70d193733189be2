"""Anatomical plausibility: real hands score high, broken skeletons low."""

from __future__ import annotations

import numpy as np
import pytest

from lib_handrefine.anatomy import assess, plausibility
from lib_handrefine.imageio import load_image

from .conftest import HANDS_DIR


@pytest.fixture(scope="module")
def real_hand(detector):
    hands = detector.detect(load_image(HANDS_DIR / "a01_photo_thumb_up.jpg"), 0.5, 2, False).hands
    assert hands, "a01 must show a hand"
    return hands[0].world_landmarks.astype(np.float64)


@pytest.mark.parametrize("name", ["a04_photo_hand_icecream_224.jpg", "b03_hagrid_four_a.jpg",
                                  "c01_photo_fullbody_stretch.jpg", "d02_sd_malformed_2.jpg"])
def test_real_hands_are_plausible(detector, name):
    hands = detector.detect(load_image(HANDS_DIR / name), 0.5, 4, False).hands
    assert hands
    assert max(plausibility(h.world_landmarks) for h in hands) > 0.8


def test_long_thumb_costs_proportions(real_hand):
    broken = real_hand.copy()
    broken[2:5] = broken[1] + (broken[2:5] - broken[1]) * 3.0  # a thumb three times too long
    assert assess(broken).proportions < 0.5 * assess(real_hand).proportions


def test_finger_folded_back_costs_joints(real_hand):
    broken = real_hand.copy()
    broken[8] = broken[6]  # index tip folded straight back onto its middle bone (a 180 degree joint)
    assert assess(broken).joints < 0.5
    assert assess(real_hand).joints > 0.9


def test_knuckles_out_of_order_cost_palm(real_hand):
    broken = real_hand.copy()
    broken[[5, 17]] = broken[[17, 5]]  # index and pinky knuckles swapped
    assert assess(broken).palm < 0.6 * assess(real_hand).palm


def test_degenerate_input_scores_zero():
    assert plausibility(np.zeros((21, 3))) == 0.0
    assert plausibility(np.full((21, 3), np.nan)) == 0.0
    assert plausibility(np.zeros((5, 3))) == 0.0
