"""The wake-word gate: speech is ignored until the wake word, then one utterance is listened to."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from jarvis.api.audio_input import AudioInput
from jarvis.config import WakeWordSettings
from jarvis.errors import AudioError
from jarvis.pipeline.endpointing import Boundary
from jarvis.pipeline.wake import STEP_SAMPLES, WakeDetector, WakeGate
from tests.unit.test_listener import SPEECH, FakeDetector, make_listener

WAKE = 2000  # the sample value the fake wake-word detector scores 1.0


class FakeWakeDetector:
    """Scores 1.0 for a step holding WAKE samples, else 0.0; records resets."""

    model = "hey_jarvis"
    threshold = 0.5

    def __init__(self) -> None:
        self.resets = 0
        self.steps = 0

    def feed(self, samples: NDArray[np.int16]) -> float:
        self.steps += 1
        return 1.0 if bool(np.any(samples == WAKE)) else 0.0

    def reset(self) -> None:
        self.resets += 1


def _as_detector(detector: FakeWakeDetector) -> WakeDetector:
    return detector  # checked by mypy: the fake satisfies the protocol


def audio(seconds: float, value: int) -> NDArray[np.int16]:
    return np.full(int(seconds * 16000) // 512 * 512, value, dtype=np.int16)


def gate(listen_seconds: float = 8.0) -> tuple[WakeGate, FakeWakeDetector]:
    wake = FakeWakeDetector()
    return WakeGate(_as_detector(wake), make_listener(FakeDetector()), listen_seconds=listen_seconds), wake


def boundaries(heard: list[object]) -> list[Boundary]:
    return [h.boundary for h in heard]  # type: ignore[attr-defined]


def test_speech_without_the_wake_word_is_ignored() -> None:
    wake_gate, wake = gate()
    assert wake_gate.feed(np.concatenate([audio(1.0, SPEECH), audio(1.0, 0)])) == []
    assert not wake_gate.awake and wake.steps == 32000 // STEP_SAMPLES


def test_wake_word_then_one_utterance_then_asleep_again() -> None:
    wake_gate, wake = gate()
    wake_word = np.full(STEP_SAMPLES, WAKE, dtype=np.int16)
    # The wake word and the start of the question in the same frame: the rest of the frame is listened to.
    heard = wake_gate.feed(np.concatenate([audio(0.5, 0), wake_word, audio(0.32, 0), audio(1.0, SPEECH)]))
    assert boundaries(heard) == [Boundary.WAKE, Boundary.START]
    assert heard[0].score == 1.0 and wake.resets == 1
    heard = wake_gate.feed(audio(1.0, 0))
    assert boundaries(heard) == [Boundary.END]
    assert heard[0].audio is not None and np.count_nonzero(heard[0].audio == SPEECH) >= 16000 * 0.9
    assert not wake_gate.awake and wake.resets == 2
    # Asleep again: more speech is ignored until the next wake word.
    assert wake_gate.feed(np.concatenate([audio(1.0, SPEECH), audio(1.0, 0)])) == []


def test_no_speech_after_the_wake_word_goes_back_to_waiting() -> None:
    wake_gate, _ = gate(listen_seconds=2.0)
    assert boundaries(wake_gate.feed(np.full(STEP_SAMPLES, WAKE, dtype=np.int16))) == [Boundary.WAKE]
    assert wake_gate.feed(audio(1.0, 0)) == [] and wake_gate.awake
    assert wake_gate.feed(audio(1.1, 0)) == [] and not wake_gate.awake
    assert wake_gate.feed(np.concatenate([audio(1.0, SPEECH), audio(1.0, 0)])) == []


def test_audio_start_asks_for_the_wake_word_only_in_vad_mode() -> None:
    off = AudioInput.from_frame({"type": "audio-start"}, 60)
    assert off.wake is None
    on = AudioInput.from_frame({"type": "audio-start"}, 60, wake_word=WakeWordSettings(enabled=True, threshold=0.7))
    assert on.wake is not None and on.wake.detector.threshold == 0.7 and on.wake.detector.model == "hey_jarvis"
    asked = AudioInput.from_frame({"type": "audio-start", "wake_word": True}, 60)
    assert asked.wake is not None
    declined = AudioInput.from_frame(
        {"type": "audio-start", "wake_word": False}, 60, wake_word=WakeWordSettings(enabled=True)
    )
    assert declined.wake is None
    push = AudioInput.from_frame(
        {"type": "audio-start", "mode": "push-to-talk"}, 60, wake_word=WakeWordSettings(enabled=True)
    )
    assert push.wake is None
    for frame in ({"wake_word": "yes"}, {"wake_word": True, "mode": "push-to-talk"}):
        with pytest.raises(AudioError) as refused:
            AudioInput.from_frame({"type": "audio-start", **frame}, 60)
        assert refused.value.code == "audio-format"


def test_end_now_ends_the_utterance_and_waits_for_the_wake_word_again() -> None:
    wake_gate, wake = gate()
    assert wake_gate.end_now() is None  # asleep: nothing to end
    wake_word = np.full(STEP_SAMPLES, WAKE, dtype=np.int16)
    heard = wake_gate.feed(np.concatenate([wake_word, audio(0.32, 0), audio(1.0, SPEECH), audio(0.2, 0)]))
    assert boundaries(heard) == [Boundary.WAKE, Boundary.START]
    ended = wake_gate.end_now()
    assert ended is not None and ended.boundary is Boundary.END
    assert not wake_gate.awake and wake.resets == 2
    assert wake_gate.feed(np.concatenate([audio(1.0, SPEECH), audio(1.0, 0)])) == []
