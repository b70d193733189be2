"""Double of A1111 scripts/xyz_grid.py: AxisOption registry and the per-cell ``copy(p)`` + process_images loop.

Loaded by modules.scripts like the real file, so its module is named "xyz_grid.py" (not in sys.modules) and
other extensions find it with ``[x.module for x in scripts.scripts_data if x.script_class.__module__ ==
"xyz_grid.py"]``. Grid legends, CSV dropdown mode and sub-grid saving are simplified (see README).
"""

from __future__ import annotations

import csv
import random
import re
from collections import namedtuple
from copy import copy
from io import StringIO
from itertools import chain, permutations

import modules.scripts as scripts
import modules.shared as shared
import numpy as np
from modules import errors, images, processing, sd_samplers
from modules.processing import Processed, StableDiffusionProcessingTxt2Img, process_images
from modules.shared import opts, state
from modules.ui_components import Component

AxisInfo = namedtuple("AxisInfo", ["axis", "values"])


def apply_field(field):
    def fun(p, x, xs):
        setattr(p, field, x)

    return fun


def apply_prompt(p, x, xs):
    if xs[0] not in p.prompt and xs[0] not in p.negative_prompt:
        raise RuntimeError(f"Prompt S/R did not find {xs[0]} in prompt or negative prompt.")
    p.prompt = p.prompt.replace(xs[0], x)
    p.negative_prompt = p.negative_prompt.replace(xs[0], x)


def apply_override(field, boolean: bool = False):
    def fun(p, x, xs):
        if boolean:
            x = x.lower() == "true"
        p.override_settings[field] = x

    return fun


def confirm_samplers(p, xs):
    for x in xs:
        if x.lower() not in sd_samplers.samplers_map:
            raise RuntimeError(f"Unknown sampler: {x}")


def format_value_add_label(p, opt, x):
    if type(x) is float:
        x = round(x, 8)
    return f"{opt.label}: {x}"


def format_value(p, opt, x):
    if type(x) is float:
        x = round(x, 8)
    return x


def format_value_join_list(p, opt, x):
    return ", ".join(x)


def do_nothing(p, x, xs):
    pass


def format_nothing(p, opt, x):
    return ""


def str_permutations(x):
    return x


def list_to_csv_string(data_list):
    with StringIO() as o:
        csv.writer(o).writerow(data_list)
        return o.getvalue().strip()


def csv_string_to_list_strip(data_str):
    return list(map(str.strip, chain.from_iterable(csv.reader(StringIO(data_str), skipinitialspace=True))))


class AxisOption:
    def __init__(
        self,
        label,
        type,
        apply,
        format_value=format_value_add_label,
        confirm=None,
        cost=0.0,
        choices=None,
        prepare=None,
    ):
        self.label = label
        self.type = type
        self.apply = apply
        self.format_value = format_value
        self.confirm = confirm
        self.cost = cost
        self.prepare = prepare
        self.choices = choices


class AxisOptionImg2Img(AxisOption):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_img2img = True


class AxisOptionTxt2Img(AxisOption):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_img2img = False


axis_options = [
    AxisOption("Nothing", str, do_nothing, format_value=format_nothing),
    AxisOption("Seed", int, apply_field("seed")),
    AxisOption("Var. seed", int, apply_field("subseed")),
    AxisOption("Var. strength", float, apply_field("subseed_strength")),
    AxisOption("Steps", int, apply_field("steps")),
    AxisOptionTxt2Img("Hires steps", int, apply_field("hr_second_pass_steps")),
    AxisOption("CFG Scale", float, apply_field("cfg_scale")),
    AxisOptionImg2Img("Image CFG Scale", float, apply_field("image_cfg_scale")),
    AxisOption("Prompt S/R", str, apply_prompt, format_value=format_value),
    AxisOptionTxt2Img("Sampler", str, apply_field("sampler_name"), format_value=format_value, confirm=confirm_samplers),
    AxisOptionImg2Img("Sampler", str, apply_field("sampler_name"), format_value=format_value, confirm=confirm_samplers),
    AxisOption("Denoising", float, apply_field("denoising_strength")),
    AxisOption("Clip skip", int, apply_override("CLIP_stop_at_last_layers")),
]

re_range = re.compile(r"\s*([+-]?\s*\d+)\s*-\s*([+-]?\s*\d+)(?:\s*\(([+-]\d+)\s*\))?\s*")
re_range_float = re.compile(
    r"\s*([+-]?\s*\d+(?:.\d*)?)\s*-\s*([+-]?\s*\d+(?:.\d*)?)(?:\s*\(([+-]\d+(?:.\d*)?)\s*\))?\s*"
)
re_range_count = re.compile(r"\s*([+-]?\s*\d+)\s*-\s*([+-]?\s*\d+)(?:\s*\[(\d+)\s*])?\s*")
re_range_count_float = re.compile(
    r"\s*([+-]?\s*\d+(?:.\d*)?)\s*-\s*([+-]?\s*\d+(?:.\d*)?)(?:\s*\[(\d+(?:.\d*)?)\s*])?\s*"
)


def _expand_numbers(opt, valslist):
    out = []
    for val in valslist:
        if val.strip() == "":
            continue
        if opt.type is int:
            m, mc = re_range.fullmatch(val), re_range_count.fullmatch(val)
            if m is not None:
                out += list(range(int(m.group(1)), int(m.group(2)) + 1, int(m.group(3)) if m.group(3) else 1))
            elif mc is not None:
                out += [int(x) for x in np.linspace(int(mc.group(1)), int(mc.group(2)), int(mc.group(3) or 1)).tolist()]
            else:
                out.append(val)
        else:
            m, mc = re_range_float.fullmatch(val), re_range_count_float.fullmatch(val)
            if m is not None:
                start, end, step = float(m.group(1)), float(m.group(2)), float(m.group(3)) if m.group(3) else 1
                out += np.arange(start, end + step, step).tolist()
            elif mc is not None:
                out += np.linspace(float(mc.group(1)), float(mc.group(2)), int(mc.group(3) or 1)).tolist()
            else:
                out.append(val)
    return out


class Script(scripts.Script):
    def title(self):
        return "X/Y/Z plot"

    def ui(self, is_img2img):
        """18 controls in the real order; axis types are indexes into ``self.current_axis_options``."""
        self.current_axis_options = [x for x in axis_options if type(x) is AxisOption or x.is_img2img == is_img2img]
        values = [1, "", [], 0, "", [], 0, "", [], True, False, False, False, False, False, False, 0, False]
        names = [
            "x_type",
            "x_values",
            "x_values_dropdown",
            "y_type",
            "y_values",
            "y_values_dropdown",
            "z_type",
            "z_values",
            "z_values_dropdown",
            "draw_legend",
            "include_lone_images",
            "include_sub_grids",
            "no_fixed_seeds",
            "vary_seeds_x",
            "vary_seeds_y",
            "vary_seeds_z",
            "margin_size",
            "csv_mode",
        ]
        return [Component(v, label=n, elem_id=self.elem_id(n)) for v, n in zip(values, names)]

    def run(
        self,
        p,
        x_type,
        x_values,
        x_values_dropdown,
        y_type,
        y_values,
        y_values_dropdown,
        z_type,
        z_values,
        z_values_dropdown,
        draw_legend,
        include_lone_images,
        include_sub_grids,
        no_fixed_seeds,
        vary_seeds_x,
        vary_seeds_y,
        vary_seeds_z,
        margin_size,
        csv_mode,
    ):
        x_type, y_type, z_type = x_type or 0, y_type or 0, z_type or 0
        if not no_fixed_seeds:
            processing.fix_seed(p)
        if not opts.return_grid:
            p.batch_size = 1

        def process_axis(opt, vals, vals_dropdown):
            if opt.label == "Nothing":
                return [0]
            if opt.choices is not None and not csv_mode:
                valslist = vals_dropdown
            elif opt.prepare is not None:
                valslist = opt.prepare(vals)
            else:
                valslist = csv_string_to_list_strip(vals)
            if opt.type in (int, float):
                valslist = _expand_numbers(opt, valslist)
            elif opt.type == str_permutations:
                valslist = list(permutations(valslist))
            valslist = [opt.type(x) for x in valslist]
            if opt.confirm:
                opt.confirm(p, valslist)
            return valslist

        x_opt, y_opt, z_opt = (self.current_axis_options[i] for i in (x_type, y_type, z_type))
        xs = process_axis(x_opt, x_values, x_values_dropdown)
        ys = process_axis(y_opt, y_values, y_values_dropdown)
        zs = process_axis(z_opt, z_values, z_values_dropdown)

        def fix_axis_seeds(axis_opt, axis_list):
            if axis_opt.label in ["Seed", "Var. seed"]:
                return [int(random.randrange(4294967294)) if v is None or v == "" or v == -1 else v for v in axis_list]
            return axis_list

        if not no_fixed_seeds:
            xs, ys, zs = fix_axis_seeds(x_opt, xs), fix_axis_seeds(y_opt, ys), fix_axis_seeds(z_opt, zs)
        total_steps = p.steps * len(xs) * len(ys) * len(zs)
        if isinstance(p, StableDiffusionProcessingTxt2Img) and p.enable_hr:
            total_steps *= 2
        shared.total_tqdm.updateTotal(total_steps * p.n_iter)
        state.xyz_plot_x, state.xyz_plot_y, state.xyz_plot_z = (
            AxisInfo(x_opt, xs),
            AxisInfo(y_opt, ys),
            AxisInfo(z_opt, zs),
        )

        def cell(x, y, z, ix, iy, iz):
            if shared.state.interrupted or state.stopping_generation:
                return Processed(p, [], p.seed, "")
            pc = copy(p)
            pc.styles = pc.styles[:]
            x_opt.apply(pc, x, xs)
            y_opt.apply(pc, y, ys)
            z_opt.apply(pc, z, zs)
            xdim = len(xs) if vary_seeds_x else 1
            ydim = len(ys) if vary_seeds_y else 1
            if vary_seeds_x:
                pc.seed += ix
            if vary_seeds_y:
                pc.seed += iy * xdim
            if vary_seeds_z:
                pc.seed += iz * xdim * ydim
            self.cells.append(pc)
            try:
                return process_images(pc)
            except Exception as e:
                errors.display(e, "generating image for xyz plot")
                return Processed(p, [], p.seed, "")

        self.cells: list = []
        results: list[Processed] = []
        for iz, z in enumerate(zs):  # A1111 orders the loops by axis cost; with equal costs this is z, y, x
            for iy, y in enumerate(ys):
                for ix, x in enumerate(xs):
                    state.job = f"{ix + iy * len(xs) + iz * len(xs) * len(ys) + 1} out of {len(xs) * len(ys) * len(zs)}"
                    results.append(cell(x, y, z, ix, iy, iz))
        cell_images = [r.images[0] for r in results if r.images]
        if not cell_images:
            return Processed(p, [])
        res = copy(results[0])
        res.images = [images.image_grid(cell_images, rows=len(ys))] + (cell_images if include_lone_images else [])
        res.infotexts = [results[0].infotexts[0]] + (
            [r.infotexts[0] for r in results if r.images] if include_lone_images else []
        )
        res.index_of_first_image = 1
        return res
