"""Double of modules/shared_total_tqdm.py: counts updates instead of drawing a progress bar."""

from __future__ import annotations


class TotalTQDM:
    def __init__(self) -> None:
        self.total: int | None = None
        self.n = 0

    def reset(self) -> None:
        self.n = 0

    def update(self) -> None:
        from modules import shared

        if shared.opts.multiple_tqdm:
            self.n += 1

    def updateTotal(self, new_total: int) -> None:
        self.total = new_total

    def clear(self) -> None:
        self.total = None
        self.n = 0
