import numpy as np
import pytest

from lib_handrefine.masks import (
    blur_kernel_size,
    blurred_mask_bbox,
    box_mask,
    fit_aspect,
    group_boxes,
    hand_extent_box,
    padded_box,
    pass_size,
    predict_crop,
    scaled_padding,
)


def test_padding_is_the_larger_of_pad_and_15_percent_per_axis():
    # 100 x 400 box: x pad = max(30, 15) = 30, y pad = max(30, 60) = 60
    assert padded_box((200, 100, 300, 500), 30, (1000, 1000)) == (170, 40, 330, 560)


def test_padding_clips_at_the_image_edges():
    assert padded_box((0, 5, 50, 60), 30, (70, 80)) == (0, 0, 70, 80)


def test_padding_scales_with_the_image():
    assert scaled_padding(30, (512, 512)) == 30
    assert scaled_padding(30, (1024, 1536)) == 60
    assert scaled_padding(30, (256, 256)) == 15


def test_overlapping_boxes_merge_transitively_and_others_stay_apart():
    boxes = [(0, 0, 10, 10), (9, 9, 20, 20), (19, 0, 30, 10), (100, 100, 110, 110)]
    assert group_boxes(boxes) == [[0, 1, 2], [3]]
    assert group_boxes([(0, 0, 10, 10), (10, 0, 20, 10)]) == [[0], [1]]  # touching edges do not overlap


def test_hand_box_covers_landmarks_and_rendered_silhouette(make_hand):
    from lib_handrefine.depth import render_hand

    hand = make_hand(wrist=(300, 450), size=260)
    render = render_hand(hand, (640, 520))
    box = padded_box(hand_extent_box(hand, render, (640, 520)), 30, (640, 520))
    mask = box_mask([box], (640, 520))
    x0, y0, x1, y1 = render.box
    sil = np.zeros((520, 640), bool)
    sil[y0:y1, x0:x1] = render.values > 0
    assert mask[sil].all()  # the whole silhouette is inside the mask
    hx0, hy0, hx1, hy1 = hand.bbox
    assert box[0] <= hx0 - 30 or box[0] == 0


@pytest.mark.parametrize("sigma", [0, 1, 4, 8])
def test_blurred_bbox_grows_by_at_most_the_kernel_radius(sigma):
    mask = box_mask([(100, 120, 200, 180)], (400, 300))
    x0, y0, x1, y1 = blurred_mask_bbox(mask, sigma)
    r = blur_kernel_size(sigma) // 2 if sigma else 0
    assert 100 - r <= x0 <= 100 and 200 <= x1 <= 200 + r and 120 - r <= y0 <= 120


def test_fit_aspect_grows_the_short_side_and_stays_inside():
    assert fit_aspect((100, 100, 200, 150), (512, 512), (1000, 1000)) == (100, 75, 200, 175)
    x0, y0, x1, y1 = fit_aspect((0, 0, 40, 200), (512, 512), (300, 300))
    assert (x0, y0) == (0, 0) and x1 - x0 == 200 and y1 == 200
    x0, y0, x1, y1 = fit_aspect((250, 10, 300, 290), (512, 512), (300, 300))
    assert x1 == 300 and x1 - x0 == 280


def test_pass_size_follows_the_region_aspect_at_native_area():
    assert pass_size((0, 0, 100, 100), 512) == (512, 512)
    w, h = pass_size((0, 0, 400, 100), 512)
    assert w / h == pytest.approx(2.0, rel=0.2) and w % 64 == 0 and h % 64 == 0
    assert pass_size((0, 0, 100, 100), 1024) == (1024, 1024)


def test_predict_crop_contains_mask_and_context():
    mask = box_mask([(100, 100, 150, 220)], (600, 400))
    crop = predict_crop(mask, 4, 32, (384, 640))
    x0, y0, x1, y1 = crop
    assert x0 <= 100 - 32 and y0 <= 100 - 32 and x1 >= 150 + 32 and y1 >= 220 + 32
    assert (x1 - x0) / (y1 - y0) == pytest.approx(384 / 640, abs=0.02)
    assert predict_crop(np.zeros((10, 10), np.uint8), 4, 32, (512, 512)) is None
