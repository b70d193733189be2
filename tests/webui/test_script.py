"""HandRefine's real Script class driven through the WebUI double's hooks, in the order the WebUI calls them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lib_handrefine.plan import build_plan
from lib_handrefine.settings import HandRefineSettings
from lib_handrefine.webui import state

from .conftest import MODELS, SCRIPT, args_with, changed, hand_image, harness, runner_for


class HandPhoto:
    """A test-only script that makes the 'generated' image a real photo with hands (the double's sampler draws
    none); it runs before HandRefine's postprocess_image, as an earlier extension would."""

    photo = "c07_photo_woman_lying.jpeg"

    @staticmethod
    def make(photos: list[str] | None = None):
        """photos: one file per image of the generation (by its generation-wide index); default: all `photo`."""
        from modules import scripts

        class HandPhotoScript(scripts.Script):
            def title(self):
                return "Hand photo"

            def show(self, is_img2img):
                return scripts.AlwaysVisible

            def ui(self, is_img2img):
                return []

            def postprocess_batch(self, p, *args, images, batch_number):
                import torch

                for i in range(len(images)):
                    name = photos[batch_number * p.batch_size + i] if photos else HandPhoto.photo
                    photo = np.asarray(hand_image(name).resize((p.width, p.height)), np.float32) / 255
                    images[i] = torch.from_numpy(photo).permute(2, 0, 1)

        return HandPhotoScript


def args_always(runner, **settings):
    """Keep every fix: these tests are about the pass mechanics, and the double's sampler draws no hand."""
    return args_with(runner, keep_fix="always", **settings)


def _plan_for(image: Image.Image, settings: HandRefineSettings | None = None):
    from lib_handrefine.detect import get_detector

    from ..conftest import MODEL

    return build_plan(np.asarray(image), settings or HandRefineSettings(), get_detector(MODEL))


def test_fix_hands_only_skips_the_outer_vae_encode(webui, monkeypatch):
    """The outer img2img is never sampled: only the nested pass's crop goes through the VAE encoder, and the
    WebUI's encode function is back in place afterwards."""
    from modules import processing, shared

    real_encode = processing.images_tensor_to_samples
    model = shared.sd_model
    encoded: list[tuple[int, int]] = []
    first_stage = model.encode_first_stage
    monkeypatch.setattr(model, "encode_first_stage", lambda x: encoded.append(tuple(x.shape[-2:])) or first_stage(x))
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_always(runner), prompt="a man", init_images=[image], seed=5,
                                       steps=4, width=512, height=512)
    region = _plan_for(image).regions[0]
    assert changed(processed.images[0], image).any()
    assert encoded == [(region.size[1], region.size[0])]
    assert processing.images_tensor_to_samples is real_encode


def test_img2img_fix_hands_only(webui):
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_always(runner), prompt="a man", negative_prompt="ugly",
                                       init_images=[image], seed=5, steps=4, width=512, height=512)
    out = processed.images[0]
    assert out.size == image.size
    plan = _plan_for(image)
    region = plan.regions[0]
    diff = changed(out, image)
    assert diff.any(), "the hand region was repainted"
    # nothing outside the padded region (grown by the paste-back blur radius) changes
    x0, y0, x1, y1 = region.bbox
    r = 10  # blur kernel radius for mask_blur 4
    outside = np.ones_like(diff)
    outside[max(0, y0 - r):y1 + r, max(0, x0 - r):x1 + r] = False
    assert not diff[outside].any()
    # no main img2img pass: exactly one sampling run, the nested one
    p_outer = harness.last_p
    assert isinstance(p_outer.sample, type(lambda: 0))
    assert len(webui.passes) == 1
    p2, result = webui.passes[0]
    assert p2.image_mask.size == image.size and np.array_equal(np.asarray(p2.image_mask) > 0, region.mask > 0)
    assert p2.inpaint_full_res is True and p2.inpaint_full_res_padding == 32 and p2.inpainting_fill == 1
    assert p2.denoising_strength == 0.75 and p2.mask_blur_x == 4
    assert (p2.width, p2.height) == region.size
    x, y, w, h = p2.paste_to  # the WebUI's own "only masked" crop is the one the plan predicted
    assert (x, y, x + w, y + h) == region.crop
    assert p2.seed == 5 and p2.prompt == "a man" and p2.negative_prompt == "ugly"
    assert p2.steps == 4 and p2.sampler_name == p_outer.sampler_name
    assert p2.do_not_save_samples and p2.do_not_save_grid
    # ControlNet unit: our depth, full size, module none, default weight and guidance
    log = harness.controlnet_log()
    assert len(log) == 1
    unit = log[0]["unit"]
    assert unit.module == "none" and unit.model == MODELS[0]
    assert unit.weight == 0.55 and unit.guidance_start == 0.0 and unit.guidance_end == 1.0
    depth = np.asarray(unit.image)
    assert depth.shape == (image.size[1], image.size[0], 3)
    assert np.array_equal(depth[..., 0], plan.region_depth(0))
    # generation info: settings and the per-image result
    info = processed.infotexts[0]
    assert "HandRefine: " in info and "weight=0.55" in info
    assert "1 hand(s), 1/1 region(s) fixed" in info
    assert f"pass {p2.width}x{p2.height}" in info  # the size the pass really ran at
    assert webui.job_counts == [1]  # our one region (the skipped main pass is no job)


def test_txt2img_fixes_every_image_of_a_batch(webui):
    runner_for(True)  # the WebUI always builds both tabs; the nested passes use img2img's scripts
    runner = harness.make_runner(False, [HandPhoto.make(), SCRIPT])
    processed = harness.run_generation(runner, args_always(runner), prompt="a woman", seed=100, steps=3,
                                       width=384, height=512, batch_size=2, n_iter=2)
    first = processed.index_of_first_image
    assert len(processed.images) == first + 4  # a grid comes first
    assert len(webui.passes) == 4  # one region (two hands merged) per image
    seeds = [p2.seed for p2, _ in webui.passes]
    assert seeds == [100, 101, 102, 103]
    photo = hand_image(HandPhoto.photo).resize((384, 512))
    for image, info in zip(processed.images[first:], processed.infotexts[first:]):
        assert changed(image, photo).any()
        assert "2 hand(s), 1/1 region(s) fixed" in info


def test_each_image_of_later_batches_gets_its_own_result(webui):
    from modules import images, shared

    shared.opts.data["samples_save"] = True
    runner_for(True)
    cat = "f04_nohand_cat.png"
    runner = harness.make_runner(False, [HandPhoto.make([HandPhoto.photo, cat, cat, HandPhoto.photo]), SCRIPT])
    processed = harness.run_generation(runner, args_always(runner), prompt="a woman", seed=100, steps=2, width=384,
                                       height=512, batch_size=2, n_iter=2, do_not_save_samples=False)
    first = processed.index_of_first_image
    results = [t.split("HandRefine result: ")[1] for t in processed.infotexts[first:]]
    assert ["no hands found" in r for r in results] == [False, True, True, False]
    # the saved files' PNG info and the images' own parameters say the same
    saved = [s["info"] for s in images.saved_images if not s["grid"] and s["basename"] != "grid"]
    assert [("no hands found" in t) for t in saved[-4:]] == [False, True, True, False]
    assert [("no hands found" in im.info["parameters"]) for im in processed.images[first:]] == [False, True, True,
                                                                                                 False]


def test_no_hands_is_a_quiet_no_op(webui):
    runner = runner_for(True)
    image = hand_image("f04_nohand_cat.png")
    processed = harness.run_generation(runner, args_with(runner), init_images=[image], seed=1, steps=2,
                                       width=512, height=512)
    assert not changed(processed.images[0], image).any()
    assert webui.passes == [] and "no hands found" in processed.infotexts[0]


def test_disabled_does_nothing(webui):
    runner = runner_for(True)
    args = args_with(runner)
    me = harness.script_of(runner, "HandRefine")
    args[me.args_from] = False
    processed = harness.run_generation(runner, args, init_images=[hand_image()], seed=1, steps=2)
    assert webui.passes == [] and "HandRefine" not in processed.infotexts[0]


def test_without_controlnet_extension_inpaints_plainly_and_says_so(webui):
    from modules import shared

    harness.reset_webui(controlnet=False)
    shared.opts.data["handrefine_model_path"] = webui_model()
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_always(runner), init_images=[image], seed=1, steps=2,
                                       width=512, height=512)
    assert changed(processed.images[0], image).any()
    assert len(webui.passes) == 1
    p2 = webui.passes[0][0]
    assert [s.title() for s in p2.scripts.alwayson_scripts] == ["HandRefine"]
    assert "no ControlNet" in processed.infotexts[0]


def webui_model() -> str:
    from ..conftest import MODEL

    return str(MODEL)


def test_warnings_are_spelled_out_in_console_and_infotext(webui, capsys):
    harness.set_controlnet_models([])  # default option: inpaint without ControlNet, with a warning
    runner = runner_for(True)
    processed = harness.run_generation(runner, args_always(runner), init_images=[hand_image()], seed=1, steps=2)
    why = "no suitable ControlNet model (asked for 'Auto'); inpainting without ControlNet"
    result = processed.infotexts[0].split("HandRefine result: ")[1]
    assert "warning(s)" not in result and why in result
    image_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("HandRefine: image 0"))
    assert why in image_line
    # the infotext still parses back into its entries
    from modules import infotext_utils

    params = infotext_utils.parse_generation_parameters(processed.infotexts[0])
    assert why in params["HandRefine result"] and "weight=0.55" in params["HandRefine"]


def test_missing_controlnet_model_can_skip(webui):
    from modules import shared

    harness.set_controlnet_models([])
    shared.opts.data["handrefine_without_controlnet"] = "Skip the hand fix"
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_with(runner), init_images=[image], seed=1, steps=2)
    assert webui.passes == []
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(image))
    assert "skipped: no suitable ControlNet model" in processed.infotexts[0]


def test_an_exception_keeps_the_original_and_reports_it(webui, monkeypatch, capsys):
    from lib_handrefine.webui import refine

    def boom(*args, **kwargs):
        raise RuntimeError("detector exploded")

    monkeypatch.setattr(refine, "build_plan", boom)
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_with(runner, fix_hands_only=False), init_images=[image],
                                       seed=1, steps=2, width=512, height=512)
    assert len(processed.images) == 1  # the generation completed
    assert "error: detector exploded; original kept" in processed.infotexts[0]
    assert "detector exploded" in capsys.readouterr().err


def test_interrupt_during_our_pass_keeps_the_original(webui, monkeypatch):
    from modules import processing, shared

    real = processing.process_images

    def interrupting(p):
        if state.is_inner(p):
            shared.state.interrupt()
        return real(p)

    monkeypatch.setattr(processing, "process_images", interrupting)
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_with(runner), init_images=[image], seed=1, steps=2)
    assert np.array_equal(np.asarray(processed.images[0]), np.asarray(image))
    assert "original kept" in processed.infotexts[0]


def test_api_list_and_dict_args_give_the_same_settings(webui):
    runner = runner_for(True)
    settings = HandRefineSettings(enabled=True, control_weight=0.7, mask_padding=40, seed=9)
    seen = []
    for args in (settings.to_args(), [{"enabled": True, "control_weight": 0.7, "mask_padding": 40, "seed": 9}]):
        harness.run_generation(runner, api_request=True, alwayson_scripts={"handrefine": {"args": args}},
                               init_images=[hand_image()], seed=3, steps=2)
        seen.append(state.run_of(harness.last_p).settings)
    assert seen[0] == seen[1] == settings
    assert [p2.seed for p2, _ in webui.passes] == [9, 9]
    assert [harness.controlnet_log()[i]["unit"].weight for i in range(2)] == [0.7, 0.7]


def test_user_mask_limits_the_fix_to_hands_it_touches(webui):
    runner = runner_for(True)
    image = hand_image("c01_photo_fullbody_stretch.jpg")  # two hands far apart
    plan = _plan_for(image)
    assert len(plan.regions) == 2
    target = plan.regions[1]
    mask = Image.new("L", image.size, 0)
    x0, y0, x1, y1 = target.bbox
    mask.paste(255, (x0 + 10, y0 + 10, x0 + 30, y0 + 30))
    processed = harness.run_generation(runner, args_always(runner), init_images=[image], mask=mask,
                                       inpaint_full_res=False, seed=1, steps=2, width=image.size[0],
                                       height=image.size[1])
    assert len(webui.passes) == 1
    diff = changed(processed.images[0], image)
    other = plan.regions[0].bbox
    assert diff[y0:y1, x0:x1].any() and not diff[other[1]:other[3], other[0]:other[2]].any()


def test_debug_images_join_the_gallery(webui):
    runner = runner_for(True)
    processed = harness.run_generation(runner, args_always(runner, debug_images=True), init_images=[hand_image()],
                                       seed=1, steps=2)
    assert len(processed.images) == 4 and len(processed.infotexts) == 4
    depth = np.asarray(processed.images[1])
    assert depth.max() == 255 and depth[..., 0].min() == 0


def test_our_unit_does_not_leak_into_the_next_generation(webui):
    runner = runner_for(True)
    harness.run_generation(runner, args_with(runner), init_images=[hand_image()], seed=1, steps=2)
    before = len(harness.controlnet_log())
    args = args_with(runner)
    me = harness.script_of(runner, "HandRefine")
    args[me.args_from] = False
    harness.run_generation(runner, args, init_images=[hand_image()], seed=1, steps=2)
    assert len(harness.controlnet_log()) == before
    p = harness.last_p
    cn = harness.script_of(runner, "ControlNet")
    assert all(not (u.get("enabled") if isinstance(u, dict) else getattr(u, "enabled", False))
               for u in p.script_args[cn.args_from:cn.args_to])


@pytest.mark.parametrize("model", ["control_v11f1p_sd15_depth", "None"])
def test_chosen_model_and_none(webui, model):
    runner = runner_for(True)
    harness.run_generation(runner, args_with(runner, controlnet_model=model), init_images=[hand_image()],
                           seed=1, steps=2)
    log = harness.controlnet_log()
    if model == "None":
        assert log == []
    else:
        assert log[-1]["unit"].model == MODELS[1]


def test_nans_in_one_region_skip_that_region_only(webui, monkeypatch):
    from modules import devices, processing

    real = processing.process_images
    calls = []

    def first_region_nans(p):
        if state.is_inner(p):
            calls.append(p)
            if len(calls) == 1:
                raise devices.NansException("A tensor with all NaNs was produced in Unet.")
        return real(p)

    monkeypatch.setattr(processing, "process_images", first_region_nans)
    runner = runner_for(True)
    image = hand_image("c01_photo_fullbody_stretch.jpg")  # two separate regions
    processed = harness.run_generation(runner, args_always(runner), init_images=[image], seed=1, steps=2,
                                       width=image.size[0], height=image.size[1])
    assert len(calls) == 2
    assert "2 hand(s), 1/2 region(s) fixed" in processed.infotexts[0]
    assert changed(processed.images[0], image).any()


def test_missing_hand_model_is_one_clean_line_and_no_retry_storm(webui, monkeypatch, capsys):
    from modules import shared

    from lib_handrefine.model_file import ModelFileError
    from lib_handrefine.webui import environment

    calls = []

    def offline(explicit, models_dir, download=True, **kwargs):
        calls.append(explicit)
        raise ModelFileError("HandRefine needs the MediaPipe hand model, but downloading it failed: no network")

    monkeypatch.setattr(environment, "resolve_model_path", offline)
    monkeypatch.setattr(environment, "_model_failures", {}, raising=False)
    shared.opts.data["handrefine_model_path"] = ""
    runner = runner_for(True)
    image = hand_image()
    processed = harness.run_generation(runner, args_with(runner), init_images=[image, image], batch_size=2, n_iter=2,
                                       seed=1, steps=2)
    assert len(calls) == 1, "the failure is remembered for the following images"
    first = processed.index_of_first_image
    assert len(processed.images) == first + 4 and webui.passes == []
    assert all(np.array_equal(np.asarray(im), np.asarray(image)) for im in processed.images[first:])
    for info in processed.infotexts[first:]:
        assert "HandRefine result: \"skipped: HandRefine needs the MediaPipe hand model" in info
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "ModelFileError" not in out + err
    assert sum("downloading it failed: no network" in line for line in out.splitlines()) == 4  # one line per image
    # a changed setting is tried at once
    shared.opts.data["handrefine_model_path"] = "/elsewhere/hand_landmarker.task"
    harness.run_generation(runner, args_with(runner), init_images=[image], seed=1, steps=2)
    assert calls == [None, "/elsewhere/hand_landmarker.task"]


def test_fix_hands_only_progress_runs_from_0_to_100_percent(webui, monkeypatch):
    from modules import processing, shared

    real = processing.process_images
    progress = []  # the web progress bar's job part (job_no / job_count) as each of our passes starts and ends

    def recording(p):
        if state.is_inner(p):
            progress.append(shared.state.job_no / shared.state.job_count)
        result = real(p)
        if state.is_inner(p):
            progress.append(shared.state.job_no / shared.state.job_count)
        return result

    monkeypatch.setattr(processing, "process_images", recording)
    runner = runner_for(True)
    harness.run_generation(runner, args_always(runner, steps=8), init_images=[hand_image()], n_iter=2, seed=1,
                           steps=8)
    assert progress == [0.0, 0.5, 0.5, 1.0]  # two images, one region each; the skipped main pass counts for nothing
    total, done = shared.total_tqdm.finished[-1]
    assert done == total > 0  # the console's "Total progress" ends at 100 %


def test_debug_images_carry_their_own_images_infotext_after_a_grid(webui):
    runner_for(True)
    cat = "f04_nohand_cat.png"
    runner = harness.make_runner(False, [HandPhoto.make([cat, HandPhoto.photo]), SCRIPT])
    processed = harness.run_generation(runner, args_always(runner, debug_images=True), prompt="a woman", seed=100,
                                       steps=2, width=384, height=512, batch_size=2)
    first = processed.index_of_first_image
    assert first == 1  # a grid comes first
    own = processed.infotexts[first + 1]  # the second image: the one with hands
    debug_infos = processed.infotexts[first + 2:]
    assert len(debug_infos) == 6 and debug_infos[3:] == [own] * 3
    assert debug_infos[:3] == [processed.infotexts[first]] * 3
