"""The listener: audio of any chunk size -> fixed frames -> speech probability -> endpointing, with pre-roll."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pytest
from numpy.typing import NDArray

from jarvis.audio.formats import SAMPLE_RATE
from jarvis.pipeline.endpointing import Boundary, Endpointer
from jarvis.pipeline.listener import Heard, Listener
from jarvis.vad.base import SpeechDetector

FRAME = 512
SPEECH = 1000  # the sample value FakeDetector takes for speech
FRAME_SECONDS = FRAME / SAMPLE_RATE
PRE_ROLL_SECONDS = 0.3
MIN_SPEECH_SECONDS = 0.15
# Frames kept before START: the lead-in plus the speech that triggered START.
KEPT_FRAMES = (
    math.ceil(PRE_ROLL_SECONDS * SAMPLE_RATE / FRAME) + math.ceil(MIN_SPEECH_SECONDS * SAMPLE_RATE / FRAME) - 1
)
PRE_ROLL_FRAMES = math.ceil(PRE_ROLL_SECONDS * SAMPLE_RATE / FRAME)  # 10: at most this much lead-in silence
SILENCE_SECONDS = 0.6


class FakeDetector:
    """A SpeechDetector that plays back scripted probabilities, or else calls a frame of all-SPEECH samples
    speech (1.0) and anything else silence (0.0). It records the frames it saw and its resets."""

    frame_samples = FRAME

    def __init__(self, script: Iterable[float] | None = None) -> None:
        self.script = list(script) if script is not None else None
        self.frames: list[NDArray[np.int16]] = []
        self.resets = 0
        self.resets_at_frame: list[int] = []

    def probability(self, frame: NDArray[np.int16]) -> float:
        assert len(frame) == self.frame_samples
        self.frames.append(frame.copy())
        if self.script is not None:
            return self.script[len(self.frames) - 1]
        return 1.0 if bool(np.all(frame == SPEECH)) else 0.0

    def reset(self) -> None:
        self.resets += 1
        self.resets_at_frame.append(len(self.frames))


def _as_detector(detector: FakeDetector) -> SpeechDetector:
    return detector  # checked by mypy: FakeDetector satisfies the protocol


def frames(count: int, value: int) -> NDArray[np.int16]:
    return np.full(count * FRAME, value, dtype=np.int16)


def signal(*parts: tuple[int, int]) -> NDArray[np.int16]:
    """(frame count, sample value) parts, frame-aligned so every frame is wholly speech or silence."""
    return np.concatenate([frames(count, value) for count, value in parts])


def make_listener(detector: FakeDetector, *, max_utterance_seconds: float = 15.0) -> Listener:
    endpointer = Endpointer(
        min_speech_seconds=MIN_SPEECH_SECONDS,
        silence_seconds=SILENCE_SECONDS,
        max_utterance_seconds=max_utterance_seconds,
    )
    return Listener(_as_detector(detector), endpointer, pre_roll_seconds=PRE_ROLL_SECONDS)


def feed_in_chunks(listener: Listener, audio: NDArray[np.int16], size: int) -> list[Heard]:
    heard: list[Heard] = []
    for offset in range(0, len(audio), size):
        heard += listener.feed(audio[offset : offset + size])
    return heard


ONE_UTTERANCE = ((20, 0), (20, SPEECH), (30, 0))
CHUNK_SIZES = [7, 100, 511, 512, 1000, 4096, 70 * FRAME]


@pytest.mark.parametrize("chunk", CHUNK_SIZES)
def test_start_then_end_whatever_the_chunk_size(chunk: int) -> None:
    detector = FakeDetector()
    heard = feed_in_chunks(make_listener(detector), signal(*ONE_UTTERANCE), chunk)
    assert [h.boundary for h in heard] == [Boundary.START, Boundary.END]
    assert heard[0].audio is None
    assert heard[1].audio is not None
    # Every full frame reached the detector exactly once, in fixed-size frames.
    assert len(detector.frames) == 70


@pytest.mark.parametrize("chunk", CHUNK_SIZES)
def test_the_utterance_holds_pre_roll_speech_and_trailing_silence(chunk: int) -> None:
    heard = feed_in_chunks(make_listener(FakeDetector()), signal(*ONE_UTTERANCE), chunk)
    audio = heard[-1].audio
    assert audio is not None
    assert audio.dtype == np.int16
    speech_samples = 20 * FRAME
    # Every speech sample is there, once, in one piece.
    is_speech = audio == SPEECH
    assert int(is_speech.sum()) == speech_samples
    first, last = int(np.argmax(is_speech)), len(audio) - int(np.argmax(is_speech[::-1])) - 1
    assert last - first + 1 == speech_samples
    # It begins with pre-roll silence (not cut at the first speech frame), at most pre_roll_seconds of it.
    assert first > 0
    assert not audio[:first].any()
    assert first <= PRE_ROLL_FRAMES * FRAME
    # It ends with the silence that ended it: at least silence_seconds, at most one frame more.
    trailing = len(audio) - last - 1
    assert not audio[last + 1 :].any()
    assert SILENCE_SECONDS * SAMPLE_RATE <= trailing <= SILENCE_SECONDS * SAMPLE_RATE + FRAME
    # Overall: pre-roll + speech + trailing silence until END, frame-aligned.
    assert len(audio) % FRAME == 0
    assert speech_samples + SILENCE_SECONDS * SAMPLE_RATE < len(audio)
    assert len(audio) <= (KEPT_FRAMES + 20) * FRAME + SILENCE_SECONDS * SAMPLE_RATE + FRAME


def test_the_utterance_is_exactly_the_frames_it_should_be() -> None:
    audio_in = signal(*ONE_UTTERANCE)
    heard = feed_in_chunks(make_listener(FakeDetector()), audio_in, 1000)
    audio = heard[-1].audio
    assert audio is not None
    # START on the 5th speech frame (frame 24); the 14 frames before it are kept (frames 10..23: ten of
    # silence, four of speech); END on the 19th silent frame (frame 58). The utterance is frames 10..58.
    np.testing.assert_array_equal(audio, audio_in[10 * FRAME : 59 * FRAME])


def test_detector_is_reset_after_end() -> None:
    detector = FakeDetector()
    listener = make_listener(detector)
    heard = listener.feed(signal((20, 0), (20, SPEECH), (10, 0)))
    assert [h.boundary for h in heard] == [Boundary.START]
    assert detector.resets == 0
    heard = listener.feed(signal((20, 0)))
    assert [h.boundary for h in heard] == [Boundary.END]
    # Reset once, right after the frame that ended the utterance (frame 58, the 59th seen).
    assert detector.resets_at_frame == [59]


def test_two_utterances_in_one_stream() -> None:
    detector = FakeDetector()
    audio_in = signal((20, 0), (20, SPEECH), (30, 0), (25, SPEECH), (30, 0))
    heard = feed_in_chunks(make_listener(detector), audio_in, 333)
    assert [h.boundary for h in heard] == [Boundary.START, Boundary.END, Boundary.START, Boundary.END]
    assert detector.resets == 2
    first, second = heard[1].audio, heard[3].audio
    assert first is not None and second is not None
    assert int((first == SPEECH).sum()) == 20 * FRAME
    assert int((second == SPEECH).sum()) == 25 * FRAME
    # The second one starts with its own pre-roll of silence, not with the end of the first utterance.
    assert not second[:FRAME].any()


def test_silence_only_gives_nothing() -> None:
    detector = FakeDetector()
    assert feed_in_chunks(make_listener(detector), signal((200, 0)), 1000) == []
    assert detector.resets == 0
    assert len(detector.frames) == 200


def test_a_partial_frame_waits_for_more_audio() -> None:
    detector = FakeDetector()
    listener = make_listener(detector)
    assert listener.feed(np.zeros(FRAME - 1, dtype=np.int16)) == []
    assert detector.frames == []
    assert listener.feed(np.zeros(1, dtype=np.int16)) == []
    assert len(detector.frames) == 1


def test_short_blips_are_not_speech() -> None:
    # Four speech frames (0.128 s) between silences, repeated: below min_speech_seconds every time.
    detector = FakeDetector()
    audio_in = np.concatenate([signal((4, SPEECH), (6, 0)) for _ in range(10)])
    assert feed_in_chunks(make_listener(detector), audio_in, 1000) == []


def test_threshold_is_inclusive_with_scripted_probabilities() -> None:
    below = FakeDetector([0.49] * 50)
    assert feed_in_chunks(make_listener(below), np.zeros(50 * FRAME, dtype=np.int16), 700) == []
    at = FakeDetector([0.5] * 5 + [0.0] * 19)
    heard = feed_in_chunks(make_listener(at), np.zeros(24 * FRAME, dtype=np.int16), 700)
    assert [h.boundary for h in heard] == [Boundary.START, Boundary.END]


def test_scripted_probabilities_drive_the_boundaries() -> None:
    script = [0.1] * 3 + [0.9] * 10 + [0.2] * 19
    detector = FakeDetector(script)
    heard = feed_in_chunks(make_listener(detector), np.arange(len(script) * FRAME, dtype=np.int16), 100)
    assert [h.boundary for h in heard] == [Boundary.START, Boundary.END]
    audio = heard[1].audio
    assert audio is not None
    # Everything so far fits within the pre-roll, so the utterance is the whole stream, in order.
    np.testing.assert_array_equal(audio, np.arange(len(script) * FRAME, dtype=np.int16))


def test_max_utterance_ends_continuous_speech() -> None:
    detector = FakeDetector()
    heard = feed_in_chunks(make_listener(detector, max_utterance_seconds=1.0), signal((10, 0), (100, SPEECH)), 1000)
    boundaries = [h.boundary for h in heard]
    assert boundaries[:2] == [Boundary.START, Boundary.END]
    audio = heard[1].audio
    assert audio is not None
    # Capped near max_utterance_seconds (plus at most the pre-roll before the start).
    assert len(audio) <= (1.0 + PRE_ROLL_SECONDS + MIN_SPEECH_SECONDS) * SAMPLE_RATE + FRAME
    assert detector.resets == boundaries.count(Boundary.END) >= 1


def test_pause_carries_the_utterance_so_far_and_resume_follows_more_speech() -> None:
    endpointer = Endpointer(min_speech_seconds=MIN_SPEECH_SECONDS, silence_seconds=SILENCE_SECONDS, pause_seconds=0.15)
    listener = Listener(_as_detector(FakeDetector()), endpointer, pre_roll_seconds=PRE_ROLL_SECONDS)
    heard = listener.feed(signal((20, 0), (20, SPEECH), (8, 0), (10, SPEECH), (30, 0)))
    kinds = [h.boundary for h in heard]
    assert kinds == [Boundary.START, Boundary.PAUSE, Boundary.RESUME, Boundary.PAUSE, Boundary.END]
    first_pause, second_pause, end = heard[1].audio, heard[3].audio, heard[4].audio
    assert first_pause is not None and second_pause is not None and end is not None
    # Each PAUSE holds everything heard so far; the END holds at least as much, and starts the same way.
    assert int((first_pause == SPEECH).sum()) == 20 * FRAME
    assert int((second_pause == SPEECH).sum()) == 30 * FRAME
    assert len(first_pause) < len(second_pause) <= len(end)
    np.testing.assert_array_equal(end[: len(second_pause)], second_pause)


def test_end_now_gives_the_utterance_so_far_and_listens_afresh() -> None:
    detector = FakeDetector()
    listener = make_listener(detector)
    assert listener.end_now() is None  # nothing heard yet
    heard = listener.feed(signal((5, 0), (20, SPEECH), (5, 0)))
    assert [h.boundary for h in heard] == [Boundary.START]
    ended = listener.end_now()
    assert ended is not None and ended.boundary is Boundary.END and ended.audio is not None
    assert np.count_nonzero(ended.audio == SPEECH) == 20 * FRAME
    assert not listener.endpointer.in_speech and detector.resets == 1
    assert listener.end_now() is None
    # The rest of the silence ends nothing; the next speech is a new utterance.
    assert listener.feed(signal((40, 0))) == []
    heard = listener.feed(signal((20, SPEECH), (30, 0)))
    assert [h.boundary for h in heard] == [Boundary.START, Boundary.END]
