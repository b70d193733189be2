"""The landmark model as a witness of its own: run alone on a crop around a candidate hand, without the palm
detector that proposed it.

MediaPipe runs its landmark model only where its palm detector proposes a palm, and the hand check's second looks
(handcheck.py) go through that detector again. Where several looks are fooled by the same texture (a shirt fold, a
cup handle, grain), a box on no hand can pass them all. The landmark model alone, asked "is there a hand in this
crop?" (its presence output), is a witness the palm detector does not sway. Measured on every hand the check
accepted on the transformed test set, its grids and 28 two-transform copies (benchmarks/bench_detect.py): every
real hand reaches presence >= 0.89 on at least one of the crops below (most on the first), while 6 of the 9 boxes
on no hand stay under 0.85 (the two of them that the check judged are now refused; the rest are trusted whole-image
detections, where real hands go down to 0.6). A candidate no crop shows as a hand is refused.

OpenCV's DNN module reads the model from the bundle (.task) itself; OpenCV 4.8 cannot (it lacks an operator the
model uses), newer versions can. Where it cannot, `LandmarkWitness.load` returns None and the check goes without
this witness, as before.
"""

from __future__ import annotations

import io
import math
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from .appearance import Appearance, prepare
from .boxes import Box

MODEL_MEMBER = "hand_landmarks_detector.tflite"
INPUT_SIDE = 224  # the landmark model's input (read from the model would need a forward pass; it is fixed)
PRESENCE_OUTPUT = "Identity_1"  # the model's hand-presence output (a probability)
WITNESS_PRESENCE = 0.85  # presence on one crop that counts as "the landmark model sees a hand here"
WITNESS_SURE = 0.9  # ... and as "it is all but sure of it" (a refused candidate that two looks agree on; handcheck)
# The crops, cheapest first: the hand's own frame (upright on its landmarks, MediaPipe's ROI of 2x the landmark
# box), then the candidate's box square at three zooms and four quarter turns (a candidate whose landmarks are off
# is still judged on its box).
ALIGNED_SCALE = 2.0
ALIGNED_SHIFT = -0.1  # towards the fingers, in crop sides (as MediaPipe's ROI)
BOX_ZOOMS = (1.6, 1.3, 2.0)
TURNS = (0, 90, 180, 270)
MAX_IDLE_NETS = 2  # networks kept for reuse (the detector's two workers); ~6 MB each


@dataclass(frozen=True)
class Crop:
    """A square crop: centre (image px), side (px), and how far it is turned (degrees, counter-clockwise)."""

    cx: float
    cy: float
    side: float
    angle: float = 0.0


def aligned_crop(landmarks: np.ndarray, scale: float = ALIGNED_SCALE, shift: float = ALIGNED_SHIFT) -> Crop:
    """The crop MediaPipe's landmark model expects for a hand with these landmarks: turned so that the wrist is
    down and the middle finger up, `scale` times the landmark box, moved `shift` of its side towards the fingers."""
    xy = np.asarray(landmarks, np.float64)[:, :2]
    knuckles = ((xy[5] + xy[13]) / 2 + xy[9]) / 2
    dx, dy = knuckles - xy[0]
    angle = 90.0 - math.degrees(math.atan2(-dy, dx))  # turning the image by this puts the knuckles above the wrist
    rad = math.radians(angle)
    rot = np.array([[math.cos(rad), math.sin(rad)], [-math.sin(rad), math.cos(rad)]])  # as cv2 turns the image
    turned = xy @ rot.T
    lo, hi = turned.min(axis=0), turned.max(axis=0)
    side = float(max(hi - lo)) * scale
    centre = (lo + hi) / 2 + np.array([0.0, shift * side])
    cx, cy = np.linalg.solve(rot, centre)
    return Crop(float(cx), float(cy), max(side, 8.0), angle)


def box_crops(box: Box) -> Iterator[Crop]:
    """Square crops centred on a box, at each of BOX_ZOOMS times its long side and each of TURNS."""
    x0, y0, x1, y1 = box
    extent = max(x1 - x0, y1 - y0, 8)
    for zoom in BOX_ZOOMS:
        for angle in TURNS:
            yield Crop((x0 + x1) / 2, (y0 + y1) / 2, extent * zoom, angle)


def crop_views(rgb: np.ndarray, crop: Crop, appearance: Appearance | None = None) -> list[np.ndarray]:
    """The INPUT_SIDE x INPUT_SIDE RGB inputs the crop shows (black outside the image): the pass input the detector
    saw (toned, denoised, brightened as the image's appearance calls for, measured on the crop's surroundings at the
    image's scale) and, where that differs, the pixels as they are."""
    reach = crop.side * 0.75  # half the diagonal of the crop, whatever its turn
    x0, y0 = math.floor(crop.cx - reach), math.floor(crop.cy - reach)
    x1, y1 = math.ceil(crop.cx + reach), math.ceil(crop.cy + reach)
    h, w = rgb.shape[:2]
    region = rgb[max(0, y0):max(0, min(h, y1)), max(0, x0):max(0, min(w, x1))]  # a view: no copy of a large crop
    if region.size == 0:
        return [np.zeros((INPUT_SIDE, INPUT_SIDE, 3), np.uint8)]
    zoom = 1.0
    if crop.side > 1.5 * INPUT_SIDE:  # shrink by area averaging first (a plain warp would alias), then pad
        zoom = 1.2 * INPUT_SIDE / crop.side
        region = cv2.resize(region, (max(1, round(region.shape[1] * zoom)), max(1, round(region.shape[0] * zoom))),
                            interpolation=cv2.INTER_AREA)
    pads = [round(max(0, p) * zoom) for p in (-y0, y1 - h, -x0, x1 - w)]  # black outside the image
    region = cv2.copyMakeBorder(region, *pads, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    centre = ((crop.cx - x0) * zoom, (crop.cy - y0) * zoom)
    m = cv2.getRotationMatrix2D(centre, crop.angle, INPUT_SIDE / (crop.side * zoom))
    m[:, 2] += (INPUT_SIDE / 2 - centre[0], INPUT_SIDE / 2 - centre[1])
    sources = [region]
    if appearance is not None:
        ready = prepare(region, appearance)
        if ready is not region:
            sources.insert(0, ready)
    return [cv2.warpAffine(src, m, (INPUT_SIDE, INPUT_SIDE), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0)) for src in sources]


class LandmarkWitness:
    """The landmark model of a hand bundle, on OpenCV's DNN module. Thread-safe: each run borrows a network of
    its own from a small pool (a network is not safe to share; one per thread would grow with a WebUI's threads)."""

    def __init__(self, model: bytes) -> None:
        self._model = np.frombuffer(model, np.uint8)
        self._lock = threading.Lock()
        self._idle = [cv2.dnn.readNetFromTFLite(self._model)]  # fails here, not in the first check

    @classmethod
    def load(cls, bundle: bytes) -> LandmarkWitness | None:
        """The witness of a .task bundle's landmark model, or None where this OpenCV cannot run it."""
        level = cv2.getLogLevel() if hasattr(cv2, "getLogLevel") else None
        if level is not None:
            cv2.setLogLevel(0)  # silent: an OpenCV that cannot read the model logs an error of its own first
        try:
            with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
                model = archive.read(MODEL_MEMBER)
            witness = cls(model)
            witness.presence(np.zeros((INPUT_SIDE, INPUT_SIDE, 3), np.uint8))
            return witness
        except Exception:  # no TFLite reader (OpenCV < 4.7), an operator it lacks (4.8), not a bundle
            return None
        finally:
            if level is not None:
                cv2.setLogLevel(level)

    def presence(self, pixels: np.ndarray) -> float:
        """The landmark model's hand presence (0..1) on one INPUT_SIDE x INPUT_SIDE RGB input."""
        blob = np.ascontiguousarray((pixels.astype(np.float32) * (1.0 / 255.0)).transpose(2, 0, 1)[None])
        with self._lock:
            net = self._idle.pop() if self._idle else None
        if net is None:
            net = cv2.dnn.readNetFromTFLite(self._model)
        try:
            net.setInput(blob)
            return float(net.forward(PRESENCE_OUTPUT).ravel()[0])
        finally:
            with self._lock:
                if len(self._idle) < MAX_IDLE_NETS:
                    self._idle.append(net)

    def sees_hand(self, rgb: np.ndarray, landmarks: np.ndarray, box: Box, appearance: Appearance | None = None,
                  sure: float = WITNESS_PRESENCE) -> tuple[bool, float, int]:
        """Whether one of the crops shows a hand (presence >= `sure`), with the best presence and the model runs it
        took; stops at the first crop that shows one."""
        best, runs = 0.0, 0
        aligned = [aligned_crop(landmarks)] if np.isfinite(np.asarray(landmarks)[:, :2]).all() else []
        for crop in (*aligned, *box_crops(box)):
            for pixels in crop_views(rgb, crop, appearance):
                presence = self.presence(pixels)
                runs += 1
                best = max(best, presence)
                if presence >= sure:
                    return True, best, runs
        return False, best, runs
