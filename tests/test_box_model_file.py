"""Where the anime detector's model comes from: the setting, the models folder, or a sha256-checked download."""

from __future__ import annotations

import hashlib
import re

import pytest

from lib_handrefine.box_model_file import RECOMMENDED, RecommendedModel, resolve_detector_model
from lib_handrefine.model_file import ModelFileError


def served(tmp_path, payload: bytes, sha256: str | None = None) -> RecommendedModel:
    """A 'recommended model' served from a local file:// URL (urllib fetches those like http)."""
    source = tmp_path / "served" / "model.onnx"
    source.parent.mkdir()
    source.write_bytes(payload)
    return RecommendedModel("test model", source.as_uri(), sha256 or hashlib.sha256(payload).hexdigest(),
                            "test_detector.onnx", "test")


def test_recommended_model_is_pinned_and_hashed():
    assert re.fullmatch(r"[0-9a-f]{64}", RECOMMENDED.sha256)
    assert "/resolve/" in RECOMMENDED.url and re.search(r"/[0-9a-f]{40}/", RECOMMENDED.url)  # one revision


def test_download_lands_in_the_models_folder_once(tmp_path):
    model = served(tmp_path, b"x" * 200_000)
    path = resolve_detector_model(None, tmp_path / "models", progress=False, model=model)
    assert path == tmp_path / "models" / "handrefine" / "test_detector.onnx"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == model.sha256
    (tmp_path / "served" / "model.onnx").unlink()  # a second lookup must not download again
    assert resolve_detector_model(None, tmp_path / "models", progress=False, model=model) == path


def test_hash_mismatch_leaves_nothing_behind(tmp_path):
    model = served(tmp_path, b"y" * 200_000, sha256="0" * 64)
    with pytest.raises(ModelFileError, match="is not the official model"):
        resolve_detector_model(None, tmp_path / "models", progress=False, model=model)
    assert list((tmp_path / "models" / "handrefine").iterdir()) == []


def test_no_download_when_it_is_off_and_the_hint_says_where_to_put_it(tmp_path):
    model = served(tmp_path, b"z" * 200_000)
    with pytest.raises(ModelFileError) as err:
        resolve_detector_model(None, tmp_path / "models", download=False, model=model)
    assert "downloading is off" in str(err.value) and str(tmp_path / "models" / "handrefine") in str(err.value)
    assert not (tmp_path / "models" / "handrefine" / "test_detector.onnx").exists()


def test_explicit_file_wins_and_a_missing_one_is_an_error(tmp_path):
    mine = tmp_path / "mine.onnx"
    mine.write_bytes(b"m")
    assert resolve_detector_model(str(mine), tmp_path / "models", download=False) == mine
    with pytest.raises(ModelFileError, match="hand detector model not found"):
        resolve_detector_model(str(tmp_path / "nope.onnx"), tmp_path / "models")
