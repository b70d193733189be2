"""`python -m lib_handrefine inspect IMAGE_OR_DIR... --out DIR`: detection, depth and masks without a WebUI.

Writes `<file name>_depth.png`, `_mask.png` and `_overlay.png` per image (e.g. `x.jpg_depth.png`) and one
`report.json` for the run. Unreadable files and folders are reported and skipped; the exit code is 1 if any input
failed or none was found, 2 for bad options, an unusable --out or a missing model.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from .box_detector import BoxDetectorError, get_box_detector
from .box_model_file import resolve_detector_model
from .depth import depth_to_rgb
from .detect import DetectorError, get_detector
from .imageio import IMAGE_SUFFIXES, ImageLoadError, read_image, scan_inputs
from .model_file import CLI_HINT, ModelFileError, resolve_model_path
from .overlay import draw_overlay
from .plan import build_plan
from .settings import EXTRA_PASS_MODES, HAND_DETECTORS, HandRefineSettings, SettingsError

DETECTOR_CHOICES = dict(zip(("mediapipe", "both", "anime"), HAND_DETECTORS))

OUTPUT_KINDS = ("depth", "mask", "overlay")
DEFAULT_MAX_SIDE = 4096  # detection works at 512 px (tiles ~2x that); bigger images only cost memory
# our own outputs: `<name>.<image suffix>[-n]_<kind>.png`; skipped when scanning folders (e.g. --out = input folder)
_OUTPUT_NAME = re.compile(r"(?P<source>.+?)(?:-\d+)?_(?:depth|mask|overlay)\.png", re.IGNORECASE)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib_handrefine", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ins = sub.add_parser("inspect", help="detect hands and write depth maps, masks, overlays and report.json")
    ins.add_argument("inputs", nargs="+", help="image files and/or folders of images")
    ins.add_argument("--out", required=True, help="output folder (created if missing)")
    ins.add_argument("--model", help="hand_landmarker.task (default: $HANDREFINE_HAND_LANDMARKER, the models folder, "
                                     "or obtained once)")
    ins.add_argument("--models-dir", help="folder for the obtained model (default: ~/.cache)")
    ins.add_argument("--confidence", type=float, default=None, help="minimum detection confidence (0.5)")
    ins.add_argument("--max-hands", type=int, default=None, help="most hands per image (8)")
    ins.add_argument("--extra-pass", choices=EXTRA_PASS_MODES, default=None,
                     help="zoomed passes: off, auto (where needed; default) or thorough")
    ins.add_argument("--no-extra-pass", action="store_true", help="same as --extra-pass off")
    ins.add_argument("--padding", type=int, default=None, help="mask padding in px at 512 px (30)")
    ins.add_argument("--detector", choices=tuple(DETECTOR_CHOICES), default=None,
                     help="mediapipe (default), both (MediaPipe + anime detector) or anime")
    ins.add_argument("--detector-model", help="YOLOv8-style ONNX hand detector (default: the recommended one, "
                     "downloaded once into the models dir)")
    ins.add_argument("--detector-confidence", type=float, default=None,
                     help="minimum box score of the anime detector (0.3)")
    ins.add_argument("--model-kind", choices=("sd1", "sd2", "sdxl"), default="sd1",
                     help="native size for the predicted inpaint crops (512 / 768 / 1024)")
    ins.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE,
                     help=f"images with a longer side are scaled down by an integer factor first "
                          f"({DEFAULT_MAX_SIDE}; 0: never, needs more memory)")
    ins.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def settings_from_args(args: argparse.Namespace) -> HandRefineSettings:
    changes = {
        "detect_confidence": args.confidence,
        "max_hands": args.max_hands,
        "mask_padding": args.padding,
        "extra_detection_pass": "off" if args.no_extra_pass else args.extra_pass,
        "hand_detector": DETECTOR_CHOICES.get(args.detector),
        "detector_model": args.detector_model,
        "detector_confidence": args.detector_confidence,
    }
    return HandRefineSettings().replace(**{k: v for k, v in changes.items() if v is not None})


def inspect(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        if args.max_side < 0:
            raise SettingsError(f"--max-side must be 0 or more, got {args.max_side}")
    except SettingsError as exc:
        return _fail(str(exc))
    out = Path(args.out)
    problem = prepare_output_dir(out)
    if problem:
        return _fail(problem)
    scan = scan_inputs(args.inputs, skip=is_own_output)
    report: dict = {"images": [], "failed": [], "settings": settings.to_dict()}
    for folder, why in scan.unreadable:
        report["failed"].append({"image": str(folder), "error": why})
        print(f"skipped: {why}", file=sys.stderr)
    if not scan.files:
        inputs = ", ".join(map(str, args.inputs))
        own = f" ({len(scan.skipped)} earlier HandRefine outputs skipped)" if scan.skipped else ""
        print(f"error: no images found in {inputs}{own}; image types read: {_suffix_summary()}", file=sys.stderr)
        return 1 if _write_report(out, report) else 2
    try:
        model = resolve_model_path(args.model, args.models_dir, progress=not args.quiet, hint=CLI_HINT)
        detector = get_detector(model, settings.detect_confidence, settings.max_hands)
        box_detector = None
        if settings.uses_box_detector:
            box_model = resolve_detector_model(settings.detector_model or None, args.models_dir,
                                               progress=not args.quiet)
            box_detector = get_box_detector(box_model)
    except (ModelFileError, DetectorError, BoxDetectorError) as exc:
        return _fail(str(exc))
    names = output_names(scan.files)
    try:
        for n, path in enumerate(scan.files, 1):
            if not args.quiet:
                _progress(n, len(scan.files), path.name)
            try:
                report["images"].append(inspect_one(path, out, names[path], settings, detector, args, box_detector))
            except Exception as exc:  # one bad file never stops the batch
                why = str(exc) if isinstance(exc, (ImageLoadError, OSError)) else f"{type(exc).__name__}: {exc}"
                report["failed"].append({"image": str(path), "error": why})
                print(f"\nskipped: {why}" if not args.quiet else f"skipped: {why}", file=sys.stderr)
    except KeyboardInterrupt:
        report["interrupted"] = True
        print("\ninterrupted: writing the report of the images done so far", file=sys.stderr)
    if not args.quiet:
        sys.stderr.write("\n")
    if not _write_report(out, report):
        return 2
    hands = sum(len(i["hands"]) for i in report["images"])
    boxes = sum(len(i["boxes"]) for i in report["images"])
    found = f"{hands} hand(s)" + (f" + {boxes} without landmarks" if boxes else "")
    print(f"{len(report['images'])} image(s), {found}, {len(report['failed'])} failed -> {out / 'report.json'}")
    if report.get("interrupted"):
        return 130
    return 1 if report["failed"] else 0


def inspect_one(path: Path, out: Path, name: str, settings: HandRefineSettings, detector,
                args: argparse.Namespace, box_detector=None) -> dict:
    t0 = time.perf_counter()
    loaded = read_image(path, args.max_side or None)
    rgb = loaded.rgb
    decode_ms = (time.perf_counter() - t0) * 1000
    plan = build_plan(rgb, settings, detector, args.model_kind, box_detector)
    outputs = {kind: f"{name}_{kind}.png" for kind in OUTPUT_KINDS}
    _write(out / outputs["depth"], depth_to_rgb(plan.depth))
    _write(out / outputs["mask"], plan.combined_mask())
    _write(out / outputs["overlay"], draw_overlay(rgb, plan))
    summary = plan.summary()
    entry = {"image": str(path), "width": plan.width, "height": plan.height}
    if loaded.file_size != (plan.width, plan.height):
        entry["file_size"] = list(loaded.file_size)  # analysed (and written) scaled down, see --max-side
    return {
        **entry,
        "outputs": outputs,
        "hands": summary["hands"],
        "boxes": summary["boxes"],
        "regions": summary["regions"],
        "skipped": summary["skipped"],
        "warnings": summary["warnings"],
        "ms": {"decode": round(decode_ms, 2), **summary["ms"]},
    }


def prepare_output_dir(out: Path) -> str | None:
    """Create `out` and prove it is writable; None if fine, else one line saying why not."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except FileExistsError:
        return f"--out {out} is a file, not a folder"
    except NotADirectoryError:
        return f"--out {out}: a part of that path is a file, not a folder"
    except PermissionError:
        return f"--out {out}: permission denied (cannot create or write there)"
    except OSError as exc:
        return f"--out {out}: cannot create or write there ({exc.strerror or exc})"
    return None


def output_names(files: list[Path]) -> dict[Path, str]:
    """A distinct output name per input: its file name (`x.jpg`, `x.png`); repeats from other folders get `-2`, ..."""
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for path in files:
        name, k = path.name, 1
        while name.casefold() in taken:  # casefold: one output folder may be case-insensitive (Windows, macOS)
            k += 1
            name = f"{path.name}-{k}"
        taken.add(name.casefold())
        names[path] = name
    return names


def is_own_output(path: Path) -> bool:
    """A file this tool wrote (`x.jpg_depth.png`, `x.jpg-2_mask.png`): never an input of a later run."""
    m = _OUTPUT_NAME.fullmatch(path.name)
    return bool(m) and Path(m.group("source")).suffix.lower() in IMAGE_SUFFIXES


def _suffix_summary() -> str:
    common = [s for s in (".png", ".jpg", ".jpeg", ".webp", ".avif", ".tif", ".tiff", ".bmp", ".gif")
              if s in IMAGE_SUFFIXES]
    return f"{' '.join(common)} and {len(IMAGE_SUFFIXES) - len(common)} more formats Pillow reads"


def _write_report(out: Path, report: dict) -> bool:
    try:
        (out / "report.json").write_text(json.dumps(report, indent=1))
    except OSError as exc:
        print(f"error: cannot write {out / 'report.json'}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _write(path: Path, image: np.ndarray) -> None:
    data = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), data):
        raise OSError(f"cannot write {path}")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


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
