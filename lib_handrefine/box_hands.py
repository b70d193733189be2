"""Hands from both detectors: MediaPipe's, plus the box model's boxes with MediaPipe landmarks fitted inside them.

A box that overlaps a MediaPipe hand adds nothing (the landmarks are already there). For every other box MediaPipe
is asked again on a zoomed crop at a low confidence (HandDetector.fit_in_box): a fit gives the plan a real hand with
landmarks, so its depth map still shows a correct hand. Where nothing fits, the box itself is kept as a `BoxHand`:
the plan still repaints it, by plain inpainting without ControlNet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .box_detector import BoxDetector
from .detect import Hand, HandDetector, box_overlap
from .settings import HandRefineSettings

Box = tuple[int, int, int, int]
DUPLICATE_IOU, DUPLICATE_INSIDE = 0.3, 0.6  # the same thresholds as detect.merge_hands


@dataclass(frozen=True)
class BoxHand:
    """A hand the box model found but MediaPipe could not fit landmarks to."""

    box: Box  # x0, y0, x1, y1, image pixels, end-exclusive
    score: float
    source: str = "box"

    @property
    def bbox(self) -> Box:
        return self.box

    @property
    def extent(self) -> int:
        return max(self.box[2] - self.box[0], self.box[3] - self.box[1])

    def to_json(self) -> dict:
        return {"bbox": list(self.box), "score": round(float(self.score), 4), "source": self.source}


@dataclass
class FoundHands:
    hands: list[Hand]
    boxes: list[BoxHand]
    ms: dict[str, float]
    rejected: list[dict] = field(default_factory=list)  # {bbox, reason, score} of boxes the hand check refused
    notes: list[str] = field(default_factory=list)  # conditions under which detection is known to be weaker


def _duplicate(a: Box, b: Box) -> bool:
    iou, inside = box_overlap(a, b)
    return iou > DUPLICATE_IOU or inside > DUPLICATE_INSIDE


def find_hands(rgb: np.ndarray, settings: HandRefineSettings, detector: HandDetector,
               box_detector: BoxDetector | None) -> FoundHands:
    """The hands the settings ask for: MediaPipe's, the box model's (fitted or box-only), or both; at most
    `settings.max_hands`, landmark hands first."""
    ms: dict[str, float] = {}
    hands: list[Hand] = []
    rejected: list[dict] = []
    notes: list[str] = []
    if settings.uses_mediapipe_pass:
        start = time.perf_counter()
        detection = detector.detect(rgb, settings.detect_confidence, settings.max_hands,
                                    settings.extra_detection_pass)
        hands, notes = detection.hands, detection.notes
        rejected = [r.to_json() for r in detection.rejected]
        ms["detect"] = (time.perf_counter() - start) * 1000
    boxes: list[BoxHand] = []
    if settings.uses_box_detector:
        if box_detector is None:
            raise ValueError("the anime detector is selected but no box detector was given")
        start = time.perf_counter()
        found = box_detector.detect(rgb, settings.detector_confidence)
        ms["box_detect"] = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        for detection in found:
            if any(_duplicate(detection.box, hand.bbox) for hand in hands):
                continue
            fitted = detector.fit_in_box(rgb, detection.box)
            if fitted is not None and not any(_duplicate(fitted.bbox, hand.bbox) for hand in hands):
                hands.append(fitted)
            else:
                boxes.append(BoxHand(detection.box, detection.score))
        ms["fit"] = (time.perf_counter() - start) * 1000
    hands = hands[:settings.max_hands]
    return FoundHands(hands, boxes[:max(0, settings.max_hands - len(hands))], ms, rejected, notes)
