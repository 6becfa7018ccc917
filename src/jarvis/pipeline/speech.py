"""One-shot speech stages shared by the REST, OpenAI and CLI surfaces: audio in -> text, text -> audio."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from jarvis.audio.formats import decode_audio
from jarvis.errors import InvalidInputError
from jarvis.metrics import Metrics
from jarvis.stt.base import Transcriber, Transcript
from jarvis.tts.base import Speech, Synthesizer


@dataclass(frozen=True)
class Transcription:
    transcript: Transcript
    decode_seconds: float
    stt_seconds: float


@dataclass(frozen=True)
class Synthesis:
    speech: Speech
    tts_seconds: float


class SpeechService:
    def __init__(
        self,
        stt: Transcriber,
        tts: Synthesizer,
        metrics: Metrics,
        *,
        language: str,
        hotwords: list[str],
        max_audio_seconds: float,
        max_text_chars: int,
        voice: str,
        speed: float,
    ) -> None:
        self.stt = stt
        self.tts = tts
        self.metrics = metrics
        self.language = language
        self.hotwords = hotwords
        self.max_audio_seconds = max_audio_seconds
        self.max_text_chars = max_text_chars
        self.voice = voice
        self.speed = speed

    async def transcribe(self, data: bytes, language: str | None = None) -> Transcription:
        """Decode any supported audio container to 16 kHz mono, then transcribe it."""
        started = time.perf_counter()
        audio = await asyncio.to_thread(decode_audio, data, max_seconds=self.max_audio_seconds)
        decoded = time.perf_counter()
        await self.stt.load()
        transcript = await self.stt.transcribe(audio, language=language or self.language, hotwords=self.hotwords)
        finished = time.perf_counter()
        self.metrics.stt_seconds.observe(finished - decoded)
        return Transcription(transcript, decoded - started, finished - decoded)

    async def synthesize(self, text: str, voice: str | None = None, speed: float | None = None) -> Synthesis:
        text = text.strip()
        if not text:
            raise InvalidInputError("Le texte à dire est vide.", code="empty-text")
        if len(text) > self.max_text_chars:
            raise InvalidInputError(f"Le texte dépasse {self.max_text_chars} caractères.", code="text-too-long")
        started = time.perf_counter()
        await self.tts.load()
        speech = await self.tts.synthesize(text, voice=voice or self.voice, speed=speed or self.speed)
        elapsed = time.perf_counter() - started
        self.metrics.tts_seconds.observe(elapsed)
        return Synthesis(speech, elapsed)
