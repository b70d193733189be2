"""Fix the hands of one output image inside a running WebUI generation.

Plan (detect, depth, masks) with the core, then one nested inpaint pass per region with our ControlNet unit.
Whatever goes wrong, the caller keeps the image it had: this module returns an outcome saying why.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from PIL import Image

from ..box_detector import BoxDetector
from ..box_hands import BoxHand
from ..depth import depth_to_rgb
from ..detect import Hand, HandDetector, get_detector
from ..fixcheck import (
    CandidateVerdict,
    HandScore,
    HandVerdict,
    best_candidate,
    judge_box,
    judge_candidate,
    score_hand,
    whole_image_pass,
)
from ..handcheck import detect_in_box
from ..imageio import to_rgb_array
from ..overlay import annotate, draw_overlay
from ..plan import Plan, build_plan, describe_skipped, plan_from_hands
from ..settings import KEEP_FIX_CHOICES, HandRefineSettings
from . import environment
from .candidates import sample_candidates
from .controlnet import controlnet_backend, resolve_model, suspended_outer_controlnet
from .inpaint import region_pass_builder
from .outcome import Outcome, SkipImage

log = logging.getLogger("handrefine")
USER_MASK_SOURCE = "mask"  # a box-only hand that is the user's inpaint mask itself


def refine_image(p: Any, image: Image.Image, index: int, settings: HandRefineSettings, own_script: Any | None,
                 user_mask: Image.Image | None = None) -> Outcome:
    """Fix the hands in `image` (the `index`-th output of `p`). Never raises: failures keep `image`."""

    start = time.perf_counter()
    try:
        outcome = _refine(p, image, index, settings, own_script, user_mask)
    except SkipImage as why:
        outcome = Outcome(image, f"skipped: {why}")
    except Exception as exc:  # the user's image must survive anything our pass does
        _report(f"HandRefine: fixing hands failed, the original image is kept: {exc}")
        outcome = Outcome(image, f"error: {exc}; original kept")
    outcome.summary += f" ({time.perf_counter() - start:.1f} s)"
    print(f"HandRefine: image {index}: {outcome.summary}")
    return outcome


def _report(message: str) -> None:
    try:
        from modules import errors

        errors.report(message, exc_info=True)
    except Exception:
        log.exception(message)


def _refine(p: Any, image: Image.Image, index: int, settings: HandRefineSettings, own_script: Any | None,
            user_mask: Image.Image | None) -> Outcome:
    from modules import scripts, shared

    rgb = to_rgb_array(image)
    detector = get_detector(environment.hand_model_path())
    kind = environment.model_kind()
    box_detector = environment.box_detector(settings)
    plan = build_plan(rgb, settings, detector, kind, box_detector)
    if user_mask is not None:
        plan = _hands_touching(plan, user_mask, settings, kind)
        if not plan.regions:
            plan = _hand_in_mask(rgb, user_mask, detector, settings, kind) or plan
    base = Image.fromarray(rgb)
    debug = _debug_images(rgb, plan) if settings.debug_images else []
    if not plan.regions:
        return Outcome(image, _describe(plan, 0, None), debug=debug)
    shared.state.assign_current_image(Image.fromarray(draw_overlay(rgb, plan)))  # live preview shows detections

    backend = controlnet_backend()
    model, why = resolve_model(settings, backend, environment.is_sdxl(), environment.skip_without_controlnet())
    warnings = list(plan.warnings)
    if why:
        warnings.append(f"{why}; inpainting without ControlNet")
        environment.warn_once(f"HandRefine: {why}; hands are inpainted without ControlNet.")
    own_img2img = environment.own_script(scripts.scripts_img2img, own_script)
    shared.state.job_count += len(plan.regions)
    check = settings.keep_fix != KEEP_FIX_CHOICES[1] or settings.attempts > 1  # "always" with one try: no scoring
    current = base
    fixed = 0
    hand_lines: list[str] = []
    with suspended_outer_controlnet(p):
        for i, region in enumerate(plan.regions):
            if _stopped():
                break
            # a box-only region has no hand depth: plain inpainting, no ControlNet unit
            use_unit = model is not None and not region.box_only
            unit = backend.unit(model, depth_to_rgb(plan.region_depth(i)), settings) if use_unit else None
            build = region_pass_builder(p, index, i, region, current, settings, scripts.scripts_img2img,
                                        own_img2img, backend.script if unit is not None else None, unit)
            targets = [plan.hands[h] for h in region.hands]
            before = _score_before(to_rgb_array(current), targets, detector) if check else []
            try:
                candidates = sample_candidates(build, settings.attempts)
            except Exception as exc:
                if type(exc).__name__ != "NansException":
                    raise
                warnings.append(f"region {i}: the model produced NaNs; region left as it was")  # next region may work
                continue
            if _stopped() or not candidates:
                break  # a stopped pass returns a half-denoised image: keep what we had
            if not check:
                current, fixed = candidates[0], fixed + 1
                continue
            verdicts = [_judge(k, to_rgb_array(c), plan, region, targets, before, detector, box_detector)
                        for k, c in enumerate(candidates)]
            best = best_candidate(verdicts)
            keep = best.good or settings.keep_fix == KEEP_FIX_CHOICES[1]
            if keep:
                current, fixed = candidates[best.index], fixed + 1
            numbers = [h + 1 for h in region.hands] + [len(plan.hands) + b + 1 for b in region.boxes]
            hand_lines += [v.describe(n, keep) for n, v in zip(numbers, best.hands)]
            if settings.debug_images:
                debug += _candidate_images(i, region.crop, candidates, verdicts)
    if _stopped():
        return Outcome(image, "stopped by the user; original kept", debug=debug)
    changed = fixed > 0
    summary = "; ".join([_describe(plan, fixed, model), *hand_lines, *(f"warning: {w}" for w in warnings)])
    return Outcome(current if changed else image, summary, changed, debug)


def _stopped() -> bool:
    from modules import shared

    return bool(shared.state.interrupted or shared.state.skipped)


def _judge(index: int, candidate: np.ndarray, plan: Plan, region: Any, targets: list[Hand], before: list[HandScore],
           detector: HandDetector, box_detector: BoxDetector | None) -> CandidateVerdict:
    """A candidate's verdict: each landmark hand of the region, then each box-only hand."""
    verdict = judge_candidate(index, candidate, targets, before, detector)
    for b in region.boxes:
        box = plan.boxes[b]
        if box.source == USER_MASK_SOURCE:  # the user pointed at it; nothing can find it to check the result
            verdict.hands.append(HandVerdict(True, "", None, 0.0, None, checked=False))
        else:
            verdict.hands.append(judge_box(candidate, box.box, box.score, box_detector))
    return verdict


def _score_before(rgb: np.ndarray, targets: list[Hand], detector: HandDetector) -> list[HandScore]:
    """Each hand of a region as the check sees it before the pass (the same re-detection as after it)."""
    whole = whole_image_pass(rgb, detector)
    return [score_hand(rgb, target, detector, whole) for target in targets]


def _candidate_images(region: int, crop: tuple[int, int, int, int], candidates: list[Image.Image],
                      verdicts: list[CandidateVerdict]) -> list[tuple[str, Image.Image]]:
    """Each candidate's region with its verdict written on it, for the debug gallery."""
    out = []
    for picture, verdict in zip(candidates, verdicts):
        scores = ", ".join(f"m {v.match:.2f} q {v.quality_after:.2f}" if v.match is not None else "no hand"
                           for v in verdict.hands)
        label = f"region {region + 1} #{verdict.index + 1}: {'good' if verdict.good else 'rejected'} ({scores})"
        out.append((label, annotate(picture.crop(crop), label)))
    return out


def _hands_touching(plan: Plan, user_mask: Image.Image, settings: HandRefineSettings, kind: str) -> Plan:
    """Keep only the hands whose padded box touches the user's inpaint mask."""
    mask = np.asarray(user_mask.convert("L").resize((plan.width, plan.height))) > 127
    touching = [r for r in plan.regions if (r.mask[mask] > 0).any()]
    hands = [plan.hands[i] for i in sorted(i for r in touching for i in r.hands)]
    boxes = [plan.boxes[i] for i in sorted(i for r in touching for i in r.boxes)]
    return plan_from_hands(hands, (plan.width, plan.height), settings, kind, plan.ms.get("detect", 0.0), boxes)


def _hand_in_mask(rgb: np.ndarray, user_mask: Image.Image, detector: HandDetector, settings: HandRefineSettings,
                  kind: str) -> Plan | None:
    """The user masked a hand that detection missed: look again inside the mask, zoomed and at a lower confidence
    (every find passes the hand check); if still nothing, repaint the masked area box-only (no landmarks, no
    ControlNet). None for an empty mask."""
    mask = np.asarray(user_mask.convert("L").resize((rgb.shape[1], rgb.shape[0]))) > 127
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    size = (rgb.shape[1], rgb.shape[0])
    hands = detect_in_box(rgb, box, detector)
    if hands:
        return plan_from_hands(hands, size, settings, kind)
    return plan_from_hands([], size, settings, kind, boxes=[BoxHand(box, 0.0, USER_MASK_SOURCE)])


def _describe(plan: Plan, fixed: int, model: str | None) -> str:
    found = len(plan.hands) + len(plan.boxes)
    skipped = f", skipped: {describe_skipped(plan.skipped)}" if plan.skipped else ""
    if not found:
        return "no hands to fix" + skipped if plan.skipped else "no hands found"
    if not plan.regions:
        return f"{found} hand(s), none to fix" + skipped
    text = f"{found} hand(s), {fixed}/{len(plan.regions)} region(s) fixed" + skipped
    text += f", ControlNet {model}" if model else ", no ControlNet"
    box_only = sum(r.box_only for r in plan.regions)
    if box_only:
        text += f", {box_only} region(s) box-only (no landmarks, no ControlNet)"
    return text + ", pass " + ", ".join(f"{w}x{h}" for w, h in (r.size for r in plan.regions))


def _debug_images(rgb: np.ndarray, plan: Plan) -> list[tuple[str, Image.Image]]:
    return [
        ("depth", Image.fromarray(depth_to_rgb(plan.depth))),
        ("mask", Image.fromarray(plan.combined_mask(), "L").convert("RGB")),
        ("overlay", Image.fromarray(draw_overlay(rgb, plan))),
    ]

