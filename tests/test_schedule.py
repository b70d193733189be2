import numpy as np
import pytest

from lib_handrefine.schedule import ExpansionSchedule, latent_core


def _masks(ring=32, share=0.6, free=2, total=20):
    real = np.zeros((64, 64), np.float32)
    real[10:50, 12:52] = 1
    core = np.zeros((64, 64), bool)
    core[22:38, 24:40] = True
    return ExpansionSchedule(ring, share, free).all_masks(total, real, core), real, core


def test_schedule_properties():
    masks, real, core = _masks()
    assert masks.shape == (20, 64, 64) and masks.min() >= 0 and masks.max() <= 1
    masked = masks[:-2]
    assert all((b >= a - 1e-6).all() for a, b in zip(masked, masked[1:])), "monotone: never re-keeps a pixel"
    assert masked[0].sum() == min(m.sum() for m in masked), "the first step keeps the most"
    assert np.array_equal(masked[-1], real), "the last masked step is the real mask"
    assert (masks[-2:] == 1).all(), "the last two steps are unmasked"
    assert all((m[core] == 1).all() for m in masks), "the hand core is free at every step"
    assert (masks[:-2][:, real == 0] == 0).all(), "nothing outside the real mask is generated while masked"
    ring = (real == 1) & ~core
    assert (masked[0][ring] < 1).any() and masked[0][ring].min() == 0.0, "the ring starts kept"


def test_release_is_gradual_not_in_latent_pixel_jumps():
    masks, real, core = _masks(ring=64, share=1.0, free=0, total=40)
    values = np.unique(np.round(masks[:, 30, 14], 3))  # a pixel in the ring, 2 latent px inside the border
    assert ((values > 0) & (values < 1)).any(), "soft intermediate values appear"


@pytest.mark.parametrize("free", [0, 2])
def test_unmasked_final_steps_option(free):
    masks, real, _ = _masks(free=free, total=10)
    assert (masks[10 - free:] == 1).all()
    assert np.array_equal(masks[9 - free], real)


def test_zero_ring_is_plain_inpainting():
    masks, real, _ = _masks(ring=0, free=0)
    assert all(np.array_equal(m, real) for m in masks)


def test_repaint_mask_caches_and_clamps_the_step():
    real = np.ones((8, 8), np.float32)
    s = ExpansionSchedule(16, 0.5, 1)
    a = s.repaint_mask(0, 5, real, np.zeros((8, 8), bool))
    assert s.repaint_mask(99, 5, real, np.zeros((8, 8), bool)).min() == 1.0
    assert a.shape == (8, 8)


def test_latent_core_follows_the_crop():
    core = latent_core([(100, 100, 140, 180)], (80, 80, 160, 160), (400, 400), (20, 20))
    ys, xs = np.nonzero(core)
    assert xs.min() == 2 and ys.min() == 2 and xs.max() == 7 and ys.max() == 12
