"""Against a real running WebUI (A1111 + sd-webui-controlnet, with this extension installed), over its HTTP API.

Set HANDREFINE_WEBUI_URL (e.g. http://127.0.0.1:7860); without it these tests are skipped and say so.
Image quality is not judged (a test rig may run random weights); the code paths and the pixels' whereabouts are.
"""

from __future__ import annotations

import base64
import io
import json
import os
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

from ..conftest import HANDS_DIR, MODEL

URL = os.environ.get("HANDREFINE_WEBUI_URL", "").rstrip("/")
pytestmark = pytest.mark.skipif(not URL, reason="HANDREFINE_WEBUI_URL is not set: no real WebUI to test against")
# seconds per request; a CPU rig under load may need more (HANDREFINE_LIVE_TIMEOUT=3600)
TIMEOUT = float(os.environ.get("HANDREFINE_LIVE_TIMEOUT", "900"))
FAST = {"inpaint_resolution": 256, "steps": 3}
# Random weights paint noise, which the result check rightly rejects: tests of the pass mechanics keep every fix
ALWAYS = {"keep_fix": "always"}


def call(route: str, payload: dict | None = None, timeout: float = TIMEOUT, base: str = "") -> dict:
    """POST payload (GET without one) to route on the WebUI at base (default HANDREFINE_WEBUI_URL)."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request((base or URL) + route, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


READY_WAIT = 180.0  # seconds a freshly started WebUI may take to finish setting up its API


def wait_until_ready(base: str) -> None:
    """Return once the WebUI at base runs an img2img request with this extension's script args.

    The WebUIs (A1111, Forge, Neo, ...) add their API routes before they compute the scripts' default args, so a
    request in that window fails with HTTP 500 (IndexError in `init_script_args`; seen on fresh A1111 and Neo
    starts). A tiny request with HandRefine disabled is retried until it passes, READY_WAIT at most; a WebUI that
    never gets there fails the test that asked."""
    tiny = {"init_images": [b64(Image.new("RGB", (64, 64), (128, 128, 128)))], "prompt": "", "steps": 1,
            "width": 64, "height": 64, "alwayson_scripts": {"HandRefine": {"args": [{"enabled": False}]}}}
    deadline = time.monotonic() + READY_WAIT
    while True:
        try:
            call("/sdapi/v1/img2img", tiny, base=base)
            return
        except urllib.error.HTTPError as error:
            if error.code != 500 or time.monotonic() > deadline:
                raise
        time.sleep(2.0)


@pytest.fixture(scope="module", autouse=True)
def ready_webui() -> None:
    wait_until_ready(URL)


def b64(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def unb64(text: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(text.split(",", 1)[-1]))).convert("RGB")


def assert_only_region_repainted(out: Image.Image, image: Image.Image, bbox, share: float = 0.2) -> None:
    """No pixel outside the region's box (grown by the paste-back blur of mask_blur 4) changed, and more than
    `share` of those inside it did."""
    x0, y0, x1, y1 = bbox
    diff = np.abs(np.asarray(out, int) - np.asarray(image, int)).sum(axis=2) > 0
    r = 10  # paste-back blur radius for mask_blur 4
    outside = np.ones_like(diff)
    outside[max(0, y0 - r):y1 + r, max(0, x0 - r):x1 + r] = False
    assert not diff[outside].any(), "pixels outside the hand region changed"
    assert diff[y0:y1, x0:x1].mean() > share, "the hand region was not repainted"


def plan_of(image: Image.Image, **settings):
    from lib_handrefine.detect import get_detector
    from lib_handrefine.plan import build_plan
    from lib_handrefine.settings import HandRefineSettings

    return build_plan(np.asarray(image), HandRefineSettings().replace(**settings), get_detector(MODEL))


def test_img2img_fix_hands_only_changes_only_the_hand_regions():
    image = Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").convert("RGB")
    settings = {"enabled": True, "fix_hands_only": True, **FAST, **ALWAYS}
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "prompt": "a woman facing the camera, making a hand gesture", "seed": 1,
        "steps": 3, "width": 512, "height": 512, "sampler_name": "Euler a",
        "alwayson_scripts": {"HandRefine": {"args": [settings]}},
    })
    out = unb64(result["images"][0])
    assert out.size == image.size
    info = json.loads(result["info"])["infotexts"][0]
    assert "HandRefine: " in info and "weight=0.55" in info
    assert "1 hand(s), 1/1 region(s) fixed, ControlNet control_sd15_inpaint_depth_hand" in info
    assert_only_region_repainted(out, image, plan_of(image).regions[0].bbox)


def test_a_noise_fix_is_rejected_and_the_input_comes_back_unchanged():
    """With the defaults, random weights' noise fails the result check: every pixel of the input comes back."""
    image = Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").convert("RGB")
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "prompt": "a hand", "seed": 11, "steps": 3, "width": 512, "height": 512,
        "alwayson_scripts": {"HandRefine": {"args": [{"enabled": True, "attempts": 2, **FAST}]}},
    })
    out = unb64(result["images"][0])
    assert np.array_equal(np.asarray(out), np.asarray(image)), "a rejected fix changed the image"
    info = json.loads(result["info"])["infotexts"][0]
    assert "0/1 region(s) fixed" in info and "hand 1: fix rejected" in info and "original kept" in info


def test_txt2img_with_handrefine_enabled_runs():
    result = call("/sdapi/v1/txt2img", {
        "prompt": "a man waving", "seed": 2, "steps": 3, "width": 256, "height": 256, "batch_size": 2,
        "alwayson_scripts": {"HandRefine": {"args": [True, False, "Auto", 0.6]}},
    })
    assert len(result["images"]) == 2
    info = json.loads(result["info"])
    assert all("HandRefine: " in t and "weight=0.6" in t and "HandRefine result: " in t for t in info["infotexts"])


def test_txt2img_without_the_controlnet_unit_runs():
    result = call("/sdapi/v1/txt2img", {
        "prompt": "a man waving", "seed": 3, "steps": 2, "width": 256, "height": 256,
        "alwayson_scripts": {"HandRefine": {"args": [{"enabled": True, "controlnet_model": "None"}]}},
    })
    info = json.loads(result["info"])["infotexts"][0]
    assert 'model="None"' in info and "error" not in info.split("HandRefine result:")[-1]


def test_img2img_without_controlnet_model_inpaints_plainly():
    image = Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").convert("RGB")
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "prompt": "a hand", "seed": 4, "steps": 3,
        "alwayson_scripts": {"HandRefine": {"args": [{"enabled": True, "controlnet_model": "None", **FAST,
                                                      **ALWAYS}]}},
    })
    info = json.loads(result["info"])["infotexts"][0]
    assert "1/1 region(s) fixed, no ControlNet" in info
    assert len(result["images"]) == 1


def test_xyz_plot_over_control_weight_returns_the_grid():
    scripts = call("/sdapi/v1/script-info")
    xyz = next(s for s in scripts if s["name"] == "x/y/z plot" and s["is_img2img"])
    axis_labels = xyz["args"][0]["choices"]
    assert "[HandRefine] Control weight" in axis_labels and "[HandRefine] Sequential mask expansion" in axis_labels
    x_type = axis_labels.index("[HandRefine] Control weight")
    image = Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").convert("RGB")
    xyz_args = [x_type, "0.4, 0.8", [], 0, "", [], 0, "", [], True, False, False, False, False, False, False, 0, False]
    # Forge Neo's X/Y/Z has one more argument (row count) before the margin size: take its default
    extra = len(xyz["args"]) - len(xyz_args)
    if extra > 0:
        xyz_args[16:16] = [arg.get("value") for arg in xyz["args"][16:16 + extra]]
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "prompt": "a hand", "seed": 5, "steps": 2,
        "script_name": "x/y/z plot", "script_args": xyz_args,
        "alwayson_scripts": {"HandRefine": {"args": [{"enabled": True, "inpaint_resolution": 192, "steps": 2}]}},
    })
    grid = unb64(result["images"][0])
    assert grid.size[0] >= 2 * image.size[0] * 0.9  # two cells side by side
    info = json.loads(result["info"])
    assert "weight=0.4 " in info["infotexts"][0]


def test_img2img_with_sequential_mask_expansion():
    image = Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").convert("RGB")
    settings = {"enabled": True, "sequential_expansion": True, "expansion_free_steps": 1, "sampler": "DDIM",
                "inpaint_resolution": 192, "steps": 4, **ALWAYS}
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "prompt": "a hand", "seed": 6, "steps": 4,
        "alwayson_scripts": {"HandRefine": {"args": [settings]}},
    })
    info = json.loads(result["info"])["infotexts"][0]
    assert "seq=1" in info and "1/1 region(s) fixed" in info
    assert_only_region_repainted(unb64(result["images"][0]), image, plan_of(image).regions[0].bbox, share=0.0)


def test_img2img_inpaint_mask_fixes_only_the_touched_hand():
    image = Image.open(HANDS_DIR / "c01_photo_fullbody_stretch.jpg").convert("RGB").resize((480, 320))
    plan = plan_of(image)
    assert len(plan.regions) == 2
    x0, y0, x1, y1 = plan.regions[1].bbox
    mask = Image.new("L", image.size, 0)
    mask.paste(255, (x0 + 5, y0 + 5, x0 + 20, y0 + 20))
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "mask": b64(mask), "inpaint_full_res": False, "prompt": "a hand", "seed": 8,
        "steps": 2, "width": 480, "height": 320,
        "alwayson_scripts": {"HandRefine": {"args": [{"enabled": True, **FAST, **ALWAYS}]}},
    })
    out = unb64(result["images"][0])
    diff = np.abs(np.asarray(out, int) - np.asarray(image, int)).sum(axis=2) > 0
    ox0, oy0, ox1, oy1 = plan.regions[0].bbox
    assert diff[y0:y1, x0:x1].any() and not diff[oy0:oy1, ox0:ox1].any()
    assert "1/1 region(s) fixed" in json.loads(result["info"])["infotexts"][0]


def controlnet_naming() -> tuple[str, list[str]]:
    """The no-op preprocessor's name and the installed models, as this WebUI's ControlNet spells them: A1111's
    sd-webui-controlnet says "none" and accepts a bare model stem; Forge's built-in one says "None" and only takes a
    listed "stem [hash]" name exactly (a unit named the A1111 way is rejected there)."""
    modules = call("/controlnet/module_list")["module_list"]
    none = "None" if "None" in modules else "none"
    assert none in modules, f"no no-op preprocessor in {modules[:10]}"
    return none, call("/controlnet/model_list")["model_list"]


def test_users_own_controlnet_unit_keeps_working_across_batches():
    image = Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").convert("RGB").resize((256, 256))
    none, models = controlnet_naming()
    depth = next((m for m in models if "depth" in m.lower() and "hand" not in m.lower()), None)
    assert depth, f"the test WebUI needs a depth ControlNet model besides the hand one; it has {models}"
    user_unit = {"enabled": True, "module": none, "model": depth, "weight": 1.0, "image": b64(image)}
    hand_refine = {"HandRefine": {"args": [{"enabled": True, "fix_hands_only": False, **FAST, **ALWAYS}]}}
    request = {"init_images": [b64(image)], "prompt": "a hand", "seed": 9, "steps": 2, "width": 256, "height": 256,
               "n_iter": 2, "denoising_strength": 0.5}
    with_unit = call("/sdapi/v1/img2img", {**request, "alwayson_scripts": {"controlnet": {"args": [user_unit]},
                                                                           **hand_refine}})
    without = call("/sdapi/v1/img2img", {**request, "alwayson_scripts": hand_refine})
    # the user's unit is hooked for each batch's main pass, and HandRefine ran after each. With random weights the
    # main pass (random VAE included) leaves no hand for our nested pass; the double tests our pass in between.
    infos = json.loads(with_unit["info"])["infotexts"]
    assert len(infos) == 2 and all("HandRefine result: " in t for t in infos)
    # it really steered both batches: same seeds, and each batch's image differs from the one made without the unit
    for batch in range(2):
        steered = np.asarray(unb64(with_unit["images"][batch]), int)
        plain = np.asarray(unb64(without["images"][batch]), int)
        assert np.abs(steered - plain).mean() > 1, f"the user's unit did not act on batch {batch + 1}"


@pytest.mark.parametrize("bad", [{"control_weight": "abc"}, {"control_weight": 5}, {"no_such_knob": 1}])
def test_img2img_fix_hands_only_with_a_bad_value_returns_the_input_unchanged(bad):
    image = Image.open(HANDS_DIR / "d02_sd_malformed_2.jpg").convert("RGB")
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "prompt": "a hand", "seed": 10, "steps": 3, "width": image.size[0],
        "height": image.size[1], "denoising_strength": 0.9,
        "alwayson_scripts": {"HandRefine": {"args": [{"enabled": True, **bad}]}},
    })
    out = unb64(result["images"][0])
    assert np.array_equal(np.asarray(out), np.asarray(image)), "a pass ran over the picture"
    info = json.loads(result["info"])["infotexts"][0]
    assert "HandRefine result: " in info
    result_text = info.split("HandRefine result: ")[1]
    assert "error: " in result_text and "input returned unchanged" in result_text


def test_the_inpaint_mask_points_at_a_missed_hand():
    """Detection misses the hand (confidence 1.0); the mask over it makes HandRefine look again and fix it there."""
    image = Image.open(HANDS_DIR / "a01_photo_thumb_up.jpg").convert("RGB").resize((320, 260))
    mask = Image.new("L", image.size, 0)
    mask.paste(255, (75, 30, 200, 200))
    result = call("/sdapi/v1/img2img", {
        "init_images": [b64(image)], "mask": b64(mask), "inpaint_full_res": False, "prompt": "a hand", "seed": 12,
        "steps": 2, "width": 320, "height": 260, "denoising_strength": 0.0,
        "alwayson_scripts": {"HandRefine": {"args": [{"enabled": True, "detect_confidence": 1.0, **FAST, **ALWAYS}]}},
    })
    info = json.loads(result["info"])["infotexts"][0]
    assert "1 hand(s), 1/1 region(s) fixed" in info, info
    out = unb64(result["images"][0])
    diff = np.abs(np.asarray(out, int) - np.asarray(image, int)).sum(axis=2) > 0
    assert diff[30:200, 75:200].any(), "the masked hand was not repainted"
