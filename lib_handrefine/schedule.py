"""Sequential mask expansion ("Giving a Hand to Diffusion Models", Pelykh et al. 2024), adapted to hand repair.

The paper keeps a generated hand and outpaints the body, dilating the kept hand mask once per step and shrinking
it back to the real mask by the last step, so border artefacts are replaced by kept content early and harmonised
later; the last steps run unmasked. Here the roles swap: the kept region is the picture around the hand and the
generated region is the padded hand mask. The kept context therefore starts grown into a ring inside the mask and
is released toward the real mask boundary step by step, while the hand itself (where the wrong fingers are) is free
from the first step. Masks are soft at latent resolution, so the ring is released gradually, not in 8 px jumps.

Everything here is plain numpy on one latent-sized mask; the WebUI hook maps it onto its tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

LATENT_SCALE = 8  # one latent pixel covers 8x8 image pixels
SOFTNESS = 1.0  # width of the soft edge, latent pixels


@dataclass
class ExpansionSchedule:
    ring_px: int  # width of the kept ring at the first step, image pixels of the pass
    release_share: float  # share of the masked steps over which the ring is released
    unmasked_final_steps: int  # last steps with no masking at all (the paper uses 2)
    _cache: dict = field(default_factory=dict, repr=False)

    def repaint_mask(self, step: int, total: int, real: np.ndarray, core: np.ndarray) -> np.ndarray:
        """The repaint mask (1 = generate, 0 = keep) for denoiser call `step` of `total`.

        real: the pass's actual repaint mask at latent size (0/1). core: where the hand itself is (bool), always free.
        """
        key = (total, real.shape, real.tobytes().__hash__(), core.tobytes().__hash__())
        masks = self._cache.get(key)
        if masks is None:
            masks = self.all_masks(total, real, core)
            self._cache.clear()
            self._cache[key] = masks
        return masks[min(max(step, 0), total - 1)]

    def all_masks(self, total: int, real: np.ndarray, core: np.ndarray) -> np.ndarray:
        """[total, h, w] float32 repaint masks, one per denoiser call."""
        real = (np.asarray(real, np.float32) > 0.5).astype(np.float32)
        core = np.asarray(core, bool) & (real > 0)
        # latent pixels from the nearest kept (outside) pixel; the array border counts as inside
        inside_distance = cv2.distanceTransform(real.astype(np.uint8), cv2.DIST_L2, 5)
        ring = self.ring_px / LATENT_SCALE
        total = max(1, int(total))
        free = min(max(0, self.unmasked_final_steps), total)
        masked = total - free
        out = np.ones((total, *real.shape), np.float32)
        for i in range(masked):
            progress = 1.0 if masked == 1 else i / (masked - 1)
            released = min(1.0, progress / max(self.release_share, 1e-6))
            kept_width = ring * (1.0 - released)
            soft = np.clip((inside_distance - kept_width) / SOFTNESS + 0.5, 0.0, 1.0) if kept_width > 0 else 1.0
            mask = real * soft
            mask[core] = 1.0
            out[i] = mask
        return out


def latent_core(core_boxes: list[tuple[int, int, int, int]], paste_to: tuple[int, int, int, int] | None,
                image_size: tuple[int, int], latent_shape: tuple[int, int]) -> np.ndarray:
    """Boolean latent-sized mask of the hand cores, mapped through the pass's "only masked" crop `paste_to`
    (x, y, w, h in image pixels; None = the whole image)."""
    width, height = image_size
    x, y, w, h = paste_to if paste_to else (0, 0, width, height)
    full = np.zeros((height, width), np.float32)
    for x0, y0, x1, y1 in core_boxes:
        full[max(0, y0):y1, max(0, x0):x1] = 1.0
    crop = full[y:y + h, x:x + w]
    lh, lw = latent_shape
    if crop.size == 0:
        return np.zeros((lh, lw), bool)
    return cv2.resize(crop, (lw, lh), interpolation=cv2.INTER_AREA) > 0.01
