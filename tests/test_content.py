"""The picture's part of an image: a photo on a plain canvas is found, a photo that fills its frame is left alone."""

import numpy as np
import pytest

from benchmarks.transformed_set import reference
from lib_handrefine.content import content_box
from lib_handrefine.imageio import load_image

from .conftest import HANDS_DIR

REF = reference()


def _pasted(rgb, factor, at, value=235):
    h, w = rgb.shape[:2]
    canvas = np.full((factor * h, factor * w, 3), value, np.uint8)
    canvas[at[1]:at[1] + h, at[0]:at[0] + w] = rgb
    return canvas


@pytest.mark.parametrize(("name", "factor", "at", "value"), [
    ("b01_hagrid_call_a.jpg", 4, (700, 300), 235), ("c05_photo_man_hand_on_head.png", 3, (50, 900), 0),
    ("d01_sd_malformed_1.jpg", 3, (0, 1024), 128),
])
def test_a_photo_on_a_plain_canvas_is_found(name, factor, at, value):
    rgb = load_image(HANDS_DIR / name)
    h, w = rgb.shape[:2]
    box = content_box(_pasted(rgb, factor, at, value))
    assert box is not None
    x0, y0, x1, y1 = box
    # the photo lies inside, with a margin of at most ~10 % of its side plus the sampling step
    assert x0 <= at[0] and y0 <= at[1] and x1 >= at[0] + w and y1 >= at[1] + h
    slack = 0.1 * max(w, h) + factor * max(w, h) / 128 + 2
    assert x0 >= at[0] - slack and y0 >= at[1] - slack and x1 <= at[0] + w + slack and y1 <= at[1] + h + slack


def test_a_photo_with_plain_parts_keeps_its_hand_inside():
    """a05's banana photo has a plain background of its own: the box may leave that out, never the hand."""
    rgb = load_image(HANDS_DIR / "a05_photo_hand_banana_224.jpg")
    box = content_box(_pasted(rgb, 3, (0, 448), 128))
    hand = np.array(REF["a05_photo_hand_banana_224.jpg"]["hands"][0])[:, :2] + (0, 448)
    assert box is not None
    assert box[0] <= hand[:, 0].min() and box[1] <= hand[:, 1].min()
    assert box[2] >= hand[:, 0].max() and box[3] >= hand[:, 1].max()


@pytest.mark.parametrize("name", ["b01_hagrid_call_a.jpg", "c01_photo_fullbody_stretch.jpg",
                                  "c02_photo_business_person.png", "f03_nohand_room.png",
                                  "e01_anime_hand_on_cheek.jpg"])
def test_a_photo_that_fills_its_frame_is_left_alone(name):
    assert content_box(load_image(HANDS_DIR / name)) is None


def test_blank_tiny_and_textured_canvases_are_left_alone():
    assert content_box(np.full((600, 800, 3), 200, np.uint8)) is None
    assert content_box(np.zeros((3, 5, 3), np.uint8)) is None
    rgb = load_image(HANDS_DIR / "b01_hagrid_call_a.jpg")
    noisy = np.random.default_rng(0).integers(0, 255, (1536, 2048, 3)).astype(np.uint8)
    noisy[300:300 + rgb.shape[0], 700:700 + rgb.shape[1]] = rgb
    assert content_box(noisy) is None  # everything is texture: no canvas to leave out
