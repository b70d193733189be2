"""Shared fixtures: the shared test data and model (../shared, never copied into the project), one detector."""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
HANDS_DIR = SHARED / "data" / "hands"
MODEL = SHARED / "models" / "hand_landmarker.task"

sys.path.insert(0, str(ROOT))


def expected_hands() -> dict[str, int]:
    """file name -> hands MediaPipe finds in one pass, from the data set's README table."""
    table = (HANDS_DIR / "README.md").read_text()
    counts = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 7 and re.fullmatch(r"[a-f]\d\d_\S+", cells[0]) and cells[6].isdigit():
            counts[cells[0]] = int(cells[6])  # columns: file, source, path, WxH, bytes, sha256, mp_hands, ...
    return counts


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL where every connection is refused: the port stays bound (so no other process can take it and answer,
    as a test server of a parallel run could) but never listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}/hand_landmarker.task"


@pytest.fixture(scope="session")
def model_path() -> Path:
    assert MODEL.is_file(), f"the shared hand model is missing: {MODEL}"
    return MODEL


@pytest.fixture(scope="session")
def detector(model_path):
    from lib_handrefine.detect import HandDetector

    d = HandDetector(model_path)
    yield d
    d.close()


def synthetic_hand(wrist=(200.0, 400.0), size=200.0, spread=1.0, score=0.9, handedness="Right", source="full"):
    """An open right hand, fingers up and fanned, as landmarks; `size` ~ wrist to middle fingertip in px."""
    from lib_handrefine.detect import Hand

    L = size / 1.9  # palm length
    wx, wy = wrist
    pts = [(wx, wy, 0.0)]
    # thumb: CMC, MCP, IP, TIP out to the side
    for k, (dx, dy) in enumerate([(-0.28, -0.25), (-0.5, -0.45), (-0.68, -0.65), (-0.82, -0.85)]):
        pts.append((wx + dx * L * spread, wy + dy * L, -0.02 * L * (k + 1)))
    for f, angle in enumerate([-18, -6, 6, 18]):
        a = np.deg2rad(angle * spread)
        base_x = wx + (-0.28 + 0.19 * f) * L
        base_y = wy - (1.0 - 0.04 * abs(f - 1.5)) * L
        lengths = [0.45, 0.28, 0.22][:]
        x, y = base_x, base_y
        pts.append((x, y, -0.05 * L))
        for seg in lengths:
            x += np.sin(a) * seg * L
            y -= np.cos(a) * seg * L
            pts.append((x, y, -0.06 * L))
    lm = np.array(pts, dtype=np.float32)
    world = lm.copy()
    world[:, :2] -= lm[:, :2].mean(axis=0)
    world /= 2000.0  # px -> metres at 2000 px/m
    return Hand(lm, world.astype(np.float32), handedness, score, source)


@pytest.fixture
def make_hand():
    return synthetic_hand
