"""Debug pictures of a plan: landmarks, bones, boxes, handedness, scores and regions drawn on the image."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from .depth import FINGERS
from .plan import Plan

HAND_COLOURS = ((255, 80, 80), (80, 200, 255), (120, 255, 120), (255, 200, 60), (220, 120, 255), (255, 255, 255))
REGION_COLOUR = (255, 255, 0)
CROP_COLOUR = (255, 0, 255)
BOX_ONLY_COLOUR = (255, 140, 0)  # hands the box model found and MediaPipe could not fit


def draw_overlay(rgb: np.ndarray, plan: Plan) -> np.ndarray:
    """A copy of the RGB image with the plan drawn on it; the depth map tints the hands."""
    out = rgb.copy()
    if plan.depth.any():
        tint = plan.depth > 0
        out[tint] = (0.45 * out[tint] + 0.55 * plan.depth[tint, None]).astype(np.uint8)
    scale = max(1.0, min(plan.width, plan.height) / 512)
    thick = max(1, round(2 * scale))
    for region in plan.regions:
        cv2.rectangle(out, region.crop[:2], (region.crop[2] - 1, region.crop[3] - 1), CROP_COLOUR, thick)
        cv2.rectangle(out, region.bbox[:2], (region.bbox[2] - 1, region.bbox[3] - 1), REGION_COLOUR, thick)
    for i, hand in enumerate(plan.hands):
        colour = HAND_COLOURS[i % len(HAND_COLOURS)]
        pts = np.round(hand.landmarks[:, :2]).astype(int)
        for chain in FINGERS:
            for a, b in zip((0, *chain[:-1]), chain):
                cv2.line(out, tuple(pts[a]), tuple(pts[b]), colour, thick, cv2.LINE_AA)
        for p in pts:
            cv2.circle(out, tuple(p), thick + 1, colour, -1, cv2.LINE_AA)
        x0, y0, x1, y1 = hand.bbox
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), colour, max(1, thick // 2))
        label = f"{i}: {hand.handedness} {hand.score:.2f}" + (f" ({hand.source})" if hand.source != "full" else "")
        _label(out, label, (x0, max(0, y0 - 4)), colour, scale)
    for j, box_hand in enumerate(plan.boxes):
        x0, y0, x1, y1 = box_hand.box
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), BOX_ONLY_COLOUR, thick)
        _label(out, f"box {j}: {box_hand.score:.2f}, no landmarks", (x0, max(0, y0 - 4)), BOX_ONLY_COLOUR, scale)
    return out


def _label(img: np.ndarray, text: str, origin: tuple[int, int], colour: tuple[int, int, int], scale: float) -> None:
    font_scale = 0.45 * scale
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
    x, y = origin
    y = max(th + base, y)
    cv2.rectangle(img, (x, y - th - base), (x + tw, y + base // 2), (0, 0, 0), -1)
    cv2.putText(img, text, (x, y - base // 2), cv2.FONT_HERSHEY_SIMPLEX, font_scale, colour, 1, cv2.LINE_AA)


def annotate(image: Image.Image, label: str, min_side: int = 256) -> Image.Image:
    """A copy of a (small) picture, enlarged to at least `min_side`, with a label on a dark band at the top."""
    scale = max(1.0, min_side / max(1, min(image.size)))
    rgb = np.asarray(image.convert("RGB").resize((round(image.width * scale), round(image.height * scale))))
    band = 22
    out = np.zeros((rgb.shape[0] + band, rgb.shape[1], 3), np.uint8)
    out[band:] = rgb
    cv2.putText(out, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return Image.fromarray(out)
