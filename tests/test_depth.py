import cv2
import numpy as np
import pytest

from lib_handrefine.depth import FAR, NEAR, depth_to_rgb, hand_points_3d, normalise, render_depth, render_hand
from lib_handrefine.imageio import load_image

from .conftest import HANDS_DIR


def _finger_count(values: np.ndarray, hand_pts: np.ndarray, box, palm: float) -> int:
    """Components left of the silhouette once the palm (wrist + knuckles hull, grown by the rim) is cut away."""
    sil = (values > 0).astype(np.uint8)
    cut = np.zeros_like(sil)
    hull = cv2.convexHull(np.round(hand_pts[[0, 1, 5, 9, 13, 17], :2] - box[:2]).astype(np.int32))
    cv2.fillConvexPoly(cut, hull, 1)
    grow = int(0.45 * palm) | 1
    cut = cv2.dilate(cut, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    n, _ = cv2.connectedComponents(sil * (1 - cut))
    return n - 1


def test_invariants_on_a_synthetic_hand(make_hand):
    hand = make_hand(wrist=(300, 450), size=260)
    depth, renders = render_depth([hand], (640, 520))
    assert depth.shape == (520, 640) and depth.dtype == np.uint8
    inside = depth[depth > 0]
    assert inside.min() >= FAR and inside.max() == NEAR
    assert depth[0, 0] == 0 and (depth == 0).mean() > 0.5  # background exactly 0 and most of the frame
    assert renders[0] is not None and renders[0].values.max() == NEAR


def test_exactly_five_fingers_even_when_landmarks_collapse(make_hand):
    hand = make_hand(wrist=(300, 450), size=300, spread=1.6)
    r = render_hand(hand, (640, 520))
    pts, palm, _ = hand_points_3d(hand)
    assert _finger_count(r.values, pts, r.box, palm) == 5
    # a malformed hand: MediaPipe squeezed the middle and ring fingers into the palm
    squeezed = hand.landmarks.copy()
    for tip_chain in ((9, 10, 11, 12), (13, 14, 15, 16)):
        squeezed[list(tip_chain[1:])] = squeezed[tip_chain[0]] + np.array([0.5, -0.5, 0])
    bad = type(hand)(squeezed, hand.world_landmarks, hand.handedness, hand.score)
    fixed, palm, _ = hand_points_3d(bad)
    for base, tip in ((9, 12), (13, 16)):
        assert np.linalg.norm(fixed[tip] - fixed[base]) > 0.5 * palm  # rebuilt at a plausible length
    assert render_hand(bad, (640, 520)).values.any()


def test_nearer_hand_wins_where_hands_overlap(make_hand):
    far = make_hand(wrist=(300, 450), size=260)
    near = make_hand(wrist=(330, 440), size=260)
    near.world_landmarks[:] = near.world_landmarks * 0.5  # same image size, half the metric size -> nearer
    depth, renders = render_depth([far, near], (640, 520))
    r_near = renders[1]
    x0, y0, x1, y1 = r_near.box
    window = depth[y0:y1, x0:x1]
    assert np.array_equal(window[r_near.values > 0], r_near.values[r_near.values > 0])


def test_each_hand_normalised_on_its_own(make_hand):
    a = make_hand(wrist=(150, 400), size=200)
    b = make_hand(wrist=(480, 400), size=120)
    depth, renders = render_depth([a, b], (640, 480))
    for r in renders:
        assert r.values.max() == NEAR and r.values[r.values > 0].min() >= FAR


def test_hand_at_the_edge_and_outside(make_hand):
    edge = make_hand(wrist=(10, 300), size=250)
    depth, renders = render_depth([edge], (400, 320))
    assert renders[0] is not None and depth[:, 0].any()
    gone = make_hand(wrist=(-900, -900), size=100)
    assert render_hand(gone, (400, 320)) is None


def test_huge_hand_is_rendered_quickly_and_correctly(make_hand):
    hand = make_hand(wrist=(3000, 6500), size=5000)
    depth, renders = render_depth([hand], (8192, 8192))
    inside = depth[depth > 0]
    assert inside.max() == NEAR and inside.min() >= FAR


def test_real_detections_render_within_their_boxes(detector):
    rgb = load_image(HANDS_DIR / "c07_photo_woman_lying.jpeg")
    hands = detector.detect(rgb).hands
    depth, renders = render_depth(hands, (rgb.shape[1], rgb.shape[0]))
    for hand, r in zip(hands, renders):
        assert r.values.max() == NEAR
        ys, xs = np.nonzero(r.values)
        cx, cy = xs.mean() + r.box[0], ys.mean() + r.box[1]
        x0, y0, x1, y1 = hand.bbox
        assert x0 <= cx <= x1 and y0 <= cy <= y1


def test_normalise_flat_and_empty():
    z = np.full((3, 3), np.inf, np.float32)
    assert not normalise(z).any()
    z[1, 1] = 5.0
    assert normalise(z)[1, 1] == NEAR


def test_depth_to_rgb():
    d = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = depth_to_rgb(d)
    assert rgb.shape == (3, 4, 3) and (rgb[..., 0] == d).all() and (rgb[..., 2] == d).all()


@pytest.mark.parametrize("size", [(1, 1), (16, 16)])
def test_tiny_canvas(make_hand, size):
    depth, _ = render_depth([make_hand(wrist=(8, 12), size=30)], size)
    assert depth.shape == (size[1], size[0])
