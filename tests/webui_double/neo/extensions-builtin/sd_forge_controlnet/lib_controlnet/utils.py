"""Double of Neo lib_controlnet/utils.py (the functions the ControlNet script uses; resize via cv2 only)."""

from __future__ import annotations

import cv2
import numpy as np
from modules import processing
from PIL import Image, ImageFilter, ImageOps

from lib_controlnet import external_code


def align_dim_latent(x: int) -> int:
    return (x // 8) * 8


def prepare_mask(mask: Image.Image, p: processing.StableDiffusionProcessing) -> Image.Image:
    mask = mask.convert("L")
    if getattr(p, "inpainting_mask_invert", False):
        mask = ImageOps.invert(mask)
    if getattr(p, "mask_blur", 0) > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(p.mask_blur))
    return mask


def set_numpy_seed(p: processing.StableDiffusionProcessing) -> int | None:
    try:
        tmp_seed = int(p.all_seeds[0] if p.seed == -1 else max(int(p.seed), 0))
        tmp_subseed = int(p.all_seeds[0] if p.subseed == -1 else max(int(p.subseed), 0))
        seed = (tmp_seed + tmp_subseed) & 0xFFFFFFFF
        np.random.seed(seed)
        return seed
    except Exception:
        return None


def HWC3(x: np.ndarray) -> np.ndarray:
    """modules_forge/utils.py: uint8 HxWx3 from gray, RGB or RGBA (alpha composited on white)."""
    assert x.dtype == np.uint8
    if x.ndim == 2:
        x = x[:, :, None]
    h, w, c = x.shape
    if c == 3:
        return x
    if c == 1:
        return np.concatenate([x, x, x], axis=2)
    color = x[:, :, 0:3].astype(np.float32)
    alpha = x[:, :, 3:4].astype(np.float32) / 255.0
    return (color * alpha + 255.0 * (1.0 - alpha)).clip(0, 255).astype(np.uint8)


def crop_and_resize_image(detected_map, resize_mode, h, w, fill_border_with_255=False):
    """The real geometry (resize / crop / pad); high_quality_resize's interpolation choice is simplified."""

    def resize(x, size):
        if (x.shape[0], x.shape[1]) == (size[1], size[0]):
            return x
        return cv2.resize(x, size, interpolation=cv2.INTER_AREA)

    if resize_mode == external_code.ResizeMode.RESIZE:
        return np.ascontiguousarray(resize(detected_map, (w, h)))
    old_h, old_w, _ = detected_map.shape
    k0, k1 = float(h) / old_h, float(w) / old_w
    if resize_mode == external_code.ResizeMode.OUTER_FIT:
        k = min(k0, k1)
        borders = np.concatenate([detected_map[0, :, :], detected_map[-1, :, :], detected_map[:, 0, :],
                                  detected_map[:, -1, :]], axis=0)
        color = np.median(borders, axis=0).astype(detected_map.dtype)
        if fill_border_with_255:
            color = np.zeros_like(color) + 255
        background = np.tile(color[None, None], [h, w, 1])
        detected_map = resize(detected_map, (int(np.round(old_w * k)), int(np.round(old_h * k))))
        new_h, new_w, _ = detected_map.shape
        pad_h, pad_w = max(0, (h - new_h) // 2), max(0, (w - new_w) // 2)
        background[pad_h:pad_h + new_h, pad_w:pad_w + new_w] = detected_map
        return np.ascontiguousarray(background)
    k = max(k0, k1)
    detected_map = resize(detected_map, (int(np.round(old_w * k)), int(np.round(old_h * k))))
    new_h, new_w, _ = detected_map.shape
    pad_h, pad_w = max(0, (new_h - h) // 2), max(0, (new_w - w) // 2)
    return np.ascontiguousarray(detected_map[pad_h:pad_h + h, pad_w:pad_w + w])


def judge_image_type(img):
    return isinstance(img, np.ndarray) and img.ndim == 3 and int(img.shape[2]) in [3, 4]
