"""image + settings -> a plan: the hands, the regions to inpaint (mask, depth, crop, pass size) and warnings.

Plain data, deterministic for a given image and settings, with a JSON-serialisable summary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .box_detector import BoxDetector
from .box_hands import BoxHand, find_hands
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

TOO_SMALL = "smaller than"  # start of the skip reason of hands under the minimum size
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
    # boxes not fixed, {bbox, reason, score}: under the minimum size, looking right, refused by the hand check
    skipped: list[dict] = field(default_factory=list)
    ms: dict[str, float] = field(default_factory=dict)
    boxes: list[BoxHand] = field(default_factory=list)  # hands without landmarks (box model only)

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
            "boxes": [b.to_json() for b in self.boxes],
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
    box_detector: BoxDetector | None = None,
) -> Plan:
    """Detect, render depth, build masks and regions for an HxWx3 uint8 RGB image. `box_detector` is needed when
    the settings choose the anime detector."""
    found = find_hands(rgb, settings, detector, box_detector)
    height, width = rgb.shape[:2]
    plan = plan_from_hands(found.hands, (width, height), settings, model_kind, found.ms.get("detect", 0.0),
                           boxes=found.boxes)
    plan.ms.update({k: v for k, v in found.ms.items() if k != "detect"})
    # boxes the hand-or-not check refused, and conditions under which detection is known to be weak
    plan.skipped += found.rejected
    plan.warnings += found.notes
    return plan


def describe_skipped(skipped: list[dict]) -> str:
    """"2 too small, 1 not a hand" for a plan's skipped list: counted by reason, its details dropped."""
    counts: dict[str, int] = {}
    for s in skipped:
        reason = s["reason"].split(" (")[0]
        reason = TOO_SMALL if reason.startswith(TOO_SMALL) else reason
        counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(f"{n} {reason}" for reason, n in counts.items())


def plan_from_hands(
    found: list[Hand],
    image_size: tuple[int, int],
    settings: HandRefineSettings,
    model_kind: str = "sd1",
    detect_ms: float = 0.0,
    boxes: list[BoxHand] | tuple[BoxHand, ...] = (),
) -> Plan:
    width, height = image_size
    warnings: list[str] = []
    skipped: list[dict] = []
    hands: list[Hand] = []
    box_hands: list[BoxHand] = []
    only_wrong = settings.fix_mode == FIX_MODES[1]
    for item in [*found, *boxes]:
        if settings.min_hand_size and item.extent < settings.min_hand_size:
            skipped.append({"bbox": list(item.bbox), "reason": f"{TOO_SMALL} {settings.min_hand_size} px",
                            "score": round(float(item.score), 3)})
        elif (only_wrong and isinstance(item, Hand)
              and (quality := hand_quality(item)) >= settings.look_wrong_threshold):
            skipped.append({"bbox": list(item.bbox), "reason": f"looks right (quality {quality:.2f} >= "
                                                               f"{settings.look_wrong_threshold:g})",
                            "score": round(float(item.check if item.check is not None else item.score), 3)})
        else:
            (box_hands if isinstance(item, BoxHand) else hands).append(item)
    t1 = time.perf_counter()
    depth, renders = render_depth(hands, image_size)
    t2 = time.perf_counter()
    pad = scaled_padding(settings.mask_padding, image_size)
    cores = [hand_extent_box(hand, render, image_size) for hand, render in zip(hands, renders)]
    cores += [_clip(b.box, image_size) for b in box_hands]  # box-only hands: the detector's box is the extent
    boxes_padded = [padded_box(core, pad, image_size) for core in cores]
    resolution = settings.inpaint_resolution or native_resolution(model_kind)
    regions = []
    for group in group_boxes(boxes_padded):
        member_boxes = [boxes_padded[i] for i in group]
        bbox = union_box(member_boxes)
        mask = box_mask(member_boxes, image_size)
        size = pass_size(bbox, resolution)
        crop = predict_crop(mask, settings.mask_blur, settings.inpaint_padding, size)
        regions.append(Region([i for i in group if i < len(hands)], bbox, mask, crop or bbox, size,
                              [cores[i] for i in group], [i - len(hands) for i in group if i >= len(hands)]))
    for i, item in enumerate([*hands, *box_hands]):
        if item.extent < SMALL_HAND_PX:
            name = f"hand {i}" if i < len(hands) else f"box-only hand {i - len(hands)}"
            warnings.append(
                f"{name} is only {item.extent} px; HandRefiner's model wants at least {SMALL_HAND_PX} px, "
                "so its region is upscaled and may come out soft"
            )
    t3 = time.perf_counter()
    ms = {"detect": detect_ms, "depth": (t2 - t1) * 1000, "mask": (t3 - t2) * 1000}
    return Plan(width, height, hands, regions, depth, renders, warnings, skipped, ms, box_hands)


def _clip(box: tuple[int, int, int, int], image_size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = image_size
    return max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
