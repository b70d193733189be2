"""Real MediaPipe on ../shared/data/hands: the detector is not mocked."""

import re
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from lib_handrefine.content import content_box
from lib_handrefine.detect import DetectorError, HandDetector, box_overlap, extra_pass_mode, merge_hands
from lib_handrefine.imageio import load_image
from lib_handrefine.scales import tile_grid

from .conftest import HANDS_DIR, expected_hands

EXPECTED = expected_hands()


def readme_boxes(name: str, width: int, height: int) -> list[tuple[float, ...]]:
    """The README's boxes, scaled back from its 1024 px evaluation size to the image."""
    row = next(line for line in (HANDS_DIR / "README.md").read_text().splitlines() if line.startswith(f"| {name} "))
    scale = max(width, height) / 1024 if max(width, height) > 1024 else 1.0
    return [tuple(float(v) * scale for v in m.split(",")) for m in re.findall(r"bbox\[([^\]]+)\]", row)]


def test_readme_table_parsed():
    assert len(EXPECTED) == 41
    assert sum(EXPECTED.values()) == 33


@pytest.mark.parametrize("name", sorted(n for n, count in EXPECTED.items() if n[0] in "abcd" and count > 0))
def test_every_listed_hand_is_found(detector, name):
    rgb = load_image(HANDS_DIR / name)
    hands = detector.detect(rgb).hands
    assert len(hands) >= EXPECTED[name]
    for ref in readme_boxes(name, rgb.shape[1], rgb.shape[0]):
        best = max(box_overlap(tuple(round(v) for v in ref), h.bbox)[0] for h in hands)
        assert best > 0.5, f"{name}: no detection matches README box {ref}"
    for h in hands:
        assert h.landmarks.shape == (21, 3) and h.world_landmarks.shape == (21, 3)
        assert h.handedness in ("Left", "Right") and 0.0 < h.score <= 1.0


@pytest.mark.parametrize("mode", ["auto", "thorough"])
@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.startswith("f")))
def test_no_false_positives_on_images_without_hands(detector, name, mode):
    assert detector.detect(load_image(HANDS_DIR / name), extra_pass=mode).hands == []


def test_more_hands_than_one_pass_on_the_data_set(detector):
    single = extra = 0
    for name in EXPECTED:
        rgb = load_image(HANDS_DIR / name)
        single += len(detector.detect(rgb, extra_pass=False).hands)
        extra += len(detector.detect(rgb, extra_pass=True).hands)
    assert extra >= single >= 33


def _canvas_with(name: str, size: tuple[int, int], corner: str, textured: bool = False) -> np.ndarray:
    src = load_image(HANDS_DIR / name)
    w, h = size
    canvas = np.full((h, w, 3), 128, np.uint8)
    if textured:  # blurred random blotches: no plain canvas to tell the picture from
        blotches = np.random.default_rng(w + h).integers(60, 200, (h // 16 + 1, w // 16 + 1, 3)).astype(np.uint8)
        canvas = cv2.resize(blotches, (w, h), interpolation=cv2.INTER_LINEAR)
    sh, sw = src.shape[:2]
    y, x = (h - sh, w - sw) if corner == "br" else (0, 0)
    canvas[y:y + sh, x:x + sw] = src
    return canvas


@pytest.mark.parametrize(
    ("name", "size", "corner"),
    [("b04_hagrid_four_b.jpg", (1536, 768), "br"), ("b01_hagrid_call_a.jpg", (1024, 1024), "tl"),
     ("a04_photo_hand_icecream_224.jpg", (1536, 768), "br"), ("b04_hagrid_four_b.jpg", (1800, 600), "br")],
)
@pytest.mark.parametrize("textured", [False, True])
def test_extra_pass_finds_small_hands_on_a_large_canvas(detector, name, size, corner, textured):
    """Tiles at the hand's scale find it; on a plain canvas over twice the picture's size (a04 here) the picture is
    also searched as a picture of its own, and its whole-picture pass finds it."""
    canvas = _canvas_with(name, size, corner, textured)
    assert detector.detect(canvas, extra_pass=False).hands == []
    found = detector.detect(canvas, extra_pass=True).hands
    as_picture = content_box(canvas) is not None
    assert as_picture == (name.startswith("a04") and not textured)
    assert len(found) == 1 and found[0].source == ("full" if as_picture else "tile")
    x0, y0, x1, y1 = found[0].bbox
    assert 0 <= x0 < x1 <= size[0] and 0 <= y0 < y1 <= size[1]


def test_max_hands_keeps_the_most_confident(detector):
    rgb = load_image(HANDS_DIR / "c07_photo_woman_lying.jpeg")
    both = detector.detect(rgb, max_hands=8).hands
    one = detector.detect(rgb, max_hands=1).hands
    assert len(both) == 2 and len(one) == 1
    assert one[0].score == pytest.approx(max(h.score for h in both), abs=0.02)


def test_confidence_threshold_applies(detector):
    rgb = load_image(HANDS_DIR / "a05_photo_hand_banana_224.jpg")  # found at 0.51
    assert detector.detect(rgb, confidence=0.3).hands
    assert detector.detect(rgb, confidence=0.95).hands == []


def test_tiny_images_give_no_hands(detector):
    for side in (1, 16):
        assert detector.detect(np.zeros((side, side, 3), np.uint8)).hands == []


def test_huge_image_is_handled(detector):
    rgb = np.full((8192, 8192, 3), 90, np.uint8)
    rgb[6000:6384, 6000:6512] = load_image(HANDS_DIR / "d02_sd_malformed_2.jpg")[:384]
    hands = detector.detect(rgb).hands
    assert all(h.bbox[0] >= 0 and h.bbox[2] <= 8192 + 1 for h in hands)


def test_same_results_from_many_threads(detector):
    names = ["c07_photo_woman_lying.jpeg", "d01_sd_malformed_1.jpg", "b05_hagrid_four_landscape.jpg",
             "f04_nohand_cat.png"]
    images = [load_image(HANDS_DIR / n) for n in names]
    sequential = [detector.detect(im).hands for im in images]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda im: detector.detect(im).hands, images * 2))
    for seq, par in zip(sequential * 2, parallel):
        assert len(seq) == len(par)
        for a, b in zip(seq, par):
            np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-3)


def test_bad_model_and_closed_detector(tmp_path, model_path):
    bogus = tmp_path / "bogus.task"
    bogus.write_bytes(b"not a model" * 1000)
    with pytest.raises(DetectorError, match="cannot load hand model"):
        HandDetector(bogus)
    d = HandDetector(model_path)
    d.close()
    with pytest.raises(DetectorError, match="closed"):
        d.detect(np.zeros((64, 64, 3), np.uint8))


@pytest.mark.parametrize("overlap", [0.25, 0.5])
@pytest.mark.parametrize(("w", "h", "side"), [(1024, 1024, 400), (641, 900, 300), (1920, 1080, 700),
                                              (2048, 2048, 330), (683, 384, 160), (4096, 512, 600)])
def test_tiles_cover_the_image_with_overlap(w, h, side, overlap):
    tiles = tile_grid(w, h, side, overlap)
    covered = np.zeros((h, w), bool)
    for x0, y0, x1, y1 in tiles:
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert max(x1 - x0, y1 - y0) <= 1.35 * max(side, 160)  # about the asked size
        covered[y0:y1, x0:x1] = True
    assert covered.all()
    # neighbours overlap, so a hand cut by one tile's edge lies whole in the next
    xs = sorted({(t[0], t[2]) for t in tiles})
    assert all(b[0] < a[1] for a, b in zip(xs, xs[1:]))


@pytest.mark.parametrize(("w", "h", "side"), [(2048, 2048, 820), (1536, 1536, 615), (1024, 1024, 410)])
def test_a_half_overlap_holds_every_hand_of_half_a_tile_whole(w, h, side):
    def whole_somewhere(tiles, x, y, hand):
        return any(x0 <= x and y0 <= y and x + hand <= x1 and y + hand <= y1 for x0, y0, x1, y1 in tiles)

    hand = round(0.5 * side)
    spots = [(x, y) for x in range(0, w - hand, 16) for y in range(0, h - hand, 16)]
    assert all(whole_somewhere(tile_grid(w, h, side, 0.5), x, y, hand) for x, y in spots)
    assert not all(whole_somewhere(tile_grid(w, h, side), x, y, hand) for x, y in spots)  # the usual quarter


def test_tile_count_grows_with_the_image_not_below_one():
    assert tile_grid(300, 200, 400) == [(0, 0, 300, 200)]
    assert len(tile_grid(2048, 2048, 330)) > len(tile_grid(1024, 1024, 330)) > len(tile_grid(512, 512, 330))


def test_extra_pass_modes_and_the_old_bool():
    assert extra_pass_mode(True) == "auto" and extra_pass_mode(False) == "off"
    assert [extra_pass_mode(m) for m in ("off", "Auto", "thorough")] == ["off", "auto", "thorough"]
    with pytest.raises(ValueError, match="extra pass must be one of"):
        extra_pass_mode("sometimes")


def test_merge_prefers_full_pass_and_drops_contained_duplicates(make_hand):
    full = make_hand(wrist=(200, 400), size=200, score=0.8)
    tile_same = make_hand(wrist=(202, 401), size=200, score=0.99, source="tile")
    tile_part = make_hand(wrist=(220, 330), size=90, score=0.95, source="tile")
    other = make_hand(wrist=(600, 400), size=200, score=0.7, source="tile")
    merged = merge_hands([tile_same, full, tile_part, other], (800, 600))
    assert [h.source for h in merged] == ["full", "tile"]
    assert merged[0] is full and merged[1] is other


def test_pool_keeps_recent_settings_loaded(model_path):
    """Detection and the after-fix re-checks alternate settings; neither may reload a landmarker each time."""
    from lib_handrefine.detect import POOL_KEYS, HandDetector

    d = HandDetector(model_path)
    try:
        rgb = np.zeros((64, 64, 3), np.uint8)
        d.detect(rgb, 0.5, 8, extra_pass=False)
        first = d._idle[(0.5, 0.5, 8)][0]
        d.detect(rgb, 0.3, 8, extra_pass=False)
        d.detect(rgb, 0.5, 8, extra_pass=False)
        assert d._idle[(0.5, 0.5, 8)][0] is first  # reused, not re-created
        for i in range(POOL_KEYS + 1):
            d.detect(rgb, 0.2 + i / 100, 1, extra_pass=False)
        assert len(d._idle) == POOL_KEYS
    finally:
        d.close()


def test_detector_is_warmed_up_with_the_settings_it_will_use(model_path):
    """The first image must not pay for creating landmarkers: the warm-up builds one per worker for the settings
    given, and a detection with those settings creates none."""
    d = HandDetector(model_path, confidence=0.3, max_hands=4)
    try:
        # the user's settings on both workers, and the low-detection whole-image pass (palm 0.1, presence 0.3)
        assert {k: len(v) for k, v in d._idle.items()} == {(0.3, 0.3, 4): 2, (0.1, 0.3, 4): 1}
        created = []
        original = d._create
        d._create = lambda *key: created.append(key) or original(*key)
        rgb = np.zeros((900, 700, 3), np.uint8)  # big enough for the extra pass: both workers busy at once
        d.detect(rgb, confidence=0.3, max_hands=4, extra_pass=True)
        assert created == []
    finally:
        d.close()


def test_a_padded_look_keeps_zoom_and_maps_back(detector):
    """A window reaching past the image is filled with gray, not clipped: the pass sees another input (the hand
    smaller, off-centre) and the landmarks come back in the image's pixels."""
    from lib_handrefine.hands import Look

    rgb = load_image(HANDS_DIR / "a06_photo_hand_freihand1_224.jpg")
    h, w = rgb.shape[:2]
    whole = detector.look(rgb, Look((0, 0, w, h), "full", 512, cut_at_edges=False, min_side=0), 0.5, 2)
    pad = max(w, h) // 2  # only to the left and above: a mapping that forgot the offset would move the hand
    padded = Look((-pad, -pad, w, h), "wide", 512, cut_at_edges=False, min_side=0, pad=True)
    wide = detector.look(rgb, padded, 0.5, 2)
    assert len(whole) == len(wide) == 1
    moved = np.linalg.norm(wide[0].landmarks[:, :2] - whole[0].landmarks[:, :2], axis=1)
    assert moved.mean() < 0.2 * whole[0].palm_px
    assert moved.max() > 0.5  # not the clipped window (that is the whole image again: the same landmarks)


def test_beside_runs_work_on_a_worker_and_never_waits_for_its_own_pool(detector):
    import threading

    names = []
    value = detector.beside(lambda: names.append(threading.current_thread().name) or 7)
    assert value() == 7 and names[0].startswith("handrefine-detect")
    # both workers asking for work beside them: run at once, not queued behind themselves
    assert detector.map(lambda i: detector.beside(lambda: i * 2)(), [1, 2, 3, 4]) == [2, 4, 6, 8]
