"""The user's hint: an inpaint mask over a hand that detection missed is searched again, else repainted box-only."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .conftest import args_with, changed, hand_image, harness, runner_for


def _run(image: Image.Image, box: tuple[int, int, int, int], **settings):
    runner = runner_for(True)
    mask = Image.new("L", image.size, 0)
    mask.paste(255, box)
    return harness.run_generation(runner, args_with(runner, **settings), init_images=[image],
                                  mask=mask, inpaint_full_res=False, seed=1, steps=2, width=image.size[0],
                                  height=image.size[1])


def test_a_missed_hand_under_the_mask_is_found_zoomed_in(webui):
    image = hand_image("a01_photo_thumb_up.jpg")
    # confidence 1.0: the whole-image pass finds nothing; the zoomed search inside the mask still fits the hand
    processed = _run(image, (150, 70, 390, 390), detect_confidence=1.0, keep_fix="always")
    assert len(webui.passes) == 1
    info = processed.infotexts[0]
    assert "1 hand(s), 1/1 region(s) fixed, ControlNet" in info and "box-only" not in info
    units = harness.controlnet_log()
    assert any(entry["p"] is webui.passes[0][0] for entry in units), "the hand's depth unit ran in our pass"


def test_nothing_under_the_mask_is_repainted_box_only(webui):
    image = hand_image("f04_nohand_cat.png")
    processed = _run(image, (300, 40, 380, 120))  # default "if good": nothing can check it, the user asked
    assert len(webui.passes) == 1
    assert not any(entry["p"] is webui.passes[0][0] for entry in harness.controlnet_log())  # no ControlNet unit
    info = processed.infotexts[0]
    assert "box-only" in info and "fixed where you masked" in info
    diff = changed(processed.images[0], image)
    assert diff[40:120, 300:380].any()


def test_no_mask_no_hint(webui):
    image = hand_image("f04_nohand_cat.png")
    runner = runner_for(True)
    processed = harness.run_generation(runner, args_with(runner), init_images=[image], seed=1, steps=2,
                                       width=image.size[0], height=image.size[1])
    assert webui.passes == [] and np.array_equal(np.asarray(processed.images[0]), np.asarray(image))
