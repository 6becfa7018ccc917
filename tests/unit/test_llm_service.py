"""LlmService with a fake engine: streaming, stats, bounded queue, timeouts, error mapping, metrics, cleanup."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence

import pytest

from jarvis.errors import LlmBusyError, LlmError, LlmTimeoutError, LlmUnavailableError
from jarvis.llm.base import ChatChunk, ChatEngine, ChatMessage, EngineHealth, GenerationParams, ToolSpec
from jarvis.llm.service import GenerationStats, LlmService
from jarvis.metrics import Metrics

PARAMS = GenerationParams(max_tokens=32, temperature=0.0)
MESSAGES: list[ChatMessage] = [{"role": "user", "content": "Bonjour"}]


class FakeEngine:
    """A ChatEngine whose timing the test controls."""

    name = "fake"
    concurrency = 1

    def __init__(
        self,
        pieces: Sequence[str] = ("Bon", "jour", " !"),
        *,
        first_delay: float = 0.0,
        delay: float = 0.0,
        error: Exception | None = None,
        load_error: Exception | None = None,
        pause_after_first: asyncio.Event | None = None,
    ) -> None:
        self.pieces = list(pieces)
        self.first_delay = first_delay
        self.delay = delay
        self.error = error
        self.load_error = load_error
        self.pause_after_first = pause_after_first
        self.first_sent = asyncio.Event()
        self.loads = 0
        self.calls = 0
        self.closed = 0  # generators whose `finally` ran
        self.active = 0
        self.max_active = 0

    @property
    def model_id(self) -> str:
        return "fake-model"

    async def load(self) -> None:
        self.loads += 1
        if self.load_error is not None:
            raise self.load_error

    async def health(self) -> EngineHealth:
        return EngineHealth(ready=True, detail="ok")

    def chat(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None, params: GenerationParams
    ) -> AsyncIterator[ChatChunk]:
        self.calls += 1
        return self._generate()

    async def _generate(self) -> AsyncIterator[ChatChunk]:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.first_delay:
                await asyncio.sleep(self.first_delay)
            if self.error is not None:
                raise self.error
            for index, piece in enumerate(self.pieces):
                if index and self.delay:
                    await asyncio.sleep(self.delay)
                yield ChatChunk(text=piece)
                if index == 0:
                    self.first_sent.set()
                    if self.pause_after_first is not None:
                        await self.pause_after_first.wait()
            yield ChatChunk(finish_reason="stop", prompt_tokens=12, completion_tokens=len(self.pieces))
        finally:
            self.active -= 1
            self.closed += 1

    async def close(self) -> None:
        pass


def make_service(
    engine: FakeEngine, *, max_queue: int = 4, first_token: float = 5.0, total: float = 10.0
) -> LlmService:
    checked: ChatEngine = engine  # the fake satisfies the protocol (checked by mypy)
    return LlmService(
        checked, Metrics(), max_queue=max_queue, first_token_timeout_seconds=first_token, timeout_seconds=total
    )


def sample(service: LlmService, name: str, **labels: str) -> float | None:
    return service.metrics.registry.get_sample_value(name, labels)


async def collect(service: LlmService, stats: GenerationStats | None = None) -> list[ChatChunk]:
    return [chunk async for chunk in service.stream(MESSAGES, None, PARAMS, stats)]


async def wait_until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):  # about 1 s at most
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached in time")


async def test_chunks_stream_through_with_stats() -> None:
    engine = FakeEngine(first_delay=0.02, delay=0.01)
    service = make_service(engine)
    stats = GenerationStats()
    chunks = await collect(service, stats)
    assert [c.text for c in chunks] == ["Bon", "jour", " !", ""]
    assert chunks[-1].finish_reason == "stop"
    assert engine.loads == 1
    assert stats.first_token_seconds is not None
    assert 0.015 <= stats.first_token_seconds < 1.0
    assert stats.total_seconds >= stats.first_token_seconds + 0.015
    assert stats.prompt_tokens == 12
    assert stats.completion_tokens == 3
    assert stats.queue_seconds >= 0
    assert stats.tokens_per_second is not None and stats.tokens_per_second > 0
    assert sample(service, "jarvis_llm_time_to_first_token_seconds_count", backend="fake") == 1
    assert sample(service, "jarvis_llm_tokens_per_second_count", backend="fake") == 1
    assert sample(service, "jarvis_llm_running") == 0
    assert engine.closed == 1


async def test_chunk_without_text_is_not_a_first_token() -> None:
    engine = FakeEngine(pieces=())
    service = make_service(engine)
    stats = GenerationStats()
    chunks = await collect(service, stats)
    assert [c.finish_reason for c in chunks] == ["stop"]
    assert stats.first_token_seconds is None
    assert stats.tokens_per_second is None
    assert not sample(service, "jarvis_llm_time_to_first_token_seconds_count", backend="fake")  # never observed


async def test_queue_full_rejects_second_stream() -> None:
    release = asyncio.Event()
    engine = FakeEngine(pause_after_first=release)
    service = make_service(engine, max_queue=0)
    first = asyncio.create_task(collect(service))
    await asyncio.wait_for(engine.first_sent.wait(), 1.0)
    assert sample(service, "jarvis_llm_running") == 1

    with pytest.raises(LlmBusyError) as info:
        await collect(service)
    assert info.value.retry_after_seconds >= 1
    assert info.value.status == 503
    assert sample(service, "jarvis_llm_rejected_total") == 1
    assert sample(service, "jarvis_llm_errors_total", code="llm-busy") == 1

    with pytest.raises(LlmBusyError):
        service.check_capacity()
    assert sample(service, "jarvis_llm_rejected_total") == 2
    assert engine.calls == 1  # the refused streams never reached the engine

    release.set()
    chunks = await asyncio.wait_for(first, 1.0)
    assert "".join(c.text for c in chunks) == "Bonjour !"
    # Capacity is back once the first generation ended.
    service.check_capacity()
    assert len(await collect(service)) == 4


async def test_queue_of_one_waits_then_runs() -> None:
    release = asyncio.Event()
    engine = FakeEngine(pause_after_first=release)
    service = make_service(engine, max_queue=1)
    first = asyncio.create_task(collect(service))
    await asyncio.wait_for(engine.first_sent.wait(), 1.0)

    second_stats = GenerationStats()
    second = asyncio.create_task(collect(service, second_stats))
    await wait_until(lambda: service.waiting == 1)
    assert sample(service, "jarvis_llm_queue_depth") == 1
    assert engine.calls == 1  # the second one is queued, not running
    assert not second.done()
    # A third one finds the queue full.
    with pytest.raises(LlmBusyError):
        service.check_capacity()

    await asyncio.sleep(0.02)
    release.set()
    first_chunks, second_chunks = await asyncio.wait_for(asyncio.gather(first, second), 1.0)
    assert "".join(c.text for c in first_chunks) == "Bonjour !"
    assert "".join(c.text for c in second_chunks) == "Bonjour !"
    assert engine.calls == 2
    assert engine.max_active == 1  # never two generations at once on a one-context engine
    assert second_stats.queue_seconds >= 0.015
    assert service.waiting == 0
    assert sample(service, "jarvis_llm_queue_depth") == 0
    assert sample(service, "jarvis_llm_rejected_total") == 1


async def test_simultaneous_starts_with_no_queue() -> None:
    release = asyncio.Event()
    engine = FakeEngine(pause_after_first=release)
    service = make_service(engine, max_queue=0)
    results = asyncio.gather(collect(service), collect(service), return_exceptions=True)
    await asyncio.wait_for(engine.first_sent.wait(), 1.0)
    release.set()
    outcomes = await asyncio.wait_for(results, 1.0)
    assert sum(isinstance(o, LlmBusyError) for o in outcomes) == 1
    assert sum(isinstance(o, list) for o in outcomes) == 1


async def test_first_token_timeout() -> None:
    engine = FakeEngine(first_delay=1.0)
    service = make_service(engine, first_token=0.05)
    started = time.monotonic()
    with pytest.raises(LlmTimeoutError) as info:
        await collect(service)
    assert time.monotonic() - started < 0.5
    assert info.value.code == "llm-unavailable"
    assert info.value.status == 504
    assert sample(service, "jarvis_llm_errors_total", code="llm-unavailable") == 1
    assert engine.closed == 1  # the engine's generator was stopped
    assert sample(service, "jarvis_llm_running") == 0  # and the slot released
    engine.first_delay = 0.0
    assert len(await collect(service)) == 4


async def test_total_timeout_after_the_first_token() -> None:
    engine = FakeEngine(delay=1.0)
    service = make_service(engine, first_token=0.5, total=0.1)
    received: list[str] = []
    with pytest.raises(LlmTimeoutError):
        async for chunk in service.stream(MESSAGES, None, PARAMS):
            received.append(chunk.text)
    assert received == ["Bon"]
    assert engine.closed == 1


async def test_engine_failure_becomes_llm_failed() -> None:
    engine = FakeEngine(error=RuntimeError("kaboom"))
    service = make_service(engine)
    with pytest.raises(LlmError) as info:
        await collect(service)
    assert type(info.value) is LlmError
    assert info.value.code == "llm-failed"
    assert "kaboom" in info.value.message
    assert isinstance(info.value.__cause__, RuntimeError)
    assert sample(service, "jarvis_llm_errors_total", code="llm-failed") == 1
    assert sample(service, "jarvis_llm_running") == 0


async def test_engine_failure_mid_stream() -> None:
    class Broken(FakeEngine):
        async def _generate(self) -> AsyncIterator[ChatChunk]:
            yield ChatChunk(text="Bon")
            raise RuntimeError("lost the context")

    service = make_service(Broken())
    received: list[str] = []
    with pytest.raises(LlmError) as info:
        async for chunk in service.stream(MESSAGES, None, PARAMS):
            received.append(chunk.text)
    assert received == ["Bon"]
    assert info.value.code == "llm-failed"


async def test_jarvis_errors_from_the_engine_pass_through() -> None:
    engine = FakeEngine(load_error=LlmUnavailableError("server down"))
    service = make_service(engine)
    with pytest.raises(LlmUnavailableError):
        await collect(service)
    assert engine.calls == 0
    assert sample(service, "jarvis_llm_errors_total", code="llm-unavailable") == 1
    assert sample(service, "jarvis_llm_errors_total", code="llm-failed") is None


async def test_consumer_stopping_early_closes_the_engine_generator() -> None:
    engine = FakeEngine(pieces=("a", "b", "c", "d"))
    service = make_service(engine)
    stream = service.stream(MESSAGES, None, PARAMS)
    received = []
    async for chunk in stream:
        received.append(chunk.text)
        if len(received) == 2:
            break
    assert engine.closed == 0  # still suspended until the stream is closed
    await stream.aclose()  # type: ignore[attr-defined]
    assert received == ["a", "b"]
    assert engine.closed == 1
    assert engine.active == 0
    assert sample(service, "jarvis_llm_running") == 0
    assert sample(service, "jarvis_llm_errors_total", code="llm-failed") is None
    # The slot is free again.
    service.check_capacity()
    assert len(await collect(service)) == 5


async def test_cancelled_waiter_leaves_the_queue() -> None:
    release = asyncio.Event()
    engine = FakeEngine(pause_after_first=release)
    service = make_service(engine, max_queue=1)
    first = asyncio.create_task(collect(service))
    await asyncio.wait_for(engine.first_sent.wait(), 1.0)
    waiter = asyncio.create_task(collect(service))
    await wait_until(lambda: service.waiting == 1)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert service.waiting == 0
    assert sample(service, "jarvis_llm_queue_depth") == 0
    release.set()
    await asyncio.wait_for(first, 1.0)
    assert engine.calls == 1


async def test_cancel_as_a_chunk_arrives_is_not_lost() -> None:
    """A cancel (the user silences Jarvis) that lands while the next chunk is being handed over still stops the
    stream: `asyncio.wait_for` on Python 3.11 returned the chunk and dropped the cancel, and the reply went on."""
    release = asyncio.Event()
    engine = FakeEngine(("Un", " dragon", " brun"), pause_after_first=release)
    service = make_service(engine)
    received: list[str] = []

    async def consume() -> None:
        async for chunk in service.stream(MESSAGES, None, PARAMS):
            received.append(chunk.text)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(engine.first_sent.wait(), 1.0)
    release.set()  # the next chunk is ready in the same loop turn as the cancel
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=1.0)
    assert done and task.cancelled()
    assert received == ["Un"]
    assert engine.closed == 1
