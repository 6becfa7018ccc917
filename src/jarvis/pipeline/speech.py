"""One-shot speech stages shared by the REST, OpenAI and CLI surfaces: audio in -> text, text -> audio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import structlog
from numpy.typing import NDArray

from jarvis.audio.formats import SAMPLE_RATE, decode_audio
from jarvis.cpu import CpuPriority
from jarvis.errors import InvalidInputError, SttError, TtsError
from jarvis.metrics import Metrics
from jarvis.stt.base import Transcriber, Transcript
from jarvis.tts.base import Speech, Synthesizer

log = structlog.get_logger(__name__)


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
        first_clause_min_chars: int = 24,
        first_piece_wait_seconds: float | None = None,
        priority: CpuPriority | None = None,
        stt_timeout_seconds: float = 30.0,
        tts_timeout_seconds: float = 30.0,
        holds_speech: Callable[[NDArray[np.int16]], bool] | None = None,
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
        self.first_clause_min_chars = first_clause_min_chars
        self.first_piece_wait_seconds = first_piece_wait_seconds
        self.priority = priority  # given: synthesis of awaited audio pauses the LLM (see jarvis.cpu)
        # Names known now (rooms and devices of the house, the user's name): recognition expects them too.
        self.names: Callable[[], Sequence[str]] | None = None
        self.stt_timeout_seconds = stt_timeout_seconds
        self.tts_timeout_seconds = tts_timeout_seconds
        # A speech detector's verdict on audio no live listener has heard: without speech, Whisper is not run.
        self.holds_speech = holds_speech

    def expected_words(self) -> list[str]:
        """The configured hotwords, then the names known now, each once."""
        words = [*self.hotwords, *(self.names() if self.names is not None else ())]
        return list(dict.fromkeys(word for word in words if word.strip()))

    async def recognize(
        self, audio: NDArray[np.int16], language: str | None = None, *, heard: bool = False
    ) -> Transcript:
        """Speech recognition of 16 kHz mono samples, bounded in time. Unless the live listener `heard` speech in
        this audio, it is first checked for speech: Whisper writes words on noise, which no filter catches all."""
        language = language or self.language
        if not heard and self.holds_speech is not None and not await asyncio.to_thread(self.holds_speech, audio):
            duration = audio.size / SAMPLE_RATE
            log.info("stt-no-speech-detected", seconds=round(duration, 2))
            return Transcript(text="", language=language, segments=(), duration_seconds=duration, no_speech=True)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.stt_timeout_seconds):
                transcript = await self.stt.transcribe(audio, language=language, hotwords=self.expected_words())
        except TimeoutError as exc:
            raise SttError(
                f"La reconnaissance vocale n'a pas répondu en {self.stt_timeout_seconds:.0f} s.",
                code="stt-timeout",
                status=504,
            ) from exc
        self.metrics.stt_seconds.observe(time.perf_counter() - started)
        return transcript

    async def transcribe(self, data: bytes, language: str | None = None) -> Transcription:
        """Decode any supported audio container to 16 kHz mono, then transcribe it."""
        started = time.perf_counter()
        audio = await asyncio.to_thread(decode_audio, data, max_seconds=self.max_audio_seconds)
        decoded = time.perf_counter()
        transcript = await self.recognize(audio, language)
        return Transcription(transcript, decoded - started, time.perf_counter() - decoded)

    async def synthesize(self, text: str, voice: str | None = None, speed: float | None = None) -> Synthesis:
        text = text.strip()
        if not text:
            raise InvalidInputError("Le texte à dire est vide.", code="empty-text")
        if len(text) > self.max_text_chars:
            raise InvalidInputError(f"Le texte dépasse {self.max_text_chars} caractères.", code="text-too-long")
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.tts_timeout_seconds):
                speech = await self.tts.synthesize(text, voice=voice or self.voice, speed=speed or self.speed)
        except TimeoutError as exc:
            raise TtsError(
                f"La synthèse vocale n'a pas répondu en {self.tts_timeout_seconds:.0f} s.",
                code="tts-timeout",
                status=504,
            ) from exc
        elapsed = time.perf_counter() - started
        self.metrics.tts_seconds.observe(elapsed)
        return Synthesis(speech, elapsed)
