"""Per-stage timings of the core pipeline over ../shared/data/hands (or given images). Prints figures; asserts nothing.

    python benchmarks/bench_pipeline.py [IMAGES_OR_DIRS...] [--repeat N] [--model PATH]

Images larger than 1024 px are scaled to 1024 px first (the target is "per image up to 1024 px"); the model is
loaded once; each image is run once to warm up, then --repeat times, and the median is kept.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib_handrefine.depth import render_depth  # noqa: E402
from lib_handrefine.detect import HandDetector  # noqa: E402
from lib_handrefine.imageio import list_images, load_image  # noqa: E402
from lib_handrefine.plan import plan_from_hands  # noqa: E402
from lib_handrefine.settings import HandRefineSettings  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hands"
DEFAULT_MODEL = ROOT.parent / "shared" / "models" / "hand_landmarker.task"


def median_ms(fn, repeat: int) -> tuple[float, object]:
    result = fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", default=[str(DEFAULT_DATA)])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    args = ap.parse_args()
    t = time.perf_counter()
    detector = HandDetector(args.model)
    print(f"detector init: {(time.perf_counter() - t) * 1000:.0f} ms")
    settings = HandRefineSettings()
    rows = []
    depth_per_hand = []
    for path in list_images(args.inputs):
        decode, rgb = median_ms(lambda p=path: load_image(p), args.repeat)
        h, w = rgb.shape[:2]
        if max(h, w) > 1024:
            s = 1024 / max(h, w)
            rgb = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        size = (rgb.shape[1], rgb.shape[0])
        single, one = median_ms(lambda im=rgb: detector.detect(im, extra_pass=False), args.repeat)
        detect, found = median_ms(lambda im=rgb: detector.detect(im, extra_pass=True), args.repeat)
        depth, _ = median_ms(lambda hs=found.hands, sz=size: render_depth(hs, sz), args.repeat)
        total_plan, plan = median_ms(lambda hs=found.hands, sz=size: plan_from_hands(hs, sz, settings), args.repeat)
        masks = max(0.0, total_plan - depth)
        if found.hands:
            depth_per_hand.append(depth / len(found.hands))
        rows.append((path.name, decode, single, detect, depth, masks, len(one.hands), len(found.hands), found.passes))
    detector.close()
    print(f"{'image':34} {'decode':>7} {'det1':>6} {'det+x':>6} {'depth':>6} {'masks':>6} {'total':>6}  hands 1/x")
    for name, dec, d1, dx, dp, mk, n1, nx, _ in rows:
        print(f"{name[:34]:34} {dec:7.1f} {d1:6.1f} {dx:6.1f} {dp:6.2f} {mk:6.2f} {dx + dp + mk:6.1f}  {n1}/{nx}")

    def med(i: int) -> float:
        return statistics.median(r[i] for r in rows)

    totals = [r[3] + r[4] + r[5] for r in rows]
    print("\nmedian ms per image (<=1024 px):")
    print(f"  decode {med(1):.1f} | detect one pass {med(2):.1f} | detect with extra pass {med(3):.1f} | "
          f"depth {med(4):.2f} | masks {med(5):.2f}")
    print(f"  detect(extra) + depth + masks: median {statistics.median(totals):.1f} ms (target <= 40), "
          f"max {max(totals):.1f} ms")
    tiled = [r[3] + r[4] + r[5] for r in rows if r[8] > 1]
    if tiled:
        print(f"  images that got the tile pass (long side > 640 px): {len(tiled)}, "
              f"median detect(extra) + depth + masks {statistics.median(tiled):.1f} ms")
    if depth_per_hand:
        print(f"  depth per hand: median {statistics.median(depth_per_hand):.2f} ms, max {max(depth_per_hand):.2f} ms "
              "(target <= 5)")
    print(f"  hands found: one pass {sum(r[6] for r in rows)}, with extra pass {sum(r[7] for r in rows)} "
          f"over {len(rows)} images")


if __name__ == "__main__":
    main()
