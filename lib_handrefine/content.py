"""Where the picture is: a photo pasted on a plain canvas, or framed by wide plain borders, holds its hands inside
the textured part. Searched as a picture of its own, its hands are seen at the scale the search is tuned for.

Measured on the test photos pasted at a seeded place on a plain canvas four times their size
(benchmarks/transformed_set.py, "canvas4"): 31 of 34 hands found searching the canvas (plain MediaPipe 13), 34 of 34
searching the canvas and the picture on it (a 20 px hand among them); searching the picture alone finds 31 (a
close-up hand too big for the palm detector there, which the canvas shrinks). Only pictures under half the image's
width and height count: on a canvas twice the photo's size the whole image's search finds 34 of 34 already. Of
the test photos and their copies only the 4x canvas ones qualify; ~0.1 ms per image.
"""

from __future__ import annotations

import cv2
import numpy as np

from .boxes import Box

SAMPLE_SIDE = 128  # px: the texture map is measured on a sample about this long
TEXTURE_STEP = 3  # grey levels between neighbouring sample pixels that count as picture, not canvas
MIN_TEXTURED = 2  # a row or column of the sample holds picture from this many textured pixels (JPEG specks, noise)
PAD = 0.08  # share of the content's long side added on every side: a hand at its edge keeps some surroundings
MAX_SIDE = 0.5  # content longer than this share of the image's side (either way): the whole image's search sees its
# hands well enough (measured: a photo on a canvas twice its size, 34 of 34 hands) and a second search costs time


def content_box(rgb: np.ndarray) -> Box | None:
    """The part of an image that holds the picture, padded, in image pixels; None when the picture spans over half
    the image's width or height (the usual case) or the image is blank."""
    h, w = rgb.shape[:2]
    step = max(1, -(-max(h, w) // SAMPLE_SIDE))  # every step-th pixel: a plain canvas stays plain, and no resize cost
    scale = 1.0 / step
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[::step, ::step]), cv2.COLOR_RGB2GRAY).astype(np.int16)
    if min(gray.shape) < 4:
        return None
    textured = np.zeros(gray.shape, bool)
    textured[:, 1:] |= np.abs(np.diff(gray, axis=1)) > TEXTURE_STEP
    textured[1:, :] |= np.abs(np.diff(gray, axis=0)) > TEXTURE_STEP
    rows = np.flatnonzero(np.count_nonzero(textured, axis=1) >= MIN_TEXTURED)
    cols = np.flatnonzero(np.count_nonzero(textured, axis=0) >= MIN_TEXTURED)
    if rows.size == 0 or cols.size == 0:
        return None
    x0, x1 = cols[0] / scale, (cols[-1] + 1) / scale
    y0, y1 = rows[0] / scale, (rows[-1] + 1) / scale
    pad = PAD * max(x1 - x0, y1 - y0)
    box = (max(0, round(x0 - pad)), max(0, round(y0 - pad)), min(w, round(x1 + pad)), min(h, round(y1 + pad)))
    if box[2] - box[0] > MAX_SIDE * w or box[3] - box[1] > MAX_SIDE * h:
        return None
    return box
