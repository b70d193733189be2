"""Where the extra passes look: tiles sized to the hands the image can hold, and windows around hands found.

MediaPipe shrinks every pass input to its palm detector's 192 px input, so what matters is a hand's share of the
pass's long side. Measured on the test photos (hand crops of 256 px): a hand filling 12 % of the side is found
31 of 34 times, 25-35 % is the sweet spot (33 of 34), and above 50 % hands are missed again (too close). So a tile
of side T finds hands of about 0.12 T .. 0.5 T, and the whole-image pass finds hands of at least ~0.1 of the
image's long side.
"""

from __future__ import annotations

import math

from .boxes import Box, clip_box, square_around

MIN_HAND_SHARE = 0.12  # smallest hand / pass side that the palm detector finds reliably
FULL_PASS_SHARE = 0.10  # the whole-image pass: hands from this share of the long side up are found
NEAR_SHARE = 0.22  # windows around a found hand: the hand fills this share (the other hand fits in too)
TILE_OVERLAP = 0.25  # a hand up to a quarter tile wide lies whole inside some tile
MIN_TILE = 160  # smaller tiles see too little of a hand's surroundings


def tile_grid(width: int, height: int, side: float, overlap: float = TILE_OVERLAP) -> list[Box]:
    """Overlapping tiles of about `side` px covering the image (one tile spans an axis shorter than `side`)."""
    side = max(MIN_TILE, side)
    xs = _axis(width, side, overlap)
    ys = _axis(height, side, overlap)
    return [(x0, y0, x1, y1) for y0, y1 in ys for x0, x1 in xs]


def _axis(length: int, side: float, overlap: float) -> list[tuple[int, int]]:
    if length <= side * 1.1:
        return [(0, length)]
    n = math.ceil((length - side * overlap) / (side * (1 - overlap)))
    size = math.ceil(length / (n - overlap * (n - 1)))
    step = (length - size) / (n - 1)
    return [(round(i * step), min(length, round(i * step) + size)) for i in range(n)]


def tile_side_for(hand_px: float) -> float:
    """The tile side at which a hand of `hand_px` is just big enough for the palm detector."""
    return hand_px / MIN_HAND_SHARE


def near_window(hand_box: Box, size: tuple[int, int]) -> Box:
    """A square around a found hand in which it fills NEAR_SHARE: the zoomed look for its neighbours."""
    extent = max(hand_box[2] - hand_box[0], hand_box[3] - hand_box[1])
    return clip_box(square_around(hand_box, extent / NEAR_SHARE), size)
