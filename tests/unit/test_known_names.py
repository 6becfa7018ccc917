"""Names speech recognition expects: the configured hotwords, the user's name, the house's rooms and devices —
each once, sensors left out, bounded in size."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from jarvis.config import HomeAssistantSettings
from jarvis.home.service import HomeService
from jarvis.metrics import Metrics
from jarvis.pipeline.speech import SpeechService
from jarvis.stt.base import Transcriber, Transcript
from jarvis.tts.base import Synthesizer
from tests.unit.test_tts_cache import CountingSynthesizer


class RecordingTranscriber:
    name = "recording"
    ready = True

    def __init__(self) -> None:
        self.hotwords: list[list[str]] = []

    async def load(self) -> None:
        return None

    async def transcribe(
        self, audio: NDArray[np.int16], *, language: str | None = None, hotwords: Sequence[str] = ()
    ) -> Transcript:
        self.hotwords.append(list(hotwords))
        return Transcript("allume le salon", language or "fr", (), len(audio) / 16000, False)

    async def close(self) -> None:
        return None


def house() -> HomeService:
    home = HomeService(HomeAssistantSettings())
    home.cache.load(
        [
            {"entity_id": "light.salon", "state": "off", "attributes": {"friendly_name": "Lumière du salon"}},
            {"entity_id": "light.bureau", "state": "on", "attributes": {"friendly_name": "Lampe de bureau"}},
            {"entity_id": "switch.salon", "state": "on", "attributes": {"friendly_name": "salon"}},
            {"entity_id": "sensor.salon_temp", "state": "21", "attributes": {"friendly_name": "Température salon"}},
        ]
    )
    home.cache.load_registries(
        [], [{"area_id": "salon", "name": "Salon"}, {"area_id": "rdc", "name": "Rez-de-chaussée"}], []
    )
    return home


def test_rooms_first_then_devices_each_once_without_sensors() -> None:
    assert house().spoken_names() == ["Salon", "Rez-de-chaussée", "Lampe de bureau", "Lumière du salon"]


def test_the_names_are_bounded() -> None:
    names = house().spoken_names(max_chars=25)
    assert names == ["Salon", "Rez-de-chaussée"]
    assert sum(len(name) + 1 for name in names) <= 25


async def test_recognition_gets_hotwords_then_known_names() -> None:
    stt = RecordingTranscriber()
    transcriber: Transcriber = stt  # checked by mypy: the fake satisfies the protocol
    tts: Synthesizer = CountingSynthesizer()
    speech = SpeechService(
        transcriber,
        tts,
        Metrics(),
        language="fr",
        hotwords=["Jarvis"],
        max_audio_seconds=30,
        max_text_chars=100,
        voice="ff_siwis",
        speed=1.0,
    )
    await speech.recognize(np.zeros(16000, dtype=np.int16))
    speech.names = lambda: ["Léa", *house().spoken_names(), "Jarvis"]
    await speech.recognize(np.zeros(16000, dtype=np.int16))
    assert stt.hotwords == [
        ["Jarvis"],
        ["Jarvis", "Léa", "Salon", "Rez-de-chaussée", "Lampe de bureau", "Lumière du salon"],
    ]
