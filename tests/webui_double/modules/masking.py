"""Double of modules/masking.py: crop-region geometry identical to v1.10.1 (the functions tests compare against)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter, ImageOps


def get_crop_region_v2(mask: Image.Image | np.ndarray, pad: int = 0) -> tuple[int, int, int, int] | None:
    """Bounding box (x1, y1, x2, y2) of the non-zero mask pixels grown by ``pad`` and clamped; None if blank."""
    mask = mask if isinstance(mask, Image.Image) else Image.fromarray(mask)
    box = mask.getbbox()
    if not box:
        return None
    if not pad:
        return box
    x1, y1, x2, y2 = box
    return max(x1 - pad, 0), max(y1 - pad, 0), min(x2 + pad, mask.size[0]), min(y2 + pad, mask.size[1])


def get_crop_region(mask: Image.Image | np.ndarray, pad: int = 0) -> tuple[int, int, int, int]:
    """Legacy variant (used by ControlNet): a blank mask yields an inverted box instead of None."""
    mask = mask if isinstance(mask, Image.Image) else Image.fromarray(mask)
    box = get_crop_region_v2(mask, pad)
    if box:
        return box
    x1, y1 = mask.size
    x2 = y2 = 0
    return max(x1 - pad, 0), max(y1 - pad, 0), min(x2 + pad, mask.size[0]), min(y2 + pad, mask.size[1])


def _grow_to(lo: int, hi: int, diff: int, limit: int) -> tuple[int, int]:
    lo -= diff // 2
    hi += diff - diff // 2
    if hi >= limit:
        lo -= hi - limit
        hi = limit
    if lo < 0:
        hi -= lo
        lo = 0
    if hi >= limit:
        hi = limit
    return lo, hi


def expand_crop_region(
    crop_region: tuple[int, int, int, int],
    processing_width: int,
    processing_height: int,
    image_width: int,
    image_height: int,
) -> tuple[int, int, int, int]:
    """Grow the region along one axis so its aspect ratio matches processing_width:processing_height."""
    x1, y1, x2, y2 = crop_region
    ratio_processing = processing_width / processing_height
    if (x2 - x1) / (y2 - y1) > ratio_processing:
        diff = int((x2 - x1) / ratio_processing - (y2 - y1))
        y1, y2 = _grow_to(y1, y2, diff, image_height)
    else:
        diff = int((y2 - y1) * ratio_processing - (x2 - x1))
        x1, x2 = _grow_to(x1, x2, diff, image_width)
    return x1, y1, x2, y2


def fill(image: Image.Image, mask: Image.Image) -> Image.Image:
    """Fill the masked area with progressively blurred surrounding colours ("fill" masked content)."""
    result = Image.new("RGBA", (image.width, image.height))
    masked = Image.new("RGBa", (image.width, image.height))
    masked.paste(image.convert("RGBA").convert("RGBa"), mask=ImageOps.invert(mask.convert("L")))
    masked = masked.convert("RGBa")
    for radius, repeats in [(256, 1), (64, 1), (16, 2), (4, 4), (2, 2), (0, 1)]:
        blurred = masked.filter(ImageFilter.GaussianBlur(radius)).convert("RGBA")
        for _ in range(repeats):
            result.alpha_composite(blurred)
    return result.convert("RGB")
