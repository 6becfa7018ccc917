"""The phrase cache: a short phrase in the same voice and speed is synthesized once; long text, other voices,
other speeds and failures go to the engine."""

from __future__ import annotations

import numpy as np
import pytest

from jarvis.errors import TtsError
from jarvis.tts.base import Speech, Synthesizer
from jarvis.tts.cache import CachedSynthesizer


class CountingSynthesizer:
    name = "counting"
    sample_rate = 24000
    ready = True

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, float]] = []
        self.fail = False

    async def load(self) -> None:
        return None

    def voices(self) -> list[str]:
        return ["ff_siwis"]

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        self.calls.append((text, voice, speed))
        if self.fail:
            raise TtsError("La synthèse vocale a échoué.")
        return Speech(np.full(len(text) * 10, len(self.calls), dtype=np.int16), self.sample_rate)

    async def close(self) -> None:
        return None


def cached(inner: CountingSynthesizer, **options: int) -> CachedSynthesizer:
    engine: Synthesizer = inner  # checked by mypy: the fake satisfies the protocol
    return CachedSynthesizer(engine, **options)


async def test_the_same_short_phrase_is_synthesized_once() -> None:
    inner = CountingSynthesizer()
    tts = cached(inner)
    first = await tts.synthesize("C'est fait,", voice="ff_siwis")
    again = await tts.synthesize("C'est fait,", voice="ff_siwis")
    assert len(inner.calls) == 1
    assert tts.hits == 1
    assert np.array_equal(first.samples, again.samples)


async def test_voice_speed_and_text_make_the_key() -> None:
    inner = CountingSynthesizer()
    tts = cached(inner)
    await tts.synthesize("C'est fait,", voice="ff_siwis")
    await tts.synthesize("C'est fait,", voice="em_alex")
    await tts.synthesize("C'est fait,", voice="ff_siwis", speed=1.2)
    await tts.synthesize("C'est fait !", voice="ff_siwis")
    assert len(inner.calls) == 4
    assert tts.hits == 0


async def test_long_text_is_never_kept() -> None:
    inner = CountingSynthesizer()
    tts = cached(inner, max_chars=20)
    text = "La lumière du salon est allumée."
    await tts.synthesize(text)
    await tts.synthesize(text)
    assert len(inner.calls) == 2


async def test_least_recently_used_goes_first() -> None:
    inner = CountingSynthesizer()
    tts = cached(inner, max_entries=2)
    for text in ("un", "deux", "un", "trois", "un", "deux"):
        await tts.synthesize(text)
    # "deux" was the least recently used when "trois" came in: it was synthesized again.
    assert [call[0] for call in inner.calls] == ["un", "deux", "trois", "deux"]


async def test_a_failure_is_not_cached() -> None:
    inner = CountingSynthesizer()
    tts = cached(inner)
    inner.fail = True
    with pytest.raises(TtsError):
        await tts.synthesize("Bonjour.")
    inner.fail = False
    await tts.synthesize("Bonjour.")
    await tts.synthesize("Bonjour.")
    assert len(inner.calls) == 2
