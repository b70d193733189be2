"""Did a fix work? Score each hand before and after its repaint, and keep a candidate only when it is good.

After a region's pass the hand is detected again, on a crop around the hand we asked for, and judged twice:
- **match**: how close the re-detected landmarks lie to the landmarks the depth map was rendered from (2D mean
  keypoint distance over the hand's size: HandRefiner's own MPJPE evaluation), mapped to 0..1;
- **quality**: what needs no target: detection confidence and anatomical plausibility.
A candidate is good when a hand is found, it matches the target within a tolerance, and its quality is no worse than
the original's beyond a small margin. The match is never compared with the original's: the target was fitted to
the original's own landmarks, so the original would win by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .anatomy import plausibility
from .box_detector import BoxDetector
from .detect import Hand, HandDetector, box_overlap

RECHECK_CONTEXT = 0.6  # the re-detection crop adds this share of the hand's extent on every side
RECHECK_CONFIDENCE = 0.3  # the hand is known to be there: a lower bar than for finding it
RECHECK_HANDS = 8  # one landmarker setting for both re-detections, so the detector's pool reuses it
MATCH_SCALE = 0.5  # match = 1 - (mean keypoint distance / hand extent) / MATCH_SCALE
MIN_MATCH = 0.5  # i.e. keypoints within a quarter of the hand's extent on average
QUALITY_MARGIN = 0.1  # a fix may score this much below the original and still count as good
DETECTION_WEIGHT = 0.4  # quality = 0.4 * detection confidence + 0.6 * plausibility


@dataclass(frozen=True)
class HandScore:
    """One hand as seen in one image: found or not, and how good it looks."""

    hand: Hand | None
    quality: float  # 0 when no hand was found

    def to_json(self) -> dict:
        return {"found": self.hand is not None, "quality": round(self.quality, 3),
                "confidence": round(self.hand.score, 3) if self.hand else None}


@dataclass(frozen=True)
class HandVerdict:
    """The judgement of one hand in one candidate."""

    good: bool
    reason: str  # why not good; "" when good
    match: float | None
    quality_before: float
    quality_after: float | None
    checked: bool = True  # False: nothing could check it (a box-only area the user masked), kept as asked

    def describe(self, number: int, kept: bool) -> str:
        """`hand 1: fixed (match 0.93, quality 0.41 → 0.88)` or `hand 2: fix rejected, ...; original kept`."""
        if not self.checked:
            return f"hand {number}: fixed where you masked (no hand found there; box-only, not checked)"
        scores = f"match {self.match:.2f}, " if self.match is not None else ""
        after = f" → {self.quality_after:.2f}" if self.quality_after is not None else ""
        numbers = f"({scores}quality {self.quality_before:.2f}{after})"
        if self.good:
            return f"hand {number}: fixed {numbers}"
        if kept:
            return f"hand {number}: kept although {self.reason} {numbers}"
        return f"hand {number}: fix rejected, {self.reason} {numbers}; original kept"


@dataclass
class CandidateVerdict:
    """One candidate image of a region: a verdict per hand of the region, in the region's order."""

    index: int
    hands: list[HandVerdict] = field(default_factory=list)

    @property
    def good(self) -> bool:
        return bool(self.hands) and all(v.good for v in self.hands)

    @property
    def rank(self) -> tuple[float, float, float]:
        """Sort key, best first: good ones, then match, then quality (a missing hand counts as 0)."""
        matches = [v.match or 0.0 for v in self.hands]
        qualities = [v.quality_after or 0.0 for v in self.hands]
        return (float(self.good), float(np.mean(matches)) if matches else 0.0,
                float(np.mean(qualities)) if qualities else 0.0)


def hand_quality(hand: Hand) -> float:
    """Target-free quality in 0..1: detection confidence and anatomical plausibility."""
    return DETECTION_WEIGHT * float(hand.score) + (1 - DETECTION_WEIGHT) * plausibility(hand.world_landmarks)


def recheck_box(target: Hand, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A square crop around the target hand with context, clipped to the image."""
    width, height = size
    x0, y0, x1, y1 = target.bbox
    side = max(x1 - x0, y1 - y0) * (1 + 2 * RECHECK_CONTEXT)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (max(0, int(cx - side / 2)), max(0, int(cy - side / 2)),
            min(width, int(np.ceil(cx + side / 2))), min(height, int(np.ceil(cy + side / 2))))


def redetect(rgb: np.ndarray, target: Hand, detector: HandDetector, whole_image: list[Hand] | None = None,
             confidence: float = RECHECK_CONFIDENCE) -> Hand | None:
    """The hand nearest the target (image coordinates), or None: from a crop around the target, and from the
    whole-image pass when given. The whole-image pass sees the hand as the original detection did; the crop finds
    it when that pass does not. Symmetric poses (thumb and little finger out) can be labelled the other way round
    at another scale, so the nearer reading counts."""
    x0, y0, x1, y1 = recheck_box(target, (rgb.shape[1], rgb.shape[0]))
    found = detector.detect(np.ascontiguousarray(rgb[y0:y1, x0:x1]), confidence, RECHECK_HANDS, extra_pass=False).hands
    offset = np.array([x0, y0, 0], dtype=np.float32)
    readings = [Hand(h.landmarks + offset, h.world_landmarks, h.handedness, h.score, "recheck") for h in found]
    readings += whole_image or []
    if not readings:
        return None
    return min(readings, key=lambda h: keypoint_error(h, target))


def keypoint_error(found: Hand, target: Hand) -> float:
    """Mean 2D keypoint distance over the target's extent (HandRefiner's MPJPE, normalised by hand size)."""
    distances = np.linalg.norm(found.landmarks[:, :2] - target.landmarks[:, :2], axis=1)
    return float(distances.mean()) / max(1.0, float(target.extent))


def match_score(found: Hand, target: Hand) -> float:
    return float(np.clip(1.0 - keypoint_error(found, target) / MATCH_SCALE, 0.0, 1.0))


def score_hand(rgb: np.ndarray, target: Hand, detector: HandDetector,
               whole_image: list[Hand] | None = None) -> HandScore:
    found = redetect(rgb, target, detector, whole_image)
    return HandScore(found, hand_quality(found) if found is not None else 0.0)


def judge_hand(before: HandScore, after: HandScore, target: Hand) -> HandVerdict:
    if after.hand is None:
        return HandVerdict(False, "no hand found in the result", None, before.quality, None)
    match = match_score(after.hand, target)
    if match < MIN_MATCH:
        return HandVerdict(False, f"the result does not match the hand asked for (match {match:.2f} < {MIN_MATCH})",
                           match, before.quality, after.quality)
    if after.quality < before.quality - QUALITY_MARGIN:
        return HandVerdict(False, "the result looks worse than the original", match, before.quality, after.quality)
    return HandVerdict(True, "", match, before.quality, after.quality)


def judge_candidate(index: int, candidate_rgb: np.ndarray, targets: list[Hand], before: list[HandScore],
                    detector: HandDetector) -> CandidateVerdict:
    """Judge every hand of a region in one candidate image (full image size, like the original)."""
    whole_image = whole_image_pass(candidate_rgb, detector)
    verdict = CandidateVerdict(index)
    for target, original in zip(targets, before):
        verdict.hands.append(judge_hand(original, score_hand(candidate_rgb, target, detector, whole_image), target))
    return verdict


def whole_image_pass(rgb: np.ndarray, detector: HandDetector) -> list[Hand]:
    """One plain pass over the whole image, shared by every hand judged in it."""
    return detector.detect(rgb, RECHECK_CONFIDENCE, RECHECK_HANDS, extra_pass=False).hands


def best_candidate(verdicts: list[CandidateVerdict]) -> CandidateVerdict | None:
    """The best-ranked candidate (good ones first, then match, then quality); None when there are none."""
    return max(verdicts, key=lambda v: v.rank) if verdicts else None


def judge_box(candidate_rgb: np.ndarray, box: tuple[int, int, int, int], score_before: float,
              box_detector: BoxDetector | None) -> HandVerdict:
    """A box-only hand (no landmarks, so no match): the box detector must find a hand there again, about as sure
    as before. Without the box detector nothing can vouch for the result."""
    if box_detector is None:
        return HandVerdict(False, "no detector can check a box-only hand", None, score_before, None)
    found = [d.score for d in box_detector.detect(candidate_rgb)
             if max(box_overlap(d.box, box)[0] / 0.3, box_overlap(d.box, box)[1] / 0.6) >= 1.0]
    if not found:
        return HandVerdict(False, "no hand found in the result", None, score_before, None)
    after = max(found)
    if after < score_before - QUALITY_MARGIN:
        return HandVerdict(False, "the result looks worse than the original", None, score_before, after)
    return HandVerdict(True, "", None, score_before, after)
