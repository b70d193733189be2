"""Turn whatever image a user has into 8-bit RGB, or fail with one clear error.

Handles EXIF orientation, alpha (composited on white, like a viewer shows it), palettes, grayscale, 16-bit and
32-bit integer / float images, and CMYK. Truncated files and non-images raise ImageLoadError.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


class ImageLoadError(ValueError):
    """The file is missing, not an image, truncated or of a kind we cannot convert."""


def load_image(path: str | Path) -> np.ndarray:
    """Read an image file as an HxWx3 uint8 RGB array, upright as its EXIF orientation says."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()  # decode now, inside the try, so truncated data raises here
            return to_rgb_array(im)
    except FileNotFoundError:
        raise ImageLoadError(f"{path}: no such file") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path}: not an image (or a format Pillow cannot read)") from None
    except (OSError, SyntaxError) as exc:  # Pillow raises OSError("image file is truncated ...") and friends
        raise ImageLoadError(f"{path}: cannot decode image ({exc})") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(f"{path}: image too large ({exc})") from None


def to_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """An HxWx3 uint8 RGB array from a PIL image or an array (gray, RGB, RGBA; uint8, uint16 or float)."""
    if isinstance(image, np.ndarray):
        return _array_to_rgb(image)
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return _array_to_rgb(np.asarray(image))
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def _array_to_rgb(a: np.ndarray) -> np.ndarray:
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4):
        raise ImageLoadError(f"unsupported image array shape {a.shape}")
    if a.dtype != np.uint8:
        a = _to_uint8(a)
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255.0
        a = (a[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(a)


def _to_uint8(a: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.floating):
        finite = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        scale = 255.0 if finite.max(initial=0.0) <= 1.0 else 255.0 / max(float(finite.max()), 1e-6)
        return np.clip(finite * scale + 0.5, 0, 255).astype(np.uint8)
    if a.dtype == np.uint16 or (np.issubdtype(a.dtype, np.integer) and a.max(initial=0) > 255):
        # 16-bit data (PIL gives mode "I" as int32 too): full 16-bit range maps to 0..255
        return np.clip((a.astype(np.float64) + 128.0) / 257.0, 0, 255).astype(np.uint8)
    return np.clip(a, 0, 255).astype(np.uint8)


def list_images(paths: list[str | Path]) -> list[Path]:
    """Files given directly, plus the image files (by suffix) inside given folders, sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES))
        else:
            found.append(p)
    return found
