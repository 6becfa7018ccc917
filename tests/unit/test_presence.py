"""The speech check for audio that did not come through the live listener: Whisper does not run without speech."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from jarvis.metrics import Metrics
from jarvis.pipeline.presence import holds_speech
from jarvis.pipeline.speech import SpeechService
from tests.unit.test_known_names import RecordingTranscriber
from tests.unit.test_listener import FRAME, SPEECH, FakeDetector, signal
from tests.unit.test_tts_cache import CountingSynthesizer


def check(detector: FakeDetector, audio: NDArray[np.int16]) -> bool:
    return holds_speech(audio, detector, threshold=0.5)


def test_one_frame_of_speech_is_speech() -> None:
    detector = FakeDetector()
    assert check(detector, signal((20, 0), (1, SPEECH), (40, 0)))
    # It stops looking at the first sign of speech.
    assert len(detector.frames) == 21
    assert detector.resets == 1  # a detector with state starts afresh


def test_no_frame_of_speech_is_no_speech() -> None:
    detector = FakeDetector()
    assert not check(detector, signal((60, 0)))
    assert len(detector.frames) == 60


def test_the_threshold_decides_what_a_frame_is() -> None:
    assert check(FakeDetector([0.49] * 30 + [0.5]), signal((31, 0)))
    assert not check(FakeDetector([0.49] * 60), signal((60, 0)))


def test_audio_shorter_than_a_frame_is_not_speech() -> None:
    detector = FakeDetector()
    assert not check(detector, signal((1, SPEECH))[: FRAME - 1])
    assert detector.frames == []


async def test_recognition_skips_whisper_on_audio_without_speech_unless_the_listener_heard_it() -> None:
    stt = RecordingTranscriber()
    checked: list[int] = []

    def no_speech(audio: NDArray[np.int16]) -> bool:
        checked.append(audio.size)
        return False

    speech = SpeechService(
        stt,
        CountingSynthesizer(),
        Metrics(),
        language="fr",
        hotwords=[],
        max_audio_seconds=30,
        max_text_chars=100,
        voice="ff_siwis",
        speed=1.0,
        holds_speech=no_speech,
    )
    upload = await speech.recognize(np.zeros(16000, dtype=np.int16), "en")
    assert upload.no_speech and upload.text == "" and upload.language == "en" and upload.duration_seconds == 1.0
    assert checked == [16000] and stt.hotwords == []  # Whisper never ran
    heard = await speech.recognize(np.zeros(8000, dtype=np.int16), heard=True)
    assert heard.text == "allume le salon" and not heard.no_speech
    assert checked == [16000] and len(stt.hotwords) == 1
