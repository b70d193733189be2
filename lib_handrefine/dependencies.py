"""What install.py installs inside a WebUI: only what is missing, never breaking a neighbour.

The trap is mediapipe. sd-webui-controlnet's preprocessors import the legacy `mediapipe.solutions` (only up to
0.10.21), the WebUI pins protobuf 3.20, which mediapipe 0.10.13-0.10.21 reject, and each release has wheels for a
few Python versions only. So: keep any mediapipe that is there (the Tasks API exists from 0.10.9); if none, pick a
release that exists for this Python and fits the installed protobuf and numpy, preferring one that keeps the legacy
API, and pin numpy and protobuf to their installed versions so pip can never change them. opencv-contrib-python (a
mediapipe dependency) would share the `cv2/` folder with the WebUI's opencv, so mediapipe goes in with --no-deps
and its small pure dependencies are added one by one.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

MEDIAPIPE_SMALL_DEPS = ("absl-py", "attrs", "flatbuffers", "sounddevice", "matplotlib")


@dataclass(frozen=True)
class MediapipeRelease:
    """What PyPI holds for one mediapipe release (from its wheel tags and metadata)."""

    version: str
    python: tuple[tuple[int, int], tuple[int, int]]  # oldest and newest CPython with a wheel
    protobuf: tuple[tuple[int, ...], tuple[int, ...]] | None  # [lowest, below) protobuf it needs; None: none at all
    numpy_below_2: bool  # needs numpy < 2
    legacy_solutions: bool  # ships mediapipe.solutions (sd-webui-controlnet's preprocessors import it)


# In order of preference: the legacy API first, so ControlNet's mediapipe preprocessors keep working.
MEDIAPIPE_RELEASES = (
    # last release for protobuf 3.x (the WebUI's pin); cp38-cp311 wheels only
    MediapipeRelease("0.10.9", ((3, 8), (3, 11)), ((3, 11), (4,)), False, True),
    # last release with mediapipe.solutions; protobuf>=4.25.3,<5 and numpy<2; cp39-cp312 wheels only
    MediapipeRelease("0.10.21", ((3, 9), (3, 12)), ((4, 25, 3), (5,)), True, True),
    # py3-none wheels (any Python 3, 3.13 included), no protobuf, only small pure dependencies
    MediapipeRelease("0.10.31", ((3, 0), (3, 99)), None, False, False),
)


@dataclass(frozen=True)
class PipStep:
    args: list[str]  # arguments after `pip install`
    why: str


def _numbers(version: str | None) -> tuple[int, ...] | None:
    """"4.25.3" -> (4, 25, 3); "3.20.0rc1" -> (3, 20, 0); None or unparsable -> None."""
    m = re.match(r"\d+(?:\.\d+){0,2}", version or "")
    return tuple(int(p) for p in m.group(0).split(".")) if m else None


def release_fits(release: MediapipeRelease, python: tuple[int, int], protobuf: str | None,
                 numpy: str | None) -> bool:
    """Does `release` exist for this Python, and import with the installed protobuf and numpy (it is installed
    with --no-deps, so it gets exactly those)?"""
    oldest, newest = release.python
    if not oldest <= tuple(python[:2]) <= newest:
        return False
    if release.protobuf is not None:
        have, (lowest, below) = _numbers(protobuf), release.protobuf
        if have is None or not lowest <= have < below:
            return False
    return not (release.numpy_below_2 and (_numbers(numpy) or (0,)) >= (2,))


def choose_mediapipe(protobuf: str | None, python: tuple[int, int] | None = None, numpy: str | None = None) -> str:
    """The mediapipe release to install: one that exists for `python` (default: this interpreter), works with the
    installed protobuf and numpy, and keeps ControlNet's legacy imports working where any such release exists."""
    python = tuple(python or sys.version_info[:2])
    for release in MEDIAPIPE_RELEASES:
        if release_fits(release, python, protobuf, numpy):
            return release.version
    return MEDIAPIPE_RELEASES[-1].version  # no protobuf, any Python 3: the release that fits everywhere


def install_plan(installed: dict[str, str], mediapipe_tasks_ok: bool, cv2_ok: bool,
                 python: tuple[int, int] | None = None) -> list[PipStep]:
    """pip steps for a WebUI environment. `installed` maps distribution names (lower case) to versions; `python`
    is the WebUI's Python version (default: this interpreter's)."""
    steps: list[PipStep] = []
    pins = [f"{name}=={installed[name]}" for name in ("numpy", "protobuf") if name in installed]
    if not mediapipe_tasks_ok:
        version = choose_mediapipe(installed.get("protobuf"), python, installed.get("numpy"))
        py = ".".join(map(str, (python or sys.version_info)[:2]))
        steps.append(PipStep([f"mediapipe=={version}", "--no-deps"],
                             f"mediapipe {version} (Tasks API; exists for Python {py}, fits protobuf "
                             f"{installed.get('protobuf', 'none')} and numpy {installed.get('numpy', 'none')})"))
        missing = [d for d in MEDIAPIPE_SMALL_DEPS if d not in installed]
        if missing:
            steps.append(PipStep([*missing, *pins], "mediapipe's small dependencies"))
    if not cv2_ok:
        steps.append(PipStep(["opencv-python-headless", *pins], "OpenCV"))
    return steps
