"""`inspect --detector`: the anime detector in the standalone tool."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from lib_handrefine import cli

from .conftest import HANDS_DIR, MODEL
from .onnx_models import FixedBoxes, export, letterbox_box

PHOTO = HANDS_DIR / "c01_photo_fullbody_stretch.jpg"  # 960 x 640, two hands MediaPipe finds
SKY = (20, 20, 120, 100)


def test_inspect_lists_box_only_hands(tmp_path, capsys):
    model = tmp_path / "sky.onnx"
    model.write_bytes(export(FixedBoxes([(*letterbox_box(SKY, Image.open(PHOTO).size, 320), 0.7)]), 320))
    out = tmp_path / "o"
    code = cli.main(["inspect", str(PHOTO), "--out", str(out), "--model", str(MODEL), "--detector", "both",
                     "--detector-model", str(model), "--no-extra-pass", "--quiet"])
    output = capsys.readouterr()
    assert code == 0, output.err
    assert "2 hand(s) + 1 without landmarks" in output.out
    report = json.loads((out / "report.json").read_text())
    entry = report["images"][0]
    assert len(entry["hands"]) == 2
    [box] = entry["boxes"]
    assert np.abs(np.array(box["bbox"]) - SKY).max() <= 1  # float32 box, scaled back and rounded outwards
    assert [r["box_only"] for r in entry["regions"]] == [False, False, True]
    assert report["settings"]["hand_detector"] == "MediaPipe + anime detector"


def test_detector_confidence_drops_boxes_scored_below_it(tmp_path, capsys):
    model = tmp_path / "sky.onnx"
    model.write_bytes(export(FixedBoxes([(*letterbox_box(SKY, Image.open(PHOTO).size, 320), 0.7)]), 320))
    boxes = {}
    for confidence in ("0.6", "0.8"):
        out = tmp_path / confidence
        code = cli.main(["inspect", str(PHOTO), "--out", str(out), "--model", str(MODEL), "--detector", "anime",
                         "--detector-model", str(model), "--detector-confidence", confidence, "--quiet"])
        assert code == 0, capsys.readouterr().err
        report = json.loads((out / "report.json").read_text())
        assert report["settings"]["detector_confidence"] == float(confidence)
        boxes[confidence] = report["images"][0]["boxes"]
    assert len(boxes["0.6"]) == 1 and boxes["0.8"] == []  # the box scores 0.7


def test_missing_detector_model_is_one_clear_line(tmp_path, capsys):
    code = cli.main(["inspect", str(PHOTO), "--out", str(tmp_path / "o"), "--model", str(MODEL), "--detector",
                     "anime", "--detector-model", str(tmp_path / "nope.onnx"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "hand detector model not found" in err[0]
