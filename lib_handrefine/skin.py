"""Is there skin under a hand's palm? Cheap evidence for a candidate only one zoomed pass saw (colour images only).

Hue and saturation (HSV) survive a darker or brighter exposure, unlike absolute chroma: skin of every tone lies in
the red-orange-yellow hues. A blue shirt, a green wall or the sky under the landmarks is not a hand.
"""

from __future__ import annotations

import cv2
import numpy as np

PALM = (0, 1, 5, 9, 13, 17)  # wrist, thumb base, knuckles: the polygon that is skin on any bare hand
# OpenCV hue units are degrees / 2. Skin is red-orange-yellow (0..50 degrees), but a photo's colour cast moves it
# towards magenta (a pink-lit wall: 300-330 degrees), so anything within 60 degrees of red counts; blue, cyan and
# green (shirts, sky, walls, foliage) do not.
MAX_HUE = 30
MIN_SAT, MAX_SAT = 0.03, 0.8


def skin_share(rgb: np.ndarray, landmarks: np.ndarray) -> float:
    """Share of the pixels inside the palm polygon whose colour is skin-like (0..1; 0 for an empty polygon)."""
    h, w = rgb.shape[:2]
    pts = np.round(landmarks[list(PALM), :2]).astype(np.int32)
    x0, y0 = np.clip(pts.min(axis=0), 0, [w, h])
    x1, y1 = np.clip(pts.max(axis=0) + 1, 0, [w, h])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0.0
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(pts - [x0, y0]), 1)
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    hue, sat = hsv[..., 0].astype(int), hsv[..., 1] / 255.0
    skin = ((hue <= MAX_HUE) | (hue >= 180 - MAX_HUE)) & (sat >= MIN_SAT) & (sat <= MAX_SAT)
    inside = mask.astype(bool)
    return float(skin[inside].mean()) if inside.any() else 0.0
