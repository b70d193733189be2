"""Hands from the box model: landmarks fitted inside its boxes, box-only hands and their regions in the plan."""

from __future__ import annotations

import numpy as np
import pytest

from lib_handrefine.box_detector import BoxDetector
from lib_handrefine.box_hands import BoxHand, find_hands
from lib_handrefine.imageio import load_image
from lib_handrefine.plan import build_plan, plan_from_hands
from lib_handrefine.settings import HAND_DETECTORS, HandRefineSettings

from .conftest import HANDS_DIR
from .onnx_models import FixedBoxes, export, letterbox_box

OFFSET = (250, 300)  # where the photo sits in a bigger canvas, so crop, photo and canvas coordinates all differ


@pytest.fixture(scope="module")
def thumb(detector):
    """a01 (one hand) pasted into a grey canvas, and the hand MediaPipe finds in the photo alone."""
    photo = load_image(HANDS_DIR / "a01_photo_thumb_up.jpg")
    [hand] = detector.detect(photo, extra_pass=False).hands
    canvas = np.full((photo.shape[0] + 600, photo.shape[1] + 500, 3), 128, np.uint8)
    x, y = OFFSET
    canvas[y:y + photo.shape[0], x:x + photo.shape[1]] = photo
    return canvas, hand


def test_fit_in_box_returns_landmarks_in_image_coordinates(detector, thumb):
    canvas, hand = thumb
    x0, y0, x1, y1 = hand.bbox
    box = (x0 + OFFSET[0], y0 + OFFSET[1], x1 + OFFSET[0], y1 + OFFSET[1])
    fitted = detector.fit_in_box(canvas, box)
    assert fitted is not None and fitted.source == "fit"
    expected = hand.landmarks[:, :2] + np.array(OFFSET, np.float32)
    error = np.linalg.norm(fitted.landmarks[:, :2] - expected, axis=1)
    assert error.mean() < 0.05 * hand.extent, error  # the same hand, in the canvas's pixels


def test_fit_in_box_finds_nothing_where_there_is_no_hand(detector, thumb):
    canvas, _ = thumb
    h, w = canvas.shape[:2]
    assert detector.fit_in_box(canvas, (w - 200, h - 200, w - 40, h - 40)) is None  # grey canvas corner


@pytest.fixture(scope="module")
def box_model(tmp_path_factory, thumb):
    """A box model reporting the thumb's box and an empty corner of the canvas, at 320 px input."""
    canvas, hand = thumb
    size = (canvas.shape[1], canvas.shape[0])
    x0, y0, x1, y1 = hand.bbox
    on_hand = letterbox_box((x0 + OFFSET[0], y0 + OFFSET[1], x1 + OFFSET[0], y1 + OFFSET[1]), size, 320)
    corner = letterbox_box((size[0] - 200, size[1] - 200, size[0] - 40, size[1] - 40), size, 320)
    path = tmp_path_factory.mktemp("boxes") / "fixed.onnx"
    path.write_bytes(export(FixedBoxes([(*on_hand, 0.8), (*corner, 0.6)]), 320))
    return BoxDetector(path)


def test_anime_detector_alone_fits_one_box_and_keeps_the_other_box_only(detector, thumb, box_model):
    canvas, _ = thumb
    settings = HandRefineSettings(hand_detector=HAND_DETECTORS[2])
    found = find_hands(canvas, settings, detector, box_model)
    assert [h.source for h in found.hands] == ["fit"]
    assert len(found.boxes) == 1 and found.boxes[0].score == pytest.approx(0.6)
    assert "detect" not in found.ms and {"box_detect", "fit"} <= set(found.ms)


def test_both_detectors_do_not_double_a_hand(detector, thumb, box_model):
    canvas, _ = thumb
    settings = HandRefineSettings(hand_detector=HAND_DETECTORS[1], extra_detection_pass=False)
    found = find_hands(canvas, settings, detector, box_model)
    assert [h.source for h in found.hands] == ["full"]  # the box on the hand adds nothing
    assert len(found.boxes) == 1


def test_plan_marks_the_box_only_region(detector, thumb, box_model):
    canvas, _ = thumb
    settings = HandRefineSettings(hand_detector=HAND_DETECTORS[1], extra_detection_pass=False)
    plan = build_plan(canvas, settings, detector, "sd1", box_model)
    assert [r.box_only for r in plan.regions] == [False, True]
    box_region = plan.regions[1]
    assert box_region.hands == [] and box_region.boxes == [0]
    assert not plan.region_depth(1).any()  # nothing for ControlNet to draw from
    summary = plan.summary()
    assert summary["boxes"][0]["source"] == "box" and summary["regions"][1]["box_only"] is True


def test_a_region_mixing_a_box_only_hand_with_a_landmark_hand_is_box_only(make_hand):
    hand = make_hand(wrist=(200.0, 400.0), size=200.0)
    x0, y0, x1, y1 = hand.bbox
    touching = BoxHand((x1 - 20, y0, x1 + 80, y0 + 100), 0.5)
    apart = BoxHand((600, 50, 680, 130), 0.5)
    plan = plan_from_hands([hand], (800, 600), HandRefineSettings(), boxes=[touching, apart])
    assert [(r.hands, r.boxes, r.box_only) for r in plan.regions] == [([0], [0], True), ([], [1], True)]
    assert plan.regions[0].mask[y0 + 10, x0 + 10] == 255 and plan.regions[1].mask[90, 640] == 255


def test_box_only_hands_obey_minimum_size(make_hand):
    plan = plan_from_hands([], (800, 600), HandRefineSettings(min_hand_size=50),
                           boxes=[BoxHand((10, 10, 40, 40), 0.9), BoxHand((100, 100, 200, 200), 0.9)])
    assert [b.box for b in plan.boxes] == [(100, 100, 200, 200)]
    assert plan.skipped == [{"bbox": [10, 10, 40, 40], "reason": "smaller than 50 px"}]


def test_mediapipe_only_needs_no_box_model(detector):
    rgb = load_image(HANDS_DIR / "d01_sd_malformed_1.jpg")
    plan = build_plan(rgb, HandRefineSettings(), detector)
    assert plan.boxes == [] and not any(r.box_only for r in plan.regions)
    with pytest.raises(ValueError, match="no box detector"):
        build_plan(rgb, HandRefineSettings(hand_detector=HAND_DETECTORS[1], extra_detection_pass=False), detector)
