"""The anime detector inside a generation: a hand without landmarks is repainted without ControlNet, alone."""

from __future__ import annotations

import numpy as np
import pytest

from lib_handrefine.settings import HAND_DETECTORS

from ..onnx_models import FixedBoxes, export, letterbox_box
from .conftest import MODELS, args_with, changed, hand_image, harness, runner_for

PHOTO = "c01_photo_fullbody_stretch.jpg"  # 960 x 640, two hands far apart that MediaPipe finds
SKY = (20, 20, 120, 100)  # a patch of sky: the box model "finds" a hand there, MediaPipe fits none


@pytest.mark.parametrize("keep_fix", ["always", "if good"])
def test_box_only_region_gets_no_controlnet_unit(webui, tmp_path, keep_fix):
    image = hand_image(PHOTO)
    model = tmp_path / "sky_hand.onnx"
    model.write_bytes(export(FixedBoxes([(*letterbox_box(SKY, image.size, 320), 0.7)]), 320))
    runner = runner_for(True)
    args = args_with(runner, hand_detector=HAND_DETECTORS[1], detector_model=str(model), extra_detection_pass=False,
                     keep_fix=keep_fix)
    processed = harness.run_generation(runner, args, init_images=[image], seed=1, steps=2,
                                       width=image.size[0], height=image.size[1])
    assert len(webui.passes) == 3  # the two MediaPipe hands and the box-only one
    with_unit = [any(s.title() == "ControlNet" for s in p2.scripts.alwayson_scripts) for p2, _ in webui.passes]
    assert with_unit == [True, True, False]
    log = harness.controlnet_log()
    assert len(log) == 2 and all(entry["unit"].model == MODELS[0] for entry in log)
    box_pass = webui.passes[2][0]
    x0, y0, x1, y1 = SKY
    assert np.asarray(box_pass.image_mask)[(y0 + y1) // 2, (x0 + x1) // 2] == 255  # the sky box is the mask
    # kept also under "if good": the box detector finds a hand in the box again after the fix
    assert changed(processed.images[0], image)[y0:y1, x0:x1].any()
    info = processed.infotexts[0]
    assert "3 hand(s), " + ("3/3 region(s) fixed" if keep_fix == "always" else "") in info
    assert "1 region(s) box-only (no landmarks, no ControlNet)" in info
    assert 'detector="MediaPipe + anime detector"' in info
