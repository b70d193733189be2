"""Bad and unusual input: a correct RGB array or one clear ImageLoadError, never a crash or a hang."""

import io

import numpy as np
import pytest
from PIL import Image

from lib_handrefine.imageio import ImageLoadError, list_images, load_image, to_rgb_array

from .conftest import HANDS_DIR


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
    other = tmp_path / "c.jpg"
    found = list_images([tmp_path, other])
    assert [p.name for p in found] == ["a.png", "c.jpg"]


def test_load_real_png_with_alpha_channel_from_bytes():
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10), (10, 20, 30, 255)).save(buf, "PNG")
    buf.seek(0)
    assert to_rgb_array(Image.open(buf))[0, 0].tolist() == [10, 20, 30]
