import json

import numpy as np

from lib_handrefine.imageio import load_image
from lib_handrefine.plan import build_plan, plan_from_hands
from lib_handrefine.settings import HandRefineSettings

from .conftest import HANDS_DIR


def test_plan_on_a_two_hand_photo(detector):
    rgb = load_image(HANDS_DIR / "c07_photo_woman_lying.jpeg")
    plan = build_plan(rgb, HandRefineSettings(), detector)
    assert len(plan.hands) == 2
    assert len(plan.regions) == 1 and plan.regions[0].hands == [0, 1]  # padded boxes overlap -> one region
    mask = plan.combined_mask()
    assert mask[plan.depth > 0].all(), "every depth pixel lies inside the mask"
    region = plan.regions[0]
    x0, y0, x1, y1 = region.crop
    assert 0 <= x0 < x1 <= plan.width and 0 <= y0 < y1 <= plan.height
    ys, xs = np.nonzero(region.mask)
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1
    json.dumps(plan.summary())
    assert set(plan.ms) == {"detect", "depth", "mask"}


def test_plan_is_deterministic(detector):
    rgb = load_image(HANDS_DIR / "d03_sd_malformed_3.jpg")
    a = build_plan(rgb, HandRefineSettings(), detector)
    b = build_plan(rgb, HandRefineSettings(), detector)
    assert np.array_equal(a.depth, b.depth)
    sa, sb = a.summary(), b.summary()
    sa.pop("ms"), sb.pop("ms")
    assert sa == sb


def test_far_apart_hands_are_separate_regions_with_their_own_depth(make_hand):
    hands = [make_hand(wrist=(150, 400), size=160), make_hand(wrist=(700, 400), size=160)]
    plan = plan_from_hands(hands, (900, 500), HandRefineSettings())
    assert [r.hands for r in plan.regions] == [[0], [1]]
    left = plan.region_depth(0)
    assert left[:, :450].any() and not left[:, 450:].any()
    assert plan.regions[0].size == (384, 640) or plan.regions[0].size[0] < plan.regions[0].size[1]


def test_small_hands_warn_and_min_size_skips(make_hand):
    hands = [make_hand(wrist=(100, 200), size=40), make_hand(wrist=(400, 300), size=200)]
    plan = plan_from_hands(hands, (600, 400), HandRefineSettings())
    assert any("hand 0 is only" in w for w in plan.warnings)
    skipped = plan_from_hands(hands, (600, 400), HandRefineSettings(min_hand_size=60))
    assert len(skipped.hands) == 1 and skipped.skipped[0]["reason"] == "smaller than 60 px"


def test_sdxl_regions_use_1024(make_hand):
    plan = plan_from_hands([make_hand(wrist=(500, 700), size=300)], (1024, 1024), HandRefineSettings(), "sdxl")
    w, h = plan.regions[0].size
    assert 900_000 < w * h < 1_200_000
    fixed = plan_from_hands([make_hand(wrist=(500, 700), size=300)], (1024, 1024),
                            HandRefineSettings(inpaint_resolution=768), "sdxl")
    assert max(fixed.regions[0].size) <= 1024


def test_no_hands_is_an_empty_plan(detector):
    rgb = load_image(HANDS_DIR / "f04_nohand_cat.png")
    plan = build_plan(rgb, HandRefineSettings(), detector)
    assert plan.hands == [] and plan.regions == [] and not plan.depth.any()


def test_edge_hand_region_is_clipped(detector):
    rgb = load_image(HANDS_DIR / "b07_hagrid_none_thumbdown_close.jpg")  # hand touches the left border
    plan = build_plan(rgb, HandRefineSettings(), detector)
    r = plan.regions[0]
    assert r.bbox[0] == 0 and r.crop[0] == 0


def test_hands_that_look_wrong_only(detector):
    """d01's malformed hand scores low; a clean photo hand scores high and is left alone in that mode."""
    malformed = build_plan(load_image(HANDS_DIR / "d01_sd_malformed_1.jpg"), HandRefineSettings(), detector)
    clean = build_plan(load_image(HANDS_DIR / "a04_photo_hand_icecream_224.jpg"), HandRefineSettings(), detector)
    q_malformed = malformed.summary()["hands"][0]["quality"]
    q_clean = clean.summary()["hands"][0]["quality"]
    assert q_malformed < 0.6 < q_clean
    only_wrong = HandRefineSettings(fix_mode="hands that look wrong", look_wrong_threshold=0.6)
    assert len(plan_from_hands(malformed.hands, (512, 512), only_wrong).regions) == 1
    skipped_plan = plan_from_hands(clean.hands, (224, 224), only_wrong)
    assert skipped_plan.regions == [] and skipped_plan.hands == []
    assert skipped_plan.skipped[0]["reason"].startswith("looks right (quality")
    assert len(plan_from_hands(clean.hands, (224, 224), HandRefineSettings()).regions) == 1  # every hand: fixed
