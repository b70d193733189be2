"""A second hand detector for anime, illustrations and renders: a YOLOv8-style box model run by OpenCV's DNN module.

The model is any ONNX file in the format public YOLOv8 detectors export (Ultralytics, and the deepghs anime hand
models built with it): input `[1, 3, S, S]` RGB in 0..1, output `[1, 4 + classes, N]` with the box centre, width and
height in input pixels followed by one score per class. The input size S is read from the file: the input's fixed
dimensions, else the `imgsz` metadata Ultralytics writes, else 640; a dynamic input is pinned to S before OpenCV
loads it (see onnx_header). Images are letterboxed to S (aspect kept, grey padding, as Ultralytics trains), boxes
decoded, scaled back to image pixels and thinned by non-maximum suppression. If the metadata names classes, only
those with "hand" in their name count.

One detector per model file and process (`get_box_detector`), loaded once; OpenCV's Net is not thread-safe, so
calls take turns.
"""

from __future__ import annotations

import ast
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .onnx_header import OnnxFormatError, pin_input_shape, read_header
from .settings import BOX_CONFIDENCE

DEFAULT_INPUT_SIZE = 640  # Ultralytics' default training size
LETTERBOX_FILL = 114  # Ultralytics' padding grey
NMS_IOU = 0.7  # Ultralytics' and dghs-imgutils' default
MIN_BOX_PX = 8  # boxes smaller than this (image px) are noise

Box = tuple[int, int, int, int]


class BoxDetectorError(RuntimeError):
    """The detector model cannot be read or run; the message says why."""


@dataclass(frozen=True)
class BoxDetection:
    box: Box  # x0, y0, x1, y1 in image pixels, end-exclusive, clipped to the image
    score: float


@dataclass(frozen=True)
class ModelInfo:
    input_name: str
    input_size: int
    classes: tuple[int, ...]  # indices of the score rows that count as "hand" (empty: all)


def read_model_info(data: bytes) -> ModelInfo:
    """The input size and hand classes of a YOLOv8-style ONNX model (raises BoxDetectorError)."""
    try:
        header = read_header(data)
    except OnnxFormatError as exc:
        raise BoxDetectorError(f"not an ONNX model: {exc}") from None
    shape = header.input_shape
    if len(shape) != 4 or shape[1] not in (3, None):
        raise BoxDetectorError(f"expected an image input [1, 3, H, W], the model has {list(shape)}")
    size = _fixed_size(shape) or _metadata_size(header.metadata) or DEFAULT_INPUT_SIZE
    return ModelInfo(header.input_name, size, _hand_classes(header.metadata))


def _fixed_size(shape: tuple[int | None, ...]) -> int | None:
    h, w = shape[2], shape[3]
    if h and w:
        if h != w:
            raise BoxDetectorError(f"expected a square input, the model has {h}x{w}")
        return int(h)
    return None


def _metadata_size(metadata: dict[str, str]) -> int | None:
    try:
        value = json.loads(metadata.get("imgsz", "null"))
    except ValueError:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return max(value)
    return None


def _hand_classes(metadata: dict[str, str]) -> tuple[int, ...]:
    try:
        names = ast.literal_eval(metadata.get("names", "{}"))  # Ultralytics: "{0: 'hand'}"; literals only
    except (ValueError, SyntaxError):
        return ()
    if not isinstance(names, dict):
        return ()
    return tuple(sorted(int(i) for i, name in names.items() if "hand" in str(name).lower()))


def letterbox(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float, tuple[int, int]]:
    """(size x size RGB image, scale, (left, top) padding): the image scaled to fit, centred on grey."""
    h, w = rgb.shape[:2]
    scale = min(size / w, size / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    left, top = (size - nw) // 2, (size - nh) // 2
    canvas = np.full((size, size, 3), LETTERBOX_FILL, dtype=np.uint8)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    canvas[top:top + nh, left:left + nw] = cv2.resize(rgb, (nw, nh), interpolation=interpolation)
    return canvas, scale, (left, top)


def decode(output: np.ndarray, scale: float, pad: tuple[int, int], image_size: tuple[int, int],
           classes: tuple[int, ...] = (), confidence: float = BOX_CONFIDENCE, iou: float = NMS_IOU
           ) -> list[BoxDetection]:
    """Boxes of a `[1, 4 + classes, N]` output in image pixels, most confident first, after NMS."""
    out = np.asarray(output, dtype=np.float32)
    if out.ndim != 3 or out.shape[0] != 1 or out.shape[1] < 5:
        raise BoxDetectorError(f"expected a YOLOv8-style output [1, 4 + classes, N], got {list(out.shape)}")
    rows = out[0]
    scores = rows[4:][list(classes)] if classes else rows[4:]
    if scores.shape[0] == 0:
        raise BoxDetectorError(f"the model's hand classes {list(classes)} are not in its output {list(out.shape)}")
    best = scores.max(axis=0)
    keep = np.flatnonzero(best >= confidence)
    if keep.size == 0:
        return []
    cx, cy, bw, bh = rows[0, keep], rows[1, keep], rows[2, keep], rows[3, keep]
    left, top = pad
    width, height = image_size
    x0 = np.clip((cx - bw / 2 - left) / scale, 0, width)
    y0 = np.clip((cy - bh / 2 - top) / scale, 0, height)
    x1 = np.clip((cx + bw / 2 - left) / scale, 0, width)
    y1 = np.clip((cy + bh / 2 - top) / scale, 0, height)
    candidates = [
        (i, (float(a), float(b), float(c - a), float(d - b)))
        for i, (a, b, c, d) in enumerate(zip(x0, y0, x1, y1))
        if c - a >= MIN_BOX_PX and d - b >= MIN_BOX_PX
    ]
    if not candidates:
        return []
    picked = cv2.dnn.NMSBoxes([c[1] for c in candidates], [float(best[keep[c[0]]]) for c in candidates],
                              confidence, iou)
    found = []
    for j in np.asarray(picked, dtype=int).reshape(-1):
        i = candidates[j][0]
        box = (int(np.floor(x0[i])), int(np.floor(y0[i])), int(np.ceil(x1[i])), int(np.ceil(y1[i])))
        found.append(BoxDetection(box, float(best[keep[i]])))
    return sorted(found, key=lambda d: -d.score)


class BoxDetector:
    """A YOLOv8-style ONNX box model loaded into OpenCV's DNN module."""

    def __init__(self, model_path: str | Path) -> None:
        self.model_path = Path(model_path)
        try:
            data = self.model_path.read_bytes()
        except OSError as exc:
            raise BoxDetectorError(f"cannot read the hand detector model {self.model_path}: {exc}") from None
        self.info = read_model_info(data)
        size = self.info.input_size
        try:
            pinned = pin_input_shape(data, (1, 3, size, size))  # OpenCV folds shape arithmetic only when fixed
            self._net = cv2.dnn.readNetFromONNX(np.frombuffer(pinned, dtype=np.uint8))
        except (cv2.error, OnnxFormatError) as exc:
            raise BoxDetectorError(f"OpenCV cannot load the hand detector model {self.model_path}: "
                                   f"{_first_line(exc)}") from None
        self._lock = threading.Lock()
        self.detect(np.zeros((size, size, 3), np.uint8))  # run once now: a model OpenCV cannot run fails here

    @property
    def input_size(self) -> int:
        return self.info.input_size

    def detect(self, rgb: np.ndarray, confidence: float = BOX_CONFIDENCE, iou: float = NMS_IOU
               ) -> list[BoxDetection]:
        """Hand boxes in an HxWx3 uint8 RGB image, most confident first."""
        image, scale, pad = letterbox(rgb, self.info.input_size)
        blob = cv2.dnn.blobFromImage(image, 1.0 / 255.0)  # NCHW float32, channels kept in RGB order
        with self._lock:
            try:
                self._net.setInput(blob, self.info.input_name)
                output = self._net.forward()
            except cv2.error as exc:
                raise BoxDetectorError(f"the hand detector model failed to run: {_first_line(exc)}") from None
        return decode(output, scale, pad, (rgb.shape[1], rgb.shape[0]), self.info.classes, confidence, iou)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


# ----- the one box detector of this process -----
_detector: BoxDetector | None = None
_detector_lock = threading.Lock()


def get_box_detector(model_path: str | Path) -> BoxDetector:
    """The process-wide box detector for `model_path`, loaded on first use."""
    global _detector
    with _detector_lock:
        if _detector is None or _detector.model_path != Path(model_path):
            _detector = BoxDetector(model_path)
        return _detector


def release_box_detector() -> None:
    global _detector
    with _detector_lock:
        _detector = None
