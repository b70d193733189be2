"""What install.py installs inside a WebUI: only what is missing, never breaking a neighbour.

The trap is mediapipe. sd-webui-controlnet's preprocessors import the legacy `mediapipe.solutions` (only up to
0.10.21), and the WebUI pins protobuf 3.20, which mediapipe 0.10.13-0.10.21 reject. So: keep any mediapipe that is
there (the Tasks API exists from 0.10.9); if none, pick the release that works with the installed protobuf, and
pin numpy and protobuf to their installed versions so pip can never change them. opencv-contrib-python (a
mediapipe dependency) would share the `cv2/` folder with the WebUI's opencv, so mediapipe goes in with --no-deps
and its small pure dependencies are added one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

MEDIAPIPE_SMALL_DEPS = ("absl-py", "attrs", "flatbuffers", "sounddevice", "matplotlib")


@dataclass(frozen=True)
class PipStep:
    args: list[str]  # arguments after `pip install`
    why: str


def _major(version: str | None) -> int | None:
    if not version:
        return None
    head = version.split(".")[0]
    return int(head) if head.isdigit() else None


def choose_mediapipe(protobuf: str | None) -> str:
    """The mediapipe release that keeps both the Tasks API and ControlNet's legacy imports working."""
    major = _major(protobuf)
    if major is not None and major < 4:
        return "0.10.9"  # last release accepting protobuf 3.x, the WebUI's pin
    if major == 4:
        return "0.10.21"  # last release with mediapipe.solutions; needs protobuf>=4.25.3,<5
    return "0.10.31"  # no protobuf dependency at all


def install_plan(installed: dict[str, str], mediapipe_tasks_ok: bool, cv2_ok: bool) -> list[PipStep]:
    """pip steps for a WebUI environment. `installed` maps distribution names (lower case) to versions."""
    steps: list[PipStep] = []
    pins = [f"{name}=={installed[name]}" for name in ("numpy", "protobuf") if name in installed]
    if not mediapipe_tasks_ok:
        version = choose_mediapipe(installed.get("protobuf"))
        steps.append(PipStep([f"mediapipe=={version}", "--no-deps"],
                             f"mediapipe {version} (Tasks API; fits protobuf {installed.get('protobuf', 'none')})"))
        missing = [d for d in MEDIAPIPE_SMALL_DEPS if d not in installed]
        if missing:
            steps.append(PipStep([*missing, *pins], "mediapipe's small dependencies"))
    if not cv2_ok:
        steps.append(PipStep(["opencv-python-headless", *pins], "OpenCV"))
    return steps
