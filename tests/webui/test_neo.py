"""HandRefine's real Script in Forge Neo (the double's "neo" flavour): Neo's built-in ControlNet (dataclass units,
preprocessor "None", bare model stems) and Neo's processing (indexed PostprocessImageArgs, three-slot prompt
caches, a pre-model blend from the denoiser's own masks, DDIM loops marked by classic_ddim_eps_estimation)."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from lib_handrefine.depth import depth_to_rgb

from .conftest import NEO_MODELS, SCRIPT, changed, hand_image, harness, runner_for
from .test_expansion import _blends, _eq
from .test_script import HandPhoto, _plan_for, args_always


def _neo_unit_class():
    return sys.modules["lib_controlnet.external_code"].ControlNetUnit


def test_img2img_fix_hands_only_through_neo_controlnet(neo_webui):
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_always(runner), prompt="a man", init_images=[image], seed=5,
                                       steps=4, width=512, height=512)
    plan = _plan_for(image)
    x0, y0, x1, y1 = plan.regions[0].bbox
    diff = changed(processed.images[0], image)
    outside = np.ones_like(diff)
    outside[max(0, y0 - 10):y1 + 10, max(0, x0 - 10):x1 + 10] = False
    assert diff[y0:y1, x0:x1].any() and not diff[outside].any()
    assert len(neo_webui.passes) == 1 and neo_webui.cache_slots == [3]
    p2 = neo_webui.passes[0][0]
    # Neo's ControlNet took our unit as its own dataclass, with its "None" preprocessor and the bare model stem
    log = harness.controlnet_log()
    assert len(log) == 1 and log[0]["p"] is p2
    unit = log[0]["unit"]
    assert isinstance(unit, _neo_unit_class())
    assert unit.module == "None" and unit.model == NEO_MODELS[0] and unit.control_mode == "Balanced"
    assert log[0]["model_filename"].endswith(f"{NEO_MODELS[0]}.safetensors")
    # the full-size depth reached it, and Neo cropped it exactly like the "only masked" init image
    depth = depth_to_rgb(plan.region_depth(0))
    assert np.array_equal(np.asarray(unit.image), depth)
    x, y, w, h = p2.paste_to
    expected = cv2.resize(depth[y:y + h, x:x + w], (p2.width, p2.height), interpolation=cv2.INTER_AREA)
    got = log[0]["input_image"]
    assert got.shape == (p2.height, p2.width, 3) and got.max() > 0
    assert np.abs(got.astype(int) - expected.astype(int)).mean() < 4
    # one sampling run, patched with our weight and guidance
    assert log[0]["samplings"] == [{"strength": 0.55, "start": 0.0, "end": 1.0, "control_mode": "Balanced",
                                    "is_hr_pass": False}]
    assert "1 hand(s), 1/1 region(s) fixed, ControlNet control_sd15_inpaint_depth_hand_fp16" in processed.infotexts[0]


def test_txt2img_batch_uses_neo_image_indexes(neo_webui):
    runner_for(True)
    runner = harness.make_runner(False, [HandPhoto.make(), SCRIPT])
    processed = harness.run_generation(runner, args_always(runner), prompt="a woman", seed=100, steps=3,
                                       width=384, height=512, batch_size=2, n_iter=2)
    first = processed.index_of_first_image
    assert len(processed.images) == first + 4
    assert [p2.seed for p2, _ in neo_webui.passes] == [100, 101, 102, 103]
    assert len(harness.controlnet_log()) == 4
    photo = hand_image(HandPhoto.photo).resize((384, 512))
    for image, info in zip(processed.images[first:], processed.infotexts[first:]):
        assert changed(image, photo).any()
        assert "2 hand(s), 1/1 region(s) fixed, ControlNet control_sd15_inpaint_depth_hand_fp16" in info


def test_users_own_neo_unit_keeps_working_across_batches(neo_webui):
    runner_for(True)
    runner = harness.make_runner(False, [HandPhoto.make(), SCRIPT])
    control = np.asarray(hand_image().resize((384, 512)))
    user_unit = _neo_unit_class()(enabled=True, module="None", model=NEO_MODELS[1], weight=0.9, image=control)
    args = harness.set_script_args(runner, args_always(runner), "ControlNet", [user_unit])
    harness.run_generation(runner, args, prompt="a woman", seed=100, steps=2, width=384, height=512, n_iter=2)
    outer = harness.last_p
    log = harness.controlnet_log()
    users = [e for e in log if e["p"] is outer]
    ours = [e for e in log if e["p"] is not outer]
    assert len(users) == 1 and users[0]["model"] == NEO_MODELS[1]
    # the user's unit patched both batches of the main pass, although our nested pass ran in between
    assert [s["strength"] for s in users[0]["samplings"]] == [0.9, 0.9]
    assert len(ours) == 2 and all(e["model"] == NEO_MODELS[0] and e["samplings"] for e in ours)


def test_model_list_and_refresh_read_neo_global_state(neo_webui):
    from lib_handrefine.webui.refine import controlnet_backend

    runner_for(True)
    state = sys.modules["lib_controlnet.global_state"]
    backend = controlnet_backend()
    assert backend is not None and backend.kind == "forge" and backend.none_module == "None"
    assert backend.models() == NEO_MODELS  # "None" is Neo's first name, never offered as a model
    state._double_files = [*NEO_MODELS, "control_v11p_sd15_canny"]  # a file appears on disk
    calls = state.update_calls
    assert "control_v11p_sd15_canny" in backend.models(refresh=True) and state.update_calls == calls + 1


@pytest.mark.parametrize("sampler", ["Euler a", "DDIM"])
def test_expansion_schedule_in_neo_blends(neo_webui, sampler):
    runner = runner_for(True)
    args = args_always(runner, sequential_expansion=True, expansion_ring=48, expansion_free_steps=2, steps=12,
                     sampler=sampler, denoising_strength=1.0)
    harness.run_generation(runner, args, init_images=[hand_image()], seed=1, steps=12, sampler_name=sampler)
    p2 = neo_webui.passes[0][0]
    steps, finals = _blends(p2)
    after = [b for b in steps if b["phase"] == "after"]
    before = [b for b in steps if b["phase"] == "pre-model"]
    assert after and len(after) == len(before)
    real = (p2.nmask[:1] > 0.5).float()
    b = after[-3]
    assert _eq(b["blended_latent"], b["current_latent"] * real + b["init_latent"] * (1 - real)), \
        "the last masked step uses the real mask"
    for b in after[-2:]:
        assert _eq(b["blended_latent"], b["current_latent"]), "the final two steps are unmasked"
    # Neo's own pre-model blend follows the schedule too: the real mask first, nothing kept on the last calls
    assert _eq(before[0]["nmask"], p2.nmask.expand_as(before[0]["nmask"]))
    assert all(bool((b["nmask"] == 1).all()) for b in before[-2:])
    f = finals[0]
    assert _eq(f["blended_latent"], f["current_latent"] * f["nmask"] + f["init_latent"] * f["mask"])


def test_nested_pass_inherits_neo_distilled_cfg_and_own_caches(neo_webui):
    from modules.processing import StableDiffusionProcessing, StableDiffusionProcessingTxt2Img
    from PIL import Image

    from lib_handrefine.settings import HandRefineSettings
    from lib_handrefine.webui.inpaint import build_pass, resolve_pass
    from lib_handrefine.webui.state import PassState

    p = StableDiffusionProcessingTxt2Img(prompt="a hand", seed=3, steps=5, width=64, height=64)
    p.distilled_cfg_scale = 5.0  # Flux-style guidance of the image being fixed
    spec = resolve_pass(p, 0, 0, HandRefineSettings(), Image.new("RGB", (64, 64)), np.zeros((64, 64), np.uint8),
                        (64, 64))
    p2 = build_pass(p, spec, HandRefineSettings(), PassState(0))
    assert p2.distilled_cfg_scale == 5.0
    assert p2.cached_c == [None, None, None] and p2.cached_c is not StableDiffusionProcessing.cached_c
