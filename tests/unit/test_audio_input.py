"""A streamed audio input: the declared PCM format, and the push-to-talk buffer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jarvis.api.audio_input import AudioInput
from jarvis.audio.formats import SAMPLE_RATE, decode_audio
from jarvis.errors import AudioError
from jarvis.pipeline.endpointing import Boundary
from jarvis.pipeline.listener import Listener
from jarvis.vad.silero import SileroDetector
from tests.speech import clip


def push_to_talk(max_seconds: float = 30.0, **frame: Any) -> AudioInput:
    return AudioInput.from_frame({"mode": "push-to-talk", **frame}, max_seconds)


def test_defaults() -> None:
    audio_input = AudioInput.from_frame({}, 30.0)
    assert (audio_input.rate, audio_input.channels, audio_input.width) == (SAMPLE_RATE, 1, 2)
    assert audio_input.mode == "vad"
    assert audio_input.max_seconds == 30.0
    assert audio_input.conversation_id is None
    assert audio_input.speak is True
    assert audio_input.voice is None
    # VAD mode: the server endpoints with the real Silero detector, capped at max_seconds an utterance.
    assert isinstance(audio_input.listener, Listener)
    assert isinstance(audio_input.listener.detector, SileroDetector)
    assert audio_input.listener.endpointer.max_utterance_seconds == 30.0


def test_declared_values_are_kept() -> None:
    audio_input = AudioInput.from_frame(
        {
            "rate": 48000,
            "channels": 2,
            "width": 4,
            "mode": "push-to-talk",
            "conversation_id": "c-1",
            "speak": False,
            "voice": "ff_siwis",
        },
        10.0,
    )
    assert (audio_input.rate, audio_input.channels, audio_input.width) == (48000, 2, 4)
    assert audio_input.mode == "push-to-talk"
    assert audio_input.listener is None
    assert audio_input.conversation_id == "c-1"
    assert audio_input.speak is False
    assert audio_input.voice == "ff_siwis"


@pytest.mark.parametrize(("speak", "expected"), [(True, True), (False, False), (None, True), ("no", True), (0, True)])
def test_only_false_turns_speech_off(speak: Any, expected: bool) -> None:
    assert push_to_talk(speak=speak).speak is expected


@pytest.mark.parametrize("voice", [42, ["ff_siwis"], None])
def test_a_voice_that_is_not_a_string_is_ignored(voice: Any) -> None:
    assert push_to_talk(voice=voice).voice is None


@pytest.mark.parametrize("rate", [8000, 192_000])
def test_rate_bounds_are_accepted(rate: int) -> None:
    assert push_to_talk(rate=rate).rate == rate


@pytest.mark.parametrize(
    "frame",
    [
        {"rate": 7999},
        {"rate": 192_001},
        {"rate": 0},
        {"rate": "16000"},
        {"rate": 16000.0},
        {"rate": None},
        {"channels": 0},
        {"channels": 9},
        {"channels": "1"},
        {"channels": 1.5},
        {"width": 3},
        {"width": 8},
        {"width": "2"},
        {"width": 0},
        {"mode": "auto"},
        {"mode": "VAD"},
        {"mode": None},
        {"conversation_id": 42},
        {"conversation_id": ["c-1"]},
    ],
)
def test_invalid_formats_are_refused(frame: dict[str, Any]) -> None:
    with pytest.raises(AudioError) as caught:
        AudioInput.from_frame(frame, 30.0)
    assert caught.value.code == "audio-format"
    assert caught.value.status == 400


@pytest.mark.parametrize("frame", [{"channels": True}, {"width": True}])
def test_booleans_are_not_numbers(frame: dict[str, Any]) -> None:
    with pytest.raises(AudioError):
        AudioInput.from_frame(frame, 30.0)


def test_push_to_talk_round_trip() -> None:
    audio_input = push_to_talk()
    rng = np.random.default_rng(7)
    first = rng.integers(-16000, 16000, size=8000, dtype=np.int16)
    second = rng.integers(-16000, 16000, size=3000, dtype=np.int16)
    assert audio_input.feed(first.astype("<i2").tobytes()) == []
    assert audio_input.feed(second.astype("<i2").tobytes()) == []
    taken = audio_input.take()
    assert taken is not None
    assert taken.dtype == np.int16
    np.testing.assert_array_equal(taken, np.concatenate([first, second]))
    # Taken once: the buffer is empty again.
    assert audio_input.take() is None


def test_push_to_talk_round_trip_at_full_scale() -> None:
    audio_input = push_to_talk()
    samples = np.array([32767, -32768, 16383, -16383, 20000, -20000, 0, 1, -1], dtype=np.int16)
    audio_input.feed(samples.astype("<i2").tobytes())
    taken = audio_input.take()
    assert taken is not None
    np.testing.assert_array_equal(taken, samples)


def test_push_to_talk_converts_the_declared_format() -> None:
    audio_input = push_to_talk(rate=SAMPLE_RATE, channels=2, width=2)
    stereo = np.array([[1000, 3000], [-2000, -4000]] * 100, dtype=np.int16)
    audio_input.feed(stereo.astype("<i2").tobytes())
    taken = audio_input.take()
    assert taken is not None
    np.testing.assert_array_equal(taken, np.array([2000, -3000] * 100, dtype=np.int16))


def test_take_is_none_when_nothing_was_recorded() -> None:
    assert push_to_talk().take() is None


def test_too_long_is_refused_and_the_buffer_cleared() -> None:
    audio_input = push_to_talk(max_seconds=1.0)
    chunk = np.full(SAMPLE_RATE // 2, 100, dtype=np.int16).astype("<i2").tobytes()  # 0.5 s
    audio_input.feed(chunk)
    audio_input.feed(chunk)  # exactly 1.0 s: still accepted
    with pytest.raises(AudioError) as caught:
        audio_input.feed(np.zeros(1, dtype="<i2").tobytes())
    assert caught.value.code == "audio-too-long"
    assert caught.value.status == 413
    # What was recorded is dropped, and recording can start afresh.
    assert audio_input.take() is None
    audio_input.feed(chunk)
    taken = audio_input.take()
    assert taken is not None
    assert len(taken) == SAMPLE_RATE // 2


def test_a_single_frame_too_long_is_refused() -> None:
    audio_input = push_to_talk(max_seconds=1.0)
    with pytest.raises(AudioError) as caught:
        audio_input.feed(np.zeros(SAMPLE_RATE + 1, dtype="<i2").tobytes())
    assert caught.value.code == "audio-too-long"
    assert audio_input.take() is None


def test_invalid_pcm_bytes_are_refused() -> None:
    audio_input = push_to_talk()
    with pytest.raises(AudioError) as caught:
        audio_input.feed(b"\x00\x01\x02")  # an odd number of bytes cannot be int16
    assert caught.value.code == "audio-format"


def test_vad_mode_uses_the_listener_not_the_buffer() -> None:
    audio_input = AudioInput.from_frame({}, 30.0)
    # One second of silence: no boundary from the real detector, and nothing buffered for take().
    assert audio_input.feed(np.zeros(SAMPLE_RATE, dtype="<i2").tobytes()) == []
    assert audio_input.take() is None


def test_push_to_talk_is_speech_while_recording() -> None:
    audio_input = push_to_talk()
    assert not audio_input.in_speech
    audio_input.feed(np.full(1600, 1000, dtype="<i2").tobytes())
    assert audio_input.in_speech  # the button is held: the user is talking
    audio_input.take()
    assert not audio_input.in_speech


def test_vad_mode_is_speech_between_start_and_end() -> None:
    audio_input = AudioInput.from_frame({}, 30.0)
    recorded = decode_audio(clip("fr/clip33.wav").path.read_bytes(), max_seconds=30.0)
    silence = np.zeros(SAMPLE_RATE, dtype=np.int16)
    states: list[bool] = []
    boundaries: list[Boundary] = []
    for chunk in np.array_split(np.concatenate([silence, recorded, silence, silence]), 60):
        boundaries += [heard.boundary for heard in audio_input.feed(chunk.astype("<i2").tobytes())]
        states.append(audio_input.in_speech)
    assert not states[0]  # silence first
    assert Boundary.START in boundaries and Boundary.END in boundaries
    assert any(states)  # while the user speaks
    assert not states[-1]  # the utterance ended
