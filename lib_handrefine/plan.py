"""image + settings -> a plan: the hands, the regions to inpaint (mask, depth, crop, pass size) and warnings.

Plain data, deterministic for a given image and settings, with a JSON-serialisable summary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .depth import HandDepth, render_depth
from .detect import Hand, HandDetector
from .fixcheck import hand_quality
from .masks import (
    Region,
    box_mask,
    group_boxes,
    hand_extent_box,
    padded_box,
    pass_size,
    predict_crop,
    scaled_padding,
    union_box,
)
from .settings import FIX_MODES, HandRefineSettings

SMALL_HAND_PX = 60  # HandRefiner's documented lower limit for its SD1.5 model
NATIVE_RESOLUTION = {"sd1": 512, "sd2": 768, "sdxl": 1024}


@dataclass
class Plan:
    width: int
    height: int
    hands: list[Hand]
    regions: list[Region]
    depth: np.ndarray  # HxW uint8, all planned hands
    renders: list[HandDepth | None] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # hands found but not fixed, with the reason
    ms: dict[str, float] = field(default_factory=dict)

    def region_depth(self, index: int) -> np.ndarray:
        """HxW depth with only this region's hands, so a crop never shows a neighbour's hand to ControlNet."""
        out = np.zeros_like(self.depth)
        for i in self.regions[index].hands:
            r = self.renders[i]
            if r is not None:
                x0, y0, x1, y1 = r.box
                window = out[y0:y1, x0:x1]
                np.copyto(window, self.depth[y0:y1, x0:x1], where=r.values > 0)
        return out

    def combined_mask(self) -> np.ndarray:
        mask = np.zeros((self.height, self.width), dtype=np.uint8)
        for region in self.regions:
            np.maximum(mask, region.mask, out=mask)
        return mask

    def summary(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "hands": [{**h.to_json(), "quality": round(hand_quality(h), 3)} for h in self.hands],
            "regions": [r.to_json() for r in self.regions],
            "skipped": list(self.skipped),
            "warnings": list(self.warnings),
            "ms": {k: round(v, 2) for k, v in self.ms.items()},
        }


def native_resolution(model_kind: str) -> int:
    return NATIVE_RESOLUTION.get(model_kind, 512)


def build_plan(
    rgb: np.ndarray,
    settings: HandRefineSettings,
    detector: HandDetector,
    model_kind: str = "sd1",
) -> Plan:
    """Detect, render depth, build masks and regions for an HxWx3 uint8 RGB image."""
    height, width = rgb.shape[:2]
    t0 = time.perf_counter()
    detection = detector.detect(rgb, settings.detect_confidence, settings.max_hands, settings.extra_detection_pass)
    t1 = time.perf_counter()
    return plan_from_hands(detection.hands, (width, height), settings, model_kind, detect_ms=(t1 - t0) * 1000)


def plan_from_hands(
    found: list[Hand],
    image_size: tuple[int, int],
    settings: HandRefineSettings,
    model_kind: str = "sd1",
    detect_ms: float = 0.0,
) -> Plan:
    width, height = image_size
    warnings: list[str] = []
    skipped: list[dict] = []
    hands: list[Hand] = []
    only_wrong = settings.fix_mode == FIX_MODES[1]
    for hand in found:
        if settings.min_hand_size and hand.extent < settings.min_hand_size:
            skipped.append({"bbox": list(hand.bbox), "reason": f"smaller than {settings.min_hand_size} px"})
        elif only_wrong and (quality := hand_quality(hand)) >= settings.look_wrong_threshold:
            skipped.append({"bbox": list(hand.bbox), "reason": f"looks right (quality {quality:.2f} >= "
                                                               f"{settings.look_wrong_threshold:g})"})
        else:
            hands.append(hand)
    t1 = time.perf_counter()
    depth, renders = render_depth(hands, image_size)
    t2 = time.perf_counter()
    pad = scaled_padding(settings.mask_padding, image_size)
    cores = [hand_extent_box(hand, render, image_size) for hand, render in zip(hands, renders)]
    boxes = [padded_box(core, pad, image_size) for core in cores]
    resolution = settings.inpaint_resolution or native_resolution(model_kind)
    regions = []
    for group in group_boxes(boxes):
        member_boxes = [boxes[i] for i in group]
        bbox = union_box(member_boxes)
        mask = box_mask(member_boxes, image_size)
        size = pass_size(bbox, resolution)
        crop = predict_crop(mask, settings.mask_blur, settings.inpaint_padding, size)
        regions.append(Region(group, bbox, mask, crop or bbox, size, [cores[i] for i in group]))
    for i, hand in enumerate(hands):
        if hand.extent < SMALL_HAND_PX:
            warnings.append(
                f"hand {i} is only {hand.extent} px; HandRefiner's model wants at least {SMALL_HAND_PX} px, "
                "so its region is upscaled and may come out soft"
            )
    t3 = time.perf_counter()
    ms = {"detect": detect_ms, "depth": (t2 - t1) * 1000, "mask": (t3 - t2) * 1000}
    return Plan(width, height, hands, regions, depth, renders, warnings, skipped, ms)
