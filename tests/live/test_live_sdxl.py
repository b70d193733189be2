"""Against a real running WebUI whose loaded checkpoint is SDXL (with an SDXL depth ControlNet model installed).

Set HANDREFINE_WEBUI_SDXL_URL (e.g. http://127.0.0.1:7870); without it this test is skipped and says so. It is a
separate URL because the SD1.5 live tests (HANDREFINE_WEBUI_URL) assert SD1.5 model names. On a CPU a 1024 px
SDXL pass takes minutes (HANDREFINE_LIVE_TIMEOUT, seconds, default 3600).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from PIL import Image

from ..conftest import HANDS_DIR
from .test_live_webui import assert_only_region_repainted, b64, call, plan_of, unb64, wait_until_ready

SDXL_URL = os.environ.get("HANDREFINE_WEBUI_SDXL_URL", "").rstrip("/")
TIMEOUT = float(os.environ.get("HANDREFINE_LIVE_TIMEOUT", "3600"))  # the SD1.5 tests default to 900
pytestmark = pytest.mark.skipif(
    not SDXL_URL, reason="HANDREFINE_WEBUI_SDXL_URL is not set: no real WebUI with an SDXL checkpoint to test against")
SIDE = 1024  # SDXL's native size


@pytest.fixture(scope="module", autouse=True)
def ready_webui() -> None:
    wait_until_ready(SDXL_URL)


def test_sdxl_fix_hands_only_runs_a_1024_px_pass_with_the_sdxl_depth_controlnet():
    image = Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").convert("RGB").resize((SIDE, SIDE), Image.LANCZOS)
    settings = {"enabled": True, "fix_hands_only": True, "controlnet_model": "Auto", "inpaint_resolution": SIDE,
                "steps": 2, "keep_fix": "always"}  # random weights paint noise, which the result check rejects
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "prompt": "a woman facing the camera, making a hand gesture", "seed": 1,
        "steps": 2, "width": SIDE, "height": SIDE, "sampler_name": "Euler a",
        "alwayson_scripts": {"HandRefine": {"args": [settings]}},
    }, timeout=TIMEOUT, base=SDXL_URL)
    info = json.loads(result["info"])["infotexts"][0]
    assert f"res={SIDE} " in info and 'model="Auto"' in info, info
    fixed = re.search(r"1 hand\(s\), 1/1 region\(s\) fixed, ControlNet ([\w.\-]+)", info)
    assert fixed, f"the hand region was not fixed with a ControlNet: {info}"
    # Auto picks an SDXL model only when HandRefine sees an SDXL checkpoint: this proves both
    chosen = fixed.group(1).lower()
    assert "depth" in chosen and "xl" in chosen, f"Auto chose {fixed.group(1)!r}, not an SDXL depth model"
    models = call("/controlnet/model_list", base=SDXL_URL)["model_list"]
    assert any(m.split(" [")[0] == fixed.group(1) for m in models), f"{fixed.group(1)!r} is not in {models}"
    # the planned pass (what res=1024 asks for): ~1024² pixels, shaped like the hand's region
    region = plan_of(image, inpaint_resolution=SIDE).regions[0]
    width, height = region.size
    assert 0.9 * SIDE ** 2 <= width * height <= 1.1 * SIDE ** 2 and max(width, height) >= SIDE, region.size
    assert f", pass {width}x{height}" in info, info

    out = unb64(result["images"][0])
    assert out.size == image.size
    assert_only_region_repainted(out, image, region.bbox)
