"""A memory of short phrases already spoken: the same words in the same voice are not synthesized twice.

Replies to home commands and timers start with a few recurring clauses (« C'est fait, », « C'est parti : »); the
sentence splitter sends them to the voice on their own, so once heard they are ready at once, and the first audio
of a command no longer waits for the voice at all. Only short pieces are kept, in a bounded least-recently-used
table; a voice engine that fails is never cached (its fallback answers instead)."""

from __future__ import annotations

from collections import OrderedDict

from jarvis.tts.base import Speech, Synthesizer


class CachedSynthesizer:
    def __init__(self, inner: Synthesizer, *, max_entries: int = 64, max_chars: int = 40) -> None:
        self.inner = inner
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._phrases: OrderedDict[tuple[str, str | None, float], Speech] = OrderedDict()
        self.hits = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    @property
    def ready(self) -> bool:
        return self.inner.ready

    async def load(self) -> None:
        await self.inner.load()

    def voices(self) -> list[str]:
        return self.inner.voices()

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        if len(text) > self.max_chars or self.max_entries <= 0:
            return await self.inner.synthesize(text, voice=voice, speed=speed)
        key = (text, voice, speed)
        speech = self._phrases.get(key)
        if speech is not None:
            self._phrases.move_to_end(key)
            self.hits += 1
            return speech
        speech = await self.inner.synthesize(text, voice=voice, speed=speed)
        self._phrases[key] = speech
        while len(self._phrases) > self.max_entries:
            self._phrases.popitem(last=False)
        return speech

    async def close(self) -> None:
        self._phrases.clear()
        await self.inner.close()
