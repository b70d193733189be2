"""Double of modules/images.py: resize_image (modes 0/1/2 exactly), image_grid, and a recording save_image."""

from __future__ import annotations

import math
import os
from typing import Any, NamedTuple

from PIL import Image, ImageColor, ImageOps

from modules import script_callbacks, shared

LANCZOS = Image.Resampling.LANCZOS if hasattr(Image, "Resampling") else Image.LANCZOS

saved_images: list[dict[str, Any]] = []
"""Double-only: one dict per save_image() call (image, path, basename, seed, prompt, info, suffix, grid, p, ...)."""


def image_grid(imgs: list[Image.Image], batch_size: int = 1, rows: int | None = None) -> Image.Image:
    """Paste ``imgs`` into a rows x cols grid; row count follows opts.n_rows like A1111."""
    if rows is None:
        if shared.opts.n_rows > 0:
            rows = shared.opts.n_rows
        elif shared.opts.n_rows == 0:
            rows = batch_size
        elif shared.opts.grid_prevent_empty_spots:
            rows = math.floor(math.sqrt(len(imgs)))
            while len(imgs) % rows != 0:
                rows -= 1
        else:
            rows = round(math.sqrt(len(imgs)))
    rows = min(rows, len(imgs))
    cols = math.ceil(len(imgs) / rows)
    params = script_callbacks.ImageGridLoopParams(imgs, cols, rows)
    script_callbacks.image_grid_callback(params)
    w, h = map(max, zip(*(img.size for img in imgs)))
    grid = Image.new(
        "RGB",
        size=(params.cols * w, params.rows * h),
        color=ImageColor.getcolor(shared.opts.grid_background_color, "RGB"),
    )
    for i, img in enumerate(params.imgs):
        dx = 0 if img.width == w else (w - img.width) // 2
        dy = 0 if img.height == h else (h - img.height) // 2
        grid.paste(img, box=(i % params.cols * w + dx, i // params.cols * h + dy))
    return grid


class GridAnnotation:
    def __init__(self, text: str = "", is_active: bool = True):
        self.text = text
        self.is_active = is_active
        self.size = None


def draw_grid_annotations(
    im: Image.Image, width: int, height: int, hor_texts, ver_texts, margin: int = 0
) -> Image.Image:
    """Legends are not drawn in the double; the grid is returned unchanged."""
    return im


class Grid(NamedTuple):
    tiles: list
    tile_w: int
    tile_h: int
    image_w: int
    image_h: int
    overlap: int


def resize_image(
    resize_mode: int, im: Image.Image, width: int, height: int, upscaler_name: str | None = None
) -> Image.Image:
    """0: stretch; 1: scale to cover and centre-crop; 2: scale to fit and fill the borders by stretching edges.

    Modes 1 and 2 return an RGB image (also for an "L" input), as in A1111. Upscaler models are not run: every
    resize is a PIL LANCZOS resize (the A1111 path when no upscaler is configured or the image is "L").
    """

    def resize(img: Image.Image, w: int, h: int) -> Image.Image:
        return img.resize((w, h), resample=LANCZOS)

    if resize_mode == 0:
        return resize(im, width, height)

    ratio = width / height
    src_ratio = im.width / im.height
    if resize_mode == 1:
        src_w = width if ratio > src_ratio else im.width * height // im.height
        src_h = height if ratio <= src_ratio else im.height * width // im.width
    else:
        src_w = width if ratio < src_ratio else im.width * height // im.height
        src_h = height if ratio >= src_ratio else im.height * width // im.width
    resized = resize(im, src_w, src_h)
    res = Image.new("RGB", (width, height))
    res.paste(resized, box=(width // 2 - src_w // 2, height // 2 - src_h // 2))
    if resize_mode != 1:
        if ratio < src_ratio:
            fill_height = height // 2 - src_h // 2
            if fill_height > 0:
                res.paste(resized.resize((width, fill_height), box=(0, 0, width, 0)), box=(0, 0))
                res.paste(
                    resized.resize((width, fill_height), box=(0, resized.height, width, resized.height)),
                    box=(0, fill_height + src_h),
                )
        elif ratio > src_ratio:
            fill_width = width // 2 - src_w // 2
            if fill_width > 0:
                res.paste(resized.resize((fill_width, height), box=(0, 0, 0, height)), box=(0, 0))
                res.paste(
                    resized.resize((fill_width, height), box=(resized.width, 0, resized.width, height)),
                    box=(fill_width + src_w, 0),
                )
    return res


def save_image(
    image,
    path,
    basename,
    seed=None,
    prompt=None,
    extension="png",
    info=None,
    short_filename=False,
    no_prompt=False,
    grid=False,
    pnginfo_section_name="parameters",
    p=None,
    existing_info=None,
    forced_filename=None,
    suffix="",
    save_to_dirs=None,
):
    """Record the call and fire on_before_image_saved / on_image_saved; nothing is written to disk."""
    number = len(saved_images)
    name = forced_filename or f"{number:05}-{seed}{suffix}"
    fullfn = os.path.join(path or "", f"{name}.{extension}")
    pnginfo = existing_info or {}
    if info is not None:
        pnginfo[pnginfo_section_name] = info
    params = script_callbacks.ImageSaveParams(image, p, fullfn, pnginfo)
    script_callbacks.before_image_saved_callback(params)
    saved_images.append(
        {
            "image": params.image,
            "path": path,
            "basename": basename,
            "seed": seed,
            "prompt": prompt,
            "extension": extension,
            "info": params.pnginfo.get(pnginfo_section_name),
            "grid": grid,
            "suffix": suffix,
            "p": p,
            "filename": params.filename,
        }
    )
    image.already_saved_as = fullfn
    script_callbacks.image_saved_callback(params)
    return fullfn, None


def flatten(img: Image.Image, bgcolor: str) -> Image.Image:
    """Composite transparency over ``bgcolor`` and return RGB."""
    if img.mode == "RGBA":
        background = Image.new("RGBA", img.size, bgcolor)
        background.paste(img, mask=img)
        img = background
    return img.convert("RGB")


def fix_image(image: Image.Image | None) -> Image.Image | None:
    if image is None:
        return None
    try:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGB", "P") and isinstance(image.info.get("transparency"), bytes):
            image = image.convert("RGBA")
    except Exception:
        pass
    return image


def read_info_from_image(image: Image.Image) -> tuple[str | None, dict]:
    items = dict(image.info or {})
    return items.pop("parameters", None), items
