"""Sequential mask expansion through the double's simulated sampling loops (blend after / before the model)."""

import numpy as np
import pytest

from .conftest import args_with, hand_image, harness, runner_for


def _blends(p):
    return [b for b in p._double_blend_log if b["phase"] != "final"], [b for b in p._double_blend_log
                                                                      if b["phase"] == "final"]


def _eq(a, b):
    return bool(np.allclose(a.numpy(), b.numpy(), atol=1e-5))


@pytest.mark.parametrize(("sampler", "phase"), [("Euler a", "after"), ("DDIM", "before")])
def test_schedule_drives_our_pass_with_both_blend_orders(webui, sampler, phase):
    runner = runner_for(True)
    args = args_with(runner, sequential_expansion=True, expansion_ring=48, expansion_free_steps=2, steps=12,
                     sampler=sampler, denoising_strength=1.0)
    harness.run_generation(runner, args, init_images=[hand_image()], seed=1, steps=12, sampler_name=sampler)
    p2 = webui.passes[0][0]
    steps, finals = _blends(p2)
    assert steps and all(b["phase"] == phase for b in steps)
    real = (p2.nmask[:1] > 0.5).float()
    first, last_masked = steps[0], steps[-3]
    keep_first = _eq(first["blended_latent"], first["current_latent"] * real + first["init_latent"] * (1 - real))
    assert not keep_first, "the first step keeps a ring inside the mask"
    ring_kept = (first["blended_latent"] - first["init_latent"]).abs().sum(0) < 1e-6
    assert (ring_kept & (real[0] > 0)).any()
    b = last_masked
    assert _eq(b["blended_latent"], b["current_latent"] * real + b["init_latent"] * (1 - real)), \
        "the last masked step uses the real mask"
    for b in steps[-2:]:
        assert _eq(b["blended_latent"], b["current_latent"]), "the final two steps are unmasked"
    f = finals[0]
    assert _eq(f["blended_latent"], f["current_latent"] * f["nmask"] + f["init_latent"] * f["mask"]), \
        "the final blend stays on the real mask"
    # the image conditioning and crop were built from the real mask, untouched by the schedule
    assert p2.image_mask.getbbox() is not None and p2.paste_to is not None


def test_hook_is_inert_when_off_and_in_user_inpaints(webui):
    from PIL import Image

    runner = runner_for(True)
    harness.run_generation(runner, args_with(runner, steps=6), init_images=[hand_image()], seed=1, steps=6,
                           sampler_name="Euler a")
    p2 = webui.passes[0][0]
    for b in _blends(p2)[0]:
        assert _eq(b["blended_latent"], b["current_latent"] * b["nmask"] + b["init_latent"] * b["mask"])
    # an ordinary user inpaint with HandRefine's expansion configured but HandRefine itself off
    args = args_with(runner, sequential_expansion=True)
    me = harness.script_of(runner, "HandRefine")
    args[me.args_from] = False
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (100, 100, 300, 300))
    harness.run_generation(runner, args, init_images=[hand_image()], mask=mask, seed=1, steps=6,
                           sampler_name="Euler a")
    for b in harness.last_p._double_blend_log:
        if b["phase"] != "final":
            assert _eq(b["blended_latent"], b["current_latent"] * b["nmask"] + b["init_latent"] * b["mask"])
