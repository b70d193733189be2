"""What in an image's look hides hands from MediaPipe, and the copy that gives the palm detector back what it needs.

Measured on transformed copies of the test photos (benchmarks/transformed_set.py), whole image at 512 px:
- Grayscale: 13 of 34 hands found. Neither detection nor presence confidence is the cause (both at 0.1: 17 of 34),
  and a crop that centres the hand does not help: the palm detector looks for skin colour. Toning the gray copy
  with a constant skin hue (CIELAB a=+15, b=+20 on the gray values) finds 24 of 34.
- Sepia and other single-tone images: 11 of 34 (plain MediaPipe); their skin has the picture's one hue, not its own.
  Found as single-tone (every colour on one hue line) and toned like grayscale: 25 of 34, no box on no hand.
- Noise (sigma 25) and film grain: 18 and 5 of 34. A Gaussian blur of sigma 2 px at the pass size finds 30 and 21.
  Blurring a clean image costs little (33 -> 32 of 34 at sigma 1), so the blur is applied only where noise is
  measured.
- Washed-out colours (copies keeping 30 % of their colour): 27 of 34; with the colours' chroma raised back to a
  photo's usual level, 30 (see MUTED_CHROMA).
- Dark (underexposed): 30 of 34; equalising the lightness locally (CLAHE) finds 34 of 34. High contrast (clipped
  shadows and highlights): 28 of 34, and no tone curve brings them back; where the whole-image pass finds nothing,
  the palm detector still ranks some of them above 0.1, so such a picture gets a weak image's extra passes.
- Blurred (Gaussian, 1/250 of the long side, at least 1.5 px): 31 of 34 (plain MediaPipe), 32 with extra passes.
  Sharpened by an unsharp mask and searched like any weak image: 34 of 34 (a blur of 3 px on every size: 28 -> 30;
  2.5x enlargements: 31 -> 34). A sharpened search proposes, the check judges the picture as it is (sharpened, a
  necklace took a hand's shape), and where the sharpened whole-image pass finds nothing the picture is also seen as
  it is (a motion blur rings when sharpened).
- Strong JPEG compression (quality 10): 27 of 34 (plain MediaPipe), 28 with extra passes; the 8 px block edges
  confuse the palm detector. The whole-image pass on the image blurred by 1 px first: 32 of 34 instead of 28 (with
  extra passes: 32). Such images are told by their block grid.
On a noisy image the whole-image and low-threshold passes also run without the blur (a colour one as it is, a
monochrome one toned): the blur hides a few hands the noise did not (2 of 34), and texture (c01's cobblestones in
its gray and sepia copies) reads as noise too. Where neither whole-image pass finds a hand, a third runs on a
median-filtered copy (7 px), which keeps the edges that the blur smooths away with heavy grain: the noise and grain
copies' hands at the whole-image pass, each alone: blur 49 of 68, median 50 (others among them), 5x5 median 44,
sigma-4 blur 36, bilateral 42; in the whole search the median adds a07's and b01's grainy hands (and 3 of 34 in
salt-and-pepper copies). On a grainy picture (noise in clumps) a fourth sees, beside it, a copy cleaned by non-local
means (NLM_STRENGTH): it averages patches that look alike, so a finger's edge survives grain that the blur and the
median cannot separate from it. Alone at the whole-image pass: grain 29 of 34 (the blur 20, the median 22); in the
whole search it adds the grainy hands of a04, b02 and b08 (27 -> 30). It costs 55-100 ms at 512 px (2 cores), so it
runs only where the other whole-image passes found nothing; on pixel noise it finds about as many as the blur.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

ANALYSIS_SIDE = 512
MONOCHROME_CHROMA = 8.0  # CIELAB chroma (0..255 scale) that 99 % of a hueless image's pixels stay under
# A single-tone image (sepia, a tinted black-and-white photo): its colours point one way in the CIELAB a/b plane.
# Pixels with a channel at the top of its range do not count: toning clips the highlights of the brighter channels,
# which turns them yellow or white off the hue line (measured: that alone made the sepia copies of a03 and c02 look
# coloured, and c02's second hand was lost). Measured on the test photos (41) and their copies, clipped pixels left
# out: sepia copies reach >= 0.995 of their chroma along one hue with 99 % of the pixels within 6.4 of that line;
# colour photos at most 0.99: a03 (a thumb on skin-coloured ground), whose spread is 11.7 upright but under 10 in its
# rotated, darkened, blurred and grainy copies, which are toned (no hand lost); warm close-ups, the cat and a child's
# rotated copies reach 0.98, darkened copies of the cat 0.983.
SINGLE_HUE_SHARE = 0.99  # length of the summed a/b vectors over the sum of their lengths
SINGLE_HUE_SPREAD = 10.0  # 99th percentile of the distance (a/b units) from the hue line
CLIPPED = 250  # a pixel with a channel from this value up is clipped: its hue is not the picture's
SKIN_TONE = (15, 20)  # CIELAB a, b offsets: a light skin hue
# The second toning, for a monochrome image where the whole-image pass on the constant hue found nothing: the same
# hue, mostly on the mid tones: fully at gray level 0.5 (of 1), fading to none 0.6 away (black and white keep a
# sixth). Measured at the whole-image pass on the gray and sepia copies: 44 of 68 hands alone (the constant hue: 47),
# 51 of 68 together. As the second pass where the first found nothing, the whole search finds one more gray hand
# (b08), and no box on no hand. A stronger hue (a=18, b=22) finds 53 together at the whole-image pass, but its
# candidates put a box on c05's gray shirt that the check lets through. Run on every monochrome image (measured with
# that stronger hue: one more hand, b07's sepia copy) the pass costs 1.34x plain MediaPipe's median time, not 1.27x.
SKIN_RAMP = (0.5, 0.6)  # gray level of the full hue, distance at which it fades out
NOISE_SIGMA = 2.5  # pixel noise (grey levels) from which a pass input is blurred first; clean photos: median 0.5
GRAIN_SIGMA = 3.5  # the same at half resolution (grain); clean photos: median 0.7, 90th percentile 2.2
MEDIAN_SIDE = 7  # px: the median filter of a noisy image's third look (Denoiser)
STRONG_NOISE_SIGMA = 5.0  # from here the blur is wider
# non-local means (Denoiser "nlm", grainy pictures): filter strength for the lightness and for the colours (grey levels;
# measured at the whole-image pass on the grain copies: 20 / 5 finds 29 of 34, 25 / 5 30 but a hand less in the
# whole search, 20 / 10 and 20 / 15 28, 15 / 10 26), patch and search window (px: a search window of 21 finds fewer
# and takes twice as long)
NLM_STRENGTH = (20.0, 5.0)
NLM_WINDOWS = (7, 11)
# JPEG blocks: in a heavily compressed image, of every 8 neighbouring pixel steps the largest falls on the block
# edge. Share of such steps on the most frequent of the 8 offsets, measured: the test photos (JPEGs themselves,
# and their copies) at most 0.45, quality-10 copies 0.52 and more (quality 20: 0.43 and more), uniform 0.125.
BLOCKY_SHARE = 0.5
BLOCK_SAMPLE = 384  # px: the centre crop the block grid is measured on (~0.1 ms)
DEBLOCK_SIGMA = 1.0  # px in the original image
# Washed-out colours (a desaturated or faded picture): the palm detector misses skin of too little colour. The level
# of colour: the 99th percentile of the CIELAB chroma among the coloured pixels (chroma >= NEUTRAL_CHROMA, so that a
# gray canvas or border does not make a colour photo on it look washed out). Measured: the test photos reach 19-87
# (median 37); copies left with 30 % of their colour 6-30 (median 12): the whole-image pass finds 27 of their 34
# hands (plain MediaPipe 28). Raised to MUTED_CHROMA (at most MAX_SATURATION times): 30, and the whole search 33
# instead of 29; on every other transform of the set no hand is lost (a few photos near the level get a slight
# raise; the factor is 1 at the level itself, so nothing jumps there).
MUTED_CHROMA = 25.0
NEUTRAL_CHROMA = 3.0
MAX_SATURATION = 3.0
DARK_HIGHLIGHTS = 128  # 95th percentile gray value; test photos >= 137, their darkened copies <= 114
# High contrast: shadows and highlights both clipped. The share of pixels with a channel at 0-1 and the share with
# one at 254-255, the smaller of the two: the test photos and all their other copies at most 0.03 (a05 upright;
# sepia f06 0.12, noise and grain copies of a05 0.15-0.21), their copies with the contrast doubled 0.008-0.76
# (median 0.15; a copy clipped on one side only stays under the level and is searched as a colour photo)
HARSH_CLIPPED = 0.05
# Blurred or soft pictures: the palm detector misses hands whose edges are gone. Sharpness: the 99th percentile of the
# second-difference response (the noise estimate's, at ANALYSIS_SIDE) per grey level of the picture's tonal range
# (1st to 99th percentile, so that a dark or flat picture is not called soft). Measured on the set: sharp copies
# >= 18 (b10 upright 19, at JPEG quality 20 18, darkened 23), blurred copies 4.3-13.6 (a blur of 3 px on every size:
# up to 11.6); 2x and 2.5x enlargements of the 224 px photos are soft too (down to 8), and so is a small picture on a
# plain canvas four times its size (the canvas dominates; the picture alone is searched as well)
BLURRY_SHARPNESS = 15.0
SHARPEN_SIGMA = 2.0  # px of the pass input: the unsharp mask that gives a blurred one its edges back
SHARPEN_AMOUNT = 1.0
MIN_TONAL_RANGE = 32.0  # grey levels: a flatter picture's sharpness is judged as if it had this range
_SECOND_DIFFERENCE = np.array([1, -2, 1], np.float32)  # Immerkaer's 3x3 kernel is its outer product with itself


# "blur": a Gaussian blur by the noise measured (the usual pass input); "none": as it is (texture read as noise);
# "median": a median filter, which keeps edges (heavy grain); "nlm": non-local means (keeps a finger's edges in grain;
# slow)
Denoiser = Literal["blur", "median", "nlm", "none"]
# "flat": the skin hue on every gray level (tone_skin, the usual); "ramp": mostly on the mid tones (tone_skin_ramp)
Toning = Literal["flat", "ramp"]


@dataclass(frozen=True)
class Appearance:
    monochrome: bool  # no hue of its own: grayscale or a single-tone (sepia) image
    noise: float  # estimated pixel noise sigma in grey levels at ANALYSIS_SIDE
    grain: float  # the same at half that resolution
    highlights: float  # 95th percentile of the gray values: under DARK_HIGHLIGHTS the whole picture is dark
    chroma: float  # 99th percentile of the coloured pixels' CIELAB chroma: under MUTED_CHROMA they are washed out
    sharpness: float = math.inf  # edge strength per grey level of range: under BLURRY_SHARPNESS the picture is soft
    clipped: float = 0.0  # share of the pixels clipped in the shadows or in the highlights, whichever is smaller
    denoiser: Denoiser = "blur"  # how `prepare` takes a noisy image's noise out
    toning: Toning = "flat"  # how `prepare` gives a monochrome image its skin hue
    sharpen: bool = True  # whether `prepare` sharpens a blurry image (the hand check sees it as it is)

    @property
    def dark(self) -> bool:
        return self.highlights < DARK_HIGHLIGHTS

    @property
    def adjusted(self) -> bool:
        """Whether this image is weak for detection: its pass inputs are toned, blurred, sharpened or brightened,
        and it gets extra passes (a muted image's colours are raised too, but then it is found as well as a colour
        photo)."""
        return self.monochrome or self.noisy or self.dark or self.blurry

    @property
    def harsh(self) -> bool:
        """High contrast: shadows and highlights both clipped (nothing in `prepare` undoes it)."""
        return self.clipped >= HARSH_CLIPPED

    @property
    def weak(self) -> bool:
        """Whether hands hide here more than in a clean photo: an adjusted image or a high-contrast one. Where the
        whole-image pass finds nothing, such an image gets extra passes (a high-contrast one only then: counted as
        adjusted, a 3x3 grid with clipped photos in it lost a hand to the weak images' lower tile confidence)."""
        return self.adjusted or self.harsh

    @property
    def blurry(self) -> bool:
        """Blurred or soft (a noisy picture's edges are noise: it is not judged on them)."""
        return self.sharpness < BLURRY_SHARPNESS and not self.noisy

    @property
    def muted(self) -> bool:
        """Washed-out colours (a desaturated or faded picture), but not monochrome."""
        return not self.monochrome and self.chroma < MUTED_CHROMA

    @property
    def noisy(self) -> bool:
        return blur_for_noise(self.noise, self.grain) > 0

    @property
    def grainy(self) -> bool:
        """Noisy with the noise in clumps (film grain; also coarse texture): more of it at half resolution."""
        return self.noisy and self.grain > self.noise

    def notes(self) -> list[str]:
        """Plain-language warnings for a plan: conditions under which detection is known to be weaker."""
        out = []
        if self.monochrome:
            out.append("grayscale or single-tone image: hand detection is less reliable (MediaPipe relies on "
                       "skin colour)")
        if self.noisy:
            out.append(f"noisy or grainy image (~{max(self.noise, self.grain):.0f} grey levels): hand detection is "
                       "less reliable")
        if self.dark:
            out.append("dark image: hand detection is less reliable")
        if self.blurry:
            out.append("blurred or soft image: hand detection is less reliable")
        if self.harsh:
            out.append("high-contrast image (clipped shadows and highlights): hand detection is less reliable")
        return out


def analyse(small: np.ndarray) -> Appearance:
    """Appearance of an RGB image already scaled to about ANALYSIS_SIDE px (under a millisecond)."""
    step = max(1, round(max(small.shape[:2]) / 128))  # colour and tone statistics need no more than ~128 px
    sample = np.ascontiguousarray(small[::step, ::step])
    lab = cv2.cvtColor(sample, cv2.COLOR_RGB2LAB)
    sample_gray = cv2.cvtColor(sample, cv2.COLOR_RGB2GRAY)
    highlights = _percentile(sample_gray, 95)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    fine_counts = _second_differences(gray)
    fine, coarse = _noise_of(fine_counts), noise_sigma(_half(gray))
    tonal_range = max(MIN_TONAL_RANGE, _percentile(sample_gray, 99) - _percentile(sample_gray, 1))
    # the strength of the sharpest edges (the 99th percentile response) per grey level of range
    edges = math.inf if fine_counts is None else _quantile(fine_counts, 0.99)
    sharpness = edges * 255.0 / tonal_range
    a = lab[..., 1].astype(np.float32) - 128.0
    b = lab[..., 2].astype(np.float32) - 128.0
    chroma = np.hypot(a, b)
    # the most colourful 1 % of the pixels: a colour photo pasted on a gray canvas still has them
    vivid = _percentile(chroma, 99)
    # how colourful the picture is: the same among its coloured pixels, so that a neutral canvas or border does not
    # make a colour photo on it look washed out
    coloured = chroma[chroma >= NEUTRAL_CHROMA]
    level = _percentile(coloured, 99) if coloured.size >= 0.01 * chroma.size else vivid
    # HSV's value is max(R, G, B), and OpenCV computes it ~10x faster than numpy's max over the channels
    unclipped = cv2.cvtColor(sample, cv2.COLOR_RGB2HSV)[..., 2] < CLIPPED
    if np.count_nonzero(unclipped) < 0.01 * unclipped.size:  # a blown-out picture: judge it on all its pixels
        unclipped[...] = True
    monochrome = vivid < MONOCHROME_CHROMA or _single_hue(a[unclipped], b[unclipped], chroma[unclipped])
    return Appearance(monochrome, fine, coarse, highlights, level, sharpness, _clipped_share(sample))


def _clipped_share(sample: np.ndarray) -> float:
    """The smaller of the shares of pixels with a channel at the bottom (0-1) and at the top (254-255)."""
    low = cv2.min(cv2.min(sample[..., 0], sample[..., 1]), sample[..., 2])
    high = cv2.max(cv2.max(sample[..., 0], sample[..., 1]), sample[..., 2])
    return min(np.count_nonzero(low <= 1), np.count_nonzero(high >= 254)) / max(low.size, 1)


def _single_hue(a: np.ndarray, b: np.ndarray, chroma: np.ndarray) -> bool:
    """Whether every colour lies on one hue (sepia, a tint); a, b: CIELAB a/b around 0, chroma: their length."""
    sum_a, sum_b = float(a.sum()), float(b.sum())
    length = math.hypot(sum_a, sum_b)
    if length == 0.0 or length < SINGLE_HUE_SHARE * float(chroma.sum()):
        return False
    off_line = np.abs(a * (sum_b / length) - b * (sum_a / length))
    return _percentile(off_line, 99) < SINGLE_HUE_SPREAD


def _percentile(values: np.ndarray, q: float) -> float:
    """np.percentile's default (linear) percentile of all values, by one partition (a tenth of the time: this runs
    on every image)."""
    flat = values.ravel()
    pos = q / 100 * (flat.size - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    part = np.partition(flat, (lo, hi))
    return float(part[lo] + (float(part[hi]) - float(part[lo])) * (pos - lo))


def noise_sigma(gray: np.ndarray) -> float:
    """Immerkaer's noise estimate with a median instead of a mean, so that edges and texture barely count."""
    return _noise_of(_second_differences(gray))


def _noise_of(counts: np.ndarray | None) -> float:
    # median |N * I| of Gaussian noise is 0.6745 * 6 sigma (the kernel's L2 norm is 6)
    return 0.0 if counts is None else _quantile(counts, 0.5) / (0.6745 * 6.0)


def _second_differences(gray: np.ndarray) -> np.ndarray | None:
    """Cumulative histogram of the |second-difference| response (Immerkaer's 3x3 kernel) on every 2nd pixel,
    saturated to uint8 (the quantiles of interest are far below 255); None for an image under 8 px."""
    if min(gray.shape) < 8:
        return None
    # as two separable passes (exactly the 3x3 kernel's integers, in 60 % of the time)
    response = cv2.sepFilter2D(gray, cv2.CV_16S, _SECOND_DIFFERENCE, _SECOND_DIFFERENCE)[1:-1:2, 1:-1:2]
    response = cv2.convertScaleAbs(np.ascontiguousarray(response))
    return np.cumsum(cv2.calcHist([response], [0], None, [256], [0, 256]).ravel())


def _quantile(counts: np.ndarray, q: float) -> float:
    return float(np.searchsorted(counts, counts[-1] * q))


def noise_levels(gray: np.ndarray) -> tuple[float, float]:
    """Noise at full and at half resolution: pixel noise shows in the first, grain (noise in clumps of 2 px or more,
    also pixel noise in an enlarged crop) in the second."""
    return noise_sigma(gray), noise_sigma(_half(gray))


def _half(gray: np.ndarray) -> np.ndarray:
    return cv2.resize(gray, (max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2)), interpolation=cv2.INTER_AREA)


def blur_for_noise(fine: float, coarse: float) -> float:
    """Gaussian sigma (px) that takes measured noise out of a pass input; 0 for a clean one."""
    if fine < NOISE_SIGMA and coarse < GRAIN_SIGMA:
        return 0.0
    sigma = 2.0 if max(fine, coarse) >= STRONG_NOISE_SIGMA else 1.2
    return sigma * 1.5 if coarse > fine else sigma  # clumped noise needs a wider blur


def blockiness(rgb: np.ndarray) -> float:
    """How strongly an image shows JPEG's 8 px block grid (0.125: not at all, 1: every block edge), measured in the
    original's pixels (a resized copy has lost the grid), on every 4th row and column of a centre crop."""
    h, w = rgb.shape[:2]
    y0, x0 = max(0, (h - BLOCK_SAMPLE) // 2), max(0, (w - BLOCK_SAMPLE) // 2)
    green = rgb[y0:y0 + BLOCK_SAMPLE, x0:x0 + BLOCK_SAMPLE, 1]
    return (_edge_phase_share(np.ascontiguousarray(green[::4]))
            + _edge_phase_share(np.ascontiguousarray(green[:, ::4].T))) / 2


def _edge_phase_share(rows: np.ndarray) -> float:
    """Of every 8 neighbouring steps along the rows, which offset holds the largest: the share of the most frequent
    (flat stretches, whose steps are all under 3 grey levels, do not count; ties count for every offset)."""
    steps = cv2.absdiff(rows[:, 1:], rows[:, :-1])
    n = steps.shape[1] // 8 * 8
    if n < 16:
        return 0.0
    phases = [steps[:, p:n:8] for p in range(8)]
    top = np.maximum.reduce(phases)
    textured = top >= 3
    if np.count_nonzero(textured) < 64:
        return 0.0
    hits = [np.count_nonzero((phase == top) & textured) for phase in phases]
    return max(hits) / sum(hits)


def deblock(rgb: np.ndarray) -> np.ndarray:
    """The image with its JPEG block edges blurred away if it shows them, else the image itself."""
    return cv2.GaussianBlur(rgb, (0, 0), DEBLOCK_SIGMA) if blockiness(rgb) > BLOCKY_SHARE else rgb


def tone_skin(rgb: np.ndarray) -> np.ndarray:
    """A monochrome image as skin-hued: the gray values as CIELAB lightness, constant a/b (the measured variant).
    Stretching the gray to the full range first (sepia is brighter than its gray) was measured too: on the sepia
    copies one hand more and another lost, on the darkened a03 (which looks single-tone) its hand lost."""
    return _toned(rgb, ramp=False)


def tone_skin_ramp(rgb: np.ndarray) -> np.ndarray:
    """A monochrome image with the skin hue mostly on its mid tones, fading towards black and white (the second
    toning: where the constant hue of `tone_skin` finds nothing, this one sometimes does; see SKIN_RAMP)."""
    return _toned(rgb, ramp=True)


def _toned(rgb: np.ndarray, ramp: bool) -> np.ndarray:
    """The toning of every pixel depends on its gray value alone: one table lookup per channel (the same pixels as
    converting the whole image from CIELAB; at 512 px 0.65 instead of 0.95 ms, the ramp 0.63 instead of 1.5 ms:
    this runs on every pass of a gray image)."""
    gray = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    return cv2.LUT(gray, _SKIN_TABLES[ramp])


def _skin_ramp_weight(gray: np.ndarray) -> np.ndarray:
    """The share of the skin hue each gray level gets in the ramp toning (SKIN_RAMP)."""
    return np.clip(1.0 - np.abs(gray.astype(np.float32) / 255.0 - SKIN_RAMP[0]) / SKIN_RAMP[1], 0.0, 1.0)


def _skin_hued(gray: np.ndarray, weight: float | np.ndarray) -> np.ndarray:
    """RGB with `gray` as CIELAB lightness and the skin hue SKIN_TONE times `weight` (per pixel or for all)."""
    lab = np.empty((*gray.shape, 3), np.uint8)
    lab[..., 0] = gray
    lab[..., 1] = 128 + SKIN_TONE[0] * weight
    lab[..., 2] = 128 + SKIN_TONE[1] * weight
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


_LEVELS = np.arange(256, dtype=np.uint8)[None, :]
# the toned RGB of every gray level, per channel (cv2.LUT's layout: 1 x 256 x 3), flat and ramp
_SKIN_TABLES = {False: _skin_hued(_LEVELS, 1.0), True: _skin_hued(_LEVELS, _skin_ramp_weight(_LEVELS))}


def denoise(rgb: np.ndarray) -> np.ndarray:
    """Blur by the noise measured in this very pass input (a zoomed tile has other noise than the whole image)."""
    sigma = blur_for_noise(*noise_levels(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)))
    return cv2.GaussianBlur(rgb, (0, 0), sigma) if sigma else rgb


def denoise_nonlocal(rgb: np.ndarray) -> np.ndarray:
    """Non-local means (OpenCV's, which works in CIELAB from BGR input) at NLM_STRENGTH."""
    bgr = cv2.fastNlMeansDenoisingColored(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), None, *NLM_STRENGTH, *NLM_WINDOWS)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def sharpen(rgb: np.ndarray) -> np.ndarray:
    """An unsharp mask: the edges a blur took away, back (SHARPEN_AMOUNT times the detail lost at SHARPEN_SIGMA)."""
    blurred = cv2.GaussianBlur(rgb, (0, 0), SHARPEN_SIGMA)
    return cv2.addWeighted(rgb, 1.0 + SHARPEN_AMOUNT, blurred, -SHARPEN_AMOUNT, 0.0)


def brighten(rgb: np.ndarray) -> np.ndarray:
    """Local contrast equalisation of the lightness (CLAHE), colours kept."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(2.0, (8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def prepare(rgb: np.ndarray, look: Appearance) -> np.ndarray:
    """The pass input the palm detector sees best, from a pass input of an image with this appearance."""
    out = rgb
    if look.noisy and look.denoiser == "blur":
        out = denoise(out)
    elif look.noisy and look.denoiser == "median":
        out = cv2.medianBlur(out, MEDIAN_SIDE)
    elif look.noisy and look.denoiser == "nlm":
        out = denoise_nonlocal(out)
    if look.blurry and look.sharpen:
        out = sharpen(out)
    if look.dark:
        out = brighten(out)
    if look.monochrome:
        out = tone_skin_ramp(out) if look.toning == "ramp" else tone_skin(out)
    elif look.muted:
        out = saturate(out, min(MAX_SATURATION, MUTED_CHROMA / max(look.chroma, 1.0)))
    return out


def saturate(rgb: np.ndarray, factor: float) -> np.ndarray:
    """The colours `factor` times as far from their gray, gray kept (the inverse of a desaturation; ~0.1 ms at
    512 px)."""
    gray = cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    return cv2.addWeighted(rgb, factor, gray, 1.0 - factor, 0.0)
