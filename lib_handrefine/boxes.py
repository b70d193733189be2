"""Axis-aligned pixel boxes (x0, y0, x1, y1), end-exclusive: overlap, squares around a box, clipping."""

from __future__ import annotations

Box = tuple[int, int, int, int]


def box_overlap(a: Box, b: Box) -> tuple[float, float]:
    """(IoU, intersection over the smaller box) of two boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = max(1, (a[2] - a[0]) * (a[3] - a[1]))
    area_b = max(1, (b[2] - b[0]) * (b[3] - b[1]))
    return inter / (area_a + area_b - inter), inter / min(area_a, area_b)


def square_around(box: Box, side: float) -> Box:
    """A square of `side` px centred on the box (may reach outside the image)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = side / 2
    return round(cx - half), round(cy - half), round(cx + half), round(cy + half)


def clip_box(box: Box, size: tuple[int, int]) -> Box:
    width, height = size
    return max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])


def box_extent(box: Box) -> int:
    return max(box[2] - box[0], box[3] - box[1])
