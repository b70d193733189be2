"""What "fix hands only" costs over its own passes, in a real running WebUI. Prints figures; asserts nothing.

    python benchmarks/bench_webui_overhead.py http://127.0.0.1:7860 [--rounds 5] [--image PATH] [--server-pid PID]

A: img2img with HandRefine in "fix hands only" mode. B: the bare API img2img of the same region, "only masked",
with the same mask, pass size, sampler, seed, steps and the same ControlNet unit fed the same depth map: the passes
HandRefine runs, without HandRefine. The two alternate (A B A B ...), so load on this shared machine hits both
alike; the first round is a warm-up and is left out of the medians. With --server-pid the server process's CPU
seconds per request are read from /proc as well (less sensitive to other load than wall time).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib_handrefine.depth import depth_to_rgb  # noqa: E402
from lib_handrefine.detect import get_detector  # noqa: E402
from lib_handrefine.plan import build_plan  # noqa: E402
from lib_handrefine.settings import HandRefineSettings  # noqa: E402
from lib_handrefine.webui.controlnet import choose_model  # noqa: E402

SHARED = ROOT.parent / "shared"
DEFAULT_IMAGE = SHARED / "data" / "hands" / "d01_sd_malformed_1.jpg"
DEFAULT_MODEL = SHARED / "models" / "hand_landmarker.task"


def call(url: str, route: str, payload: dict | None = None) -> dict:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url + route, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=3600) as response:
        return json.loads(response.read())


def b64(array: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def payloads(image: np.ndarray, settings: HandRefineSettings, model: str, steps: int) -> tuple[dict, dict]:
    plan = build_plan(image, settings, get_detector(str(DEFAULT_MODEL)))
    if len(plan.regions) != 1:
        raise SystemExit(f"the image must give exactly one region, it gives {len(plan.regions)}")
    region = plan.regions[0]
    common = {"init_images": [b64(image)], "prompt": "a hand", "negative_prompt": "", "seed": 7, "steps": steps,
              "sampler_name": "Euler a", "cfg_scale": 7, "width": 512, "height": 512}
    hand_refine = {"enabled": True, "fix_hands_only": True, "steps": steps,
                   "inpaint_resolution": settings.inpaint_resolution, "keep_fix": settings.keep_fix}
    unit = {"enabled": True, "module": "none", "model": model, "weight": settings.control_weight,
            "image": b64(depth_to_rgb(plan.region_depth(0))), "resize_mode": "Crop and Resize",
            "guidance_start": settings.guidance_start, "guidance_end": settings.guidance_end,
            "control_mode": settings.control_mode, "pixel_perfect": True}
    with_handrefine = dict(common, alwayson_scripts={"HandRefine": {"args": [hand_refine]}})
    bare = dict(common, mask=b64(region.mask), inpaint_full_res=True,
                inpaint_full_res_padding=settings.inpaint_padding, inpainting_fill=1, mask_blur=settings.mask_blur,
                denoising_strength=settings.denoising_strength, inpainting_mask_invert=0,
                width=region.size[0], height=region.size[1], alwayson_scripts={"controlnet": {"args": [unit]}})
    print(f"region {region.bbox}, pass {region.size[0]}x{region.size[1]}, {steps} steps, ControlNet {model}")
    return with_handrefine, bare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--rounds", type=int, default=5, help="measured rounds after one warm-up round")
    ap.add_argument("--image", default=str(DEFAULT_IMAGE))
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--resolution", type=int, default=256, help="HandRefine's inpaint resolution")
    ap.add_argument("--server-pid", type=int, default=None)
    args = ap.parse_args()
    url = args.url.rstrip("/")
    settings = HandRefineSettings().replace(inpaint_resolution=args.resolution, steps=args.steps, keep_fix="always")
    models = call(url, "/controlnet/model_list").get("model_list", [])
    model = choose_model(settings.controlnet_model, models, is_sdxl=False)
    if model is None:
        raise SystemExit(f"no depth ControlNet model on the server: {models}")
    image = np.asarray(Image.open(args.image).convert("RGB"))
    with_handrefine, bare = payloads(image, settings, model, args.steps)
    runs = {"A HandRefine fix hands only": with_handrefine, "B bare inpaint + ControlNet": bare}
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for round_no in range(args.rounds + 1):
        for name, payload in runs.items():
            cpu0, t0 = cpu_seconds(args.server_pid), time.perf_counter()
            call(url, "/sdapi/v1/img2img", payload)
            wall, cpu = time.perf_counter() - t0, cpu_seconds(args.server_pid) - cpu0
            tag = "warm-up" if round_no == 0 else f"round {round_no}"
            print(f"{tag:8} {name:30} wall {wall:7.2f} s   server cpu {cpu:7.2f} s", flush=True)
            if round_no:
                figures[name].append((wall, cpu))
    medians = {name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
               for name, v in figures.items()}
    (a_wall, a_cpu), (b_wall, b_cpu) = medians.values()
    for name, (wall, cpu) in medians.items():
        print(f"MEDIAN {name:30} wall {wall:7.2f} s   server cpu {cpu:7.2f} s   (n={args.rounds})")
    print(f"RATIO A/B: wall {a_wall / b_wall:.3f}" + (f", server cpu {a_cpu / b_cpu:.3f}" if b_cpu else ""))


if __name__ == "__main__":
    main()
