"""Anime / illustration / render hands: landmark fitting in hand-picked boxes, and the cost of the box detector.

    python benchmarks/bench_anime.py [--model hand_landmarker.task] [--detector ONNX] [--repeat N]

1. Landmark fitting: for each hand in e01-e04 (boxes picked by eye, below) HandDetector.fit_in_box is run at several
   confidences; a hand counts as fitted at the highest confidence that still fits it.
2. Cost, in the same run: plain MediaPipe (whole image + tiles, as HandRefine's default), the ONNX box detector
   (letterbox + OpenCV forward + decode + NMS) and the fitting per box. Without --detector a YOLOv8n-sized graph
   with random weights is built (benchmarks/yolo_like.py, needs torch and onnx), exported both static and dynamic
   (the latter pinned to 640 the way the recommended model is), since only its size matters for the time.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lib_handrefine.box_detector import BoxDetector  # noqa: E402
from lib_handrefine.detect import HandDetector  # noqa: E402
from lib_handrefine.imageio import load_image  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "hands"
MODEL = ROOT.parent / "shared" / "models" / "hand_landmarker.task"
# hand boxes (x0, y0, x1, y1) picked by looking at the images; e02 shows no hand (its arms leave the frame)
HAND_BOXES = {
    "e01_anime_hand_on_cheek.jpg": [("cheek", (250, 490, 450, 660)), ("on table", (125, 920, 240, 1040))],
    "e02_anime_girl_red.jpg": [],
    "e03_anime_hands_chest.png": [("left fist", (155, 330, 208, 390)), ("right fist", (200, 330, 250, 392))],
    "e04_render_robot_hands.png": [("raised", (225, 170, 360, 300)), ("open", (705, 400, 878, 568))],
}
CONFIDENCES = (0.5, 0.3, 0.2, 0.1, 0.05)


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fitting(detector: HandDetector) -> None:
    print("landmark fitting in hand-picked boxes (fit_in_box: padded square crops, fit must fill the box)")
    fitted = {c: 0 for c in CONFIDENCES}
    total = 0
    for name, hands in HAND_BOXES.items():
        rgb = load_image(DATA / name)
        for label, box in hands:
            total += 1
            best = None
            for confidence in CONFIDENCES:
                hand = detector.fit_in_box(rgb, box, confidence)
                if hand is not None:
                    fitted[confidence] += 1
                    best = best or (confidence, hand.score)
            verdict = f"fitted from confidence {best[0]} (score {best[1]:.2f})" if best else "no fit"
            print(f"  {name:30s} {label:10s} {box!s:24s} {verdict}")
    print("  fitted per confidence: " + ", ".join(f"{c}: {fitted[c]}/{total}" for c in CONFIDENCES))


def costs(detector: HandDetector, box_model: Path | None, repeat: int) -> None:
    images = {name: load_image(DATA / name) for name in HAND_BOXES}
    models: dict[str, Path] = {}
    tmp = tempfile.TemporaryDirectory()
    if box_model:
        models["given model"] = box_model
    else:
        import yolo_like

        for dynamic in (False, True):
            path = Path(tmp.name) / f"yolo_like_{'dynamic' if dynamic else 'static'}.onnx"
            path.write_bytes(yolo_like.export_onnx(640, 1, dynamic))
            models[f"YOLOv8n-sized, {'dynamic, pinned' if dynamic else 'static'}"] = path
        print(f"\nsynthetic detector: {yolo_like.parameter_count() / 1e6:.2f} M parameters, 640 px input")
    loaded = {}
    for label, path in models.items():
        start = time.perf_counter()
        loaded[label] = BoxDetector(path)
        print(f"load {label}: {(time.perf_counter() - start) * 1000:.0f} ms")
    print(f"\nms per image (median of {repeat}), same run:")
    header = f"  {'image':30s} {'size':>9s} {'MediaPipe':>10s}" + "".join(f" {k[:24]:>25s}" for k in loaded)
    print(header + f" {'fit / box':>10s}")
    for name, rgb in images.items():
        mp = median_ms(lambda rgb=rgb: detector.detect(rgb), repeat)
        box_ms = [median_ms(lambda d=d, rgb=rgb: d.detect(rgb), repeat) for d in loaded.values()]
        boxes = [box for _, box in HAND_BOXES[name]] or [(0, 0, 64, 64)]
        fit = statistics.mean(median_ms(lambda b=b, rgb=rgb: detector.fit_in_box(rgb, b), repeat) for b in boxes)
        size = f"{rgb.shape[1]}x{rgb.shape[0]}"
        print(f"  {name:30s} {size:>9s} {mp:10.1f}" + "".join(f" {v:25.1f}" for v in box_ms) + f" {fit:10.1f}")
    tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(MODEL))
    parser.add_argument("--detector", help="a YOLOv8-style ONNX hand detector (default: a synthetic one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    detector = HandDetector(args.model)
    try:
        fitting(detector)
        costs(detector, Path(args.detector) if args.detector else None, args.repeat)
    finally:
        detector.close()


if __name__ == "__main__":
    main()
