"""Speaks a reply while it is being written: sentences go to TTS as soon as they are complete, audio goes out
as soon as each sentence is synthesized, and what was actually sent is known if the turn is cut short."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog

from jarvis.cpu import CpuPriority
from jarvis.errors import JarvisError, TtsError
from jarvis.events import Event, TtsStart
from jarvis.tts.base import Synthesizer
from jarvis.tts.sentences import SentenceSplitter

log = structlog.get_logger(__name__)
EmitAudio = Callable[[bytes], Awaitable[None]]
# Audio is sent in frames of this many seconds, so a client can start playing before a long sentence ends.
FRAME_SECONDS = 0.5
# A sentence is synthesized as urgent work (the LLM pauses, see jarvis.cpu) when the listener has less audio than
# this left to play: about the time a sentence takes to synthesize on 2 cores.
URGENT_BELOW_SECONDS = 1.0


class Speaker:
    def __init__(
        self,
        tts: Synthesizer,
        emit: Callable[[Event], Awaitable[None]],
        emit_audio: EmitAudio,
        *,
        run_id: str,
        voice: str | None,
        speed: float,
        started: float,
        realtime: bool = False,
        first_clause_min_chars: int = 24,
        first_piece_wait_seconds: float | None = None,
        priority: CpuPriority | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.tts = tts
        self.emit = emit
        self.emit_audio = emit_audio
        self.run_id = run_id
        self.voice = voice
        self.speed = speed
        self.started = started
        self.realtime = realtime
        self.timeout_seconds = timeout_seconds
        self.priority = priority
        self.splitter = SentenceSplitter(first_clause_min_chars=first_clause_min_chars)
        self.first_piece_wait_seconds = first_piece_wait_seconds
        self._first_text_at: float | None = None
        self.spoken: list[str] = []  # sentences whose audio was completely sent
        # For a live listener: when playback began and where each sentence ends in it (seconds of audio).
        self._playback_start: float | None = None
        self._audio_seconds = 0.0
        self._sentence_ends: list[float] = []
        self.first_audio_seconds: float | None = None
        self.tts_seconds = 0.0
        self.error: JarvisError | None = None
        self._sentences: asyncio.Queue[str | None] = asyncio.Queue()
        self._worker = asyncio.create_task(self._speak())

    @property
    def spoken_text(self) -> str:
        """What the user received: every sentence sent, or for a live listener, those already played."""
        if not self.realtime or self._playback_start is None:
            return " ".join(self.spoken)
        played = time.perf_counter() - self._playback_start
        return " ".join(s for s, end in zip(self.spoken, self._sentence_ends, strict=True) if end <= played)

    def buffered_seconds(self, now: float) -> float:
        """Seconds of audio sent but not yet played by a listener playing in real time (0: it waits in silence)."""
        if self._playback_start is None:
            return 0.0
        return max(0.0, self._playback_start + self._audio_seconds - now)

    def feed(self, text: str) -> None:
        now = time.perf_counter()
        if self._first_text_at is None and text.strip():
            self._first_text_at = now
        sentences = self.splitter.feed(text)
        if (
            not sentences
            and self.first_piece_wait_seconds is not None
            and self._first_text_at is not None
            and now - self._first_text_at >= self.first_piece_wait_seconds
            and (piece := self.splitter.overdue_first_piece()) is not None
        ):
            sentences = [piece]  # the model is slow to end its first clause: speak the words it has written
        for sentence in sentences:
            self._sentences.put_nowait(sentence)

    async def finish(self) -> None:
        """The reply is complete: speak what is left and wait until all audio is out."""
        for sentence in self.splitter.flush():
            self._sentences.put_nowait(sentence)
        self._sentences.put_nowait(None)
        await asyncio.shield(self._worker)
        if self.realtime and self._playback_start is not None:
            # The turn lasts while the listener hears it: speaking over it (barge-in) can still cut it.
            remaining = self._playback_start + self._audio_seconds - time.perf_counter()
            if remaining > 0:
                await asyncio.sleep(remaining)

    async def cancel(self) -> None:
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)

    async def _speak(self) -> None:
        announced = False
        while (sentence := await self._sentences.get()) is not None:
            if self.error is not None:
                continue  # TTS failed: the text reply goes on, silently
            began = time.perf_counter()
            urgent = (
                self.priority.urgent()
                if self.priority is not None and self.buffered_seconds(began) < URGENT_BELOW_SECONDS
                else contextlib.nullcontext()
            )
            try:
                with urgent:
                    async with asyncio.timeout(self.timeout_seconds):
                        speech = await self.tts.synthesize(sentence, voice=self.voice, speed=self.speed)
            except TimeoutError:
                self.error = TtsError(
                    f"La synthèse vocale n'a pas répondu en {self.timeout_seconds:.0f} s.", code="tts-timeout"
                )
                continue
            except JarvisError as exc:
                log.warning("tts-failed", run_id=self.run_id, code=exc.code, error=exc.message)
                self.error = exc
                continue
            self.tts_seconds += time.perf_counter() - began
            if not announced:
                await self.emit(TtsStart(run_id=self.run_id, rate=speech.sample_rate))
                announced = True
            pcm = speech.samples.astype("<i2").tobytes()
            frame_bytes = max(2, int(speech.sample_rate * FRAME_SECONDS) * 2)
            for offset in range(0, len(pcm), frame_bytes):
                await self.emit_audio(pcm[offset : offset + frame_bytes])
                if self.first_audio_seconds is None:
                    self.first_audio_seconds = time.perf_counter() - self.started
            now = time.perf_counter()
            if self._playback_start is None or now > self._playback_start + self._audio_seconds:
                # Playback ran dry (or starts now): the listener resumes from this moment.
                self._playback_start = now - self._audio_seconds
            self._audio_seconds += speech.duration_seconds
            self._sentence_ends.append(self._audio_seconds)
            self.spoken.append(sentence)
