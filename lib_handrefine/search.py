"""Find every hand: a whole-image pass, extra zoomed passes where the image or the hands found call for them, and a
hand-or-not check of every candidate.

Extra passes ("auto"): the whole-image pass sees hands down to ~1/10 of the image's long side. When it finds hands
near that floor, or none at all on a large image, or only one or two on a picture of 1024 px or more (where several
people's hands may be under that floor), smaller hands may hide: tiles are sized so that a hand 0.7x the smallest
found near the floor (else 1/20 of the image) fills 12 % of a tile, and refined once more if the tiles
again find hands at their own floor; on a picture over 1024 px whose hands are too big for such tiles, its
quarters. Around each small hand found, one window looks for its neighbour (the other hand of a person is usually
near). Where no whole-image pass found anything, a zoomed-out one looks for a close-up hand too big for the palm
detector (and a gray or sepia image gets a second toning); where one small hand was found on a large picture, a
full-resolution pass looks for the person's other hand, and if it finds none either, tiles at that hand's scale.
A picture on a plain canvas is also searched as a picture of its own (content.py).
"thorough" searches at the scale of the smallest fixable hand everywhere. The cost grows with the number of tiles,
not with the pixels.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .appearance import ANALYSIS_SIDE, MUTED_CHROMA, Appearance, analyse, deblock
from .boxes import Box, box_extent
from .content import content_box
from .detect import LOW_DETECTION
from .handcheck import Verdict, check_group, with_check
from .hands import Detection, Hand, Look, Rejected, group_hands, same_hand
from .scales import FULL_PASS_SHARE, MIN_HAND_SHARE, TILE_OVERLAP, near_window, tile_grid, tile_side_for

if TYPE_CHECKING:
    from .detect import HandDetector

MIN_DETECT_SIDE = 32  # below this MediaPipe has nothing to work with
TILE_MAX_SIDE = 384  # tiles are passed at most this long (the palm detector reads 192 px; landmarks like detail)
TILE_MIN_LONG_SIDE = 640  # below this, an image where one pass found nothing gets no tiles (too small to hide hands)
MIN_HAND_PX = 24  # smallest hand worth searching for: below this a repaint has nothing to work with
SMALL_FACTOR = 1.0  # hands found below this many times the pass floor were lucky finds: smaller ones may hide
LARGE_IMAGE = 1024  # long side in px (SDXL's size): pictures this large may hold several people
QUARTER = 0.6  # tile side, as a share of the long side, of a large picture's quarters
LARGE_OVERLAP = 0.5  # tile overlap (share of the side) of a large picture's first tiles (see _next_looks)
CROWD = 3  # this many hands: several people, search at their hands' scale
WEAK_CONFIDENCE = 0.3  # extra passes on grayscale / noisy images may be less sure (the hand check guards them)
SHRINK = 0.7  # hands of one picture vary: look for hands down to 0.7x the smallest found
MAX_TILES = {"auto": 36, "thorough": 81}
MAX_NEAR = 8
ROUNDS = 2
FULL_RES_SIDE = 1024  # the full-resolution pass of a picture with one small hand
LONE_HAND_SHARE = 0.12  # "small": under this share of the long side (a person seen whole; measured: up to 0.2 the
# pass runs on 3x as many pictures and raises the median time, for no more hands)
LARGE_LONE_HAND_SHARE = 0.2  # the same on pictures over LARGE_IMAGE, where time counts less (measured: c02 turned by
# 45 degrees, 1638 px, one hand of 0.16 found at 512 px; plain MediaPipe at full resolution finds both)
LONE_TILE_SHARE = 0.25  # where the full-resolution pass too found one small hand: tiles it fills a quarter of
LOW_SOURCES = ("low", "wide", "ramp")  # the whole-image passes after one that found nothing
CONFIRM = "confirm"  # a window around a candidate whose finds count only where they show that candidate again
WIDE_PAD = 0.5  # the zoomed-out pass: the image on a gray canvas this share of its long side wider on every side


@dataclass
class Candidates:
    groups: list[list[Hand]]  # hands of all passes, grouped by the hand they show; best member first
    appearance: Appearance
    passes: int
    looks: list[Look] = field(default_factory=list)
    canvas: Box | None = None  # the picture's box on a plain canvas, where `search` was asked to look for one


def find_hands(detector: HandDetector, rgb: np.ndarray, confidence: float, max_hands: int, mode: str) -> Detection:
    start = time.perf_counter()
    found = _search_picture(detector, rgb, confidence, max_hands, mode)
    hands: list[Hand] = []
    rejected: list[Rejected] = []
    checked, check_passes, check_ms = 0, 0, 0.0

    def timed_check(group: list[Hand]) -> tuple[Verdict, float]:
        t = time.perf_counter()
        return check_group(group, rgb, detector, confidence, found.appearance), (time.perf_counter() - t) * 1000

    groups = found.groups[: 2 * max_hands]
    for group, (verdict, ms) in zip(groups, detector.map(timed_check, groups)):
        if verdict.passes:
            checked += 1
            check_passes += verdict.passes
            check_ms += ms
        if verdict.accepted:
            hands.append(with_check(verdict.hand or group[0], verdict.score))
        else:
            rejected.append(Rejected(group[0].bbox, verdict.reason, verdict.score))
    return Detection(hands[:max_hands], found.passes + check_passes, (time.perf_counter() - start) * 1000, rejected,
                     found.appearance.notes(), checked, check_passes, check_ms)


def _search_picture(detector: HandDetector, rgb: np.ndarray, confidence: float, max_hands: int,
                    mode: str) -> Candidates:
    """`search` over the whole image and, where a picture sits on a plain canvas, over the picture too (its hands,
    small for the canvas, are well sized for the picture), in image coordinates."""
    whole = search(detector, rgb, confidence, max_hands, mode, find_canvas=mode != "off")
    box = whole.canvas
    if box is None:
        return whole
    x0, y0, x1, y1 = box
    found = search(detector, rgb[y0:y1, x0:x1], confidence, max_hands, mode)
    hands = [hd for group in whole.groups for hd in group]
    hands += [_moved(hd, x0, y0) for group in found.groups for hd in group]
    looks = [replace(lk, box=(lk.box[0] + x0, lk.box[1] + y0, lk.box[2] + x0, lk.box[3] + y0)) for lk in found.looks]
    return Candidates(group_hands(hands), whole.appearance, whole.passes + found.passes, whole.looks + looks)


def search(detector: HandDetector, rgb: np.ndarray, confidence: float, max_hands: int, mode: str,
           find_canvas: bool = False) -> Candidates:
    """Every candidate hand of the whole-image pass and of the extra passes `mode` calls for; with `find_canvas`,
    also the picture's box if it sits on a plain canvas (content.py)."""
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_DETECT_SIDE:
        return Candidates([], Appearance(False, 0.0, 0.0, 255.0, MUTED_CHROMA), 0)
    small = shrink(rgb, ANALYSIS_SIDE)
    # the appearance is measured on a worker while this thread runs the canvas and JPEG block tests (all read-only;
    # measured: 0.2 ms less per image, a sixth of what one-pass images cost beyond MediaPipe's pass)
    appearance_of = detector.beside(lambda: analyse(small))
    canvas = content_box(rgb) if find_canvas else None
    # a heavily compressed JPEG: its block edges hide hands from the whole-image pass (the zoomed passes and the
    # check see the untouched image: blurred, c01's second hand in the quality-20 copy is lost)
    smooth = deblock(rgb)
    appearance = appearance_of()
    full = Look((0, 0, small.shape[1], small.shape[0]), "full", ANALYSIS_SIDE, cut_at_edges=False, min_side=0)
    fx, fy = w / small.shape[1], h / small.shape[0]
    first = small if smooth is rgb else shrink(smooth, ANALYSIS_SIDE)
    # the blur against noise can hide a hand, and texture (cobblestones, a knit) can pass for noise: the first and
    # the low-threshold pass of a noisy image also see it unblurred, on the other worker: a colour one as it is (what
    # plain MediaPipe sees: with its colours raised, c03's small hand in a vignetted copy is lost), a monochrome one
    # toned (measured: a hand of c01 in its gray and sepia copies, whose pavement reads as grain; the second toning
    # unblurred finds no more)
    unblurred = replace(appearance, denoiser="none") if appearance.monochrome else None
    seen_as = [appearance, unblurred] if appearance.noisy and mode != "off" else [appearance]
    first_finds = detector.map(lambda look_as: detector.look(first, full, confidence, max_hands, look_as), seen_as)
    hands = [_scaled(hd, fx, fy) for found in first_finds for hd in found]
    done = [Look((0, 0, w, h), "full", ANALYSIS_SIDE, False)] * len(seen_as)
    if not hands and appearance.noisy and mode != "off":
        # neither found a hand: a median filter keeps the edges that the blur smooths away with heavy grain, and on
        # a grainy picture so does non-local means (measured: a07's and b01's hands in the grainy copies by the
        # median, a04's, b02's and b08's by non-local means, found at the user's confidence; the check asks the
        # witness about the latter's finds). Only the pictures that get extra passes anyway pay for them
        strong = [(full, replace(appearance, denoiser="median"))]
        if appearance.grainy:
            strong.append((Look(full.box, "nlm", ANALYSIS_SIDE, cut_at_edges=False, min_side=0),
                           replace(appearance, denoiser="nlm")))
        hands += [_scaled(hd, fx, fy) for found in detector.map(
            lambda pair: detector.look(first, pair[0], confidence, max_hands, pair[1]), strong) for hd in found]
        done += [Look((0, 0, w, h), look.source, ANALYSIS_SIDE, False) for look, _ in strong]
    if not hands and appearance.blurry and mode != "off":
        # a blurred image is sharpened; where that showed no hand, it is also seen as it is (what plain MediaPipe
        # sees): the sharpening rings along a motion blur (measured: b01's hand in its motion-blurred copy)
        hands += [_scaled(hd, fx, fy) for hd in detector.look(first, full, confidence, max_hands,
                                                               replace(appearance, sharpen=False))]
        done.append(done[0])
    nothing = not hands
    if mode != "off" and appearance.monochrome and nothing:
        # a gray or sepia image where the skin-toned copy showed no hand: toned on its mid tones only, a few are
        # found (appearance.SKIN_RAMP). Its boxes are candidates like the low-threshold pass's (the hand check
        # verifies them). Such an image gets extra passes anyway; on every monochrome image this pass would raise
        # the median time
        ramp = Look(full.box, "ramp", ANALYSIS_SIDE, cut_at_edges=False, min_side=0)
        hands += [_scaled(hd, fx, fy) for hd in detector.look(first, ramp, confidence, max_hands,
                                                               replace(appearance, toning="ramp"))]
        done.append(Look((0, 0, w, h), "ramp", ANALYSIS_SIDE, False))
    if mode != "off" and max(w, h) > ANALYSIS_SIDE and _lone_small_hand(hands, max(w, h)):
        # one small hand on a large picture (a person seen whole): the other hand may be too faint at 512 px and
        # found at full resolution (measured: c01's second hand in the high-contrast and JPEG copies)
        big = Look((0, 0, w, h), "full", FULL_RES_SIDE, cut_at_edges=False, min_side=0)
        hands += detector.look(rgb, big, confidence, max_hands, appearance)
        done.append(big)
        lone = group_hands(hands)
        if len(lone) == 1 and (side := lone[0][0].extent / LONE_TILE_SHARE) < 0.8 * max(w, h):
            # still one hand: the other may be as faint at full resolution, and a tile in which a hand of its size
            # fills a quarter of the side shows it to the palm detector at its favourite scale (measured: c01's
            # second hand in the blurred copy, c02's in the high-contrast one; these pictures already cost two
            # passes, so the median time does not move)
            looks = _tiles(w, h, side, mode)
            hands += _zoomed(detector, rgb, looks, confidence, max_hands, appearance)
            done += looks
    if mode != "off" and nothing and (appearance.weak or max(w, h) > TILE_MIN_LONG_SIDE):
        # where the whole-image pass found nothing, the palm detector often still ranks a hand above 0.1 (grain,
        # noise, blur, high contrast): a pass with that palm threshold and the user's landmark presence finds it; its
        # boxes are candidates like a tile's (the hand check verifies them). Only on images that get extra passes
        # anyway (weak ones, high-contrast ones among them, and large ones that get tiles): on every image it would
        # raise the median time ~1.4x.
        low = Look(full.box, "low", ANALYSIS_SIDE, cut_at_edges=False, min_side=0)
        hands += [_scaled(hd, fx, fy) for found in detector.map(
            lambda look_as: detector.look(small, low, LOW_DETECTION, max_hands, look_as, presence=confidence),
            seen_as) for hd in found]
        done += [Look((0, 0, w, h), "low", ANALYSIS_SIDE, False)] * len(seen_as)
        if not hands:  # a close-up hand too big for the palm detector: zoomed out it is well sized
            hands += _zoomed_out(detector, small, (fx, fy), confidence, max_hands, appearance)
            done.append(Look((0, 0, w, h), "wide", ANALYSIS_SIDE, False))
    if mode != "off":
        floor = FULL_PASS_SHARE * max(w, h)
        for round_ in range(ROUNDS):
            # a look already run would find the same again (measured: c03's second round repeated its six tiles)
            looks = [lk for lk in _next_looks(hands, floor, (w, h), mode, appearance, first=round_ == 0)
                     if lk not in done]
            if not looks:
                break
            hands += [hd for hd in _zoomed(detector, rgb, looks, confidence, max_hands, appearance)
                      if hd.source != CONFIRM or any(same_hand(hd.bbox, seen.bbox) for seen in hands)]
            done += looks
            floor = min(floor, MIN_HAND_SHARE * min(max(box_extent(lk.box), 1) for lk in looks if lk.source == "tile")
                        ) if any(lk.source == "tile" for lk in looks) else floor
    return Candidates(group_hands(hands), appearance, len(done), done, canvas)


def _next_looks(hands: list[Hand], floor: float, size: tuple[int, int], mode: str, appearance: Appearance,
                first: bool) -> list[Look]:
    """Tiles at the scale of the smallest hand that may hide, and windows around small hands found."""
    w, h = size
    long_side = max(w, h)
    extents = [hd.extent for hd in hands]
    # a large picture holds more people: there even hands up to twice the floor suggest smaller ones
    small = [hd for hd in hands if hd.extent < SMALL_FACTOR * floor * (2 if long_side > LARGE_IMAGE else 1)]
    if small or len(hands) >= CROWD:
        target = SHRINK * min(extents)
    elif first and all(hd.source in LOW_SOURCES for hd in hands) and (long_side > TILE_MIN_LONG_SIDE
                                                                       or appearance.weak):
        # (a low-threshold or zoomed-out find alone is no evidence that the image holds no smaller hands)
        target = long_side / 20
    elif first and long_side >= LARGE_IMAGE:
        # a large picture (SDXL's 1024 px and up) in which one or two hands were found: other people's hands may be
        # under the whole-image pass's floor (~100 px here) and still worth fixing (measured: 2x2 and 3x3 grids of
        # the test photos at 1024 px, seeds 200-207: 70 of 115 hands found, with these tiles 110, no box on no hand;
        # the median time of the transformed set: +0.02-0.05x)
        target = long_side / 20
    else:
        target = 0.0
    sides = []
    if target:
        side = tile_side_for(max(MIN_HAND_PX, target))
        if first and side >= 0.8 * long_side and long_side > LARGE_IMAGE:
            # a large picture whose hands are too big for tiles at their scale: the whole-image pass saw them at
            # under 512 px, the person's other hand may be too faint there; quarters see it sharper (measured: c02's
            # second hand in its high-contrast and JPEG copies)
            side = QUARTER * long_side
        if side < 0.8 * long_side and (first or target < floor):
            sides.append(side)
    if mode == "thorough" and first:
        # every scale from the smallest fixable hand up, levels 2.5x apart (a tile finds hands of 0.12-0.5 of it)
        side = tile_side_for(max(MIN_HAND_PX, long_side / 48))
        while side < 0.8 * long_side:
            if all(abs(math.log(side / s)) > math.log(1.6) for s in sides):
                sides.append(side)
            side *= 2.5
    looks: list[Look] = []
    # a large picture's first tiles overlap by half, so that a hand up to half a tile wide lies whole in one (with
    # the usual quarter, the close-up hands of a01 and a07 in grids of 1536-2048 px were cut by every tile). Not in
    # a gray or sepia one: there the check has no skin colour to go by, and the extra tiles proposed a shirt fold
    # in c05's gray double-size copy that every look took for a hand
    overlap = LARGE_OVERLAP if first and long_side >= LARGE_IMAGE and not appearance.monochrome else TILE_OVERLAP
    for side in sides:
        looks += _tiles(w, h, side, mode, overlap)
    if first:
        # around small hands, their neighbours; around low-threshold and zoomed-out finds, a second look that can
        # confirm them (measured: a05's close-up hand in the gray copy, which the check's crops miss)
        near = hands if mode == "thorough" else [*small, *(hd for hd in hands if hd.source in LOW_SOURCES
                                                           and all(hd is not s for s in small))]
        for hand in sorted(near, key=lambda hd: -hd.score)[:MAX_NEAR]:
            # a window around a low-threshold find that is not small only confirms it: the search for neighbours
            # starts from hands at the scale where they hide, and an unconfirmed seed proposed a sleeve in c05's
            # gray copy (averaged channels) that every look of the check and the witness took for a hand
            seeds_neighbours = mode == "thorough" or any(hand is s for s in small)
            looks.append(Look(near_window(hand.bbox, size), "near" if seeds_neighbours else CONFIRM, TILE_MAX_SIDE))
    return looks


def _zoomed(detector: HandDetector, rgb: np.ndarray, looks: list[Look], confidence: float, max_hands: int,
            appearance: Appearance) -> list[Hand]:
    """The hands of zoomed looks (tiles, windows), in image coordinates; on an adjusted image (gray, noisy, dark,
    blurred; not a merely high-contrast one) at most WEAK_CONFIDENCE (the hand check guards their boxes)."""
    weak = min(confidence, WEAK_CONFIDENCE) if appearance.adjusted else confidence
    return [hd for found in detector.looks(rgb, looks, weak, max_hands, appearance) for hd in found]


def _tiles(w: int, h: int, side: float, mode: str, overlap: float = TILE_OVERLAP) -> list[Look]:
    """Overlapping tiles of about `side` px over the image, enlarged until there are at most MAX_TILES[mode] (a
    larger overlap than the usual is given up first)."""
    tiles = tile_grid(w, h, side, overlap)
    if len(tiles) > MAX_TILES[mode] and overlap > TILE_OVERLAP:
        return _tiles(w, h, side, mode)
    while len(tiles) > MAX_TILES[mode]:
        side *= 1.15
        tiles = tile_grid(w, h, side, overlap)
    return [Look(box, "tile", TILE_MAX_SIDE) for box in tiles]


def _lone_small_hand(hands: list[Hand], long_side: int) -> bool:
    """One hand found, and a small one: a person seen whole, whose other hand may be just too faint at 512 px."""
    groups = group_hands(hands)
    share = LARGE_LONE_HAND_SHARE if long_side > LARGE_IMAGE else LONE_HAND_SHARE
    return len(groups) == 1 and groups[0][0].extent < share * long_side


def _zoomed_out(detector: HandDetector, small: np.ndarray, scale: tuple[float, float], confidence: float,
                max_hands: int, appearance: Appearance) -> list[Hand]:
    """Hands on the whole image shrunk onto a larger gray canvas: a close-up hand that fills most of the frame is
    too big for the palm detector (above ~50 % of the side it is missed); zoomed out it is well sized."""
    h, w = small.shape[:2]
    pad = round(WIDE_PAD * max(w, h))
    look = Look((-pad, -pad, w + pad, h + pad), "wide", ANALYSIS_SIDE, cut_at_edges=False, min_side=0, pad=True)
    return [_scaled(hd, *scale) for hd in detector.look(small, look, LOW_DETECTION, max_hands, appearance,
                                                         presence=confidence)]


def shrink(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """The image at most `max_side` long, anti-aliased (MediaPipe's own downscale aliases): halved by area
    averaging while twice too big (fast), then bilinear."""
    h, w = rgb.shape[:2]
    while max(h, w) >= 2 * max_side:
        w, h = w // 2, h // 2
        rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    if max(h, w) <= max_side:
        return rgb
    f = max_side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_LINEAR)


def _moved(hand: Hand, dx: int, dy: int) -> Hand:
    """A hand found in a crop, in the pixels of the image the crop starts at (dx, dy) of."""
    return _mapped(hand, np.array([1.0, 1.0, 1.0], np.float32), np.array([dx, dy, 0], np.float32))


def _scaled(hand: Hand, fx: float, fy: float) -> Hand:
    """A hand found on a resized copy, in the original's pixels (z is on the scale of x)."""
    if fx == fy == 1.0:
        return hand
    return _mapped(hand, np.array([fx, fy, fx], np.float32), np.zeros(3, np.float32))


def _mapped(hand: Hand, scale: np.ndarray, offset: np.ndarray) -> Hand:
    return Hand(hand.landmarks * scale + offset, hand.world_landmarks, hand.handedness, hand.score, hand.source,
                hand.check)
