"""Turn whatever image a user has into 8-bit RGB, or fail with one clear error, in bounded memory.

Handles EXIF orientation, alpha (composited on white, like a viewer shows it), palettes, grayscale, 16-bit and
32-bit integer / float images, and CMYK. Truncated, corrupt and non-image files raise ImageLoadError. Images above
MAX_PIXELS are refused; with `max_side`, big images are scaled down in their own mode (JPEG while decoding) before
any conversion, so a 178 MP float TIFF never becomes several GB of float arrays.
"""

from __future__ import annotations

import math
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's own decompression-bomb error limit (2 x its default MAX_IMAGE_PIXELS), about 13,400 x 13,400: decoded in
# its widest mode (4 bytes per pixel) such an image takes 716 MB, which keeps a whole run under ~1.5 GB.
MAX_PIXELS = 178_956_970
# Formats Pillow registers but that are not pictures a user would mean (data containers, video headers, or
# formats needing an external program or OS).
_NOT_PICTURES = {"BUFR", "GRIB", "HDF5", "MPEG", "EPS", "WMF", "FITS"}
# What decoders raise on corrupt data besides OSError (Pillow's plugins parse headers with struct and zlib; the AVIF
# plugin raises RuntimeError, PNG a ValueError for a bad IHDR length).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError, RuntimeError,
                  struct.error, zlib.error)


def supported_suffixes() -> frozenset[str]:
    """File name suffixes of every picture format this Pillow can read (AVIF where Pillow has it), lower case."""
    Image.init()
    return frozenset(ext for ext, fmt in Image.registered_extensions().items()
                     if fmt in Image.OPEN and fmt not in _NOT_PICTURES)


IMAGE_SUFFIXES = supported_suffixes()


class ImageLoadError(ValueError):
    """The file is missing, not an image, truncated, corrupt, too large or of a kind we cannot convert."""


@dataclass
class LoadedImage:
    rgb: np.ndarray  # HxWx3 uint8, upright
    file_size: tuple[int, int]  # (width, height) of the image in the file, upright; rgb is smaller if scaled


def load_image(path: str | Path, max_side: int | None = None) -> np.ndarray:
    """Read an image file as an HxWx3 uint8 RGB array, upright as its EXIF orientation says. With `max_side`, an
    image whose longer side exceeds it is scaled down by an integer factor until it does not (None: full size)."""
    return read_image(path, max_side).rgb


def read_image(path: str | Path, max_side: int | None = None) -> LoadedImage:
    """load_image, also telling the image's size in the file."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # MAX_PIXELS below says "too large" clearly; damaged files make decoders warn before they fail or not
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                _check_pixels(path, im.size)
                w, h = im.size
                factor = reduce_factor(im.size, max_side)
                if factor > 1:  # JPEG: decode at 1/2 .. 1/8 scale straight away; other formats: no-op
                    im.draft(None, (math.ceil(w / factor), math.ceil(h / factor)))
                im.load()  # decode now, inside the try, so truncated data raises here
                orientation = _orientation(im)  # after load: PNG's getexif() loads, and would hide a load error
                file_size = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
                small = shrink(im, max_side)
                if small is im:
                    return LoadedImage(_pil_to_rgb(_upright(im, orientation)), file_size)
            del im  # release the big decoded image (closing it keeps its pixels) before converting the small one
            rgb = _pil_to_rgb(_upright(small, orientation))
            return LoadedImage(rgb, file_size)
    except ImageLoadError:
        raise
    except FileNotFoundError:
        raise ImageLoadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageLoadError(f"{path}: is a folder, not an image") from None
    except PermissionError:
        raise ImageLoadError(f"{path}: permission denied") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path}: not an image (or a format Pillow cannot read)") from None
    except Image.DecompressionBombError:
        raise ImageLoadError(f"{path}: image too large (Pillow refuses it as a decompression bomb)") from None
    except MemoryError:
        raise ImageLoadError(f"{path}: not enough memory to decode this image") from None
    except _DECODE_ERRORS as exc:  # truncated or corrupt data, whatever the decoder raises for it
        raise ImageLoadError(f"{path}: cannot decode image ({type(exc).__name__}: {exc})") from None


def _check_pixels(path: Path, size: tuple[int, int]) -> None:
    w, h = size
    if w * h > MAX_PIXELS:
        raise ImageLoadError(f"{path}: image too large: {w}x{h} is {w * h / 1e6:.0f} megapixels, HandRefine reads "
                             f"up to {MAX_PIXELS / 1e6:.0f}")


def reduce_factor(size: tuple[int, int], max_side: int | None) -> int:
    """The smallest integer factor that brings the longer side of `size` down to `max_side` (1: no scaling)."""
    if not max_side:
        return 1
    return max(1, math.ceil(max(size) / max_side))


# modes Image.reduce() scales in one pass by an integer factor, with no whole-image copy (resize() makes a
# full-height intermediate; reduce() itself converts RGBA / LA whole to premultiplied alpha first)
_REDUCIBLE = {"L", "La", "RGB", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "I", "F"}


def shrink(im: Image.Image, max_side: int | None) -> Image.Image:
    """`im` scaled in its own mode, by an integer factor, until its longer side is at most `max_side` (area average;
    nearest for palettes, whose indices cannot be averaged). The same image if it is small enough."""
    factor = reduce_factor(im.size, max_side)
    if factor == 1:
        return im
    if im.mode in _REDUCIBLE:
        return im.reduce(factor)
    if im.mode in ("RGBA", "LA"):
        return _reduce_in_bands(im, factor, None)
    if im.mode.startswith("I;16"):  # reduce() lacks 16-bit modes, resize() would widen the whole image to 32 bits
        return _reduce_in_bands(im, factor, "I")
    size = (math.ceil(im.width / factor), math.ceil(im.height / factor))
    if im.mode in ("P", "PA", "1"):
        return im.resize(size, Image.NEAREST)
    try:
        return im.resize(size, Image.BOX)
    except ValueError:  # a mode Pillow cannot average
        return im.resize(size, Image.NEAREST)


def _reduce_in_bands(im: Image.Image, factor: int, work_mode: str | None, band_bytes: int = 16 << 20) -> Image.Image:
    """Image.reduce band by band (each band converted to `work_mode` first if given), so whatever copy the
    conversion or reduce() makes is one band of ~16 MB, never the whole image."""
    w, h = im.size
    rows = factor * max(1, band_bytes // (4 * w * factor))  # a multiple of factor: bands reduce like the whole
    out = None
    for y in range(0, h, rows):
        band = im.crop((0, y, w, min(h, y + rows)))
        small = (band.convert(work_mode) if work_mode else band).reduce(factor)
        if out is None:
            out = Image.new(small.mode, (math.ceil(w / factor), math.ceil(h / factor)))
        out.paste(small, (0, y // factor))
    return out


_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1 = upright), read before scaling (a scaled copy loses TIFF tags)."""
    try:
        return int(im.getexif().get(0x0112) or 1)
    except Exception:  # a corrupt EXIF block must not cost the image; show it as stored
        return 1


def _upright(im: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return im.transpose(method) if method is not None else im


def to_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """An HxWx3 uint8 RGB array from a PIL image or an array (gray, RGB, RGBA; uint8, uint16 or float)."""
    if isinstance(image, np.ndarray):
        return _array_to_rgb(image)
    return _pil_to_rgb(ImageOps.exif_transpose(image) or image)


def _pil_to_rgb(image: Image.Image) -> np.ndarray:
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
    # one float32 working copy, changed in place (float64 temporaries once cost 8x the image)
    if np.issubdtype(a.dtype, np.floating):
        work = np.nan_to_num(a.astype(np.float32), copy=False, nan=0.0, posinf=1.0, neginf=0.0)
        top = float(work.max(initial=0.0))
        work *= 255.0 if top <= 1.0 else 255.0 / max(top, 1e-6)
        work += 0.5
    elif a.dtype == np.uint16 or (np.issubdtype(a.dtype, np.integer) and a.max(initial=0) > 255):
        # 16-bit data (PIL gives mode "I" as int32 too): full 16-bit range maps to 0..255
        work = a.astype(np.float32)
        work += 128.0
        work /= 257.0
    else:
        work = a
    return np.clip(work, 0, 255, out=work if work is not a else None).astype(np.uint8)


@dataclass
class ImageScan:
    """The image files found among the inputs, and the inputs that could not be read (with why)."""

    files: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # files the `skip` predicate left out


def scan_inputs(paths: list[str | Path], skip: Callable[[Path], bool] | None = None) -> ImageScan:
    """Files given directly (whatever their suffix), plus the files inside given folders whose suffix is a format
    Pillow reads (IMAGE_SUFFIXES), sorted per folder. A folder that cannot be listed is recorded, not raised."""
    scan = ImageScan()
    for p in map(Path, paths):
        if not p.is_dir():
            scan.files.append(p)
            continue
        try:
            entries = sorted(q for q in p.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES and q.is_file())
        except OSError as exc:
            scan.unreadable.append((p, f"cannot read folder {p}: {exc.strerror or exc}"))
            continue
        for q in entries:
            (scan.skipped if skip is not None and skip(q) else scan.files).append(q)
    return scan


def list_images(paths: list[str | Path]) -> list[Path]:
    """Files given directly, plus the image files (by suffix) inside given folders, sorted."""
    return scan_inputs(paths).files
