"""Endpointing on plain booleans: when speech starts, when an utterance ends (32 ms steps, like one VAD frame)."""

from __future__ import annotations

import pytest

from jarvis.pipeline.endpointing import Boundary, Endpointer

STEP = 0.032  # one 512-sample frame at 16 kHz


def run(endpointer: Endpointer, pattern: list[bool]) -> list[tuple[int, Boundary]]:
    """Feed one step per boolean; return (0-based step index, boundary) for every boundary."""
    out: list[tuple[int, Boundary]] = []
    for index, is_speech in enumerate(pattern):
        boundary = endpointer.feed(STEP, is_speech)
        if boundary is not None:
            out.append((index, boundary))
    return out


def make() -> Endpointer:
    return Endpointer(min_speech_seconds=0.15, silence_seconds=0.6, max_utterance_seconds=2.0)


def started() -> Endpointer:
    endpointer = make()
    assert run(endpointer, [True] * 5) == [(4, Boundary.START)]
    return endpointer


def test_short_blips_never_start() -> None:
    endpointer = make()
    # Four speech steps (0.128 s < 0.15 s) separated by silence, over and over.
    assert run(endpointer, ([True] * 4 + [False]) * 20) == []
    assert not endpointer.in_speech


def test_silence_alone_never_starts() -> None:
    endpointer = make()
    assert run(endpointer, [False] * 200) == []
    assert not endpointer.in_speech


def test_a_silent_step_restarts_the_speech_run() -> None:
    endpointer = make()
    assert run(endpointer, [True] * 4 + [False] + [True] * 4) == []
    # The fifth speech step in a row (counted since the silence) is the start.
    assert endpointer.feed(STEP, True) is Boundary.START


@pytest.mark.parametrize(
    ("min_speech_seconds", "start_step"),
    [(0.15, 5), (0.16, 5), (0.161, 6), (0.032, 1), (0.096, 3)],
)
def test_start_exactly_when_the_run_reaches_min_speech(min_speech_seconds: float, start_step: int) -> None:
    endpointer = Endpointer(min_speech_seconds=min_speech_seconds)
    for _ in range(start_step - 1):
        assert endpointer.feed(STEP, True) is None
        assert not endpointer.in_speech
    assert endpointer.feed(STEP, True) is Boundary.START
    assert endpointer.in_speech
    # Further speech is the same utterance: no second START.
    assert run(endpointer, [True] * 20) == []


def test_short_pause_inside_speech_does_not_end_it() -> None:
    endpointer = started()
    # 18 silent steps = 0.576 s < 0.6 s, then speech again, twice over.
    assert run(endpointer, ([False] * 18 + [True] * 3) * 2) == []
    assert endpointer.in_speech


def test_end_after_silence_seconds_of_silence() -> None:
    endpointer = started()
    assert run(endpointer, [True] * 10) == []
    # 0.6 s / 0.032 s = 18.75: the 19th silent step (0.608 s) ends the utterance, not the 18th.
    assert run(endpointer, [False] * 19) == [(18, Boundary.END)]
    assert not endpointer.in_speech


def test_end_at_max_utterance_even_while_speech_continues() -> None:
    endpointer = Endpointer(min_speech_seconds=0.15, silence_seconds=0.6, max_utterance_seconds=1.0)
    boundaries = run(endpointer, [True] * 35)  # 4 more speech steps after the END: not yet a new START
    # START at step 5 (0.16 s of utterance), then +0.032 s a step: 0.16 + 27 * 0.032 = 1.024 >= 1.0 at step 32.
    assert boundaries == [(4, Boundary.START), (31, Boundary.END)]
    assert not endpointer.in_speech


def test_max_utterance_counts_pauses_too() -> None:
    endpointer = Endpointer(min_speech_seconds=0.15, silence_seconds=0.6, max_utterance_seconds=1.0)
    # Speech with pauses shorter than silence_seconds: only the length limit can end it.
    pattern = [True] * 5 + ([False] * 10 + [True] * 2) * 5
    boundaries = run(endpointer, pattern)
    assert boundaries == [(4, Boundary.START), (31, Boundary.END)]


def test_it_starts_again_after_an_end() -> None:
    endpointer = started()
    assert run(endpointer, [False] * 19) == [(18, Boundary.END)]
    # The silence that ended the first utterance does not count towards the next one.
    assert run(endpointer, [True] * 4) == []
    assert endpointer.feed(STEP, True) is Boundary.START
    assert run(endpointer, [False] * 19) == [(18, Boundary.END)]


def test_it_starts_again_after_an_end_at_max_utterance() -> None:
    endpointer = Endpointer(min_speech_seconds=0.15, silence_seconds=0.6, max_utterance_seconds=1.0)
    boundaries = run(endpointer, [True] * 66)
    # Continuous speech: START, END at the limit, then a fresh START five steps later, and so on.
    assert boundaries == [
        (4, Boundary.START),
        (31, Boundary.END),
        (36, Boundary.START),
        (63, Boundary.END),
    ]


def test_reset_forgets_a_partial_speech_run() -> None:
    endpointer = make()
    assert run(endpointer, [True] * 4) == []
    endpointer.reset()
    assert run(endpointer, [True] * 4) == []
    assert endpointer.feed(STEP, True) is Boundary.START


def test_reset_abandons_an_utterance_without_end() -> None:
    endpointer = started()
    endpointer.reset()
    assert not endpointer.in_speech
    # Not in speech any more: silence never produces an END.
    assert run(endpointer, [False] * 100) == []
    # And a new utterance needs the full min_speech run again.
    assert run(endpointer, [True] * 5) == [(4, Boundary.START)]


def test_reset_restarts_the_silence_and_length_counters() -> None:
    endpointer = Endpointer(min_speech_seconds=0.15, silence_seconds=0.6, max_utterance_seconds=1.0)
    assert run(endpointer, [True] * 5 + [False] * 15) == [(4, Boundary.START)]
    endpointer.reset()
    assert run(endpointer, [True] * 5) == [(4, Boundary.START)]
    # Silence counted afresh: 18 silent steps are not enough, whatever came before the reset.
    assert run(endpointer, [False] * 18) == []
    assert endpointer.in_speech


def test_pause_and_resume_for_early_recognition() -> None:
    endpointer = Endpointer(min_speech_seconds=0.1, silence_seconds=0.6, pause_seconds=0.2)
    boundaries = [endpointer.feed(0.05, True) for _ in range(4)]
    assert boundaries[1] is Boundary.START
    silent = [endpointer.feed(0.05, False) for _ in range(4)]
    assert silent == [None, None, None, Boundary.PAUSE]  # after 0.2 s of silence, once
    assert endpointer.feed(0.05, False) is None
    assert endpointer.feed(0.05, True) is Boundary.RESUME  # the speaker went on: drop the early work
    again = [endpointer.feed(0.05, False) for _ in range(12)]
    assert again.count(Boundary.PAUSE) == 1
    assert again[-1] is Boundary.END
    assert again.index(Boundary.PAUSE) < again.index(Boundary.END)


def test_no_pause_without_pause_seconds() -> None:
    endpointer = Endpointer(min_speech_seconds=0.1, silence_seconds=0.3)
    steps = [endpointer.feed(0.05, True) for _ in range(3)] + [endpointer.feed(0.05, False) for _ in range(6)]
    assert Boundary.PAUSE not in steps and steps[-1] is Boundary.END


def paused() -> Endpointer:
    """Speech, then 0.2 s of silence: the PAUSE (early recognition) has come."""
    endpointer = Endpointer(min_speech_seconds=0.1, silence_seconds=0.6, pause_seconds=0.2)
    assert Boundary.START in [endpointer.feed(0.05, True) for _ in range(4)]
    assert [endpointer.feed(0.05, False) for _ in range(4)][-1] is Boundary.PAUSE
    return endpointer


def test_end_after_ends_the_pause_sooner() -> None:
    endpointer = paused()
    endpointer.end_after(0.38)  # the words sound finished
    steps = [endpointer.feed(0.05, False) for _ in range(4)]
    assert steps == [None, None, None, Boundary.END]  # at 0.4 s of silence, not 0.6 s
    assert not endpointer.in_speech


def test_end_after_once_the_silence_is_longer_ends_at_the_next_step() -> None:
    endpointer = paused()
    assert [endpointer.feed(0.05, False) for _ in range(3)] == [None, None, None]  # 0.35 s of silence
    endpointer.end_after(0.3)
    assert endpointer.feed(0.05, False) is Boundary.END


def test_end_after_never_waits_longer_than_silence_seconds() -> None:
    endpointer = paused()
    endpointer.end_after(5.0)
    assert [endpointer.feed(0.05, False) for _ in range(8)][-1] is Boundary.END  # 0.6 s in all


def test_speech_coming_back_cancels_end_after() -> None:
    endpointer = paused()
    endpointer.end_after(0.38)
    assert endpointer.feed(0.05, True) is Boundary.RESUME
    # The next pause needs the whole silence again.
    steps = [endpointer.feed(0.05, False) for _ in range(12)]
    assert steps.index(Boundary.END) == 11  # at 0.6 s


def test_end_after_outside_a_pause_does_nothing() -> None:
    endpointer = Endpointer(min_speech_seconds=0.1, silence_seconds=0.6, pause_seconds=0.2)
    assert Boundary.START in [endpointer.feed(0.05, True) for _ in range(4)]
    endpointer.end_after(0.1)  # still speaking: no pause to shorten
    assert Boundary.END not in [endpointer.feed(0.05, False) for _ in range(11)]
