"""A neural voice with espeak-ng behind it: when the main engine cannot load (missing or corrupt model) or a
synthesis fails in the engine, Jarvis speaks with espeak-ng instead of not at all, and says it is degraded."""

from __future__ import annotations

import numpy as np
import structlog

from jarvis.errors import JarvisError
from jarvis.tts.base import Speech, Synthesizer

log = structlog.get_logger(__name__)


def resample(speech: Speech, rate: int) -> Speech:
    """Linear resampling, so that one reply keeps one sample rate when some sentences come from the fallback."""
    if speech.sample_rate == rate or not len(speech.samples):
        return Speech(speech.samples, rate)
    count = round(len(speech.samples) * rate / speech.sample_rate)
    source = np.arange(len(speech.samples)) / speech.sample_rate
    target = np.arange(count) / rate
    samples = np.interp(target, source, speech.samples.astype(np.float32))
    return Speech(np.clip(np.rint(samples), -32768, 32767).astype(np.int16), rate)


class FallbackSynthesizer:
    """Implements Synthesizer. `degraded` holds the reason while espeak-ng speaks in place of the main engine."""

    def __init__(self, primary: Synthesizer, fallback: Synthesizer) -> None:
        self.primary = primary
        self.fallback = fallback
        self.degraded: str | None = None
        self._primary_failed = False  # the main engine could not load: every sentence goes to the fallback

    @property
    def name(self) -> str:
        return self.fallback.name if self._primary_failed else self.primary.name

    @property
    def sample_rate(self) -> int:
        return self.fallback.sample_rate if self._primary_failed else self.primary.sample_rate

    @property
    def ready(self) -> bool:
        return self.primary.ready or self.fallback.ready

    def voices(self) -> list[str]:
        return self.fallback.voices() if self._primary_failed else self.primary.voices()

    async def load(self) -> None:
        try:
            await self.primary.load()
        except JarvisError as exc:
            self._primary_failed = True
            self.degraded = f"{self.primary.name} indisponible ({exc.message}) : voix de secours espeak-ng"
            log.error("tts-fallback", engine=self.primary.name, code=exc.code, error=exc.message)
            await self.fallback.load()
            return
        self._primary_failed = False
        try:  # loaded ahead too, so that a failing sentence is spoken at once by the fallback
            await self.fallback.load()
        except JarvisError as exc:
            log.warning("tts-fallback-unavailable", code=exc.code, error=exc.message)

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        if not self._primary_failed:
            if not self.primary.ready:
                await self.load()
            if not self._primary_failed:
                try:
                    return await self.primary.synthesize(text, voice=voice, speed=speed)
                except JarvisError as exc:
                    if exc.status < 500:  # the request itself is wrong (unknown voice, empty text): say so
                        raise
                    self.degraded = f"{self.primary.name} a échoué ({exc.message}) : phrase dite par espeak-ng"
                    log.error("tts-fallback", engine=self.primary.name, code=exc.code, error=exc.message)
                speech = await self.fallback.synthesize(text, speed=_clamp(speed))
                return resample(speech, self.primary.sample_rate)
        # The main engine's voice names mean nothing to espeak-ng: it speaks with its own configured voice.
        return await self.fallback.synthesize(text, speed=_clamp(speed))

    async def close(self) -> None:
        await self.primary.close()
        await self.fallback.close()


def _clamp(speed: float) -> float:
    return min(max(speed, 0.5), 2.0)
