"""Padded hand masks, their grouping into regions, and the crop an "only masked" inpaint will take.

Padding follows HandRefiner: per axis, pad = max(pad px, 15 % of the hand's extent on that axis). Hands whose
padded boxes overlap are inpainted together as one region. The crop is predicted the way the WebUI computes it for
"Inpaint area: Only masked": the bounding box of the blurred mask, grown by the context padding, then widened to
the aspect ratio of the pass's width x height and shifted back inside the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .depth import HandDepth
from .detect import Hand

Box = tuple[int, int, int, int]  # x0, y0, x1, y1; end-exclusive pixels

PAD_RATIO = 0.15  # HandRefiner's dynamic padding
PAD_REFERENCE = 512  # mask_padding is given in px at this image size (short side)
MIN_ASPECT, MAX_ASPECT = 0.5, 2.0  # inpaint passes stay within 1:2 .. 2:1
SIZE_STEP = 64


@dataclass
class Region:
    hands: list[int]  # indices into the plan's hand list
    bbox: Box  # union of the member hands' padded boxes
    mask: np.ndarray  # HxW uint8, 255 = repaint
    crop: Box  # the crop the WebUI's "only masked" pass will take
    size: tuple[int, int]  # (width, height) of the inpaint pass
    cores: list[Box] = field(default_factory=list)  # each member hand's unpadded extent
    boxes: list[int] = field(default_factory=list)  # indices into the plan's box-only hands (no landmarks)

    @property
    def box_only(self) -> bool:
        """A member has no landmarks, so no hand depth: the region is inpainted without ControlNet (a depth map
        that is empty where that hand is would tell ControlNet to paint no hand there)."""
        return bool(self.boxes)

    def to_json(self) -> dict:
        return {"bbox": list(self.bbox), "crop": list(self.crop), "hands": list(self.hands), "size": list(self.size),
                "boxes": list(self.boxes), "box_only": self.box_only}


def scaled_padding(mask_padding: int, image_size: tuple[int, int]) -> int:
    """The padding setting (px at 512 px) for an image of this size."""
    return round(mask_padding * min(image_size) / PAD_REFERENCE)


def padded_box(box: Box, pad: int, image_size: tuple[int, int]) -> Box:
    """HandRefiner's padding: per axis max(pad, 15 % of the extent), clipped to the image."""
    x0, y0, x1, y1 = box
    width, height = image_size
    px = max(pad, int((x1 - x0) * PAD_RATIO))
    py = max(pad, int((y1 - y0) * PAD_RATIO))
    return max(0, x0 - px), max(0, y0 - py), min(width, x1 + px), min(height, y1 + py)


def silhouette_box(render: HandDepth) -> Box | None:
    """Image-space box of a render's non-zero pixels."""
    ys = np.flatnonzero(render.values.any(axis=1))
    xs = np.flatnonzero(render.values.any(axis=0))
    if len(xs) == 0:
        return None
    bx, by = render.box[:2]
    return bx + int(xs[0]), by + int(ys[0]), bx + int(xs[-1]) + 1, by + int(ys[-1]) + 1


def hand_extent_box(hand: Hand, render: HandDepth | None, image_size: tuple[int, int]) -> Box:
    """The box of a hand's landmarks and rendered silhouette together, clipped to the image (HandRefine's core)."""
    boxes = [hand.bbox]
    sil = silhouette_box(render) if render is not None else None
    if sil is not None:
        boxes.append(sil)
    x0, y0, x1, y1 = union_box(boxes)
    width, height = image_size
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def union_box(boxes: list[Box]) -> Box:
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


def boxes_touch(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def group_boxes(boxes: list[Box]) -> list[list[int]]:
    """Connected groups of overlapping boxes (transitively), each sorted, ordered by first member."""
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if boxes_touch(boxes[i], boxes[j]):
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def box_mask(boxes: list[Box], image_size: tuple[int, int]) -> np.ndarray:
    width, height = image_size
    mask = np.zeros((height, width), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = 255
    return mask


def blur_kernel_size(sigma: float) -> int:
    """The kernel size the WebUI uses for a mask blur of `sigma` px."""
    return 2 * int(2.5 * sigma + 0.5) + 1


def blurred_mask_bbox(mask: np.ndarray, mask_blur: int) -> Box | None:
    """Bounding box of the mask after the WebUI's Gaussian mask blur; None for an empty mask."""
    if mask_blur > 0:
        k = blur_kernel_size(mask_blur)
        mask = cv2.GaussianBlur(mask, (1, k), mask_blur)
        mask = cv2.GaussianBlur(mask, (k, 1), mask_blur)
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    if len(xs) == 0:
        return None
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def fit_aspect(box: Box, target: tuple[int, int], image_size: tuple[int, int]) -> Box:
    """Grow `box` on its short side to the aspect of `target` (w, h), centred, then shift it inside the image."""
    x0, y0, x1, y1 = box
    width, height = image_size
    want = target[0] / target[1]
    if (x1 - x0) / (y1 - y0) > want:
        y0, y1 = _grow_axis(y0, y1, int((x1 - x0) / want - (y1 - y0)), height)
    else:
        x0, x1 = _grow_axis(x0, x1, int((y1 - y0) * want - (x1 - x0)), width)
    return x0, y0, x1, y1


def _grow_axis(lo: int, hi: int, grow: int, limit: int) -> tuple[int, int]:
    lo -= grow // 2
    hi += grow - grow // 2
    if hi >= limit:
        lo -= hi - limit
        hi = limit
    if lo < 0:
        hi -= lo
        lo = 0
    return lo, min(hi, limit)


def pass_size(bbox: Box, resolution: int) -> tuple[int, int]:
    """Width x height of a region's inpaint pass: the region's aspect (1:2 .. 2:1), area ~ resolution²."""
    aspect = min(MAX_ASPECT, max(MIN_ASPECT, (bbox[2] - bbox[0]) / max(1, bbox[3] - bbox[1])))
    w = resolution * math.sqrt(aspect)
    h = resolution / math.sqrt(aspect)
    return max(SIZE_STEP, round(w / SIZE_STEP) * SIZE_STEP), max(SIZE_STEP, round(h / SIZE_STEP) * SIZE_STEP)


def predict_crop(mask: np.ndarray, mask_blur: int, context: int, size: tuple[int, int]) -> Box | None:
    """The crop of an "only masked" inpaint with this mask, blur, context padding and pass size."""
    height, width = mask.shape
    bbox = blurred_mask_bbox(mask, mask_blur)
    if bbox is None:
        return None
    x0, y0, x1, y1 = bbox
    if context:
        bbox = max(x0 - context, 0), max(y0 - context, 0), min(x1 + context, width), min(y1 + context, height)
    return fit_aspect(bbox, size, (width, height))
