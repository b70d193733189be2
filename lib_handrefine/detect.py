"""Hand detection with MediaPipe's Tasks HandLandmarker (mediapipe 0.10.9 … 1.x).

One HandDetector per process (see `get_detector`), loaded once and reused. It is safe to call from several threads:
each call borrows a landmarker instance of its own from a small pool. `HandDetector.look` runs the landmarker over
one window of an image; `HandDetector.detect` finds every hand (see search.py: a whole-image pass, extra zoomed
passes where the image needs them, and a hand-or-not check of every candidate).
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from .appearance import Appearance, prepare
from .boxes import Box, box_overlap, clip_box
from .hands import Detection, Hand, Look, Rejected, merge_hands
from .settings import EXTRA_PASS_MODES
from .witness import LandmarkWitness

__all__ = ["EXTRA_PASS_MODES", "Detection", "DetectorError", "Hand", "HandDetector", "Look", "Rejected",
           "box_overlap", "close_detector", "extra_pass_mode", "get_detector", "merge_hands"]

FULL_PASS_MAX_SIDE = 512  # MediaPipe samples large images down without anti-aliasing; we do it with INTER_AREA first
MIN_DETECT_SIDE = 32  # below this MediaPipe has nothing to work with
TILE_EDGE_PX = 2  # a hand touching an inner window edge is cut off; a neighbouring window has it whole
T = TypeVar("T")
R = TypeVar("R")
MIRRORED = {"Left": "Right", "Right": "Left"}
WORKER_PREFIX = "handrefine-detect"
POOL_KEYS = 5  # landmarker settings kept warm: the user's, the extra passes', the check's (two presences), the
# low-detection pass's
LOW_DETECTION = 0.1  # palm detector threshold of the low-detection whole-image pass (search.py); presence stays
# Fitting landmarks inside another detector's box: padded square crops (padding as a share of the box's long side,
# tried in this order: more context helps MediaPipe's palm detector most often on e01-e04), a low confidence
# (the box model already said "hand"), and the fit must sit in the box and fill a good part of it.
FIT_PADDINGS = (1.0, 0.5, 1.5)
FIT_CONFIDENCE = 0.1
FIT_MIN_EXTENT = 0.4


def extra_pass_mode(value: bool | str) -> str:
    """The extra-pass mode of a setting value: "off", "auto" or "thorough"; the old bool reads True=auto, False=off."""
    if isinstance(value, bool):
        return "auto" if value else "off"
    mode = str(value).strip().lower()
    if mode not in EXTRA_PASS_MODES:
        raise ValueError(f"extra pass must be one of {', '.join(EXTRA_PASS_MODES)}, got {value!r}")
    return mode


class DetectorError(RuntimeError):
    """mediapipe is missing or the model cannot be loaded."""


class HandDetector:
    """MediaPipe HandLandmarker wrapper; landmarker instances are pooled per (detection confidence, presence
    confidence, max hands)."""

    def __init__(self, model_path: str | Path, workers: int = 2, confidence: float = 0.5, max_hands: int = 8) -> None:
        self.model_path = Path(model_path)
        self._model = self.model_path.read_bytes()
        self._lock = threading.Lock()
        self._idle: dict[tuple[float, float, int], list] = {}
        self._closed = False
        self._witness: LandmarkWitness | bool | None = False  # False: not loaded yet
        self._executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=WORKER_PREFIX)
        try:
            # load now, so a bad model fails here and not in the first image; one instance per worker, with the
            # settings the first images will use (instances are pooled per setting)
            with contextlib.ExitStack() as stack:
                for _ in range(max(1, workers)):
                    stack.enter_context(self._borrow(confidence, max_hands))
                # the low-detection whole-image pass of images where the first pass found nothing (one pass per
                # image: one instance)
                stack.enter_context(self._borrow(LOW_DETECTION, max_hands, confidence))
        except DetectorError:
            self.close()
            raise

    # ----- landmarker pool -----
    def _create(self, confidence: float, presence: float, max_hands: int):
        try:
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:
            raise DetectorError(f"mediapipe is not installed or too old for the Tasks API: {exc}") from exc
        options = vision.HandLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=self._model),  # a path breaks on some Windows installs
            running_mode=vision.RunningMode.IMAGE,
            num_hands=max_hands,
            min_hand_detection_confidence=confidence,
            min_hand_presence_confidence=presence,
            min_tracking_confidence=presence,
        )
        try:
            return vision.HandLandmarker.create_from_options(options)
        except Exception as exc:  # mediapipe raises RuntimeError / ValueError with its own texts
            raise DetectorError(f"cannot load hand model {self.model_path}: {exc}") from exc

    class _Borrowed:
        def __init__(self, owner: HandDetector, key: tuple[float, float, int]) -> None:
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
                idle = self.owner._idle
                idle[self.key] = [*idle.pop(self.key, []), self.landmarker]  # most recently used key last
                # keep the few settings one detection uses; an old confidence is rarely used again
                while len(idle) > POOL_KEYS:
                    for lm in idle.pop(next(iter(idle))):
                        lm.close()

    def _borrow(self, confidence: float, max_hands: int, presence: float | None = None) -> HandDetector._Borrowed:
        """A landmarker whose palm detector keeps boxes from `confidence` and whose landmark model keeps hands from
        `presence` (default: the same)."""
        presence = confidence if presence is None else presence
        return HandDetector._Borrowed(self, (round(float(confidence), 4), round(float(presence), 4), int(max_hands)))

    def close(self) -> None:
        """Release every landmarker now (mediapipe 0.10.31+ prints a traceback from __del__ at exit otherwise)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for instances in idle.values():
            for lm in instances:
                lm.close()
        self._executor.shutdown(wait=True)

    @property
    def witness(self) -> LandmarkWitness | None:
        """The bundle's landmark model run on its own (witness.py), loaded on first use; None where this OpenCV
        cannot run it (said once on the console)."""
        with self._lock:
            if self._witness is False:
                self._witness = LandmarkWitness.load(self._model)
                if self._witness is None:
                    print(f"HandRefine: OpenCV {cv2.__version__} cannot run the hand landmark model on its own; the "
                          "hand-or-not check goes without that witness", file=sys.stderr, flush=True)
            return self._witness

    # ----- detection -----
    def detect(
        self, rgb: np.ndarray, confidence: float = 0.5, max_hands: int = 8, extra_pass: bool | str = "auto"
    ) -> Detection:
        """All hands in an HxWx3 uint8 RGB image, most confident first, at most `max_hands`.

        extra_pass: "off" (one whole-image pass), "auto" (extra zoomed passes where the image or the hands found
        call for them), "thorough" (always search at the scale of the smallest fixable hand); True/False = auto/off.
        """
        from .search import find_hands  # search builds on this module

        if self._closed:
            raise DetectorError("the hand detector has been closed")
        return find_hands(self, rgb, confidence, max_hands, extra_pass_mode(extra_pass))

    def look(self, rgb: np.ndarray, look: Look, confidence: float, max_hands: int,
             appearance: Appearance | None = None, presence: float | None = None) -> list[Hand]:
        """Hands in one window of the image, in image coordinates. The window is clipped to the image, scaled to at
        most `look.max_side` (smaller than `look.min_side`: enlarged) and prepared for the image's appearance.
        confidence: the palm detector's threshold; presence: the landmark model's (default: confidence)."""
        import mediapipe as mp

        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = clip_box(look.box, (w, h))
        if min(x1 - x0, y1 - y0) < 8:
            return []
        crop = rgb[y0:y1, x0:x1]
        if look.pad and (x0, y0, x1, y1) != tuple(look.box):
            # keep the window's zoom and centre: the part outside the image becomes a neutral gray border
            bx0, by0, bx1, by1 = look.box
            crop = cv2.copyMakeBorder(crop, y0 - by0, by1 - y1, x0 - bx0, bx1 - x1, cv2.BORDER_CONSTANT,
                                      value=(128, 128, 128))
            x0, y0, x1, y1 = look.box
        cw, ch = x1 - x0, y1 - y0
        long_side = max(cw, ch)
        scale = look.max_side / long_side if long_side > look.max_side else max(1.0, look.min_side / long_side)
        if scale != 1.0:
            size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        if appearance is not None:
            crop = prepare(crop, appearance)
        if look.mirror:
            crop = crop[:, ::-1]
        if look.turns % 4:
            crop = np.rot90(crop, look.turns % 4)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(crop))
        with self._borrow(confidence, max_hands, presence) as landmarker:
            result = landmarker.detect(image)
        hands = []
        for lms, world, handed in zip(result.hand_landmarks, result.hand_world_landmarks, result.handedness):
            pts = np.array([[p.x, p.y, p.z] for p in lms], dtype=np.float32)
            wpts = np.array([[p.x, p.y, p.z] for p in world], dtype=np.float32)
            category = handed[0]
            label = category.category_name or category.display_name
            for _ in range(look.turns % 4):  # undo one counter-clockwise quarter turn (normalised coordinates)
                pts[:, 0], pts[:, 1] = 1.0 - pts[:, 1], pts[:, 0].copy()
                wpts[:, 0], wpts[:, 1] = -wpts[:, 1], wpts[:, 0].copy()
            if look.mirror:  # back to the unmirrored window: x flips, and so does the hand's side
                pts[:, 0] = 1.0 - pts[:, 0]
                wpts[:, 0] = -wpts[:, 0]
                label = MIRRORED.get(label, label)
            # normalised -> this pass's pixels -> image pixels; MediaPipe's z is on the scale of x (the pass width)
            pts[:, 0] = pts[:, 0] * cw + x0
            pts[:, 1] = pts[:, 1] * ch + y0
            pts[:, 2] = pts[:, 2] * (ch if look.turns % 2 else cw)
            hand = Hand(pts, wpts, label, float(category.score), look.source)
            if not (look.cut_at_edges and _touches_inner_edge(hand.bbox, (x0, y0, x1, y1), w, h)):
                hands.append(hand)
        return hands

    def fit_in_box(self, rgb: np.ndarray, box: Box, confidence: float = FIT_CONFIDENCE) -> Hand | None:
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
            window = clip_box((round(cx - half), round(cy - half), round(cx + half), round(cy + half)), (width, height))
            if min(window[2] - window[0], window[3] - window[1]) < MIN_DETECT_SIDE:
                continue
            look = Look(window, "fit", FULL_PASS_MAX_SIDE, cut_at_edges=False, min_side=0)
            for hand in self.look(rgb, look, confidence, 2):
                if _fits_box(hand, box):
                    return hand
        return None

    def beside(self, fn: Callable[[], R]) -> Callable[[], R]:
        """fn started on a worker thread now; call the result to wait for its value (work for this thread meanwhile).
        On a worker itself fn runs at once (a worker waiting for its own pool could wait forever)."""
        if threading.current_thread().name.startswith(WORKER_PREFIX):
            value = fn()
            return lambda: value
        return self._executor.submit(fn).result

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """fn over items on the detector's worker threads (each landmark pass borrows its own landmarker)."""
        if len(items) <= 1:
            return [fn(item) for item in items]
        return list(self._executor.map(fn, items))

    def looks(self, rgb: np.ndarray, looks: Sequence[Look], confidence: float, max_hands: int,
              appearance: Appearance | None = None) -> list[list[Hand]]:
        """`look` over several windows, in parallel (each pass borrows its own landmarker)."""
        return self.map(lambda lk: self.look(rgb, lk, confidence, max_hands, appearance), looks)


def _fits_box(hand: Hand, box: Box) -> bool:
    xy = hand.landmarks[:, :2]
    cx, cy = xy.mean(axis=0)
    extent = float((xy.max(axis=0) - xy.min(axis=0)).max())
    return bool(box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
                and extent >= FIT_MIN_EXTENT * max(box[2] - box[0], box[3] - box[1]))


def _touches_inner_edge(box: Box, window: Box, width: int, height: int) -> bool:
    x0, y0, x1, y1 = window
    hx0, hy0, hx1, hy1 = box
    e = TILE_EDGE_PX
    return bool(
        (x0 > 0 and hx0 <= x0 + e) or (y0 > 0 and hy0 <= y0 + e)
        or (x1 < width and hx1 >= x1 - e) or (y1 < height and hy1 >= y1 - e)
    )


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
