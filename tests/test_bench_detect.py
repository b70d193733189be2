"""The detection benchmark's command line: a wrong family name is one clear line, before any model loads."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_an_unknown_family_is_one_clear_line():
    run = subprocess.run([sys.executable, "-m", "benchmarks.bench_detect", "--families", "gray,nope"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "unknown families nope" in run.stderr and "Traceback" not in run.stderr
