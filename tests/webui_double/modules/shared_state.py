"""Double of modules/shared_state.py: the job/progress State object (``shared.state``)."""

from __future__ import annotations

import datetime
import time
from typing import Any


class State:
    skipped = False
    interrupted = False
    stopping_generation = False
    job = ""
    job_no = 0
    job_count = 0
    processing_has_refined_job_count = False
    job_timestamp = "0"
    sampling_step = 0
    sampling_steps = 0
    current_latent = None
    current_image = None
    current_image_sampling_step = 0
    id_live_preview = 0
    textinfo = None
    time_start: float | None = None

    def __init__(self) -> None:
        self.server_start = time.time()

    def skip(self) -> None:
        self.skipped = True

    def interrupt(self) -> None:
        self.interrupted = True

    def stop_generating(self) -> None:
        self.stopping_generation = True

    def nextjob(self) -> None:
        self.job_no += 1
        self.sampling_step = 0
        self.current_image_sampling_step = 0

    def dict(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in (
                "skipped",
                "interrupted",
                "stopping_generation",
                "job",
                "job_count",
                "job_timestamp",
                "job_no",
                "sampling_step",
                "sampling_steps",
            )
        }

    def begin(self, job: str = "(unknown)") -> None:
        """Reset counters and flags for a new job; ``job_count`` becomes -1 (filled in by process_images_inner)."""
        self.sampling_step = 0
        self.time_start = time.time()
        self.job_count = -1
        self.processing_has_refined_job_count = False
        self.job_no = 0
        self.job_timestamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
        self.current_latent = None
        self.current_image = None
        self.current_image_sampling_step = 0
        self.id_live_preview = 0
        self.skipped = False
        self.interrupted = False
        self.stopping_generation = False
        self.textinfo = None
        self.job = job

    def end(self) -> None:
        self.job = ""
        self.job_count = 0

    def set_current_image(self) -> None:
        """Live preview from the latent is not simulated (no-op)."""

    def do_set_current_image(self) -> None:
        """Live preview from the latent is not simulated (no-op)."""

    def assign_current_image(self, image: Any) -> None:
        from modules import shared

        if shared.opts.live_previews_image_format == "jpeg" and getattr(image, "mode", None) in ("RGBA", "P"):
            image = image.convert("RGB")
        self.current_image = image
        self.id_live_preview += 1
