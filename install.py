"""Run by the WebUI at every start (and after an install from the Extensions tab): add only what is missing."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib_handrefine.dependencies import install_plan


def _installed() -> dict[str, str]:
    return {(d.metadata["Name"] or "").lower(): d.version for d in importlib.metadata.distributions()}


def _mediapipe_tasks_ok() -> bool:
    try:
        from mediapipe.tasks.python import vision  # noqa: F401
    except Exception:  # missing, or broken by a protobuf mismatch: either way it needs an install
        return False
    return True


def main() -> None:
    try:
        import launch
    except ImportError:  # run by hand outside a WebUI: show what would be done
        launch = None
    steps = install_plan(_installed(), _mediapipe_tasks_ok(), importlib.util.find_spec("cv2") is not None,
                         python=sys.version_info[:2])
    for step in steps:
        command = "install " + " ".join(f'"{a}"' if "<" in a or ">" in a else a for a in step.args)
        if launch is None:
            print(f"HandRefine would run: pip {command}  # {step.why}")
        else:
            launch.run_pip(command, f"HandRefine requirement: {step.why}")


if __name__ == "__main__":
    main()
