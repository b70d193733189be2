"""Hand detection with MediaPipe's Tasks HandLandmarker (mediapipe 0.10.9 … 1.x).

One HandDetector per process (see `get_detector`), loaded once and reused. It is safe to call from several threads:
each call borrows a landmarker instance of its own from a small pool. Besides the usual pass over the whole image,
an optional extra pass runs over overlapping zoomed tiles, which finds small hands and hands near the border that
MediaPipe misses once it shrinks the whole image to its 192 px palm-detector input. Duplicates are merged by box
overlap, preferring whole-image detections.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

FULL_PASS_MAX_SIDE = 512  # MediaPipe samples large images down without anti-aliasing; we do it with INTER_AREA first
TILE_MAX_SIDE = 384
# Below this long side MediaPipe's single pass (192 px palm input) already sees hands of a fixable size (~50 px);
# tiles there would mostly find hands too small to repaint, at three times the cost.
TILE_MIN_LONG_SIDE = 640
TILE_OVERLAP = 0.25
MIN_DETECT_SIDE = 32  # below this MediaPipe has nothing to work with
TILE_EDGE_PX = 2  # a tile detection touching an inner tile edge is a cut-off hand; the neighbour tile has it whole
TILE_MIN_SCORE = 0.7  # tiles see less context, so they must be surer (keeps false positives at zero on our set)
NUM_LANDMARKS = 21
POOL_KEYS = 3  # (confidence, max hands) settings whose landmarkers stay loaded
# Fitting landmarks inside another detector's box: padded square crops (padding as a share of the box's long side,
# tried in this order: more context helps MediaPipe's palm detector most often on e01-e04), a low confidence
# (the box model already said "hand"), and the fit must sit in the box and fill a good part of it.
FIT_PADDINGS = (1.0, 0.5, 1.5)
FIT_CONFIDENCE = 0.1
FIT_MIN_EXTENT = 0.4


@dataclass(frozen=True)
class Hand:
    """One detected hand. `landmarks` are (x px, y px, z px) in the image; smaller z is nearer the camera."""

    landmarks: np.ndarray  # (21, 3) float32
    world_landmarks: np.ndarray  # (21, 3) float32, metres, origin near the hand's centre
    handedness: str  # the Tasks API's label: the subject's hand in an ordinary (non-mirrored) photo
    score: float
    source: str = "full"  # "full", "tile", or "fit" (fitted inside another detector's box)

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """Landmark box (x0, y0, x1, y1), end-exclusive integer pixels, not clipped to the image."""
        xy = self.landmarks[:, :2]
        x0, y0 = np.floor(xy.min(axis=0)).astype(int)
        x1, y1 = np.ceil(xy.max(axis=0)).astype(int) + 1
        return int(x0), int(y0), int(x1), int(y1)

    @property
    def extent(self) -> int:
        x0, y0, x1, y1 = self.bbox
        return max(x1 - x0, y1 - y0)

    def to_json(self) -> dict:
        return {
            "bbox": list(self.bbox),
            "handedness": self.handedness,
            "score": round(float(self.score), 4),
            "source": self.source,
            "landmarks": [[round(float(v), 2) for v in p] for p in self.landmarks],
        }


@dataclass
class Detection:
    hands: list[Hand] = field(default_factory=list)
    passes: int = 0
    ms: float = 0.0


class DetectorError(RuntimeError):
    """mediapipe is missing or the model cannot be loaded."""


class HandDetector:
    """MediaPipe HandLandmarker wrapper; landmarker instances are pooled per (confidence, max hands)."""

    def __init__(self, model_path: str | Path, workers: int = 2, confidence: float = 0.5, max_hands: int = 8) -> None:
        self.model_path = Path(model_path)
        self._model = self.model_path.read_bytes()
        self._lock = threading.Lock()
        self._idle: dict[tuple[float, int], list] = {}
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="handrefine-detect")
        try:
            # load now, so a bad model fails here and not in the first image; one instance per worker, with the
            # settings the first images will use (instances are pooled per setting)
            with contextlib.ExitStack() as stack:
                for _ in range(max(1, workers)):
                    stack.enter_context(self._borrow(confidence, max_hands))
        except DetectorError:
            self.close()
            raise

    # ----- landmarker pool -----
    def _create(self, confidence: float, max_hands: int):
        try:
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:
            raise DetectorError(f"mediapipe is not installed or too old for the Tasks API: {exc}") from exc
        options = vision.HandLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=self._model),  # a path breaks on some Windows installs
            running_mode=vision.RunningMode.IMAGE,
            num_hands=max_hands,
            min_hand_detection_confidence=confidence,
            min_hand_presence_confidence=confidence,
            min_tracking_confidence=confidence,
        )
        try:
            return vision.HandLandmarker.create_from_options(options)
        except Exception as exc:  # mediapipe raises RuntimeError / ValueError with its own texts
            raise DetectorError(f"cannot load hand model {self.model_path}: {exc}") from exc

    class _Borrowed:
        def __init__(self, owner: HandDetector, key: tuple[float, int]) -> None:
            self.owner, self.key, self.landmarker = owner, key, None

        def __enter__(self):
            with self.owner._lock:
                if self.owner._closed:
                    raise DetectorError("the hand detector has been closed")
                idle = self.owner._idle.setdefault(self.key, [])
                self.landmarker = idle.pop() if idle else None
            if self.landmarker is None:
                self.landmarker = self.owner._create(*self.key)
            return self.landmarker

        def __exit__(self, *exc) -> None:
            with self.owner._lock:
                if self.owner._closed:
                    self.landmarker.close()
                    return
                # keep the few most recent settings (detection, re-checks): a new landmarker costs ~100 ms
                idle = self.owner._idle
                idle[self.key] = [*idle.pop(self.key, []), self.landmarker]  # most recent last
                for key in list(idle)[:-POOL_KEYS]:
                    for lm in idle.pop(key):
                        lm.close()

    def _borrow(self, confidence: float, max_hands: int) -> HandDetector._Borrowed:
        return HandDetector._Borrowed(self, (round(float(confidence), 4), int(max_hands)))

    def close(self) -> None:
        """Release every landmarker now (mediapipe 0.10.31+ prints a traceback from __del__ at exit otherwise)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for instances in idle.values():
            for lm in instances:
                lm.close()
        self._executor.shutdown(wait=True)

    # ----- detection -----
    def detect(
        self, rgb: np.ndarray, confidence: float = 0.5, max_hands: int = 8, extra_pass: bool = True
    ) -> Detection:
        """All hands in an HxWx3 uint8 RGB image, most confident first, at most `max_hands`."""
        if self._closed:
            raise DetectorError("the hand detector has been closed")
        start = time.perf_counter()
        h, w = rgb.shape[:2]
        if min(h, w) < MIN_DETECT_SIDE:
            return Detection([], 0, (time.perf_counter() - start) * 1000)
        jobs = [(0, 0, w, h, "full", FULL_PASS_MAX_SIDE)]
        if extra_pass:
            jobs += [(x0, y0, x1, y1, "tile", TILE_MAX_SIDE) for x0, y0, x1, y1 in tile_boxes(w, h)]
        found = list(self._executor.map(lambda job: self._run_pass(rgb, job, confidence, max_hands), jobs))
        hands = merge_hands([hand for group in found for hand in group], (w, h))
        return Detection(hands[:max_hands], len(jobs), (time.perf_counter() - start) * 1000)

    def _run_pass(self, rgb: np.ndarray, job: tuple, confidence: float, max_hands: int) -> list[Hand]:
        import mediapipe as mp

        x0, y0, x1, y1, source, max_side = job
        crop = rgb[y0:y1, x0:x1]
        cw, ch = x1 - x0, y1 - y0
        scale = min(1.0, max_side / max(cw, ch))
        if scale < 1.0:
            small = (max(1, round(cw * scale)), max(1, round(ch * scale)))
            crop = cv2.resize(crop, small, interpolation=cv2.INTER_AREA)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(crop))
        with self._borrow(confidence, max_hands) as landmarker:
            result = landmarker.detect(image)
        hands = []
        for lms, world, handed in zip(result.hand_landmarks, result.hand_world_landmarks, result.handedness):
            pts = np.array([[p.x, p.y, p.z] for p in lms], dtype=np.float32)
            # normalised -> this pass's pixels -> image pixels; MediaPipe's z is on the scale of x (the pass width)
            pts[:, 0] = pts[:, 0] * cw + x0
            pts[:, 1] = pts[:, 1] * ch + y0
            pts[:, 2] = pts[:, 2] * cw
            wpts = np.array([[p.x, p.y, p.z] for p in world], dtype=np.float32)
            category = handed[0]
            label = category.category_name or category.display_name
            hands.append(Hand(pts, wpts, label, float(category.score), source))
        if source == "tile":
            hands = [hd for hd in hands if hd.score >= max(confidence, TILE_MIN_SCORE)
                     and not _touches_inner_edge(hd, job, rgb.shape[1], rgb.shape[0])]
        return hands

    def fit_in_box(self, rgb: np.ndarray, box: tuple[int, int, int, int],
                   confidence: float = FIT_CONFIDENCE) -> Hand | None:
        """Landmarks (image coordinates) of the hand another detector boxed, or None if MediaPipe fits none there.

        MediaPipe runs on square crops centred on the box, which zooms small hands to its input size; a fit counts
        only if its centre lies in the box and it spans at least FIT_MIN_EXTENT of the box's long side.
        """
        if self._closed:
            raise DetectorError("the hand detector has been closed")
        height, width = rgb.shape[:2]
        x0, y0, x1, y1 = box
        side = max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        for pad in FIT_PADDINGS:
            half = side * (0.5 + pad)
            job = (max(0, round(cx - half)), max(0, round(cy - half)), min(width, round(cx + half)),
                   min(height, round(cy + half)), "fit", FULL_PASS_MAX_SIDE)
            if min(job[2] - job[0], job[3] - job[1]) < MIN_DETECT_SIDE:
                continue
            for hand in self._run_pass(rgb, job, confidence, 2):
                if _fits_box(hand, box):
                    return hand
        return None


def tile_boxes(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles for the extra pass: 2 along the short side, 2-3 along the long side (about 2x zoom); none
    for images whose long side is at most TILE_MIN_LONG_SIDE."""
    short, long_ = min(width, height), max(width, height)
    if short < 2 * MIN_DETECT_SIDE or long_ <= TILE_MIN_LONG_SIDE:
        return []
    n_short = 2
    n_long = max(2, min(3, round(1.5 * long_ / short)))
    nx, ny = (n_long, n_short) if width >= height else (n_short, n_long)
    xs = _axis_tiles(width, nx)
    ys = _axis_tiles(height, ny)
    return [(a, b, c, d) for b, d in ys for a, c in xs]


def _axis_tiles(length: int, n: int) -> list[tuple[int, int]]:
    size = math.ceil(length / (n - TILE_OVERLAP * (n - 1)))
    step = (length - size) / (n - 1)
    return [(round(i * step), round(i * step) + size) for i in range(n)]


def _touches_inner_edge(hand: Hand, job: tuple, width: int, height: int) -> bool:
    x0, y0, x1, y1 = job[:4]
    hx0, hy0, hx1, hy1 = hand.bbox
    e = TILE_EDGE_PX
    return bool(
        (x0 > 0 and hx0 <= x0 + e) or (y0 > 0 and hy0 <= y0 + e)
        or (x1 < width and hx1 >= x1 - e) or (y1 < height and hy1 >= y1 - e)
    )


def _fits_box(hand: Hand, box: tuple[int, int, int, int]) -> bool:
    xy = hand.landmarks[:, :2]
    cx, cy = xy.mean(axis=0)
    extent = float((xy.max(axis=0) - xy.min(axis=0)).max())
    return bool(box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
                and extent >= FIT_MIN_EXTENT * max(box[2] - box[0], box[3] - box[1]))


def box_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[float, float]:
    """(IoU, intersection over the smaller box) of two boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = max(1, (a[2] - a[0]) * (a[3] - a[1]))
    area_b = max(1, (b[2] - b[0]) * (b[3] - b[1]))
    return inter / (area_a + area_b - inter), inter / min(area_a, area_b)


def merge_hands(hands: list[Hand], size: tuple[int, int]) -> list[Hand]:
    """Drop duplicates (IoU > 0.3, or one box mostly inside the other); whole-image passes win, then score."""
    ordered = sorted(hands, key=lambda hd: (hd.source != "full", -hd.score))
    kept: list[Hand] = []
    for hand in ordered:
        if all(max(box_overlap(hand.bbox, k.bbox)[0] / 0.3, box_overlap(hand.bbox, k.bbox)[1] / 0.6) < 1.0
               for k in kept):
            kept.append(hand)
    return sorted(kept, key=lambda hd: -hd.score)


# ----- the one detector of this process -----
_detector: HandDetector | None = None
_detector_lock = threading.Lock()


def get_detector(model_path: str | Path, confidence: float = 0.5, max_hands: int = 8) -> HandDetector:
    """The process-wide detector for `model_path`, created on first use (warmed up for `confidence` and `max_hands`)
    and closed at interpreter exit."""
    global _detector
    with _detector_lock:
        if _detector is None or _detector.model_path != Path(model_path) or _detector._closed:
            if _detector is not None:
                _detector.close()
            _detector = HandDetector(model_path, confidence=confidence, max_hands=max_hands)
        return _detector


def close_detector() -> None:
    global _detector
    with _detector_lock:
        if _detector is not None:
            _detector.close()
            _detector = None


atexit.register(close_detector)
