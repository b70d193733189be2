"""A deterministic held-out-style test set built from ../shared/data/hands: transformed copies and hand grids.

Every sample carries the boxes of the hands it shows, derived by transforming the hands found on the original
images (their 21 landmarks, so a rotated hand gets a tight box), plus boxes of real hands that MediaPipe does not
find on the originals (`others`: a hand behind another one, anime and robot hands, a fencer's 5 px hands), which
count neither as found nor as false. Images whose name starts with `f` show no hand: every box there is false.

    python benchmarks/transformed_set.py --write-reference   # re-derive reference_hands.json from the originals
    python benchmarks/transformed_set.py --out DIR            # write the set as PNGs + boxes.json to look at

The reference file is committed, so the set does not change when the detector does.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib_handrefine.imageio import list_images, load_image  # noqa: E402

HANDS_DIR = ROOT.parent / "shared" / "data" / "hands"
MODEL = ROOT.parent / "shared" / "models" / "hand_landmarker.task"
REFERENCE = Path(__file__).with_name("reference_hands.json")

Box = tuple[int, int, int, int]

# Real hands MediaPipe does not find on the originals (boxes in original pixels, drawn by eye). A box there is a
# hand, so it is not "false"; missing it is not counted either.
OTHER_HANDS: dict[str, list[Box]] = {
    "a02_photo_two_thumbs_up.jpg": [(62, 58, 212, 322)],
    "c03_photo_couple_small_hands.jpeg": [(140, 132, 162, 156), (292, 122, 318, 146)],
    "c08_photo_fencing_tiny_hands.jpg": [(28, 56, 50, 78), (176, 66, 202, 90)],
    "e01_anime_hand_on_cheek.jpg": [(215, 470, 450, 705), (127, 933, 231, 1034)],
    "e03_anime_hands_chest.png": [(148, 316, 248, 398)],
    "e04_render_robot_hands.png": [(228, 168, 359, 299), (707, 380, 880, 570)],
}


@dataclass
class Sample:
    name: str  # "<image stem>/<family>" or "grid<n>x<n>/<size>/seed<seed>"
    family: str
    rgb: np.ndarray
    hands: list[Box]  # hands that must be found
    others: list[Box] = field(default_factory=list)  # real hands that may be found
    no_hands: bool = False  # an f* image: every box is a non-hand box
    landmarks: list[np.ndarray] = field(default_factory=list)  # (21, 2) reference landmarks of each of `hands`


# ----- reference hands on the originals -----
def write_reference(model: Path = MODEL) -> dict:
    """Landmarks (x, y) of every hand the detector finds on the originals a*-d* (whole image and tiles), plus the
    hand-drawn others. e* (anime, robot) and f* (no hands) keep only their hand-drawn boxes."""
    from lib_handrefine.detect import HandDetector

    detector = HandDetector(model)
    ref = {}
    try:
        for path in list_images([HANDS_DIR]):
            hands = []
            if path.name[0] in "abcd":
                found = detector.detect(load_image(path), 0.5, 8, True).hands
                hands = [[[round(float(x), 1), round(float(y), 1)] for x, y, _ in h.landmarks] for h in found]
            ref[path.name] = {"hands": hands, "others": [list(b) for b in OTHER_HANDS.get(path.name, [])]}
    finally:
        detector.close()
    REFERENCE.write_text(json.dumps(ref, separators=(",", ":")) + "\n")
    return ref


def reference() -> dict:
    return json.loads(REFERENCE.read_text())


# ----- transforms: image -> (image, 2x3 matrix taking original pixels to new pixels) -----
Transform = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _photometric(fn: Callable[[np.ndarray], np.ndarray]) -> Transform:
    return lambda rgb: (fn(rgb), IDENTITY)


def _rot90(k: int) -> Transform:
    def run(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = rgb.shape[:2]
        out = np.ascontiguousarray(np.rot90(rgb, k))  # counter-clockwise k quarter turns
        m = {1: [[0, 1, 0], [-1, 0, w - 1]], 2: [[-1, 0, w - 1], [0, -1, h - 1]], 3: [[0, -1, h - 1], [1, 0, 0]]}[k]
        return out, np.array(m, dtype=np.float64)

    return run


def _rotate(degrees: float) -> Transform:
    """Rotate about the centre onto a canvas that holds the whole image; the corners are filled grey."""

    def run(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = rgb.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
        c, s = abs(m[0, 0]), abs(m[0, 1])
        nw, nh = math.ceil(w * c + h * s), math.ceil(w * s + h * c)
        m[0, 2] += nw / 2 - w / 2
        m[1, 2] += nh / 2 - h / 2
        return cv2.warpAffine(rgb, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=(110, 110, 110)), m

    return run


def _mirror(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = rgb.shape[1]
    return np.ascontiguousarray(rgb[:, ::-1]), np.array([[-1.0, 0.0, w - 1], [0.0, 1.0, 0.0]])


def _resize(factor: float) -> Transform:
    def run(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = rgb.shape[:2]
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        return cv2.resize(rgb, size, interpolation=interp), np.array([[factor, 0, 0], [0, factor, 0]], np.float64)

    return run


def _canvas(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image pasted at a seeded position onto a canvas of twice its size with a soft gradient background."""
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(h * 7919 + w)
    ch, cw = 2 * h, 2 * w
    ramp = np.linspace(60, 200, cw, dtype=np.float32)[None, :, None]
    canvas = np.broadcast_to(ramp * np.array([0.9, 1.0, 1.1], np.float32), (ch, cw, 3)).clip(0, 255).astype(np.uint8)
    canvas = canvas.copy()
    y, x = int(rng.integers(0, ch - h + 1)), int(rng.integers(0, cw - w + 1))
    canvas[y:y + h, x:x + w] = rgb
    return canvas, np.array([[1.0, 0, x], [0, 1.0, y]])


def _plain_canvas(factor: int) -> Transform:
    """The image pasted at a seeded position onto a plain light canvas `factor` times its size."""
    def run(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = rgb.shape[:2]
        rng = np.random.default_rng(h * 31 + w + factor)
        canvas = np.full((factor * h, factor * w, 3), 235, np.uint8)
        y, x = int(rng.integers(0, (factor - 1) * h + 1)), int(rng.integers(0, (factor - 1) * w + 1))
        canvas[y:y + h, x:x + w] = rgb
        return canvas, np.array([[1.0, 0, x], [0, 1.0, y]])
    return run


def _dark(rgb: np.ndarray) -> np.ndarray:
    return (np.power(rgb / 255.0, 1.5) * 0.45 * 255).astype(np.uint8)


def _contrast(rgb: np.ndarray) -> np.ndarray:
    return np.clip((rgb.astype(np.float32) - 128) * 2.0 + 128, 0, 255).astype(np.uint8)


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)


def _muted(rgb: np.ndarray) -> np.ndarray:
    """Washed-out colours: 30 % of the colour left (a desaturated or faded picture)."""
    return (0.7 * _gray(rgb).astype(np.float32) + 0.3 * rgb).astype(np.uint8)


def _blur(rgb: np.ndarray) -> np.ndarray:
    sigma = max(1.5, max(rgb.shape[:2]) / 250)
    return cv2.GaussianBlur(rgb, (0, 0), sigma)


def _jpeg(quality: int) -> Callable[[np.ndarray], np.ndarray]:
    def run(rgb: np.ndarray) -> np.ndarray:
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return run


def _sepia(rgb: np.ndarray) -> np.ndarray:
    """The classic sepia toning matrix (a single-tone picture: every colour on one hue)."""
    m = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)
    return np.clip(rgb.astype(np.float32) @ m.T, 0, 255).astype(np.uint8)


def _noise(rgb: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(rgb.shape[0] * 31 + rgb.shape[1])
    return np.clip(rgb + rng.normal(0, 25, rgb.shape), 0, 255).astype(np.uint8)


def _grain(rgb: np.ndarray) -> np.ndarray:
    """Film grain: luminance noise in 2 px clumps."""
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(h * 13 + w)
    grain = cv2.resize(rng.normal(0, 30, (h // 2 + 1, w // 2 + 1)).astype(np.float32), (w, h))
    return np.clip(rgb + grain[..., None], 0, 255).astype(np.uint8)


FAMILIES: dict[str, Transform] = {
    "rot90": _rot90(1), "rot180": _rot90(2), "rot270": _rot90(3), "rot30": _rotate(30.0), "rot45": _rotate(45.0),
    "rot-60": _rotate(-60.0),
    "mirror": _mirror, "dark": _photometric(_dark), "contrast": _photometric(_contrast),
    "gray": _photometric(_gray), "sepia": _photometric(_sepia), "muted": _photometric(_muted),
    "blur": _photometric(_blur),
    "jpeg20": _photometric(_jpeg(20)), "jpeg10": _photometric(_jpeg(10)),
    "noise": _photometric(_noise), "grain": _photometric(_grain), "canvas": _canvas,
    "canvas4": _plain_canvas(4),
    "half": _resize(0.5), "double": _resize(2.0),
}


def _apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ m[:, :2].T + m[:, 2]


def _box_of(points: np.ndarray, size: tuple[int, int]) -> Box:
    w, h = size
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + 1
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))


def _corners(box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64)


def transformed(ref: dict, families: list[str] | None = None, images: list[str] | None = None) -> Iterator[Sample]:
    """Each original under each transform family, with its hand boxes transformed."""
    for name in sorted(images or ref):
        original = load_image(HANDS_DIR / name)
        entry = ref[name]
        for family in families or FAMILIES:
            rgb, m = FAMILIES[family](original)
            size = (rgb.shape[1], rgb.shape[0])
            landmarks = [_apply(m, np.array(lm, np.float64)) for lm in entry["hands"]]
            hands = [_box_of(lm, size) for lm in landmarks]
            others = [_box_of(_apply(m, _corners(b)), size) for b in entry["others"]]
            yield Sample(f"{Path(name).stem}/{family}", family, rgb, hands, others, name.startswith("f"), landmarks)


# ----- grids of hand photos -----
GRIDS = ((2, 1024), (3, 1536), (4, 2048), (3, 1024), (4, 1536))  # (cells per side, picture side in px)


def grid(ref: dict, cells: int, side: int, seed: int) -> Sample:
    """cells x cells photos with hands (a*-d*), each fitted into its cell on a grey background."""
    rng = np.random.default_rng(seed)
    names = sorted(n for n in ref if n[0] in "abcd" and ref[n]["hands"])
    picks = [names[i] for i in rng.permutation(len(names))[: cells * cells]]
    canvas = np.full((side, side, 3), 96, np.uint8)
    cell = side // cells
    others, landmarks = [], []
    for k, name in enumerate(picks):
        img = load_image(HANDS_DIR / name)
        h, w = img.shape[:2]
        s = cell / max(h, w)
        small = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        oy = (k // cells) * cell + (cell - small.shape[0]) // 2
        ox = (k % cells) * cell + (cell - small.shape[1]) // 2
        canvas[oy:oy + small.shape[0], ox:ox + small.shape[1]] = small
        m = np.array([[s, 0, ox], [0, s, oy]])
        landmarks += [_apply(m, np.array(lm, np.float64)) for lm in ref[name]["hands"]]
        others += [_box_of(_apply(m, _corners(b)), (side, side)) for b in ref[name]["others"]]
    hands = [_box_of(lm, (side, side)) for lm in landmarks]
    return Sample(f"grid{cells}x{cells}/{side}/seed{seed}", "grid", canvas, hands, others, landmarks=landmarks)


def grids(ref: dict, seeds: Sequence[int] = ()) -> Iterator[Sample]:
    """The benchmark's grids (one per size, seeds 100-104); with `seeds`, every size with each of those seeds instead
    (other photos in other cells)."""
    if not seeds:
        for i, (cells, side) in enumerate(GRIDS):
            yield grid(ref, cells, side, seed=100 + i)
        return
    for cells, side in GRIDS:
        for seed in seeds:
            yield grid(ref, cells, side, seed)


# ----- scoring -----
MATCH_IOU = 0.3  # a box on a hand: loose, because a landmark box and a drawn box differ
OTHER_IOU = 0.2


@dataclass
class Score:
    found: int = 0
    missed: int = 0
    false: list[Box] = field(default_factory=list)  # boxes on no hand
    duplicates: int = 0  # a second box on a hand already matched
    matched: list[tuple[int, int]] = field(default_factory=list)  # (box index, hand index) of each hand found


def score(sample: Sample, boxes: list[Box]) -> Score:
    """Greedy matching, best overlap first: each hand takes at most one box."""
    from lib_handrefine.detect import box_overlap

    out = Score()
    pairs = sorted(((box_overlap(b, h)[0], i, j) for i, b in enumerate(boxes) for j, h in enumerate(sample.hands)),
                   reverse=True)
    used_boxes, used_hands = set(), set()
    for iou, i, j in pairs:
        if iou >= MATCH_IOU and i not in used_boxes and j not in used_hands:
            used_boxes.add(i)
            used_hands.add(j)
            out.matched.append((i, j))
    out.found = len(used_hands)
    out.missed = len(sample.hands) - out.found
    for i, b in enumerate(boxes):
        if i in used_boxes:
            continue
        if any(box_overlap(b, h)[0] >= MATCH_IOU or box_overlap(b, h)[1] >= 0.6 for h in sample.hands):
            out.duplicates += 1
        elif not any(box_overlap(b, o)[0] >= OTHER_IOU or box_overlap(b, o)[1] >= 0.6 for o in sample.others):
            out.false.append(tuple(int(v) for v in b))
    return out


LANDMARKS_IN_PLACE = 0.3  # mean landmark distance, in palm lengths of the reference hand, of a fit on the hand


def landmarks_in_place(sample: Sample, result: Score, fits: list[np.ndarray]) -> int:
    """How many of the hands found carry landmarks on the hand (`fits`: the (21, 2+) landmarks of each box)."""
    good = 0
    for i, j in result.matched:
        ref = sample.landmarks[j]
        palm = max(float(np.linalg.norm(ref[9] - ref[0])), 1.0)
        good += float(np.linalg.norm(fits[i][:, :2] - ref, axis=1).mean()) < LANDMARKS_IN_PLACE * palm
    return good


def all_samples(ref: dict | None = None) -> Iterator[Sample]:
    ref = ref or reference()
    yield from transformed(ref)
    yield from grids(ref)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-reference", action="store_true", help="re-derive reference_hands.json")
    ap.add_argument("--out", help="write every sample as PNG plus boxes.json here")
    args = ap.parse_args()
    if args.write_reference:
        ref = write_reference()
        print(f"{sum(len(v['hands']) for v in ref.values())} hands on {len(ref)} images -> {REFERENCE}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        boxes = {}
        for s in all_samples():
            file = s.name.replace("/", "__") + ".png"
            cv2.imwrite(str(out / file), cv2.cvtColor(s.rgb, cv2.COLOR_RGB2BGR))
            boxes[file] = {"hands": s.hands, "others": s.others, "no_hands": s.no_hands}
        (out / "boxes.json").write_text(json.dumps(boxes, indent=0))
        print(f"{len(boxes)} samples -> {out}")


if __name__ == "__main__":
    main()
