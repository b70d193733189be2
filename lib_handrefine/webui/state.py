"""The nested-pass protocol: how each of HandRefine's hooks learns which pass it is in, and finds its data.

HandRefine's Script is always-on, so the WebUI calls its hooks for two kinds of processing object `p`:

- the user's generation ("outer" pass). `process` reads the settings; when HandRefine is enabled it attaches a
  `Run` (settings, per-image results, debug images), which `postprocess_image` / `postprocess` then use. An X/Y/Z
  plot cell's copy of `p` may also carry per-cell overrides that its axes set (`xyz_overrides`).
- each nested inpaint pass HandRefine itself starts, one per hand region ("inner" pass). It runs through the
  WebUI's own `process_images` with a runner holding ControlNet (our unit) and our own script, so our hooks fire
  there too. `mark_inner` attaches a `PassState`; outer-only hooks see `is_inner(p)` and return at once, while the
  per-step hooks (the mask blend) read the pass's data from it.

The attributes live on `p` because the WebUI hands hooks nothing else that is per-generation: script instances are
shared by every generation of a tab, and X/Y/Z copies `p` shallowly per cell. Nothing outside this module reads
or writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from ..settings import HandRefineSettings

_RUN = "_handrefine_run"  # outer p: Run
_XYZ = "_handrefine_xyz"  # outer p (an X/Y/Z cell's copy): dict of setting overrides
_PASS = "_handrefine_pass"  # inner p: PassState

Box = tuple[int, int, int, int]


@dataclass
class Run:
    """HandRefine's state for one outer generation, kept on its processing object."""

    settings: HandRefineSettings
    skip_main_pass: bool = False
    results: dict[int, str] = field(default_factory=dict)  # generation-wide image index -> result summary
    debug: list[tuple[int, str, Image.Image]] = field(default_factory=list)
    uncounted: set[int] = field(default_factory=set)  # iterations whose skipped main pass left the job count
    error: str | None = None  # invalid settings: no hand pass; with skip_main_pass the input is returned as it was

    def result_for_infotext(self, **kwargs: Any) -> str | None:
        """Our `HandRefine result` entry, called by create_infotext with its locals (A1111 1.10 and Forge alike).

        Per image, process_images_inner calls create_infotext(p, p.prompts, ..., index=i): `all_prompts` is then
        the current batch's p.prompts and `index` is the position in that batch, so the generation-wide index is
        p.iteration * p.batch_size + i. Other callers (Processed.infotext) pass generation-wide lists and derive
        `index` from iteration and position_in_batch, which is generation-wide already.
        """
        p = kwargs.get("p")
        index = kwargs.get("index")
        if index is None:
            index = kwargs.get("iteration", 0) * getattr(p, "batch_size", 1) + kwargs.get("position_in_batch", 0)
        elif p is not None and not kwargs.get("use_main_prompt") and kwargs.get("all_prompts") is getattr(
                p, "prompts", None):
            index += getattr(p, "iteration", 0) * getattr(p, "batch_size", 1)
        return self.results.get(index)


@dataclass
class PassState:
    """What one of our own nested passes carries for the hooks that run inside it."""

    region: int  # index of the region this pass repaints
    schedule: Any = None  # lib_handrefine.schedule.ExpansionSchedule when sequential mask expansion is on
    cores: list[Box] = field(default_factory=list)  # the region's hands, unpadded, in full-image pixels


# ----- outer pass -----
def set_run(p: Any, run: Run) -> None:
    setattr(p, _RUN, run)


def run_of(p: Any) -> Run | None:
    """The outer generation's Run; None when HandRefine is off for it, and always None inside our own passes."""
    return None if is_inner(p) else getattr(p, _RUN, None)


def xyz_overrides(p: Any) -> dict[str, Any]:
    return dict(getattr(p, _XYZ, None) or {})


def add_xyz_override(p: Any, name: str, value: Any) -> None:
    """Override one setting for this X/Y/Z cell only: a new dict, since the cell's p is a shallow copy."""
    setattr(p, _XYZ, {**xyz_overrides(p), name: value})


# ----- inner passes -----
def mark_inner(p: Any, state: PassState) -> None:
    setattr(p, _PASS, state)


def is_inner(p: Any) -> bool:
    return pass_of(p) is not None


def pass_of(p: Any) -> PassState | None:
    return getattr(p, _PASS, None)
