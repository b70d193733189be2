"""Double of modules/shared_total_tqdm.py: the console's "Total progress" bar, as numbers instead of a drawn bar.

As in the real one, the bar is created at its first update (or updateTotal) with
total = state.job_count * state.sampling_steps at that moment; update() adds one per sampling step; updateTotal()
replaces the total; both do nothing without opts.multiple_tqdm or with --disable-console-progressbars.
`total` / `n` are what the real bar's `_tqdm.total` / `_tqdm.n` would be; `finished` records (total, n) at each
clear(), i.e. what the bar showed when the generation ended.
"""

from __future__ import annotations


class TotalTQDM:
    def __init__(self) -> None:
        self.total: int | None = None
        self.n = 0
        self.finished: list[tuple[int | None, int]] = []  # double-only

    def _enabled(self) -> bool:
        from modules import shared

        return bool(shared.opts.multiple_tqdm) and not getattr(shared.cmd_opts, "disable_console_progressbars", False)

    def reset(self) -> None:
        from modules import shared

        self.total = shared.state.job_count * shared.state.sampling_steps
        self.n = 0

    def update(self) -> None:
        if not self._enabled():
            return
        if self.total is None:
            self.reset()
        self.n += 1

    def updateTotal(self, new_total: int) -> None:
        if not self._enabled():
            return
        if self.total is None:
            self.reset()
        self.total = new_total

    def clear(self) -> None:
        if self.total is not None:
            self.finished.append((self.total, self.n))
        self.total = None
        self.n = 0
