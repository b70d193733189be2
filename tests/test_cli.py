import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image

from .conftest import HANDS_DIR, MODEL, ROOT


def run_cli(*args, env_model=True):
    env = dict(os.environ)
    if env_model:
        env["HANDREFINE_HAND_LANDMARKER"] = str(MODEL)
    return subprocess.run([sys.executable, "-m", "lib_handrefine", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_inspect_end_to_end(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_text("not an image")
    out = tmp_path / "out"
    images = [HANDS_DIR / "c07_photo_woman_lying.jpeg", HANDS_DIR / "f04_nohand_cat.png", bad]
    res = run_cli("inspect", *images, "--out", out)
    assert res.returncode == 1, res.stderr  # one failure -> non-zero, but the run went on
    report = json.loads((out / "report.json").read_text())
    assert [i["image"] for i in report["images"]] == [str(p) for p in images[:2]]
    assert report["failed"][0]["image"] == str(bad) and "not an image" in report["failed"][0]["error"]
    two = report["images"][0]
    assert (two["width"], two["height"]) == (518, 750)
    assert len(two["hands"]) == 2 and len(two["hands"][0]["landmarks"]) == 21
    assert set(two["hands"][0]) >= {"bbox", "handedness", "score", "landmarks"}
    assert two["regions"][0]["hands"] == [0, 1] and len(two["regions"][0]["crop"]) == 4
    assert set(two["ms"]) >= {"detect", "depth", "mask"}
    for suffix in ("depth", "mask", "overlay"):
        im = Image.open(out / f"c07_photo_woman_lying_{suffix}.png")
        assert im.size == (518, 750)
    depth = np.asarray(Image.open(out / "c07_photo_woman_lying_depth.png").convert("L"))
    assert depth.max() == 255 and depth[depth > 0].min() >= 51
    assert not np.asarray(Image.open(out / "f04_nohand_cat_mask.png")).any()


def test_inspect_folder_succeeds(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").save(folder / "x.png")
    res = run_cli("inspect", folder, "--out", tmp_path / "o", "--no-extra-pass", "--max-hands", "3", "--quiet")
    assert res.returncode == 0, res.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert len(report["images"][0]["hands"]) == 1 and report["settings"]["max_hands"] == 3


def test_inspect_reports_a_missing_model_clearly(tmp_path):
    res = run_cli("inspect", HANDS_DIR / "d02_sd_malformed_2.jpg", "--out", tmp_path, "--model", tmp_path / "nope.task")
    assert res.returncode == 2 and "hand model not found" in res.stderr


def test_inspect_rejects_bad_settings(tmp_path):
    res = run_cli("inspect", HANDS_DIR / "d02_sd_malformed_2.jpg", "--out", tmp_path, "--confidence", "7")
    assert res.returncode == 2 and "detect_confidence must be between" in res.stderr
