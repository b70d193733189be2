"""Peak memory of decoding huge images and of whole `inspect` runs on them. Prints figures; asserts nothing.

    python benchmarks/bench_memory.py [--side 13370] [--max-side 4096]

Builds, in a temporary folder, a SIDExSIDE float TIFF, a 16-bit PNG and an RGBA PNG (small files: one value
everywhere, deflated; at 13370 px 1-3 MB each, 179 megapixels decoded), then runs each in a fresh process: `load_image`
alone, and the CLI on it. Peak = the child's VmHWM (ru_maxrss would keep the forking parent's peak).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT.parent / "shared" / "models" / "hand_landmarker.task"

_CHILD = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    what, path, max_side, out = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    t = time.perf_counter()
    if what == "load":
        from lib_handrefine.imageio import load_image
        shape = list(load_image(path, max_side=max_side or None).shape)
    else:
        from lib_handrefine.cli import main
        code = main(["inspect", path, "--out", out, "--quiet", "--max-side", str(max_side)])
        shape = code
    with open("/proc/self/status") as status:
        peak = next(int(ln.split()[1]) for ln in status if ln.startswith("VmHWM")) / 1024
    print(json.dumps({"result": shape, "peak_mb": round(peak), "s": round(time.perf_counter() - t, 1)}))
""")

_MAKE = textwrap.dedent("""
    import sys
    from PIL import Image
    side, folder = int(sys.argv[1]), sys.argv[2]
    Image.MAX_IMAGE_PIXELS = None
    Image.new("F", (side, side), 0.5).save(f"{folder}/float.tif", compression="tiff_adobe_deflate")
    Image.new("I;16", (side, side), 40000).save(f"{folder}/sixteen.png", compress_level=1)
    Image.new("RGBA", (side, side), (200, 100, 50, 128)).save(f"{folder}/rgba.png", compress_level=1)
""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=13370)
    ap.add_argument("--max-side", type=int, default=4096)
    args = ap.parse_args()
    env = {**os.environ, "HANDREFINE_HAND_LANDMARKER": str(MODEL)}
    with tempfile.TemporaryDirectory(prefix="handrefine-mem-") as folder:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", _MAKE, str(args.side), folder], check=True)  # its own process
        print(f"built {args.side}x{args.side} files in {time.perf_counter() - t:.1f} s")
        for name in ("float.tif", "sixteen.png", "rgba.png"):
            path = Path(folder) / name
            for what in ("load", "inspect"):
                run = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT), what, str(path), str(args.max_side),
                                      str(Path(folder) / "out")], capture_output=True, text=True, env=env)
                line = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr.strip()[-300:]
                print(f"{name:12} {path.stat().st_size / 1e6:5.2f} MB file  {what:8} {line}")


if __name__ == "__main__":
    main()
