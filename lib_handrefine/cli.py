"""`python -m lib_handrefine inspect IMAGE_OR_DIR... --out DIR`: detection, depth and masks without a WebUI.

Writes `<stem>_depth.png`, `<stem>_mask.png` and `<stem>_overlay.png` per image and one `report.json` for the run.
Unreadable files are reported and skipped; the exit code is 1 if any image failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from .box_detector import BoxDetectorError, get_box_detector
from .box_model_file import resolve_detector_model
from .depth import depth_to_rgb
from .detect import DetectorError, get_detector
from .imageio import ImageLoadError, list_images, load_image
from .model_file import ModelFileError, resolve_model_path
from .overlay import draw_overlay
from .plan import build_plan
from .settings import HAND_DETECTORS, HandRefineSettings, SettingsError

DETECTOR_CHOICES = dict(zip(("mediapipe", "both", "anime"), HAND_DETECTORS))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib_handrefine", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ins = sub.add_parser("inspect", help="detect hands and write depth maps, masks, overlays and report.json")
    ins.add_argument("inputs", nargs="+", help="image files and/or folders of images")
    ins.add_argument("--out", required=True, help="output folder (created if missing)")
    ins.add_argument("--model", help="hand_landmarker.task (default: $HANDREFINE_HAND_LANDMARKER or a download)")
    ins.add_argument("--models-dir", help="folder for the downloaded model (default: ~/.cache)")
    ins.add_argument("--confidence", type=float, default=None, help="minimum detection confidence (0.5)")
    ins.add_argument("--max-hands", type=int, default=None, help="most hands per image (8)")
    ins.add_argument("--no-extra-pass", action="store_true", help="skip the zoomed tile pass")
    ins.add_argument("--padding", type=int, default=None, help="mask padding in px at 512 px (30)")
    ins.add_argument("--detector", choices=tuple(DETECTOR_CHOICES), default=None,
                     help="mediapipe (default), both (MediaPipe + anime detector) or anime")
    ins.add_argument("--detector-model", help="YOLOv8-style ONNX hand detector (default: the recommended one, "
                     "downloaded once into the models dir)")
    ins.add_argument("--model-kind", choices=("sd1", "sd2", "sdxl"), default="sd1",
                     help="native size for the predicted inpaint crops (512 / 768 / 1024)")
    ins.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def settings_from_args(args: argparse.Namespace) -> HandRefineSettings:
    changes = {
        "detect_confidence": args.confidence,
        "max_hands": args.max_hands,
        "mask_padding": args.padding,
        "extra_detection_pass": False if args.no_extra_pass else None,
        "hand_detector": DETECTOR_CHOICES.get(args.detector),
        "detector_model": args.detector_model,
    }
    return HandRefineSettings().replace(**{k: v for k, v in changes.items() if v is not None})


def inspect(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        model = resolve_model_path(args.model, args.models_dir, progress=not args.quiet)
        detector = get_detector(model)
        box_detector = None
        if settings.uses_box_detector:
            box_model = resolve_detector_model(settings.detector_model or None, args.models_dir,
                                               progress=not args.quiet)
            box_detector = get_box_detector(box_model)
    except (SettingsError, ModelFileError, DetectorError, BoxDetectorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = list_images(args.inputs)
    report: dict = {"images": [], "failed": [], "settings": settings.to_dict()}
    for n, path in enumerate(files, 1):
        if not args.quiet:
            _progress(n, len(files), path.name)
        try:
            report["images"].append(inspect_one(path, out, settings, detector, args.model_kind, box_detector))
        except ImageLoadError as exc:
            report["failed"].append({"image": str(path), "error": str(exc)})
            print(f"\nskipped: {exc}", file=sys.stderr)
    if not args.quiet:
        sys.stderr.write("\n")
    (out / "report.json").write_text(json.dumps(report, indent=1))
    hands = sum(len(i["hands"]) for i in report["images"])
    print(f"{len(report['images'])} image(s), {hands} hand(s), {len(report['failed'])} failed -> {out / 'report.json'}")
    return 1 if report["failed"] or not files else 0


def inspect_one(path: Path, out: Path, settings: HandRefineSettings, detector, model_kind: str,
                box_detector=None) -> dict:
    t0 = time.perf_counter()
    rgb = load_image(path)
    decode_ms = (time.perf_counter() - t0) * 1000
    plan = build_plan(rgb, settings, detector, model_kind, box_detector)
    stem = path.stem
    _write(out / f"{stem}_depth.png", depth_to_rgb(plan.depth))
    _write(out / f"{stem}_mask.png", plan.combined_mask())
    _write(out / f"{stem}_overlay.png", draw_overlay(rgb, plan))
    summary = plan.summary()
    return {
        "image": str(path),
        "width": plan.width,
        "height": plan.height,
        "hands": summary["hands"],
        "boxes": summary["boxes"],
        "regions": summary["regions"],
        "skipped": summary["skipped"],
        "warnings": summary["warnings"],
        "ms": {"decode": round(decode_ms, 2), **summary["ms"]},
    }


def _write(path: Path, image: np.ndarray) -> None:
    data = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), data):
        raise OSError(f"cannot write {path}")


def _progress(n: int, total: int, name: str) -> None:
    width = 30
    filled = width * n // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {n}/{total} {name[:40]:<40}")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "inspect":
        return inspect(args)
    return 2
