"""Cost of the after-fix check, per hand, next to plain MediaPipe in the same run. Prints figures; asserts nothing.

    python benchmarks/bench_fixcheck.py [IMAGES_OR_DIRS...] [--repeat N] [--model PATH]

For every image with hands (scaled to 1024 px at most): plain MediaPipe (one pass, confidence 0.5, 8 hands), the
"before" score of every hand (what a region pays once), and the judgement of one candidate (what each attempt pays):
a copy with light grain, which must be accepted, and a copy with noise over the hands, which must be rejected.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_pipeline import DEFAULT_DATA, DEFAULT_MODEL, median_ms  # noqa: E402
from lib_handrefine.detect import HandDetector  # noqa: E402
from lib_handrefine.fixcheck import judge_candidate, score_hand, whole_image_pass  # noqa: E402
from lib_handrefine.imageio import list_images, load_image  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", default=[str(DEFAULT_DATA)])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    args = ap.parse_args()
    detector = HandDetector(args.model)
    rng = np.random.default_rng(0)
    rows = []
    accepted = rejected = hands_total = 0
    for path in list_images(args.inputs):
        rgb = load_image(path)
        h, w = rgb.shape[:2]
        if max(h, w) > 1024:
            s = 1024 / max(h, w)
            rgb = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        plain, found = median_ms(lambda im=rgb: detector.detect(im, 0.5, 8, extra_pass=False), args.repeat)
        hands = found.hands
        if not hands:
            continue

        def before_scores(im=rgb, hs=hands):
            whole = whole_image_pass(im, detector)
            return [score_hand(im, hd, detector, whole) for hd in hs]

        before_ms, before = median_ms(before_scores, args.repeat)
        grain = np.clip(rgb.astype(np.int16) + rng.integers(-4, 5, rgb.shape), 0, 255).astype(np.uint8)
        noise = rgb.copy()
        for hand in hands:
            x0, y0, x1, y1 = (max(0, v) for v in hand.bbox)
            noise[y0:y1, x0:x1] = rng.integers(0, 256, noise[y0:y1, x0:x1].shape)
        good_ms, good = median_ms(lambda c=grain, hs=hands, b=before: judge_candidate(0, c, hs, b, detector),
                                  args.repeat)
        bad_ms, bad = median_ms(lambda c=noise, hs=hands, b=before: judge_candidate(1, c, hs, b, detector),
                                args.repeat)
        n = len(hands)
        hands_total += n
        accepted += sum(v.good for v in good.hands)
        rejected += sum(not v.good for v in bad.hands)
        rows.append((path.name, plain, before_ms / n, good_ms / n, bad_ms / n, n))
    detector.close()
    print(f"{'image':34} {'plain MP':>9} {'before/hand':>12} {'after/hand':>11} {'noise/hand':>11} hands")
    for name, plain, before_ms, good_ms, bad_ms, n in rows:
        print(f"{name[:34]:34} {plain:9.1f} {before_ms:12.1f} {good_ms:11.1f} {bad_ms:11.1f} {n:5}")

    def med(i: int) -> float:
        return statistics.median(r[i] for r in rows)

    print(f"\nmedian ms: plain MediaPipe per image {med(1):.1f} | score before, per hand {med(2):.1f} | "
          f"judge a candidate, per hand {med(3):.1f} (noise candidate {med(4):.1f})")
    print(f"grain copies accepted: {accepted}/{hands_total} hands | noise copies rejected: {rejected}/{hands_total}")


if __name__ == "__main__":
    main()
