"""Bad and unusual input: a correct RGB array or one clear ImageLoadError, never a crash or a hang."""

import io
import json
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from lib_handrefine import imageio
from lib_handrefine.imageio import (
    IMAGE_SUFFIXES,
    MAX_PIXELS,
    ImageLoadError,
    list_images,
    load_image,
    read_image,
    scan_inputs,
    to_rgb_array,
)

from .conftest import HANDS_DIR, ROOT


def _save(tmp_path, image: Image.Image, name: str, **kw):
    path = tmp_path / name
    image.save(path, **kw)
    return path


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L", "1", "CMYK", "I;16", "I", "F"])
def test_modes_become_rgb_uint8(tmp_path, mode):
    base = Image.new("RGB", (40, 30), (200, 100, 50))
    wide = mode in ("I;16", "I", "F")
    im = Image.new(mode, (40, 30), 0.5 if mode == "F" else 40000) if wide else base.convert(mode)
    arr = to_rgb_array(im)
    assert arr.shape == (30, 40, 3) and arr.dtype == np.uint8


def test_sixteen_bit_png_scales_to_eight_bits(tmp_path):
    a = np.full((20, 20), 65535, dtype=np.uint16)
    a[:10] = 0
    path = tmp_path / "g16.png"
    Image.fromarray(a).save(path)
    rgb = load_image(path)
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[-1, -1].tolist() == [255, 255, 255]


def test_rgba_transparent_pixels_become_white():
    im = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert to_rgb_array(im)[0, 0].tolist() == [255, 255, 255]


def test_cmyk_jpeg(tmp_path):
    path = _save(tmp_path, Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "cmyk.jpg")
    rgb = load_image(path)
    assert rgb.shape == (32, 32, 3)
    assert rgb[..., 0].mean() > 200 and rgb[..., 1].mean() < 60  # red survives the CMYK round trip


def test_exif_orientation_is_applied(tmp_path):
    im = Image.new("RGB", (60, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° CW on display
    path = _save(tmp_path, im, "rot.jpg", exif=exif.tobytes())
    assert load_image(path).shape == (60, 20, 3)


def test_truncated_file_is_a_clear_error(tmp_path):
    data = (HANDS_DIR / "d01_sd_malformed_1.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match="cut.jpg"):
        load_image(path)


def test_not_an_image_and_missing_file(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is text")
    with pytest.raises(ImageLoadError, match="not an image"):
        load_image(path)
    with pytest.raises(ImageLoadError, match="no such file"):
        load_image(tmp_path / "missing.png")


def test_array_inputs():
    assert to_rgb_array(np.zeros((5, 6), np.uint8)).shape == (5, 6, 3)
    assert to_rgb_array(np.ones((5, 6, 4), np.float32))[0, 0].tolist() == [255, 255, 255]
    with pytest.raises(ImageLoadError):
        to_rgb_array(np.zeros((5, 6, 2), np.uint8))


def test_list_images_takes_folders_and_files(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "b.txt").write_text("x")
    (tmp_path / "d.avif").write_bytes(b"x")
    other = tmp_path / "c.jpg"
    found = list_images([tmp_path, other])
    avif = ["d.avif"] if _pillow_reads_avif() else []
    assert [p.name for p in found] == ["a.png", *avif, "c.jpg"]


def _pillow_reads_avif() -> bool:
    buf = io.BytesIO()
    try:
        Image.new("RGB", (8, 8)).save(buf, "AVIF")
        buf.seek(0)
        Image.open(buf).load()
    except (KeyError, OSError, ValueError):
        return False
    return True


def test_folder_suffixes_are_the_formats_pillow_reads():
    assert {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"} <= IMAGE_SUFFIXES
    assert (".avif" in IMAGE_SUFFIXES) == _pillow_reads_avif()  # one list: a folder's .avif is read iff one is
    assert not {".txt", ".json", ".h5", ".mpg"} & IMAGE_SUFFIXES


def test_scan_records_what_it_skips(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "a.png_mask.png").write_bytes(b"x")
    scan = scan_inputs([tmp_path, tmp_path / "missing"], skip=lambda p: p.name.endswith("_mask.png"))
    assert [p.name for p in scan.files] == ["a.png", "missing"]  # a missing file fails later, when it is read
    assert [p.name for p in scan.skipped] == ["a.png_mask.png"] and scan.unreadable == []


# ----- corrupt files: whatever the decoder raises becomes one ImageLoadError -----
def _png_with_ihdr_length(n: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(buf, "PNG")
    data = buf.getvalue()
    return data[:8] + struct.pack(">I", n) + data[12:]  # Pillow raises ValueError("Truncated IHDR chunk")


def _corrupt_avif() -> bytes:
    """A real AVIF whose image data is zeroed (the AVIF plugin raises RuntimeError); without AVIF support in this
    Pillow, AVIF-looking bytes it cannot identify."""
    if not _pillow_reads_avif():
        return b"\x00\x00\x00 ftypavif\x00\x00\x00\x00avifmif1miafMA1B" + bytes(300)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(buf, "AVIF")
    data = buf.getvalue()
    start = data.find(b"mdat") + 4
    return data[:start] + bytes(len(data) - start)


def _broken_zlib_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    idat = data.find(b"IDAT") + 4
    data[idat:idat + 8] = b"\xff" * 8  # not a zlib stream
    return bytes(data)


@pytest.mark.parametrize(("name", "make"), [
    ("ihdr.png", lambda: _png_with_ihdr_length(5)),
    ("bad.avif", _corrupt_avif),
    ("zlib.png", _broken_zlib_png),
    ("cut.tif", lambda: _tiff_bytes()[:300]),
])
def test_corrupt_files_are_one_clear_error(tmp_path, name, make):
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(ImageLoadError, match=name):
        load_image(path, max_side=4096)


def _tiff_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 100, 50)).save(buf, "TIFF")
    return buf.getvalue()


def test_folder_and_permission_problems_are_clear_errors(tmp_path):
    with pytest.raises(ImageLoadError, match="is a folder"):
        load_image(tmp_path)


def test_too_many_pixels_is_a_clear_error(tmp_path, monkeypatch):
    header_only = _png_header(20_000, 20_000)  # 400 MP claimed by an 80-byte file
    path = tmp_path / "huge.png"
    path.write_bytes(header_only)
    with pytest.raises(ImageLoadError, match="too large"):  # Pillow's own decompression-bomb check
        load_image(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # as a host program may set it: our limit still holds
    limit = f"{MAX_PIXELS / 1e6:.0f}"
    with pytest.raises(ImageLoadError, match=rf"too large: 20000x20000 is 400 megapixels, .* up to {limit}"):
        load_image(path)


def _png_header(width: int, height: int) -> bytes:
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


# ----- big images: scaled in their own mode, before any conversion -----
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "1", "I;16", "I", "F", "CMYK"])
def test_max_side_scales_every_mode_by_an_integer_factor(tmp_path, mode):
    value = {"RGB": (200, 100, 50), "RGBA": (200, 100, 50, 255), "P": 7, "1": 1, "I;16": 65535, "I": 65535,
             "F": 1.0, "CMYK": (0, 0, 0, 0)}[mode]
    path = _save(tmp_path, Image.new(mode, (1000, 300), value), "wide.tif")
    loaded = read_image(path, max_side=256)
    assert loaded.rgb.shape == (75, 250, 3) and loaded.file_size == (1000, 300)  # factor 4
    assert loaded.rgb.dtype == np.uint8
    if mode in ("1", "I;16", "I", "F", "CMYK"):
        assert loaded.rgb.min() == 255  # full scale stays full scale through the scaling


@pytest.mark.parametrize(("mode", "work_mode"), [("RGBA", None), ("LA", None), ("I;16", "I")])
def test_scaling_in_bands_equals_scaling_whole(mode, work_mode):
    rng = np.random.default_rng(0)
    if mode == "I;16":
        im = Image.fromarray(rng.integers(0, 65536, (301, 203), dtype=np.uint16))
    else:
        im = Image.fromarray(rng.integers(0, 256, (301, 203, 4), dtype=np.uint8)).convert(mode)
    whole = (im.convert(work_mode) if work_mode else im).reduce(3)
    banded = imageio._reduce_in_bands(im, 3, work_mode, band_bytes=5000)  # bands of 6 rows
    assert banded.mode == whole.mode and banded.size == whole.size == (68, 101)
    assert np.array_equal(np.asarray(banded), np.asarray(whole))


def test_exif_orientation_survives_scaling(tmp_path):
    im = Image.new("RGB", (1200, 400), (255, 0, 0))
    im.paste((0, 0, 255), (0, 0, 100, 400))  # blue on the left edge as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° CW on display: the stored left edge becomes the top
    path = _save(tmp_path, im, "rot.jpg", exif=exif.tobytes(), quality=95)
    loaded = read_image(path, max_side=300)
    assert loaded.file_size == (400, 1200) and loaded.rgb.shape == (300, 100, 3)
    assert loaded.rgb[2, 50, 2] > 200 and loaded.rgb[-3, 50, 0] > 200


# Peak memory of this process image in MB: VmHWM, because ru_maxrss keeps the forking parent's (pytest's) peak.
_PEAK = textwrap.dedent("""
    import json, resource, sys
    sys.path.insert(0, sys.argv[1])
    from lib_handrefine.imageio import load_image

    def peak_mb():
        try:
            with open("/proc/self/status") as status:
                return next(int(ln.split()[1]) for ln in status if ln.startswith("VmHWM")) / 1024
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    base = peak_mb()
    rgb = load_image(sys.argv[2], max_side=1024)
    print(json.dumps({"shape": rgb.shape, "extra_mb": peak_mb() - base, "peak_mb": peak_mb()}))
""")


@pytest.mark.parametrize(("mode", "suffix", "bytes_per_pixel"), [("F", "tif", 4), ("I;16", "png", 2),
                                                                  ("RGBA", "png", 4)])
def test_big_wide_images_decode_in_bounded_memory(tmp_path, mode, suffix, bytes_per_pixel):
    """A 4000x4000 float TIFF (64 MB decoded) once took 6x its decoded size as float arrays, a 16-bit PNG 11x, and
    scaling an RGBA image copies it whole (premultiplied alpha); now the decoded image plus a little (scaled in its
    own mode; 16-bit and alpha in bands). benchmarks/bench_memory.py measures 13370x13370 files and CLI runs."""
    side = 4000
    path = tmp_path / f"big.{suffix}"
    kw = {"compression": "tiff_adobe_deflate"} if suffix == "tif" else {"compress_level": 1}
    Image.new(mode, (side, side), {"F": 0.5, "I;16": 40000, "RGBA": (200, 100, 50, 128)}[mode]).save(path, **kw)
    assert path.stat().st_size < 2_000_000
    run = subprocess.run([sys.executable, "-c", _PEAK, str(ROOT), str(path)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    decoded_mb = side * side * bytes_per_pixel / 2**20
    assert result["shape"] == [1000, 1000, 3]  # 4000 > 1024: factor 4
    assert result["extra_mb"] < 1.2 * decoded_mb + 60, result  # + bands, the small image, conversions


def test_load_real_png_with_alpha_channel_from_bytes():
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10), (10, 20, 30, 255)).save(buf, "PNG")
    buf.seek(0)
    assert to_rgb_array(Image.open(buf))[0, 0].tolist() == [10, 20, 30]
