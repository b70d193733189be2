"""Is a candidate box a hand? Evidence, cheapest first, and two reusable searches.

MediaPipe fits a hand skeleton to whatever its palm detector proposes, so a box alone proves nothing. Evidence:
- two looks at different scales or windows that found the same hand with the same landmarks (free: the search
  already ran them);
- a whole-image detection at the user's confidence with a plausible skeleton (anatomy.plausibility) - whole-image
  detections are rarely wrong;
- otherwise, in a colour image, skin-coloured pixels under the palm (skin.py), and a second landmark pass on a crop
  re-centred on the candidate at the palm detector's favourite scale
  (`redetect`); its landmarks must land where the first pass put them (mean distance over the 21 landmarks,
  in units of the hand's palm length);
- where the re-centred crop finds nothing, the candidate may be a fit on part of a hand: a crop zoomed out further
  that the landmark model is all but sure of, and its mirror, may show the whole hand alike (`_whole_hand`);
- a find on a grainy picture cleaned by non-local means: the landmark model alone on crops cleaned the same way;
- where those looks disagree or find nothing, the landmark model itself: re-centred looks (as is and mirrored, at
  two zooms) that keep only hands the landmark model is all but sure of (presence >= SURE_PRESENCE). Measured on
  the candidates of the transformed test set: real hands reach 0.95-0.99 on the first crop (305 of 367); boxes on
  no hand reach at most 0.85 on any of the four crops (a necklace on a chest, which passes five agreeing looks in
  grain);
- last, for every candidate accepted on the evidence above (all but trusted whole-image detections), the landmark
  model alone, without the palm detector, on crops around it (witness.py): where it sees no hand, the candidate is
  refused after all (a shirt fold, a cup handle and a necklace that several looks agreed on).
Measured on the transformed test set (benchmarks/bench_detect.py): false boxes come almost only from zoomed tiles
seen once, and they rarely survive a re-centred second look.

`redetect` is reused to re-find a hand in a repaired image; `detect_in_box` searches a box the user marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .anatomy import plausibility
from .appearance import Appearance
from .boxes import Box, box_extent, box_overlap, square_around
from .hands import Hand, Look, group_hands
from .scales import MIN_HAND_SHARE, tile_grid
from .skin import skin_share
from .witness import WITNESS_PRESENCE, WITNESS_SURE

if TYPE_CHECKING:
    from .detect import HandDetector

REDETECT_SHARE = 0.3  # the candidate fills this share of the re-centred crop (the palm detector's sweet spot)
REDETECT_SIDE = 256
CLOSE_SHARE = 0.5  # the closer crop for images whose texture fools the detector (measured: r5)
CLOSE_AGREE = 0.3
ZOOMED_OUT_SHARE = 0.2  # stand-ins for a closer crop that finds nothing: the hand fills a fifth of the crop,
TURNS = (0, 1, 3)  # upright and turned a quarter either way,
TURNED_AGREE = 0.2  # and each must agree this well
PARTIAL_SHARE = 0.15  # where the re-centred crop finds nothing: a crop in which the candidate is this small
WHOLE_IMAGE_SOURCES = ("full", "low", "wide", "ramp", "nlm")  # whole-image passes (also zoomed out): one look, not two
AGREE = 0.15  # mean landmark distance / palm length under which two passes show the same hand
LOOSE_AGREE = 0.4  # the same, for two looks the landmark model alone must then be sure of (_loosely_agreed)
MIRROR_AGREE = 0.45  # the same for the mirrored pass (real hands: often 0.2-0.45; lucky textures: not found)
TRUSTED_ANATOMY = 0.2  # a whole-image detection with at least this plausibility needs no second pass,
TRUSTED_SCORE = 0.9  # nor one this sure (a malformed hand is implausible, yet a hand)
MIN_SKIN = 0.3  # share of skin-coloured palm pixels an unconfirmed candidate needs (colour images; real hands
# seen by one zoomed pass: 5th percentile 0.44; boxes on shirts and walls: 0)
MIN_CHECKED_PX = 22  # an unconfirmed candidate smaller than this cannot be verified (false boxes are mostly tiny)
CHECK_CONFIDENCE = 0.3  # the second pass may be less sure than the first: it only has to agree
SURE_PRESENCE = 0.95  # landmark-model presence that alone confirms a candidate (see above)
SURE_VIEWS = ((REDETECT_SHARE, False), (REDETECT_SHARE, True), (0.5, False), (0.5, True))  # its crops: share, mirror


@dataclass(frozen=True)
class Verdict:
    score: float  # hand score 0..1
    reason: str  # why it was refused; empty when accepted
    passes: int = 0  # landmark passes the check ran
    hand: Hand | None = None  # the hand re-fitted by the check, to report instead of the candidate (None: as found)

    @property
    def accepted(self) -> bool:
        return not self.reason


def _weighted(score: float, anatomy: float) -> float:
    """A hand score from the detector's score and the skeleton's plausibility (an implausible one halves it)."""
    return score * (0.5 + 0.5 * anatomy)


def disagreement(a: Hand, b: Hand) -> float:
    """Mean distance between two detections' 21 landmarks, in units of the first hand's palm length."""
    dist = np.linalg.norm(a.landmarks[:, :2] - b.landmarks[:, :2], axis=1)
    return float(dist.mean() / max(a.palm_px, 1.0))


def _independent(a: Hand, b: Hand) -> bool:
    """Whether two detections come from different looks (the whole-image passes at two thresholds see one input and
    return the same landmarks for the same palm: no second opinion)."""
    return a.source != b.source and not {a.source, b.source} <= set(WHOLE_IMAGE_SOURCES)


def redetect(rgb: np.ndarray, box: Box, detector: HandDetector, confidence: float = CHECK_CONFIDENCE,
             appearance: Appearance | None = None, share: float = REDETECT_SHARE, mirror: bool = False,
             turns: int = 0, presence: float | None = None) -> Hand | None:
    """The hand in `box`, found again on a crop re-centred on it in which it fills `share` of the side, or None.
    mirror: pass the crop mirrored (a real hand is found mirrored too; a lucky texture rarely); turns: pass it
    turned by quarter turns; presence: the landmark model's threshold (default: `confidence`). Landmarks are in the
    image's coordinates."""
    window = square_around(box, max(8, box_extent(box)) / share)
    look = Look(window, "check", REDETECT_SIDE, cut_at_edges=False, mirror=mirror, turns=turns)
    hands = detector.look(rgb, look, confidence, 2, appearance, presence)
    best = max(hands, key=lambda hd: box_overlap(hd.bbox, box)[0], default=None)
    return best if best is not None and box_overlap(best.bbox, box)[0] >= 0.3 else None


def check(group: list[Hand], rgb: np.ndarray, detector: HandDetector, confidence: float,
          appearance: Appearance | None = None) -> Verdict:
    """Verdict on the hand `group[0]` (the other members: the same box found by other looks). An accepted verdict
    may carry a re-fitted hand (`Verdict.hand`) to report instead of `group[0]`."""
    hand = group[0]
    anatomy = plausibility(hand.world_landmarks)
    base = _weighted(hand.score, anatomy)
    whole = hand.source == "full" and hand.score >= confidence
    if whole and (anatomy >= TRUSTED_ANATOMY or hand.score >= TRUSTED_SCORE):
        return Verdict(base, "")
    if hand.source == "nlm" and appearance is not None and detector.witness is not None:
        # a whole-image find on a grainy picture cleaned by non-local means: the check's crops, blurred, lose what
        # the cleaning found (b02's hand moved 0.38 palm lengths on a re-centred crop), and texture cleaned so can
        # take a hand's shape. The landmark model alone, on crops cleaned the same way, tells them apart (measured:
        # the grainy hands 0.92-0.98; boxes on a cleaned textured canvas and in a mirrored sepia copy 0.57-0.74).
        # Without the witness (an OpenCV that cannot run it) the usual check below judges it
        return _witnessed(Verdict(base, ""), hand, rgb, detector, replace(appearance, denoiser="nlm"))
    verdict, witnessed = _judged(group, rgb, detector, appearance, whole, anatomy, base)
    if not verdict.accepted or witnessed:
        return verdict
    return _witnessed(verdict, hand, rgb, detector, appearance)


def _judged(group: list[Hand], rgb: np.ndarray, detector: HandDetector, appearance: Appearance | None, whole: bool,
            anatomy: float, base: float) -> tuple[Verdict, bool]:
    """`check`'s verdict on a candidate that is not a trusted whole-image detection, and whether the witness has
    already seen it (else `check` asks it next)."""
    hand = group[0]
    if any(_independent(hand, other) and disagreement(hand, other) < AGREE for other in group[1:]):
        return Verdict(base, ""), False
    verdict, refit, mirrored = _second_looks(hand, rgb, detector, appearance, whole, base)
    if verdict.accepted or not verdict.passes:  # accepted, or refused on skin or size before any look
        return verdict, False
    passes = verdict.passes
    if refit is not None:
        # the re-centred crop found a hand here but fitted it elsewhere: the first fit was off (a low-threshold pass
        # or an unlucky window; measured: the re-fits then agree among themselves). The re-fit gets the same looks.
        again, _, _ = _second_looks(refit, rgb, detector, appearance, False, _weighted(refit.score, anatomy))
        passes += again.passes
        if again.accepted:
            return Verdict(again.score, "", passes, refit), False
    sure = [fit for share, mirror in SURE_VIEWS
            if (fit := redetect(rgb, hand.bbox, detector, CHECK_CONFIDENCE, appearance, share, mirror,
                                presence=SURE_PRESENCE)) is not None]
    passes += len(SURE_VIEWS)
    if not sure:
        if mirrored and (seen := _witness_sees(hand, rgb, detector, appearance, WITNESS_SURE)) and seen[0]:
            # the mirrored crop found a hand in this box too, only fitted otherwise, and the landmark model alone is
            # all but sure of it (measured: c05's hand on his head, its fingers in his hair, in grids: mirrored
            # 0.48-0.61 palm lengths off, presence 0.97; no box on no hand in the set, the grids, the ad hoc copies
            # and pairs passes this way)
            return Verdict(base * seen[1], "", passes), True
        return Verdict(verdict.score, f"{verdict.reason}; the landmark model is not sure of it", passes), False
    # the fit the others agree with most (measured: in grain one crop may repeat the candidate's fit, a palm off,
    # where the two wider crops agree on the hand)
    best = min(sure, key=lambda fit: sum(disagreement(fit, other) for other in sure))
    return Verdict(_weighted(best.score, plausibility(best.world_landmarks)), "", passes, best), False


def _loosely_agreed(group: list[Hand], rgb: np.ndarray, detector: HandDetector,
                    appearance: Appearance | None) -> float:
    """Where no second look finds the candidate again: two independent looks that fitted it alike (within
    LOOSE_AGREE) and the landmark model alone all but sure of it (WITNESS_SURE) make a hand after all; its presence
    then, else 0. Measured: real hands in gray, sepia and grainy copies, refused for want of a second look (b01's
    sepia hand, 0.34 apart, presence 0.95), while the boxes on no hand that two looks agreed on (down to 0.09 apart:
    the necklace) stay at presence <= 0.83."""
    hand = group[0]
    if not any(_independent(hand, other) and disagreement(hand, other) < LOOSE_AGREE for other in group[1:]):
        return 0.0
    seen = _witness_sees(hand, rgb, detector, appearance, WITNESS_SURE)
    return seen[1] if seen and seen[0] else 0.0


def _witnessed(verdict: Verdict, hand: Hand, rgb: np.ndarray, detector: HandDetector,
               appearance: Appearance | None) -> Verdict:
    """An accepted verdict on a candidate the whole-image pass did not vouch for, refused after all where the
    landmark model alone, on crops around the hand to report, sees no hand (witness.py)."""
    seen = _witness_sees(verdict.hand or hand, rgb, detector, appearance, WITNESS_PRESENCE)
    if seen is None or seen[0]:
        return verdict
    return Verdict(verdict.score * seen[1], f"the landmark model alone sees no hand there (presence {seen[1]:.2f})",
                   verdict.passes)


def _witness_sees(hand: Hand, rgb: np.ndarray, detector: HandDetector, appearance: Appearance | None,
                  sure: float) -> tuple[bool, float] | None:
    """Whether the landmark model alone sees `hand` (presence >= `sure` on a crop), with its best presence; None
    where there is no witness (this OpenCV cannot run it) or OpenCV failed on a crop: the other evidence decides."""
    witness = detector.witness
    if witness is None:
        return None
    try:
        seen, presence, _ = witness.sees_hand(rgb, hand.landmarks, hand.bbox, appearance, sure)
    except cv2.error:
        return None
    return seen, presence


def check_group(group: list[Hand], rgb: np.ndarray, detector: HandDetector, confidence: float,
                appearance: Appearance | None = None) -> Verdict:
    """Verdict on the hand a group of looks shows: its best member's, and where the check refuses that one after
    second looks, another look's fit of the same box (measured: a zoomed-out find in grain passes where the closer
    window's fit of it does not), and last two looks that fitted it alike where the landmark model alone is sure of
    it (`_loosely_agreed`). An accepted verdict carries the hand to report when it is not `group[0]`."""
    if appearance is not None:
        # a blurry image's candidates may come from sharpened inputs: the check judges it as it is (sharpened, the
        # necklace in c05's blurred copy had a hand's structure at every look and for the landmark model alone)
        appearance = replace(appearance, sharpen=False)
    verdict = check(group, rgb, detector, confidence, appearance)
    if verdict.accepted or not verdict.passes:
        return verdict
    other = next((hd for hd in group[1:] if hd.source != group[0].source), None)
    if other is None:
        return verdict
    again = check([other, *(hd for hd in group if hd is not other)], rgb, detector, confidence, appearance)
    passes = verdict.passes + again.passes
    if again.accepted:
        return Verdict(again.score, "", passes, again.hand or other)
    presence = _loosely_agreed(group, rgb, detector, appearance)
    if presence:
        return Verdict(_weighted(group[0].score, plausibility(group[0].world_landmarks)) * presence, "", passes)
    return Verdict(verdict.score, verdict.reason, passes)


def _second_looks(hand: Hand, rgb: np.ndarray, detector: HandDetector, appearance: Appearance | None, whole: bool,
                  base: float) -> tuple[Verdict, Hand | None, bool]:
    """Skin, size and re-centred second looks; with the re-centred hand when that look found the hand elsewhere, and
    whether the verdict is a refusal because the mirrored look found a hand here but fitted it elsewhere."""
    if not (appearance and appearance.monochrome) and skin_share(rgb, hand.landmarks) < MIN_SKIN:
        return Verdict(base * 0.3, "no skin colour under the palm"), None, False
    if hand.extent < MIN_CHECKED_PX:
        return Verdict(base * 0.5, f"only {hand.extent} px and seen by one pass only: too small to verify"), None, False
    passes = 0
    off = 0.0
    # a re-centred second look, then (for a box only a zoomed pass saw) a mirrored one, and in a grainy, gray or
    # dark image (where texture fools the detector more easily) a closer one: all must agree. Where the closer one
    # finds nothing, a zoomed-out crop, upright and turned a quarter both ways, may stand in for it (measured: real
    # hands in grain and gray copies that the close crop misses are found there; skin-like texture is not).
    views = [(REDETECT_SHARE, False)] if whole else [(REDETECT_SHARE, False), (REDETECT_SHARE, True)]
    if not whole and appearance is not None and appearance.adjusted:
        views.append((CLOSE_SHARE, False))
    for share, mirror in views:
        again = redetect(rgb, hand.bbox, detector, CHECK_CONFIDENCE, appearance, share, mirror)
        passes += 1
        what = "mirrored re-centred crop" if mirror else "closer re-centred crop" if share != REDETECT_SHARE \
            else "re-centred crop"
        if again is None and share == CLOSE_SHARE:
            off, turned = _turned_looks(hand, rgb, detector, appearance, off)
            passes += turned
            if off is not None:
                continue
            return Verdict(base * 0.3, f"not found again on a {what} nor on zoomed-out turned crops",
                           passes), None, False
        if again is None and passes == 1:
            # a fit on part of a hand (two fingers of a larger one) puts the hand too close in a crop re-centred on
            # it: zoomed out further, upright and mirrored, both may show the whole hand alike (measured: b01's hand
            # in its gray copy, a partial fit); that fit is the hand to report, and the witness judges it
            whole_hand, turned = _whole_hand(hand, rgb, detector, appearance)
            passes += turned
            if whole_hand is not None:
                return Verdict(_weighted(whole_hand.score, plausibility(whole_hand.world_landmarks)), "", passes,
                               whole_hand), None, False
        if again is None:
            return Verdict(base * 0.3, f"not found again on a {what}", passes), None, False
        off = max(off, disagreement(hand, again))
        if off >= (MIRROR_AGREE if mirror else CLOSE_AGREE if share != REDETECT_SHARE else AGREE):
            refit = again if passes == 1 and hand.source != "check" else None
            return Verdict(base * math.exp(-off / AGREE), f"landmarks moved by {off:.2f} palm lengths on a {what}",
                           passes), refit, mirror
    return Verdict(base * math.exp(-off / AGREE), "", passes), None, False


def _whole_hand(hand: Hand, rgb: np.ndarray, detector: HandDetector, appearance: Appearance | None
                ) -> tuple[Hand | None, int]:
    """The hand a partial fit belongs to: found on a crop where the candidate fills PARTIAL_SHARE by a landmark model
    all but sure of it (SURE_PRESENCE) and on the same crop mirrored, the two fits alike (within MIRROR_AGREE); else
    None. With the passes run. (Measured: b01's gray hand upright >= 0.95, mirrored 0.7-0.8; a cloud in an anime
    picture's gray sky passed both crops at the usual presence, and the witness, but reaches 0.8-0.85 upright.)"""
    upright = redetect(rgb, hand.bbox, detector, CHECK_CONFIDENCE, appearance, PARTIAL_SHARE, presence=SURE_PRESENCE)
    if upright is None:
        return None, 1
    mirrored = redetect(rgb, hand.bbox, detector, CHECK_CONFIDENCE, appearance, PARTIAL_SHARE, mirror=True)
    if mirrored is None or disagreement(upright, mirrored) >= MIRROR_AGREE:
        return None, 2
    return upright, 2


def _turned_looks(hand: Hand, rgb: np.ndarray, detector: HandDetector, appearance: Appearance | None,
                  off: float) -> tuple[float | None, int]:
    """The worst landmark distance over the zoomed-out crops (upright, turned left, turned right), or None if one
    of them does not find the hand or moves it by TURNED_AGREE or more; and the passes run."""
    passes = 0
    for turns in TURNS:
        again = redetect(rgb, hand.bbox, detector, CHECK_CONFIDENCE, appearance, ZOOMED_OUT_SHARE, turns=turns)
        passes += 1
        if again is None:
            return None, passes
        off = max(off, disagreement(hand, again))
        if off >= TURNED_AGREE:
            return None, passes
    return off, passes


def detect_in_box(rgb: np.ndarray, box: Box, detector: HandDetector, confidence: float = 0.3,
                  max_hands: int = 4, appearance: Appearance | None = None) -> list[Hand]:
    """Hands inside a box the user marked (an inpaint mask over a hand the detector missed): the box and zoomed
    tiles of it are searched at a lower confidence; every candidate must pass the hand check."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if min(w, h) < 8:
        return []
    # the box itself (hand fills most of it) and tiles in which a hand of a third of the box is well sized
    looks = [Look(square_around(box, max(w, h) * 1.6), "box", REDETECT_SIDE, cut_at_edges=False)]
    side = max(w, h) / 3 / MIN_HAND_SHARE * 0.5
    if side < max(w, h) * 0.9:
        looks += [Look((x0 + a, y0 + b, x0 + c, y0 + d), "box", REDETECT_SIDE)
                  for a, b, c, d in tile_grid(w, h, side)]
    found = detector.looks(rgb, looks, confidence, max_hands, appearance)
    groups = [g for g in group_hands([hd for hands in found for hd in hands])
              if box_overlap(g[0].bbox, box)[1] > 0.5]
    out = []
    for group in groups:
        verdict = check_group(group, rgb, detector, confidence, appearance)
        if verdict.accepted:
            out.append(with_check(verdict.hand or group[0], verdict.score))
    return out[:max_hands]


def with_check(hand: Hand, score: float) -> Hand:
    """The hand with its hand score from the check."""
    return Hand(hand.landmarks, hand.world_landmarks, hand.handedness, hand.score, hand.source, score)
