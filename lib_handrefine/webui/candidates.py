"""Run one region's pass for N candidates: one sampling call with batch size N, one by one when that does not fit.

The WebUI gives a batch consecutive seeds (seed, seed + 1, ...), so candidate k of the batch is the same image that
a one-image pass with seed + k would make; on a GPU the batch runs in parallel rather than N times over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image

OUT_OF_MEMORY_SIGNS = ("out of memory", "can't allocate memory", "not enough memory", "failed to allocate")


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA, MPS and CPU allocators say it in different words and exception types."""
    text = f"{type(exc).__name__} {exc}".lower()
    return "outofmemory" in text.replace(" ", "") or any(sign in text for sign in OUT_OF_MEMORY_SIGNS)


def sample_candidates(build: Callable[[int, int], Any], attempts: int) -> list[Image.Image]:
    """Candidate images of one region. `build(seed_offset, batch_size)` returns the region's pass, ready to run.

    Returns fewer than `attempts` images when the user interrupts or skips; raises what the pass raises, except
    running out of memory with a batch, which falls back to one candidate per call."""
    from modules import shared

    try:
        return _run(build(0, attempts), attempts)
    except Exception as exc:
        if attempts == 1 or not is_out_of_memory(exc):
            raise
        print(f"HandRefine: {attempts} candidates do not fit in memory at once ({exc}); running them one by one")
        _free_memory()
    shared.state.job_count += attempts - 1  # the batch was one job; each single pass is one
    images: list[Image.Image] = []
    for k in range(attempts):
        if shared.state.interrupted or shared.state.skipped:
            break
        images += _run(build(k, 1), 1)
    return images


def _run(p2: Any, count: int) -> list[Image.Image]:
    from modules import processing, shared

    try:
        processed = processing.process_images(p2)
    finally:
        p2.close()
    if shared.state.interrupted or shared.state.skipped:
        return []  # a stopped pass returns half-denoised images: none of them is a candidate
    # the batch's images come first; extensions may append more (e.g. ControlNet's detected maps)
    return [image.convert("RGB") for image in processed.images[:count]]


def _free_memory() -> None:
    try:
        from modules import devices

        devices.torch_gc()
    except Exception:  # a WebUI without torch_gc: nothing to free
        pass
