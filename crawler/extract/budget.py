"""The limits every page gets: a size cap, an element cap and a time budget (`time_budget`, `ExtractionTimeout`)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

MAX_INPUT_BYTES = 8 * 1024 * 1024
MAX_ELEMENTS = 60_000
TIME_BUDGET_SECONDS = 20.0


class ExtractionTimeout(BaseException):
    """Raised inside extraction when the per-page time budget is spent.

    A BaseException, so that the `except Exception` blocks trafilatura wraps around its slow parts (readability,
    justext, the recall pass) cannot swallow it and let the page run on without a limit.
    """


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Interrupt the block with `ExtractionTimeout` after `seconds` (main thread on Unix; else no limit)."""
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise ExtractionTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
