"""Double of Forge lib_controlnet/utils.py (the parts the ControlNet script uses for one simple-mode unit)."""

from __future__ import annotations

import cv2
import numpy as np
from modules import processing
from PIL import Image, ImageFilter, ImageOps

from lib_controlnet import external_code


def align_dim_latent(x: int) -> int:
    return (x // 8) * 8


def prepare_mask(mask: Image.Image, p: processing.StableDiffusionProcessing) -> Image.Image:
    """L, optional invert, then the same separable Gaussian blur as A1111's img2img init."""
    mask = mask.convert("L")
    if getattr(p, "inpainting_mask_invert", False):
        mask = ImageOps.invert(mask)
    if hasattr(p, "mask_blur_x"):
        if getattr(p, "mask_blur_x", 0) > 0:
            k = 2 * int(2.5 * p.mask_blur_x + 0.5) + 1
            mask = Image.fromarray(cv2.GaussianBlur(np.array(mask), (k, 1), p.mask_blur_x))
        if getattr(p, "mask_blur_y", 0) > 0:
            k = 2 * int(2.5 * p.mask_blur_y + 0.5) + 1
            mask = Image.fromarray(cv2.GaussianBlur(np.array(mask), (1, k), p.mask_blur_y))
    elif getattr(p, "mask_blur", 0) > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(p.mask_blur))
    return mask


def HWC3(x: np.ndarray) -> np.ndarray:
    """modules_forge.utils.HWC3: [H, W(, 1|3|4)] uint8 -> [H, W, 3] (alpha over white)."""
    if x.ndim == 2:
        x = x[:, :, None]
    c = x.shape[2]
    if c == 3:
        return x
    if c == 1:
        return np.concatenate([x, x, x], axis=2)
    color = x[:, :, 0:3].astype(np.float32)
    alpha = x[:, :, 3:4].astype(np.float32) / 255.0
    return (color * alpha + 255.0 * (1.0 - alpha)).clip(0, 255).astype(np.uint8)


def crop_and_resize_image(detected_map: np.ndarray, resize_mode, h: int, w: int,
                          fill_border_with_255: bool = False) -> np.ndarray:
    """Resize (RESIZE), pad to fit (OUTER_FIT, border median or 255) or cover and centre-crop (INNER_FIT)."""
    if resize_mode == external_code.ResizeMode.RESIZE:
        return cv2.resize(detected_map, (w, h), interpolation=cv2.INTER_AREA)
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
        resized = cv2.resize(detected_map, (int(np.round(old_w * k)), int(np.round(old_h * k))),
                             interpolation=cv2.INTER_AREA)
        new_h, new_w, _ = resized.shape
        pad_h, pad_w = max(0, (h - new_h) // 2), max(0, (w - new_w) // 2)
        background[pad_h:pad_h + new_h, pad_w:pad_w + new_w] = resized
        return background
    k = max(k0, k1)
    resized = cv2.resize(detected_map, (int(np.round(old_w * k)), int(np.round(old_h * k))),
                         interpolation=cv2.INTER_AREA)
    new_h, new_w, _ = resized.shape
    pad_h, pad_w = max(0, (new_h - h) // 2), max(0, (new_w - w) // 2)
    return resized[pad_h:pad_h + h, pad_w:pad_w + w]
