"""Urgent work first: a decoding thread waits while an urgent section is open, never past its bound or its stop."""

from __future__ import annotations

import threading
import time

from jarvis.cpu import CpuPriority


def test_no_urgent_work_no_wait() -> None:
    priority = CpuPriority()
    assert priority.yield_to_urgent(lambda: False, 1.0) == 0.0
    assert not priority.busy


def test_waits_until_the_urgent_section_closes() -> None:
    priority = CpuPriority()
    entered = threading.Event()
    release = threading.Event()

    def urgent_work() -> None:
        with priority.urgent():
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=urgent_work)
    worker.start()
    entered.wait(5)
    assert priority.busy
    threading.Timer(0.2, release.set).start()
    waited = priority.yield_to_urgent(lambda: False, 5.0)
    # It returned because the section closed, not because of its bound.
    assert release.is_set() and not priority.busy and waited < 4.0
    worker.join(5)


def test_nested_sections_all_have_to_close() -> None:
    priority = CpuPriority()
    with priority.urgent():
        with priority.urgent():
            assert priority.busy
        assert priority.busy
        assert priority.yield_to_urgent(lambda: False, 0.1) >= 0.1
    assert not priority.busy


def test_the_wait_is_bounded_and_stops_with_the_caller() -> None:
    priority = CpuPriority()
    with priority.urgent():
        started = time.monotonic()
        assert priority.yield_to_urgent(lambda: False, 0.2) >= 0.2
        assert priority.yield_to_urgent(lambda: True, 5.0) < 0.1
        assert time.monotonic() - started < 4.0
