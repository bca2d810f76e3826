"""A progress bar on stderr for scans that take more than a second on a terminal."""

from __future__ import annotations

import sys
import time

SHOW_AFTER_SECONDS = 1.0


class ProgressBar:
    """A ``progress(done, total)`` callback that appears only once a scan has run for a while."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._progress = None
        self._task = None

    @staticmethod
    def wanted(quiet: bool) -> bool:
        return not quiet and sys.stderr.isatty()

    def __call__(self, done: int, total: int, phase: str = "checking") -> None:
        if self._progress is None:
            if (done >= total and phase == "checking") or time.monotonic() - self._started < SHOW_AFTER_SECONDS:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task(phase, total=total)
        self._progress.update(self._task, description=phase, completed=done, total=total)
        if done >= total and phase == "checking":
            self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
