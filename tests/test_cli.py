"""The standalone `inspect` tool: outputs and report, and that bad input of every kind is one clear line, never a
traceback or an aborted batch."""

import ctypes
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from lib_handrefine import cli, model_file
from lib_handrefine.model_file import ModelSources, forget_failure

from .conftest import HANDS_DIR, MODEL, ROOT
from .test_imageio import _corrupt_avif, _png_with_ihdr_length


def _without_root_powers():
    """For a child run as root: drop the capabilities that let root ignore file permissions, so a chmod'ed folder
    stops it as it stops any user (the tests run as root in CI)."""
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def drop():
        for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone from the program exec'd next
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


def run_cli(*args, env_model=True, unprivileged=False):
    env = dict(os.environ)
    if env_model:
        env["HANDREFINE_HAND_LANDMARKER"] = str(MODEL)
    return subprocess.run([sys.executable, "-m", "lib_handrefine", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300,
                          preexec_fn=_without_root_powers() if unprivileged else None)


@pytest.fixture
def main(monkeypatch, capsys):
    """cli.main in this process (the detector is loaded once for all such tests): (exit code, stderr lines)."""
    monkeypatch.setenv("HANDREFINE_HAND_LANDMARKER", str(MODEL))

    def call(*args):
        code = cli.main(["inspect", *map(str, args), "--quiet"])
        return code, capsys.readouterr().err.strip().splitlines()

    return call


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
    assert (two["width"], two["height"]) == (518, 750) and "file_size" not in two
    assert len(two["hands"]) == 2 and len(two["hands"][0]["landmarks"]) == 21
    assert set(two["hands"][0]) >= {"bbox", "handedness", "score", "landmarks"}
    assert two["regions"][0]["hands"] == [0, 1] and len(two["regions"][0]["crop"]) == 4
    assert set(two["ms"]) >= {"detect", "depth", "mask"}
    assert two["outputs"]["depth"] == "c07_photo_woman_lying.jpeg_depth.png"
    for suffix in ("depth", "mask", "overlay"):
        im = Image.open(out / f"c07_photo_woman_lying.jpeg_{suffix}.png")
        assert im.size == (518, 750)
    depth = np.asarray(Image.open(out / "c07_photo_woman_lying.jpeg_depth.png").convert("L"))
    assert depth.max() == 255 and depth[depth > 0].min() >= 51
    assert not np.asarray(Image.open(out / "f04_nohand_cat.png_mask.png")).any()


def test_inspect_folder_succeeds(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").save(folder / "x.png")
    res = run_cli("inspect", folder, "--out", tmp_path / "o", "--no-extra-pass", "--max-hands", "3", "--quiet")
    assert res.returncode == 0, res.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert len(report["images"][0]["hands"]) == 1 and report["settings"]["max_hands"] == 3


def test_same_stem_outputs_stay_apart_and_a_rerun_skips_them(tmp_path, main):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(HANDS_DIR / "c07_photo_woman_lying.jpeg").save(folder / "x.jpg")
    Image.open(HANDS_DIR / "f04_nohand_cat.png").save(folder / "x.png")
    for run in range(2):  # --out is the input folder; the second run must not read the first run's outputs
        code, err = main(folder, "--out", folder, "--no-extra-pass")
        assert code == 0, err
        report = json.loads((folder / "report.json").read_text())
        assert [i["image"] for i in report["images"]] == [str(folder / "x.jpg"), str(folder / "x.png")], run
    assert len(report["images"][0]["hands"]) == 2 and report["images"][1]["hands"] == []
    assert np.asarray(Image.open(folder / "x.jpg_mask.png")).any()  # not overwritten by the cat's empty mask
    assert not np.asarray(Image.open(folder / "x.png_mask.png")).any()
    assert len(list(folder.iterdir())) == 2 + 6 + 1


def test_same_file_name_from_two_folders(tmp_path, main):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.open(HANDS_DIR / "f04_nohand_cat.png").save(tmp_path / name / "x.png")
    code, err = main(tmp_path / "a", tmp_path / "b", "--out", tmp_path / "o", "--no-extra-pass")
    assert code == 0, err
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [i["outputs"]["mask"] for i in report["images"]] == ["x.png_mask.png", "x.png-2_mask.png"]


def test_corrupt_files_never_stop_the_batch(tmp_path, main):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_bad_ihdr.png").write_bytes(_png_with_ihdr_length(5))
    (folder / "b_corrupt.avif").write_bytes(_corrupt_avif())
    Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").save(folder / "c_good.jpg")
    out = tmp_path / "out"
    code, err = main(folder, folder / "b_corrupt.avif", "--out", out, "--no-extra-pass")
    assert code == 1
    report = json.loads((out / "report.json").read_text())
    assert [i["image"] for i in report["images"]] == [str(folder / "c_good.jpg")]
    failed = [f["image"] for f in report["failed"]]
    assert str(folder / "a_bad_ihdr.png") in failed and failed.count(str(folder / "b_corrupt.avif")) >= 1
    assert all(line.startswith(("skipped: ", "1 image(s)")) for line in err), err


def test_big_image_is_scaled_down_and_says_so(tmp_path, main):
    big = tmp_path / "big.png"
    Image.open(HANDS_DIR / "c07_photo_woman_lying.jpeg").resize((1554, 2250)).save(big)
    code, err = main(big, "--out", tmp_path / "o", "--max-side", "1000", "--no-extra-pass")
    assert code == 0, err
    entry = json.loads((tmp_path / "o" / "report.json").read_text())["images"][0]
    assert (entry["width"], entry["height"]) == (518, 750) and entry["file_size"] == [1554, 2250]
    assert len(entry["hands"]) == 2


def test_empty_folder_says_so(tmp_path, main):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("x")
    code, err = main(tmp_path / "in", "--out", tmp_path / "o")
    assert code == 1 and len(err) == 1 and "no images found in" in err[0] and ".png" in err[0]


@pytest.mark.parametrize("kind", ["file", "under a file"])
def test_out_that_cannot_be_a_folder_is_one_line(tmp_path, main, kind):
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    out = blocker if kind == "file" else blocker / "sub"
    code, err = main(HANDS_DIR / "d02_sd_malformed_2.jpg", "--out", out)
    assert code == 2 and len(err) == 1 and err[0].startswith(f"error: --out {out}"), err


@pytest.mark.parametrize("sub", ["", "sub"])
def test_read_only_out_is_one_line(tmp_path, sub):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        res = run_cli("inspect", HANDS_DIR / "d02_sd_malformed_2.jpg", "--out", ro / sub, unprivileged=True)
    finally:
        ro.chmod(0o755)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "permission denied" in lines[0] and "Traceback" not in res.stderr


def test_unreadable_input_folder_is_reported_and_the_rest_done(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    Image.open(HANDS_DIR / "f04_nohand_cat.png").save(locked / "x.png")
    locked.chmod(0)
    try:
        res = run_cli("inspect", locked, HANDS_DIR / "f04_nohand_cat.png", "--out", tmp_path / "o", "--quiet",
                      "--no-extra-pass", unprivileged=True)
    finally:
        locked.chmod(0o755)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["failed"] == [{"image": str(locked), "error": f"cannot read folder {locked}: Permission denied"}]
    assert [i["image"] for i in report["images"]] == [str(HANDS_DIR / "f04_nohand_cat.png")]


def test_inspect_reports_a_missing_model_clearly(tmp_path):
    res = run_cli("inspect", HANDS_DIR / "d02_sd_malformed_2.jpg", "--out", tmp_path, "--model", tmp_path / "nope.task")
    assert res.returncode == 2 and "hand model not found" in res.stderr and "--model PATH" in res.stderr


def test_no_model_anywhere_names_every_source_and_the_cli_flag(tmp_path, main, monkeypatch, refused_url):
    monkeypatch.delenv("HANDREFINE_HAND_LANDMARKER")
    offline = ModelSources(url=refused_url, mediapipe_dir=tmp_path / "no-mediapipe",
                           pip_command=(sys.executable, "-c", "import sys; sys.exit('ERROR: offline')"))
    monkeypatch.setattr(model_file, "DEFAULT_SOURCES", offline)
    forget_failure()
    try:
        code, err = main(HANDS_DIR / "d02_sd_malformed_2.jpg", "--out", tmp_path / "o", "--models-dir", tmp_path)
    finally:
        forget_failure()
    assert code == 2 and len(err) == 1, err
    assert "--model PATH" in err[0] and "--handrefine-hand-landmarker" not in err[0]
    assert "mediapipe" in err[0] and f"the download of {refused_url}" in err[0] and "PyPI" in err[0]


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--confidence", "7", "detect_confidence must be between"),
    ("--confidence", "nan", "detect_confidence must be a finite number"),
    ("--confidence", "inf", "detect_confidence must be a finite number"),
    ("--max-side", "-1", "--max-side must be 0 or more"),
])
def test_inspect_rejects_bad_settings(tmp_path, main, flag, value, message):
    code, err = main(HANDS_DIR / "d02_sd_malformed_2.jpg", "--out", tmp_path / "o", flag, value)
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "o").exists()


def test_own_output_names():
    assert cli.is_own_output(ROOT / "x.jpg_depth.png") and cli.is_own_output(ROOT / "x.JPG-3_overlay.png")
    assert not cli.is_own_output(ROOT / "x_depth.png") and not cli.is_own_output(ROOT / "notes.txt_mask.png")
    names = cli.output_names([ROOT / "a" / "x.png", ROOT / "b" / "X.png", ROOT / "x.jpg"])
    assert list(names.values()) == ["x.png", "X.png-2", "x.jpg"]
