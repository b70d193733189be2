"""Render the depth map of a correct hand fitted to MediaPipe's 21 landmarks.

The hand is built from primitives: a tapered capsule along every finger bone (rounded tips come free from the
capsule ends), capsules around the palm rim and a bulging palm slab, all z-buffered. Five fingers by
construction, whatever the image shows. Bone lengths are kept within anatomical bounds, so a finger that MediaPipe
collapsed into the palm (common on malformed SD hands) is still rendered at a plausible length.

Output follows the convention of the `control_sd15_inpaint_depth_hand` ControlNet (HandRefiner): background exactly
0, each hand normalised on its own to near = 255 … far = 51, greyscale, the size of the image. Where hands overlap
the nearer hand wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .detect import Hand

FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
# radius at the finger base and at the tip, as a share of the palm length L (wrist -> middle-finger knuckle)
FINGER_RADII = ((0.12, 0.095), (0.105, 0.082), (0.108, 0.085), (0.1, 0.08), (0.088, 0.07))
# bone lengths as a share of L (thumb from its CMC joint; fingers from their knuckle), typical adult proportions
BONE_LENGTHS = ((0.36, 0.30, 0.26), (0.44, 0.26, 0.21), (0.49, 0.30, 0.23), (0.45, 0.28, 0.22), (0.35, 0.21, 0.19))
BONE_LENGTH_BOUNDS = (0.6, 1.45)  # a rendered bone stays within these multiples of its template length
PALM_OUTLINE = (0, 1, 2, 5, 9, 13, 17)
PALM_RIM = ((0, 1), (0, 17), (5, 9), (9, 13), (13, 17), (1, 5), (2, 5))
PALM_RIM_RADIUS = 0.09
PALM_THICKNESS = 0.12
NEAR, FAR = 255, 51
MAX_RENDER_EXTENT = 384  # hands larger than this (px) are rendered at reduced size and scaled up (keeps <= ~5 ms)


@dataclass
class HandDepth:
    """One hand's render: normalised values and silhouette inside `box` (x0, y0, x1, y1) of the image."""

    box: tuple[int, int, int, int]
    values: np.ndarray  # uint8, 0 outside the hand, 51..255 inside
    nearness: float  # larger = nearer the camera (pixels per metre of the hand)

    @property
    def silhouette(self) -> np.ndarray:
        return self.values > 0


def hand_points_3d(hand: Hand) -> tuple[np.ndarray, float, float]:
    """(21x3 points in image px with z in px, palm length L in px, pixels per metre) of an anatomy-checked hand."""
    uv = hand.landmarks[:, :2].astype(np.float64)
    world = hand.world_landmarks.astype(np.float64)
    # scale between the metric world landmarks and the image, from the bones' projected lengths
    bones = [(a, b) for chain in FINGERS for a, b in zip((0, *chain[:-1]), chain)]
    d2 = np.array([np.linalg.norm(uv[a] - uv[b]) for a, b in bones])
    dw = np.array([np.linalg.norm(world[a, :2] - world[b, :2]) for a, b in bones])
    ok = dw > 1e-4
    px_per_m = float(np.median(d2[ok] / dw[ok])) if ok.any() else 0.0
    if not np.isfinite(px_per_m) or px_per_m <= 0:
        px_per_m = max(float(np.ptp(uv, axis=0).max()), 1.0) / 0.18  # a hand is roughly 18 cm long
    z = (world[:, 2] - world[0, 2]) * px_per_m
    pts = np.column_stack([uv, z])
    palm = float(np.linalg.norm(pts[9] - pts[0]))
    extent = float(np.ptp(uv, axis=0).max())
    palm = float(np.clip(palm, 0.3 * extent, 0.7 * extent)) if extent > 0 else max(palm, 1.0)
    palm = max(palm, 2.0)
    return _fix_finger_lengths(pts, palm), palm, px_per_m


def _fix_finger_lengths(pts: np.ndarray, palm: float) -> np.ndarray:
    """Rebuild each finger joint by joint, keeping the observed direction but bounding every bone's length."""
    out = pts.copy()
    lo, hi = BONE_LENGTH_BOUNDS
    for chain, lengths in zip(FINGERS, BONE_LENGTHS):
        direction = pts[chain[0]] - pts[0]
        for (a, b), template in zip(zip(chain[:-1], chain[1:]), lengths):
            v = pts[b] - pts[a]
            n = float(np.linalg.norm(v))
            if n > 1e-6:
                direction = v
            unit = direction / max(float(np.linalg.norm(direction)), 1e-6)
            length = float(np.clip(n, lo * template * palm, hi * template * palm))
            out[b] = out[a] + unit * length
    return out


def render_hand(hand: Hand, image_size: tuple[int, int]) -> HandDepth | None:
    """Render one hand; None when it lies entirely outside the image."""
    width, height = image_size
    pts, palm, px_per_m = hand_points_3d(hand)
    margin = 0.2 * palm + 2
    x0 = max(0, int(np.floor(pts[:, 0].min() - margin)))
    y0 = max(0, int(np.floor(pts[:, 1].min() - margin)))
    x1 = min(width, int(np.ceil(pts[:, 0].max() + margin)) + 1)
    y1 = min(height, int(np.ceil(pts[:, 1].max() + margin)) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    scale = min(1.0, MAX_RENDER_EXTENT / max(x1 - x0, y1 - y0))
    local = pts.copy()
    local[:, 0] = (local[:, 0] - x0) * scale
    local[:, 1] = (local[:, 1] - y0) * scale
    local[:, 2] *= scale
    shape = (max(1, round((y1 - y0) * scale)), max(1, round((x1 - x0) * scale)))
    zbuf = _zbuffer(local, palm * scale, shape)
    values = normalise(zbuf)
    if shape != (y1 - y0, x1 - x0):
        size = (x1 - x0, y1 - y0)
        inside = cv2.resize(values, size, interpolation=cv2.INTER_NEAREST) > 0
        smooth = cv2.resize(values, size, interpolation=cv2.INTER_LINEAR)  # smooth inside, dark at the rim
        values = np.where(inside, np.clip(smooth, FAR, NEAR), 0).astype(np.uint8)
    if not values.any():
        return None
    return HandDepth((x0, y0, x1, y1), values, px_per_m)


def _zbuffer(pts: np.ndarray, palm: float, shape: tuple[int, int]) -> np.ndarray:
    zbuf = np.full(shape, np.inf, dtype=np.float32)
    _draw_palm(zbuf, pts, palm)
    for a, b in PALM_RIM:
        _draw_capsule(zbuf, pts[a], pts[b], PALM_RIM_RADIUS * palm, PALM_RIM_RADIUS * palm)
    for chain, (r_base, r_tip) in zip(FINGERS, FINGER_RADII):
        joints = chain
        n = len(joints) - 1
        for i in range(n):
            ra = r_base + (r_tip - r_base) * i / n
            rb = r_base + (r_tip - r_base) * (i + 1) / n
            _draw_capsule(zbuf, pts[joints[i]], pts[joints[i + 1]], ra * palm, rb * palm)
    return zbuf


def _draw_capsule(zbuf: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float) -> None:
    """Front surface of a tapered capsule from a to b (radii in px), z-buffered into zbuf (smaller z wins)."""
    h, w = zbuf.shape
    r = max(ra, rb)
    x0, x1 = max(0, int(min(a[0], b[0]) - r)), min(w, int(np.ceil(max(a[0], b[0]) + r)) + 1)
    y0, y1 = max(0, int(min(a[1], b[1]) - r)), min(h, int(np.ceil(max(a[1], b[1]) + r)) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32) + 0.5
    dx, dy = float(b[0] - a[0]), float(b[1] - a[1])
    len2 = dx * dx + dy * dy
    t = np.zeros_like(xs) if len2 < 1e-9 else np.clip(((xs - a[0]) * dx + (ys - a[1]) * dy) / len2, 0.0, 1.0)
    rho2 = (xs - (a[0] + t * dx)) ** 2 + (ys - (a[1] + t * dy)) ** 2
    radius = ra + t * (rb - ra)
    inside = rho2 < radius * radius
    if not inside.any():
        return
    z = a[2] + t * (b[2] - a[2]) - np.sqrt(np.maximum(radius * radius - rho2, 0.0))
    window = zbuf[y0:y1, x0:x1]
    np.minimum(window, np.where(inside, z, np.inf), out=window)


def _draw_palm(zbuf: np.ndarray, pts: np.ndarray, palm: float) -> None:
    """A slab over the palm outline: a plane through the palm joints, bulging toward the camera in the middle."""
    outline = pts[list(PALM_OUTLINE)]
    mask = np.zeros(zbuf.shape, dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(outline[:, :2]).astype(np.int32).reshape(-1, 1, 2)], 1)
    if not mask.any():
        return
    # least-squares plane z = p0*x + p1*y + p2 through the outline joints
    design = np.column_stack([outline[:, 0], outline[:, 1], np.ones(len(outline))])
    coef, *_ = np.linalg.lstsq(design, outline[:, 2], rcond=None)
    ys, xs = np.nonzero(mask)
    plane = coef[0] * (xs + 0.5) + coef[1] * (ys + 0.5) + coef[2]
    # a smooth dome: the blurred outline mask is ~0.5 at the rim and 1 in the middle
    sigma = max(1.0, 0.2 * palm)
    shrink = max(1, int(sigma // 3))  # a wide blur is as good at a fraction of the size, and much cheaper
    h, w = mask.shape
    small_size = (max(1, w // shrink), max(1, h // shrink))
    small = cv2.resize(mask.astype(np.float32), small_size, interpolation=cv2.INTER_AREA)
    blurred = cv2.resize(cv2.GaussianBlur(small, (0, 0), sigma / shrink), (w, h), interpolation=cv2.INTER_LINEAR)
    dome = blurred[ys, xs]
    dome = np.clip((dome - 0.5) / max(float(dome.max()) - 0.5, 1e-6), 0.0, 1.0)
    bulge = PALM_THICKNESS * palm * np.sqrt(dome)
    z = (plane - PALM_RIM_RADIUS * palm - bulge).astype(np.float32)  # flush with the rim capsules' front
    zbuf[ys, xs] = np.minimum(zbuf[ys, xs], z)


def normalise(zbuf: np.ndarray) -> np.ndarray:
    """HandRefiner's per-hand mapping: nearest covered pixel 255, farthest 51, uncovered 0."""
    covered = np.isfinite(zbuf)
    out = np.zeros(zbuf.shape, dtype=np.uint8)
    if not covered.any():
        return out
    z = zbuf[covered]
    near, far = float(z.min()), float(z.max())
    span = far - near
    scaled = np.full(z.shape, float(NEAR)) if span < 1e-6 else NEAR - (NEAR - FAR) * (z - near) / span
    out[covered] = np.clip(np.round(scaled), FAR, NEAR).astype(np.uint8)
    return out


def render_depth(hands: list[Hand], image_size: tuple[int, int]) -> tuple[np.ndarray, list[HandDepth | None]]:
    """(HxW uint8 depth map of all hands, per-hand renders in the order of `hands`)."""
    width, height = image_size
    depth = np.zeros((height, width), dtype=np.uint8)
    renders = [render_hand(hand, image_size) for hand in hands]
    # far hands first, so nearer hands overwrite them where they overlap
    for r in sorted((r for r in renders if r is not None), key=lambda r: r.nearness):
        x0, y0, x1, y1 = r.box
        window = depth[y0:y1, x0:x1]
        np.copyto(window, r.values, where=r.values > 0)
    return depth, renders


def depth_to_rgb(depth: np.ndarray) -> np.ndarray:
    """Grey in three channels, as ControlNet wants its hint image."""
    return np.ascontiguousarray(np.repeat(depth[:, :, None], 3, axis=2))
