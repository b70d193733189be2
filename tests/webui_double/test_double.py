"""Self-tests of the WebUI double (they pin the behaviours the HandRefine tests rely on)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from modules import errors, masking, processing, scripts, shared

HOOKS = [
    "setup", "before_process", "process", "before_process_batch", "after_extra_networks_activate", "process_batch",
    "process_before_every_sampling", "post_sample", "postprocess_batch", "postprocess_batch_list",
    "postprocess_image", "postprocess_maskoverlay", "postprocess_image_after_composite", "postprocess",
]  # fmt: skip


class Probe(scripts.Script):
    """Records every hook call (name, args) on the class-level ``calls`` list."""

    calls: list = []  # noqa: RUF012

    def title(self):
        return "Probe"

    def show(self, is_img2img):
        return scripts.AlwaysVisible

    def ui(self, is_img2img):
        return [True, 0.25]

    def on_mask_blend(self, p, mba, *args):
        Probe.calls.append(("on_mask_blend", mba.is_final_blend, getattr(mba.denoiser, "mask_before_denoising", None)))


def _recorder(name):
    def hook(self, p, *args, **kwargs):
        Probe.calls.append((name, args[-2:] if args else ()))

    return hook


for _name in HOOKS:
    setattr(Probe, _name, _recorder(_name))


@pytest.fixture(autouse=True)
def fresh_webui():
    harness.reset_webui()
    Probe.calls = []
    yield
    harness.reset_webui()


def noise_image(w: int = 128, h: int = 96, seed: int = 0) -> Image.Image:
    return Image.fromarray((np.random.RandomState(seed).rand(h, w, 3) * 255).astype(np.uint8))


def box_mask(w: int = 128, h: int = 96, box=(40, 30, 70, 60)) -> Image.Image:
    mask = Image.new("L", (w, h), 0)
    mask.paste(255, box)
    return mask


def run_inpaint(runner, **kw):
    params = dict(
        prompt="hand",
        init_images=[noise_image()],
        mask=box_mask(),
        seed=11,
        steps=10,
        width=64,
        height=64,
        denoising_strength=0.5,
        inpainting_fill=1,
        inpaint_full_res=True,
        inpaint_full_res_padding=8,
    )
    params.update(kw)
    return harness.run_generation(runner, **params)


@pytest.mark.parametrize("only_masked", [True, False])
def test_pixels_outside_blurred_mask_are_bit_identical(only_masked):
    runner = harness.make_runner(True, [Probe])
    kw = {} if only_masked else {"width": 128, "height": 96}
    processed = run_inpaint(runner, inpaint_full_res=only_masked, **kw)
    p = harness.last_p
    original = np.array(noise_image())
    out = np.array(processed.images[0])
    keep = np.array(p.mask_for_overlay.convert("L")) == 0
    assert out.shape == original.shape
    assert np.array_equal(out[keep], original[keep])
    core = np.array(box_mask().convert("L")) == 255
    assert (out[core] != original[core]).any(axis=-1).mean() > 0.5


def test_only_masked_crop_region_matches_masking_functions():
    runner = harness.make_runner(True, [Probe])
    mask = box_mask(box=(90, 10, 110, 70))
    depth = np.zeros((96, 128, 3), np.uint8)
    depth[10:70, 90:110] = 200
    unit = {"enabled": True, "module": "none", "model": "control_sd15_inpaint_depth_hand_fp16", "image": depth}
    args = harness.set_script_args(runner, harness.default_args(runner), "ControlNet", [unit])
    run_inpaint(runner, args=args, mask=mask, width=64, height=32, inpaint_full_res_padding=6, mask_blur=3)
    p = harness.last_p
    blurred = p.mask_for_overlay.convert("L")
    region = masking.expand_crop_region(masking.get_crop_region_v2(blurred, 6), 64, 32, 128, 96)
    x1, y1, x2, y2 = region
    assert p.paste_to == (x1, y1, x2 - x1, y2 - y1)
    assert p.extra_generation_params["Inpaint area"] == "Only masked"
    (entry,) = harness.controlnet_log()
    assert entry["input_image"].shape == (32, 64, 3)  # the depth map was cropped like the init image
    assert entry["model"] == "control_sd15_inpaint_depth_hand_fp16 [09456e54]"


def test_hook_order_matches_process_images():
    runner = harness.make_runner(True, [Probe])
    run_inpaint(runner, n_iter=2)
    names = [c[0] for c in Probe.calls if c[0] != "on_mask_blend"]
    per_batch = HOOKS[3:7] + HOOKS[7:13]
    assert names == ["setup", "before_process", "process", *per_batch, *per_batch, "postprocess"]
    assert all(c[1] == (True, 0.25) for c in Probe.calls if c[0] in ("setup", "process"))


@pytest.mark.parametrize(
    ("sampler", "before", "per_step_calls"),
    [("Euler", False, 6), ("DPM++ 2M", False, 6), ("Heun", False, 11), ("DDIM", True, 4), ("UniPC", True, 4)],
)
def test_on_mask_blend_once_per_denoiser_call_plus_final(sampler, before, per_step_calls):
    runner = harness.make_runner(True, [Probe])
    run_inpaint(runner, sampler_name=sampler)  # steps 10, denoise 0.5 -> t_enc 5
    blends = [c for c in Probe.calls if c[0] == "on_mask_blend"]
    assert len(blends) == per_step_calls + 1
    assert [b[1] for b in blends] == [False] * per_step_calls + [True]
    assert all(b[2] is before for b in blends[:-1])
    log = harness.last_p._double_blend_log
    assert [e["phase"] for e in log] == ["before" if before else "after"] * per_step_calls + ["final"]
    assert [e["step"] for e in log[:-1]] == list(range(per_step_calls))


def test_blend_uses_keep_and_repaint_masks():
    runner = harness.make_runner(True, [Probe])
    run_inpaint(runner, inpaint_full_res=False, width=128, height=96)
    p = harness.last_p
    assert p.mask.shape == p.nmask.shape == (4, 12, 16)
    assert set(np.unique(p.nmask.numpy())) <= {0.0, 1.0}
    assert np.array_equal(p.mask.numpy(), 1 - p.nmask.numpy())
    entry = p._double_blend_log[0]
    expected = entry["current_latent"] * p.nmask + entry["init_latent"] * p.mask
    assert np.allclose(entry["blended_latent"].numpy(), expected.numpy())
    assert p.image_conditioning.shape == (1, 5, 1, 1)


def test_hook_errors_are_reported_and_generation_continues():
    class Broken(Probe):
        def title(self):
            return "Broken"

        def postprocess_image(self, p, pp, *args):
            raise RuntimeError("boom")

    runner = harness.make_runner(False, [Broken])
    processed = harness.run_generation(runner, prompt="x", seed=1, steps=3, width=64, height=64)
    assert len(processed.images) == 1
    assert any(r["message"].startswith("Error running postprocess_image") for r in errors.reported)


def test_nested_process_images_keeps_outer_job_count():
    class Nested(Probe):
        def title(self):
            return "Nested"

        def postprocess_image(self, p, pp, *args):
            if getattr(p, "_inner", False):
                return
            p2 = processing.StableDiffusionProcessingImg2Img(
                init_images=[pp.image], mask=box_mask(64, 64, (10, 10, 30, 30)), prompt=p.prompt, seed=p.seed, steps=4,
                width=64, height=64, inpainting_fill=1, do_not_save_samples=True, do_not_save_grid=True,
            )  # fmt: skip
            p2._inner = True
            pp.image = processing.process_images(p2).images[0]
            p2.close()
            Probe.calls.append(("job_count_after_nested", shared.state.job_count))

    runner = harness.make_runner(False, [Nested])
    harness.run_generation(runner, prompt="x", seed=1, steps=3, width=64, height=64, n_iter=2)
    # begin() set -1, the outer run set n_iter (2); the nested runs saw != -1 and left it alone
    assert [c[1] for c in Probe.calls if c[0] == "job_count_after_nested"] == [2, 2]
    assert shared.state.job_no == 4  # every iteration (outer and nested) calls state.nextjob()


def test_api_path_assembles_alwayson_args_by_title():
    runner = harness.make_runner(False, [Probe])
    harness.run_generation(runner, api_request=True, alwayson_scripts={"PROBE": {"args": [False]}}, prompt="x",
                           steps=3, width=64, height=64, seed=5)  # fmt: skip
    p = harness.last_p
    assert p.is_api and isinstance(p.script_args, tuple)
    assert p.script_args[0] == 0
    assert ("setup", (False, 0.25)) in Probe.calls
    assert p.sampler_name == "Euler" and p.steps == 3  # built-in Seed/Sampler setup skipped for API runs


def test_xyz_cells_are_shallow_copies_of_p():
    runner = harness.make_runner(False, [Probe])
    xyz = harness.xyz_grid_module()
    assert xyz.Script.__module__ == "xyz_grid.py" and "xyz_grid.py" not in sys.modules
    xyz.axis_options.append(xyz.AxisOption("[Probe] Weight", float, xyz.apply_field("_probe_weight")))
    runner = harness.make_runner(False, [Probe])  # the axis list is read in ui()
    script = harness.script_of(runner, "X/Y/Z plot")
    axis_index = [o.label for o in script.current_axis_options].index("[Probe] Weight")
    args = harness.default_args(runner)
    args[0] = runner.selectable_scripts.index(script) + 1
    args[script.args_from : script.args_from + 2] = [axis_index, "0.5, 1"]
    processed = harness.run_generation(runner, args, prompt="x", seed=3, steps=3, width=64, height=64)
    cells = script.cells
    assert [c._probe_weight for c in cells] == [0.5, 1.0]
    assert not hasattr(harness.last_p, "_probe_weight")
    assert all(c.script_args is harness.last_p.script_args for c in cells)
    assert len(processed.images) == 1  # the grid (include_lone_images defaults to False)


def test_controlnet_external_code_is_reachable_like_in_a1111():
    harness.make_runner(True, [Probe])
    ec = sys.modules["scripts.external_code"]
    via_path = importlib.import_module("extensions.sd-webui-controlnet.scripts.external_code")
    assert (
        via_path.ControlNetUnit is ec.ControlNetUnit is sys.modules["internal_controlnet.external_code"].ControlNetUnit
    )
    assert ec.get_api_version() == 3
    assert ec.ResizeMode.INNER_FIT.value == "Crop and Resize" and ec.ControlMode.BALANCED.value == "Balanced"
    with pytest.raises(ValueError):
        ec.ControlNetUnit.from_dict({"enabled": True, "module": "None"})  # Forge spelling is invalid here
    harness.set_controlnet_models(["my_depth_sd15 [abcd1234]"])
    assert ec.get_models() == ["my_depth_sd15 [abcd1234]"]


def test_update_cn_script_in_processing_pads_units_and_shifts_later_scripts():
    runner = harness.make_runner(True, [Probe], cn_units=3)
    ec = harness.controlnet_external_code()
    p = processing.StableDiffusionProcessingImg2Img(init_images=[noise_image()])
    p.scripts = runner
    p.script_args = tuple(harness.default_args(runner))
    probe = harness.script_of(runner, "Probe")
    before = (probe.args_from, probe.args_to)
    unit = ec.ControlNetUnit(enabled=True, module="none", model="control_sd15_inpaint_depth_hand_fp16")
    ec.update_cn_script_in_processing(p, [unit])
    assert isinstance(p.script_args, tuple)
    assert [u.enabled for u in ec.get_all_units_in_processing(p)] == [True, False, False]
    assert (probe.args_from, probe.args_to) == before


def test_forge_lib_controlnet_only_in_forge_mode():
    with pytest.raises(ImportError):
        importlib.import_module("lib_controlnet.external_code")
    harness.enable_forge_mode()
    ext = importlib.import_module("lib_controlnet.external_code")
    assert ext.ControlNetUnit().module == "None" and ext.get_api_version() == 2
    harness.disable_forge_mode()
    assert "lib_controlnet" not in sys.modules


def test_forge_controlnet_script_takes_forge_units_only():
    harness.reset_webui(forge_controlnet=True)
    runner = harness.make_runner(True, [Probe], cn_units=2)
    state = importlib.import_module("lib_controlnet.global_state")
    names = state.get_all_controlnet_names()
    assert names[0] == "None" and all(" [" in n for n in names[1:])  # Forge lists "stem [hash]"
    cn = harness.script_of(runner, "ControlNet")
    image = noise_image()
    good = {"enabled": True, "module": "None", "model": names[1], "image": np.asarray(image)}
    args = harness.default_args(runner)
    args[cn.args_from] = good
    harness.run_generation(runner, args, init_images=[image], seed=1, steps=2)
    assert [r["unit"].model for r in harness.controlnet_log()] == [names[1]]
    # A1111's spelling: the lowercase preprocessor and the bare model stem are both unknown to Forge
    for bad in ({**good, "module": "none"}, {**good, "model": names[1].split(" [")[0]}):
        errors.reported.clear()
        args[cn.args_from] = bad
        harness.run_generation(runner, args, init_images=[image], seed=1, steps=2)
        assert len(harness.controlnet_log()) == 1 and errors.reported


def test_extension_list_and_disabled_extensions():
    from modules import extensions

    assert [e.name for e in extensions.active()] == ["sd-webui-controlnet"]
    assert any(d.path.endswith("controlnet.py") for d in scripts.scripts_data)
    harness.reset_webui(disabled_extensions=["sd-webui-controlnet"])
    assert [e.enabled for e in extensions.extensions] == [False] and extensions.active() == []
    assert not any("sd-webui-controlnet" in d.path for d in scripts.scripts_data)
    harness.reset_webui()
    shared.opts.data["disable_all_extensions"] = "all"
    assert extensions.active() == []


def test_total_progress_bar_is_sized_at_its_first_step_and_fills_up():
    runner = harness.make_runner(False, [Probe])
    harness.run_generation(runner, prompt="x", steps=4, n_iter=3, width=64, height=64)
    assert shared.total_tqdm.finished[-1] == (12, 12)  # job_count 3 x 4 sampling steps, all done
