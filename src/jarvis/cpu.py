"""Sharing a small CPU between engines: the audio a listener is waiting for comes first.

On 2 cores, the LLM writing the rest of a reply and the voice synthesizing its first sentence each want both cores;
run together, each takes about twice as long, and the listener waits for the slower voice. While an urgent section
is open (audio nobody has yet, the listener in silence), LLM decoding waits between two tokens. The LLM catches up
while the first sentence plays.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Between two checks of the caller's stop condition while it waits for the urgent work.
_POLL_SECONDS = 0.05


class CpuPriority:
    def __init__(self) -> None:
        self._urgent = 0
        self._changed = threading.Condition()

    @property
    def busy(self) -> bool:
        return self._urgent > 0

    @contextmanager
    def urgent(self) -> Iterator[None]:
        """Open an urgent section (any thread): work that yields waits until every urgent section is closed."""
        with self._changed:
            self._urgent += 1
        try:
            yield
        finally:
            with self._changed:
                self._urgent -= 1
                self._changed.notify_all()

    def yield_to_urgent(self, stopped: Callable[[], bool], max_seconds: float) -> float:
        """Block (in a worker thread) while an urgent section is open, at most `max_seconds` and not after
        `stopped()`; return the seconds waited."""
        if not self._urgent:
            return 0.0
        started = time.monotonic()
        with self._changed:
            while self._urgent and not stopped():
                left = max_seconds - (time.monotonic() - started)
                if left <= 0:
                    break
                self._changed.wait(min(_POLL_SECONDS, left))
        return time.monotonic() - started


# The machine's cores are one resource for the whole process.
cpu_priority = CpuPriority()
