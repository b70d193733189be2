"""What hides hands from MediaPipe (grayscale, noise) is recognised, and the prepared copy keeps the picture."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from benchmarks.transformed_set import FAMILIES
from lib_handrefine.appearance import (
    ANALYSIS_SIDE,
    BLOCKY_SHARE,
    MUTED_CHROMA,
    NOISE_SIGMA,
    SKIN_RAMP,
    SKIN_TONE,
    analyse,
    blockiness,
    deblock,
    denoise,
    noise_levels,
    prepare,
    tone_skin,
    tone_skin_ramp,
)
from lib_handrefine.imageio import list_images, load_image
from lib_handrefine.search import shrink

from .conftest import HANDS_DIR


def _gray(rgb):
    return cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)


@pytest.mark.parametrize("name", ["b04_hagrid_four_b.jpg", "c07_photo_woman_lying.jpeg", "f04_nohand_cat.png"])
def test_grayscale_and_colour_are_told_apart(name):
    rgb = load_image(HANDS_DIR / name)
    assert not analyse(rgb).monochrome
    gray = analyse(_gray(rgb))
    assert gray.monochrome and any("grayscale" in n for n in gray.notes())


@pytest.mark.parametrize("name", ["b04_hagrid_four_b.jpg", "c07_photo_woman_lying.jpeg", "f04_nohand_cat.png",
                                  "d01_sd_malformed_1.jpg"])
def test_sepia_is_single_tone_and_a_warm_colour_photo_is_not(name):
    """A sepia picture has colour, but only the one hue: its skin is no cue, so it is toned like a gray one."""
    rgb = load_image(HANDS_DIR / name)
    assert not analyse(rgb).monochrome
    assert analyse(FAMILIES["sepia"](rgb)[0]).monochrome
    tinted = np.clip(_gray(rgb).astype(np.float32) * [1.0, 0.9, 0.75], 0, 255).astype(np.uint8)  # a warm tint
    assert analyse(tinted).monochrome


@pytest.mark.parametrize("name", ["a03_photo_thumb_up_1920.png", "c02_photo_business_person.png"])
def test_sepia_with_clipped_highlights_is_still_single_tone(name):
    """Toning clips the brighter channels of a bright picture's highlights, which leaves them off the sepia hue
    (yellow, white): they do not count, or the picture passes for a colour photo and loses hands."""
    rgb = shrink(load_image(HANDS_DIR / name), ANALYSIS_SIDE)
    sepia = FAMILIES["sepia"](rgb)[0]
    assert (sepia.max(axis=2) >= 250).mean() > 0.02  # what this test is about: clipped highlights
    assert analyse(sepia).monochrome
    assert not analyse(rgb).monochrome


@pytest.mark.parametrize("name", ["b04_hagrid_four_b.jpg", "c07_photo_woman_lying.jpeg", "b03_hagrid_four_a.jpg"])
def test_washed_out_colours_are_raised_and_the_lightness_kept(name):
    """A desaturated copy has colour, too little for the palm detector: its chroma is raised to a photo's usual
    level; the colour photo is left as it is, and a grayscale copy is toned instead."""
    rgb = load_image(HANDS_DIR / name)
    assert not analyse(rgb).muted and prepare(rgb, analyse(rgb)) is rgb
    assert not analyse(_gray(rgb)).muted
    muted = FAMILIES["muted"](rgb)[0]
    look = analyse(muted)
    assert look.muted and not look.monochrome and look.notes() == []
    raised = prepare(muted, look)
    assert look.chroma < 0.9 * MUTED_CHROMA < analyse(raised).chroma < 1.2 * MUTED_CHROMA
    lightness = [cv2.cvtColor(im, cv2.COLOR_RGB2LAB)[..., 0].astype(int) for im in (muted, raised)]
    assert np.abs(lightness[0] - lightness[1]).mean() < 2


@pytest.mark.parametrize("name", ["b10_hagrid_rock_tiny.jpg", "c07_photo_woman_lying.jpeg", "d01_sd_malformed_1.jpg",
                                  "c02_photo_business_person.png"])
def test_heavy_jpeg_blocks_are_found_and_blurred_away(name):
    rgb = load_image(HANDS_DIR / name)  # b10 is the most compressed of the test photos
    assert blockiness(rgb) < BLOCKY_SHARE and deblock(rgb) is rgb
    blocky = FAMILIES["jpeg10"](rgb)[0]  # JPEG quality 10
    assert blockiness(blocky) > BLOCKY_SHARE
    smooth = deblock(blocky)
    steps = [np.abs(np.diff(im[..., 1].astype(int), axis=1)).mean() for im in (blocky, smooth)]
    assert smooth.shape == blocky.shape and steps[1] < 0.9 * steps[0]  # the block edges are blurred
    # a copy moved by 3 px has its grid elsewhere: still found
    assert blockiness(blocky[3:, 3:]) > BLOCKY_SHARE


def test_blockiness_of_flat_and_tiny_images_is_nil():
    assert blockiness(np.full((300, 300, 3), 128, np.uint8)) == 0.0
    assert blockiness(np.zeros((10, 12, 3), np.uint8)) == 0.0


def test_noise_and_grain_are_measured_clean_photos_are_not_noisy():
    rgb = load_image(HANDS_DIR / "d01_sd_malformed_1.jpg")
    rng = np.random.default_rng(0)
    noisy = np.clip(rgb + rng.normal(0, 25, rgb.shape), 0, 255).astype(np.uint8)
    grain = cv2.resize(rng.normal(0, 30, (256, 256)).astype(np.float32), (512, 512))
    grainy = np.clip(rgb + grain[..., None], 0, 255).astype(np.uint8)
    assert not analyse(rgb).noisy and analyse(rgb).notes() == []
    assert analyse(noisy).noisy and analyse(grainy).noisy
    fine, coarse = noise_levels(cv2.cvtColor(noisy, cv2.COLOR_RGB2GRAY))
    assert fine > 3 * NOISE_SIGMA > coarse / 3
    assert denoise(rgb) is rgb  # a clean pass input is not touched
    assert cv2.cvtColor(denoise(noisy), cv2.COLOR_RGB2GRAY).std() < cv2.cvtColor(noisy, cv2.COLOR_RGB2GRAY).std()


@pytest.mark.parametrize("name", ["d01_sd_malformed_1.jpg", "b04_hagrid_four_b.jpg"])
def test_a_noisy_image_is_seen_blurred_median_filtered_or_as_it_is(name):
    """The three pass inputs of a noisy image: blurred (the usual), median-filtered (keeps edges in heavy grain) and
    unblurred (texture read as noise); the latter two are asked for by the search, not by the image."""
    grainy = FAMILIES["grain"](load_image(HANDS_DIR / name))[0]
    look = analyse(grainy)
    assert look.noisy and look.denoiser == "blur" and not (look.dark or look.muted or look.monochrome)
    assert prepare(grainy, replace(look, denoiser="none")) is grainy
    blurred, median = prepare(grainy, look), prepare(grainy, replace(look, denoiser="median"))
    assert _grain_of(blurred) < _grain_of(grainy) / 3 and _grain_of(median) < _grain_of(grainy) / 2
    assert _edge_energy(median) > _edge_energy(blurred)  # the median keeps edges sharper than the blur


@pytest.mark.parametrize("name", ["d01_sd_malformed_1.jpg", "b04_hagrid_four_b.jpg"])
def test_non_local_means_comes_closest_to_the_clean_picture_in_grain(name):
    """The fourth pass input of a grainy image: non-local means takes most of the grain out (like the blur and the
    median) and leaves the picture nearer the clean original than either (it averages patches that look alike, so
    edges are not averaged away with the grain)."""
    clean = load_image(HANDS_DIR / name)
    grainy = FAMILIES["grain"](clean)[0]
    look = analyse(grainy)
    assert look.grainy and not analyse(FAMILIES["noise"](clean)[0]).grainy  # clumped noise, not pixel noise
    cleaned = prepare(grainy, replace(look, denoiser="nlm"))
    assert cleaned.shape == grainy.shape and _grain_of(cleaned) < _grain_of(grainy) / 5

    def distance(rgb):
        return float(np.abs(rgb.astype(np.float32) - clean).mean())

    assert distance(cleaned) < min(distance(prepare(grainy, look)), distance(prepare(grainy, replace(
        look, denoiser="median"))))
    assert prepare(clean, replace(analyse(clean), denoiser="nlm")) is clean  # a clean picture is not touched


def test_high_contrast_is_told_from_the_photos():
    """Shadows and highlights both clipped: the contrast-doubled copies of the photos whose hands the whole-image
    pass misses there; no shared picture (white ground, dark room) is taken for one."""
    for path in list_images([HANDS_DIR]):
        assert not analyse(shrink(load_image(path), ANALYSIS_SIDE)).harsh, path.name
    for name in ("a05_photo_hand_banana_224.jpg", "b03_hagrid_four_a.jpg", "c07_photo_woman_lying.jpeg"):
        look = analyse(shrink(FAMILIES["contrast"](load_image(HANDS_DIR / name))[0], ANALYSIS_SIDE))
        assert look.harsh and look.weak and any("high-contrast" in n for n in look.notes()), name


def _grain_of(rgb):
    return max(noise_levels(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)))


def _edge_energy(rgb):
    return float(np.abs(cv2.Sobel(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.CV_32F, 1, 0)).mean())


def test_skin_tone_keeps_lightness():
    gray = _gray(load_image(HANDS_DIR / "a01_photo_thumb_up.jpg"))
    toned = tone_skin(gray)
    r, g, b = (toned[..., i].astype(int) for i in range(3))
    mid = (gray[..., 0] > 60) & (gray[..., 0] < 200)
    assert (r[mid] > g[mid]).mean() > 0.95 and (g[mid] > b[mid]).mean() > 0.95  # warm, skin-like
    toned_gray = cv2.cvtColor(toned, cv2.COLOR_RGB2GRAY).ravel().astype(float)
    assert np.corrcoef(toned_gray, gray[..., 0].ravel())[0, 1] > 0.99  # the picture itself is unchanged
    assert prepare(gray, analyse(gray)).shape == gray.shape


def test_skin_ramp_tones_the_mid_tones_only():
    ramp = np.repeat(np.linspace(0, 255, 256).astype(np.uint8)[None, :, None], 3, axis=2)  # black to white
    toned = tone_skin_ramp(ramp)
    lab = cv2.cvtColor(toned, cv2.COLOR_RGB2LAB).astype(int)
    chroma = np.hypot(lab[0, :, 1] - 128, lab[0, :, 2] - 128)
    assert chroma[128] > 20 and max(chroma[:10].max(), chroma[-10:].max()) < 0.3 * chroma[128]  # mid gray most
    r, g, b = (toned[0, 100:160, i].astype(int) for i in range(3))
    assert (r > g).all() and (g > b).all()  # warm, skin-like
    assert np.abs(cv2.cvtColor(toned, cv2.COLOR_RGB2GRAY).astype(int) - ramp[..., 0]).max() < 12  # lightness kept
    gray = _gray(load_image(HANDS_DIR / "b08_hagrid_none_b.jpg"))
    assert not np.array_equal(prepare(gray, replace(analyse(gray), toning="ramp")), prepare(gray, analyse(gray)))


def test_toning_by_table_is_the_cielab_conversion_pixel_for_pixel():
    # the toned pixel depends on its gray level alone: the lookup table must give exactly what converting the whole
    # image from CIELAB gives (the hue the detection was measured with), for gray, sepia and colour input
    rgb = load_image(HANDS_DIR / "c07_photo_woman_lying.jpeg")
    for image in (rgb, _gray(rgb), FAMILIES["sepia"](rgb)[0]):
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        lab = np.empty((*gray.shape, 3), np.uint8)
        lab[..., 0] = gray
        for toned, weight in ((tone_skin(image), 1.0), (tone_skin_ramp(image), np.clip(
                1.0 - np.abs(gray.astype(np.float32) / 255.0 - SKIN_RAMP[0]) / SKIN_RAMP[1], 0.0, 1.0))):
            lab[..., 1] = 128 + SKIN_TONE[0] * weight
            lab[..., 2] = 128 + SKIN_TONE[1] * weight
            assert np.array_equal(toned, cv2.cvtColor(lab, cv2.COLOR_LAB2RGB))


@pytest.mark.parametrize("name", [
    "a05_photo_hand_banana_224.jpg", "b10_hagrid_rock_tiny.jpg", "c01_photo_fullbody_stretch.jpg",
])
def test_blurred_pictures_are_told_from_sharp_ones(name):
    # the softest sharp copies (b10 upright, JPEG at quality 20, darkened) against the sharpest blurred ones (a05,
    # c01 at their blur); noise is no sharpness
    rgb = load_image(HANDS_DIR / name)
    for family in ("mirror", "jpeg20", "dark", "contrast", "noise", "half"):
        assert not analyse(shrink(FAMILIES[family](rgb)[0], ANALYSIS_SIDE)).blurry, family
    blurred = analyse(shrink(FAMILIES["blur"](rgb)[0], ANALYSIS_SIDE))
    assert blurred.blurry and any("blurred" in n for n in blurred.notes())


def test_sharpening_gives_edges_back_and_keeps_the_picture():
    rgb = load_image(HANDS_DIR / "b04_hagrid_four_b.jpg")
    blurred = FAMILIES["blur"](rgb)[0]
    look = analyse(blurred)
    sharpened = prepare(blurred, look)
    assert _edge_energy(sharpened) > 1.2 * _edge_energy(blurred)
    assert abs(float(sharpened.mean()) - float(blurred.mean())) < 2.0
    assert prepare(blurred, replace(look, sharpen=False)) is blurred  # as it is
