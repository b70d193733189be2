"""How much 21 hand landmarks look like a real hand: bone proportions, joint angles and palm shape.

MediaPipe fits a five-finger skeleton to anything it calls a hand, so the skeleton alone cannot prove a hand; but a
skeleton with a 1.4x thumb, a finger folded back on itself or the knuckles out of order is not a hand we can trust.
The checks read MediaPipe's metric world landmarks (3D, so the proportions do not change with the pose) and return
one score in 0..1, 1 = a typical hand. The reference proportions are the medians over the real photos of the test
set (a*, b*, c*, d* in ../shared/data/hands): each bone divided by the wrist -> middle knuckle length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# landmark chains from the wrist (0) through each finger to its tip
FINGER_CHAINS = ((0, 1, 2, 3, 4), (0, 5, 6, 7, 8), (0, 9, 10, 11, 12), (0, 13, 14, 15, 16), (0, 17, 18, 19, 20))
KNUCKLES = (5, 9, 13, 17)  # index .. pinky MCP joints
PALM_BONE = (0, 9)  # wrist -> middle finger knuckle: the unit of length
# bone / palm length along FINGER_CHAINS (wrist->CMC, CMC->MCP, ..., DIP->tip), the palm bone itself left out
TYPICAL_BONES = np.array([
    0.39, 0.35, 0.36, 0.31,  # thumb
    1.04, 0.29, 0.25, 0.29,  # index
    0.37, 0.30, 0.31,  # middle (its wrist->MCP bone is the unit)
    0.97, 0.33, 0.28, 0.27,  # ring
    0.85, 0.24, 0.24, 0.20,  # pinky
])
PROPORTION_TOLERANCE = 0.15  # mean |log(ratio)|; real hands in the test set: median 0.11, 95th percentile 0.28
MAX_THUMB_BEND = 70.0  # degrees between consecutive thumb bones; real hands <= 49
MAX_FINGER_BEND = 135.0  # degrees between consecutive finger bones; real hands <= 127 (a tight fist)


@dataclass(frozen=True)
class Anatomy:
    score: float  # 0..1, the product of the three parts
    proportions: float  # 1 = typical bone lengths
    joints: float  # 1 = every joint within its range
    palm: float  # 1 = knuckles in order index -> pinky, palm not collapsed

    def to_json(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in vars(self).items()}


# the bones (start, end) and joints (a, b, c) of FINGER_CHAINS as index arrays: one vector operation each
# (this runs on every hand found, a whole-image one included)
_BONE_START, _BONE_END = np.array([(a, b) for chain in FINGER_CHAINS for a, b in zip(chain, chain[1:])]).T
_JOINTS = np.array([(a, b, c) for chain in FINGER_CHAINS for a, b, c in zip(chain, chain[1:], chain[2:])])
_JOINT_LIMITS = np.array([MAX_THUMB_BEND if chain is FINGER_CHAINS[0] else MAX_FINGER_BEND
                          for chain in FINGER_CHAINS for _ in chain[2:]])


def _bones(points: np.ndarray) -> np.ndarray:
    lengths = np.linalg.norm(points[_BONE_END] - points[_BONE_START], axis=1)
    return np.delete(lengths, 8)  # drop wrist -> middle MCP, the unit


def proportion_score(points: np.ndarray) -> float:
    palm = float(np.linalg.norm(points[PALM_BONE[1]] - points[PALM_BONE[0]]))
    if palm <= 1e-9:
        return 0.0
    ratios = np.maximum(_bones(points) / palm, 1e-3)
    deviation = float(np.mean(np.abs(np.log(ratios / TYPICAL_BONES))))
    return math.exp(-max(0.0, deviation - PROPORTION_TOLERANCE) / PROPORTION_TOLERANCE)


def _bend_angles(points: np.ndarray) -> np.ndarray:
    """The angle between consecutive bones, in degrees, at every finger joint (limits: _JOINT_LIMITS)."""
    u = points[_JOINTS[:, 1]] - points[_JOINTS[:, 0]]
    v = points[_JOINTS[:, 2]] - points[_JOINTS[:, 1]]
    norm = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    cos = np.where(norm > 1e-12, np.einsum("ij,ij->i", u, v) / np.maximum(norm, 1e-12), 1.0)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def joint_score(points: np.ndarray) -> float:
    """1 when every joint bends within its range; each degree over the limit costs a little."""
    excess = float(np.maximum(0.0, _bend_angles(points) - _JOINT_LIMITS).sum())
    return math.exp(-excess / 30.0)


def palm_score(points: np.ndarray) -> float:
    """Knuckles run index -> pinky along one side of the palm, roughly evenly spaced, and the palm has width."""
    knuckles = points[list(KNUCKLES)]
    axis = knuckles[-1] - knuckles[0]
    width = float(np.linalg.norm(axis))
    palm = float(np.linalg.norm(points[PALM_BONE[1]] - points[PALM_BONE[0]]))
    if width <= 1e-9 or palm <= 1e-9:
        return 0.0
    along = (knuckles - knuckles[0]) @ (axis / width)
    steps = np.diff(along) / width
    order = 1.0 if np.all(steps > 0) else math.exp(-float(np.sum(np.maximum(0.0, -steps))) / 0.1) * 0.5
    # real palms are 0.6-1.0 palm lengths wide at the knuckles; a collapsed one is a line
    shape = min(1.0, (width / palm) / 0.45)
    return order * shape


def assess(world_landmarks: np.ndarray) -> Anatomy:
    """Plausibility of one hand from its (21, 3) world landmarks (image landmarks work too, less pose-invariant)."""
    points = np.asarray(world_landmarks, dtype=np.float64)[:, :3]
    if points.shape != (21, 3) or not np.all(np.isfinite(points)):
        return Anatomy(0.0, 0.0, 0.0, 0.0)
    proportions, joints, palm = proportion_score(points), joint_score(points), palm_score(points)
    return Anatomy(proportions * joints * palm, proportions, joints, palm)


def plausibility(world_landmarks: np.ndarray) -> float:
    """One number: 1 = a typical hand, 0 = not a hand's skeleton."""
    return assess(world_landmarks).score
