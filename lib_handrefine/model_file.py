"""Find the MediaPipe `hand_landmarker.task` bundle, or download the official one once.

Lookup order: an explicit path (setting or command-line flag), the HANDREFINE_HAND_LANDMARKER environment variable,
`<models dir>/handrefine/hand_landmarker.task`, then a download of Google's official file into that place.
The download goes to a temporary file, is checked (size, zip members, optionally that it loads) and is then moved
into place atomically, so a broken download never leaves a broken model behind.
"""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

OFFICIAL_URL = (
    "https://storage.googleapis.com/mediapipe-models/hand_landmarker/hand_landmarker/float16/1/hand_landmarker.task"
)
ENV_VAR = "HANDREFINE_HAND_LANDMARKER"
FILE_NAME = "hand_landmarker.task"
SUBDIR = "handrefine"
MIN_BYTES = 1_000_000  # the official bundle is 7.8 MB; anything this small is an error page
REQUIRED_MEMBERS = ("hand_detector.tflite", "hand_landmarks_detector.tflite")


class ModelFileError(RuntimeError):
    """The hand model is missing and could not be downloaded; the message says where to put it by hand."""


def default_models_dir() -> Path:
    """Where the standalone tool keeps models when no WebUI models folder is given."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base)


def resolve_model_path(
    explicit: str | Path | None = None,
    models_dir: str | Path | None = None,
    *,
    download: bool = True,
    url: str = OFFICIAL_URL,
    progress: bool = True,
    validate: Callable[[Path], None] | None = None,
) -> Path:
    """The path of a usable hand_landmarker.task, downloading it into `models_dir/handrefine/` if needed."""
    for candidate, origin in ((explicit, "the configured path"), (os.environ.get(ENV_VAR), f"${ENV_VAR}")):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ModelFileError(f"hand model not found at {path} (from {origin})")
            check_bundle(path)
            return path
    target = Path(models_dir or default_models_dir()) / SUBDIR / FILE_NAME
    if target.is_file():
        check_bundle(target)
        return target
    if not download:
        raise ModelFileError(_manual_hint(target, "it is not there and downloading is off"))
    download_model(target, url=url, progress=progress, validate=validate)
    return target


def check_bundle(path: Path) -> None:
    """Raise ModelFileError unless `path` looks like a hand landmarker bundle (a zip with both models)."""
    try:
        size = path.stat().st_size
        if size < MIN_BYTES:
            raise ModelFileError(f"{path} is only {size} bytes; not a hand landmarker model")
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile:
        raise ModelFileError(f"{path} is not a MediaPipe .task bundle (not a zip file)") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from None
    missing = [m for m in REQUIRED_MEMBERS if m not in names]
    if missing:
        raise ModelFileError(f"{path} is not a hand landmarker bundle (missing {', '.join(missing)})")


def download_model(
    target: Path,
    *,
    url: str = OFFICIAL_URL,
    progress: bool = True,
    timeout: float = 30.0,
    validate: Callable[[Path], None] | None = None,
) -> None:
    """Download `url` to `target` via a temporary file in the same folder; check it; move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".hand_landmarker.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _fetch(url, out, timeout=timeout, progress=progress)
        check_bundle(tmp)
        if validate is not None:
            validate(tmp)
        os.replace(tmp, target)
    except ModelFileError as exc:
        raise ModelFileError(_manual_hint(target, f"the download from {url} is not a valid model ({exc})")) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelFileError(_manual_hint(target, f"downloading {url} failed: {_reason(exc)}")) from None
    finally:
        tmp.unlink(missing_ok=True)


def _fetch(url: str, out, *, timeout: float, progress: bool) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "sd-webui-handrefine"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        bar = _ProgressBar(total, enabled=progress)
        while chunk := response.read(1 << 16):
            out.write(chunk)
            done += len(chunk)
            bar.update(done)
        bar.close()
        if total and done != total:
            raise ValueError(f"truncated download: got {done} of {total} bytes")


class _ProgressBar:
    """A one-line download progress bar on stderr (no tqdm dependency outside the WebUI)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.last = total, enabled and sys.stderr is not None, -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        if self.total:
            pct = int(100 * done / self.total)
            if pct != self.last:
                self.last = pct
                filled = pct // 4
                sys.stderr.write(f"\rHandRefine: downloading hand model [{'#' * filled}{'.' * (25 - filled)}] {pct}%")
        else:
            sys.stderr.write(f"\rHandRefine: downloading hand model {done // 1024} KiB")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"{exc.reason}"
    return str(exc)


def _manual_hint(target: Path, why: str) -> str:
    return (
        f"HandRefine needs the MediaPipe hand model, but {why}. Download {OFFICIAL_URL} by hand and save it as "
        f"{target}, or point the setting / --handrefine-hand-landmarker / ${ENV_VAR} at a copy."
    )
