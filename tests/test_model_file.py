"""The model lookup order, and the download code against an HTTP server on 127.0.0.1."""

import http.server
import socket
import threading

import pytest

from lib_handrefine.model_file import ENV_VAR, FILE_NAME, SUBDIR, ModelFileError, resolve_model_path

from .conftest import MODEL


class _Handler(http.server.BaseHTTPRequestHandler):
    payload = b""
    mode = "good"

    def do_GET(self):
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
    _Handler.payload = MODEL.read_bytes()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}/hand_landmarker.task"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_good_download_is_checked_and_moved_into_place(server, tmp_path):
    _Handler.mode = "good"
    _, url = server
    seen = []
    path = resolve_model_path(None, tmp_path, url=url, progress=False, validate=seen.append)
    assert path == tmp_path / SUBDIR / FILE_NAME
    assert path.read_bytes() == MODEL.read_bytes()
    assert len(seen) == 1 and seen[0] != path  # validated as a temporary file, before the move
    assert list(path.parent.iterdir()) == [path]  # no temporary left behind
    # a second lookup finds it without downloading
    _Handler.mode = "404"
    assert resolve_model_path(None, tmp_path, url=url, progress=False) == path


@pytest.mark.parametrize("mode", ["truncated", "404"])
def test_failed_downloads_leave_nothing_and_say_what_to_do(server, tmp_path, mode):
    _Handler.mode = mode
    _, url = server
    with pytest.raises(ModelFileError) as err:
        resolve_model_path(None, tmp_path, url=url, progress=False)
    text = str(err.value)
    assert str(tmp_path / SUBDIR / FILE_NAME) in text and "by hand" in text
    assert ("404" in text) if mode == "404" else ("truncated" in text or "not a valid model" in text)
    assert not any((tmp_path / SUBDIR).iterdir())


def test_refused_connection(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    with pytest.raises(ModelFileError, match="downloading http://127.0.0.1"):
        resolve_model_path(None, tmp_path, url=f"http://127.0.0.1:{port}/x.task", progress=False)


def test_wrong_file_from_server_is_rejected(server, tmp_path):
    _Handler.mode = "good"
    _Handler.payload = b"<html>error page</html>" * 100_000
    _, url = server
    with pytest.raises(ModelFileError, match="not a valid model"):
        resolve_model_path(None, tmp_path, url=url, progress=False)


def test_explicit_path_then_env_then_models_dir(tmp_path, monkeypatch):
    assert resolve_model_path(MODEL, tmp_path, download=False) == MODEL
    monkeypatch.setenv(ENV_VAR, str(MODEL))
    assert resolve_model_path(None, tmp_path, download=False) == MODEL
    monkeypatch.delenv(ENV_VAR)
    with pytest.raises(ModelFileError, match="downloading is off"):
        resolve_model_path(None, tmp_path, download=False)
    placed = tmp_path / SUBDIR / FILE_NAME
    placed.parent.mkdir()
    placed.write_bytes(MODEL.read_bytes())
    assert resolve_model_path(None, tmp_path, download=False) == placed
    with pytest.raises(ModelFileError, match="not found"):
        resolve_model_path(tmp_path / "missing.task", tmp_path)
