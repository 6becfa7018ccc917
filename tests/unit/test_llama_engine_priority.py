"""The embedded engine gives the cores to urgent audio: it waits between two tokens while an urgent section is
open, never after its last token, and stops at once when cancelled during the wait; a cancel while it reads a long
prompt stops it within one slice. The model is a fake with llama-cpp-python's streaming interface (pure logic: no
weights)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jarvis.cpu import CpuPriority
from jarvis.llm.base import GenerationParams
from jarvis.llm.llama_cpp import ChatTemplate, LlamaCppEngine

PARAMS = GenerationParams(max_tokens=16, temperature=0.0)


class FakeLlama:
    """Streams `words` one token at a time; `on_token(i)` runs in the generating thread before token i."""

    def __init__(self, words: list[str], on_token: Any = None) -> None:
        self.words = words
        self.on_token = on_token or (lambda index: None)
        self.generated = 0
        self._input_ids = np.zeros(0, dtype=np.intc)

    def tokenize(self, data: bytes, add_bos: bool = False, special: bool = False) -> list[int]:
        return list(range(len(data.split())))

    def longest_token_prefix(self, a: list[int], b: list[int]) -> int:
        return 0

    def create_completion(self, tokens: list[int], **options: Any) -> Iterator[dict[str, Any]]:
        for index, word in enumerate(self.words):
            self.on_token(index)
            self.generated += 1
            last = index == len(self.words) - 1
            yield {"choices": [{"text": word, "finish_reason": "stop" if last else None}]}


def engine_with(llama: FakeLlama, priority: CpuPriority) -> LlamaCppEngine:
    engine = LlamaCppEngine(Path("fake.gguf"), priority=priority)
    engine._llm = llama
    engine._template = ChatTemplate("{% for m in messages %}{{ m.content }} {% endfor %}")
    return engine


async def stream(engine: LlamaCppEngine) -> list[tuple[float, str]]:
    arrivals = []
    async for chunk in engine.chat([{"role": "user", "content": "bonjour"}], None, PARAMS):
        arrivals.append((time.perf_counter(), chunk.text))
    return arrivals


async def test_decoding_waits_while_urgent_audio_is_made() -> None:
    priority = CpuPriority()
    release = threading.Event()
    held: list[float] = []

    def urgent_for_a_while() -> None:
        with priority.urgent():
            held.append(time.perf_counter())
            release.wait(5)
            held.append(time.perf_counter())

    def on_token(index: int) -> None:
        if index == 1:  # the voice starts on the first word: hold the CPU 0.3 s
            threading.Thread(target=urgent_for_a_while).start()
            while not priority.busy:
                time.sleep(0.001)
            threading.Timer(0.3, release.set).start()

    llama = FakeLlama(["Bonjour", " à", " vous", "."], on_token)
    arrivals = await stream(engine_with(llama, priority))
    assert "".join(text for _, text in arrivals) == "Bonjour à vous."
    # Token 1 was already under way when the section opened; the next one waited for the section to close.
    third = next(stamp for stamp, text in arrivals if text == " vous")
    assert len(held) == 2 and third >= held[1]


async def test_no_wait_after_the_last_token() -> None:
    priority = CpuPriority()
    opened = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with priority.urgent():
            opened.set()
            done.wait(5)

    def on_token(index: int) -> None:
        if index == 2:  # urgent work starts as the last token is decoded
            threading.Thread(target=hold).start()
            opened.wait(5)

    started = time.perf_counter()
    try:
        await stream(engine_with(FakeLlama(["Oui", " bien", " sûr."], on_token), priority))
        assert time.perf_counter() - started < 2.0  # not held until the urgent section ends
        assert priority.busy
    finally:
        done.set()


async def test_a_cancel_during_the_wait_decodes_nothing_more() -> None:
    priority = CpuPriority()
    llama = FakeLlama(["Un", " deux", " trois", " quatre"])
    engine = engine_with(llama, priority)
    with priority.urgent():
        chat = engine.chat([{"role": "user", "content": "compte"}], None, PARAMS)
        first = await asyncio.wait_for(chat.__anext__(), 2)
        assert first.text == "Un"
        await asyncio.sleep(0.2)  # the engine is waiting for the urgent section
        assert llama.generated == 1
        await chat.aclose()  # the client goes: the wait ends and no token more is decoded
    assert llama.generated == 1


class ReadingLlama(FakeLlama):
    """Also reads prompts ahead slice by slice (`eval`); `on_slice(i)` runs in the reading thread before slice i."""

    def __init__(self, words: list[str], on_slice: Any) -> None:
        super().__init__(words)
        self.on_slice = on_slice
        self.slices: list[int] = []
        self.n_tokens = 0

    def reset(self) -> None:
        self.n_tokens = 0

    def eval(self, tokens: list[int]) -> None:
        self.on_slice(len(self.slices))
        self.slices.append(len(tokens))
        self.n_tokens += len(tokens)


async def test_a_cancel_while_a_long_prompt_is_read_stops_within_one_slice() -> None:
    """A prompt of 400 tokens with nothing cached (a conversation not warmed yet): a cancel (barge-in, the client
    leaving, a timeout) once waited for the whole prompt to be read, 10 s and more on 2 cores."""
    reading, go_on = threading.Event(), threading.Event()

    def on_slice(index: int) -> None:
        if index == 1:
            reading.set()
            go_on.wait(5)

    llama = ReadingLlama(["Bonjour"], on_slice)
    chat = engine_with(llama, CpuPriority()).chat([{"role": "user", "content": " ".join(["mot"] * 400)}], None, PARAMS)
    first = asyncio.ensure_future(anext(chat))
    assert await asyncio.to_thread(reading.wait, 5)
    first.cancel()
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert llama.slices == [64, 64]  # the slice under way ends; nothing more is read
    assert llama.generated == 0


async def test_a_short_prompt_is_read_with_the_first_token() -> None:
    """A warm turn's few new tokens go to the model in one pass with the first token (a slice more would cost a
    whole pass over the weights)."""
    llama = ReadingLlama(["Oui", "."], lambda index: None)
    arrivals = await stream(engine_with(llama, CpuPriority()))
    assert "".join(text for _, text in arrivals) == "Oui."
    assert llama.slices == []
