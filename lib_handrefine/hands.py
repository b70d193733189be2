"""The data of hand detection: a hand, a look (one landmarker pass over a window), a rejected box, a result."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .boxes import Box, box_overlap

NUM_LANDMARKS = 21


@dataclass(frozen=True)
class Hand:
    """One detected hand. `landmarks` are (x px, y px, z px) in the image; smaller z is nearer the camera."""

    landmarks: np.ndarray  # (21, 3) float32
    world_landmarks: np.ndarray  # (21, 3) float32, metres, origin near the hand's centre
    handedness: str  # the Tasks API's label: the subject's hand in an ordinary (non-mirrored) photo
    score: float  # the landmarker's handedness confidence
    source: str = "full"  # the look that found it: "full", "tile", "near", "check", "box", or "fit" (landmarks
    # fitted inside another detector's box)
    check: float | None = None  # hand score of the hand-or-not check, 0..1; None: not checked

    @property
    def bbox(self) -> Box:
        """Landmark box (x0, y0, x1, y1), end-exclusive integer pixels, not clipped to the image."""
        xy = self.landmarks[:, :2]
        x0, y0 = np.floor(xy.min(axis=0)).astype(int)
        x1, y1 = np.ceil(xy.max(axis=0)).astype(int) + 1
        return int(x0), int(y0), int(x1), int(y1)

    @property
    def extent(self) -> int:
        x0, y0, x1, y1 = self.bbox
        return max(x1 - x0, y1 - y0)

    @property
    def palm_px(self) -> float:
        """Wrist to middle-finger knuckle in image pixels: the hand's own unit of length."""
        return float(np.linalg.norm(self.landmarks[9, :2] - self.landmarks[0, :2]))

    def to_json(self) -> dict:
        out = {
            "bbox": list(self.bbox),
            "handedness": self.handedness,
            "score": round(float(self.score), 4),
            "source": self.source,
            "landmarks": [[round(float(v), 2) for v in p] for p in self.landmarks],
        }
        if self.check is not None:
            out["check"] = round(float(self.check), 3)
        return out


@dataclass(frozen=True)
class Look:
    """One landmarker pass: a window of the image (clipped to it), passed at most `max_side` px long."""

    box: Box
    source: str
    max_side: int = 384
    cut_at_edges: bool = True  # drop hands touching an inner window edge: a neighbouring window has them whole
    min_side: int = 256  # smaller windows are enlarged to this, so the landmark model reads a steady scale
    mirror: bool = False  # pass the window mirrored (the hand check's second opinion); results are mapped back
    turns: int = 0  # pass the window turned by this many quarter turns counter-clockwise (after mirroring); mapped back


@dataclass(frozen=True)
class Rejected:
    """A candidate box that the hand-or-not check refused."""

    bbox: Box
    reason: str
    score: float

    def to_json(self) -> dict:
        return {"bbox": list(self.bbox), "reason": self.reason, "score": round(float(self.score), 3)}


@dataclass
class Detection:
    hands: list[Hand] = field(default_factory=list)
    passes: int = 0
    ms: float = 0.0
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # conditions under which detection is known to be weaker
    checked: int = 0  # candidates that needed a second landmark pass in the hand check
    check_passes: int = 0  # landmark passes the hand check ran
    check_ms: float = 0.0  # time spent on those candidates (wall clock; checks run on the worker threads)


def same_hand(a: Box, b: Box) -> bool:
    """Two boxes of one hand: IoU > 0.3, or one mostly inside the other."""
    iou, inside = box_overlap(a, b)
    return iou > 0.3 or inside > 0.6


def merge_hands(hands: list[Hand], size: tuple[int, int] | None = None) -> list[Hand]:
    """Drop duplicates; whole-image passes win, then score. Most confident first."""
    return [group[0] for group in group_hands(hands)]


def group_hands(hands: list[Hand]) -> list[list[Hand]]:
    """Hands of all looks grouped by the hand they show; each group's first member is its best (whole-image pass
    first, then score). Groups are ordered by that member's score, highest first."""
    ordered = sorted(hands, key=lambda hd: (hd.source != "full", -hd.score))
    groups: list[list[Hand]] = []
    for hand in ordered:
        for group in groups:
            if same_hand(hand.bbox, group[0].bbox):
                group.append(hand)
                break
        else:
            groups.append([hand])
    return sorted(groups, key=lambda g: -g[0].score)
