"""Shared generation service: bounded queue in front of the engine, timeouts, error mapping, metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog

from jarvis.errors import JarvisError, LlmBusyError, LlmError, LlmPreemptedError, LlmTimeoutError
from jarvis.i18n import t
from jarvis.llm.base import ChatChunk, ChatEngine, ChatMessage, GenerationParams, ToolSpec
from jarvis.metrics import Metrics

log = structlog.get_logger(__name__)
# An urgent warm-up waits at most this long for preempted background work to let go of the model.
URGENT_WARM_WAIT_SECONDS = 2.0


@dataclass
class GenerationStats:
    """Filled in while a generation streams; read it after the stream ends."""

    queue_seconds: float = 0.0
    first_token_seconds: float | None = None
    total_seconds: float = 0.0
    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    completion_tokens: int = 0

    @property
    def tokens_per_second(self) -> float | None:
        if self.first_token_seconds is None or self.completion_tokens < 2:
            return None
        decode_seconds = self.total_seconds - self.first_token_seconds
        return (self.completion_tokens - 1) / decode_seconds if decode_seconds > 0 else None


class LlmService:
    def __init__(
        self,
        engine: ChatEngine,
        metrics: Metrics,
        *,
        max_queue: int,
        first_token_timeout_seconds: float,
        timeout_seconds: float,
        prefix_warming: bool = True,
    ) -> None:
        self.engine = engine
        self.metrics = metrics
        self.max_queue = max_queue
        self.first_token_timeout_seconds = first_token_timeout_seconds
        self.timeout_seconds = timeout_seconds
        self.prefix_warming = prefix_warming
        self._slots = asyncio.Semaphore(engine.concurrency)
        self._waiting = 0
        self._running = 0
        # Rough time one generation holds a slot, for Retry-After.
        self._recent_seconds = 5.0
        self._warming: set[asyncio.Task[None]] = set()
        self._last_user_activity = 0.0  # monotonic time of the last urgent warm-up (a user about to ask)
        # Tasks running a background generation, and those a user request has taken the model from.
        self._background: set[asyncio.Task[object]] = set()
        self._preempted: set[asyncio.Task[object]] = set()
        self._foreground = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def waiting(self) -> int:
        return self._waiting

    def warm(self, messages: list[ChatMessage], tools: list[ToolSpec] | None = None) -> None:
        """Evaluate the next turn's prompt prefix in the background when the model is idle; a real request
        interrupts it (the work done so far is kept in the cache)."""
        if not self.prefix_warming or self._running or self._waiting:
            return
        self._start_warm(messages, tools, urgent=False, whole=False)

    def prefill(self, messages: list[ChatMessage], tools: list[ToolSpec] | None = None, *, urgent: bool = True) -> None:
        """A user is about to ask this (a draft being typed, speech recognised during the final silence): evaluate
        the whole prompt. Urgent (the user is acting now): background work gives the model back for it, and waits
        `quiet_seconds` after it before starting again. Not urgent (preparing it again after background work):
        only when the model is idle, like warm()."""
        if not self.prefix_warming:
            return
        if urgent:
            self.note_user_activity()
        elif self._running or self._waiting:
            return
        self._start_warm(messages, tools, urgent=urgent, whole=True)

    def _start_warm(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None, *, urgent: bool, whole: bool
    ) -> None:
        task = asyncio.create_task(self._warm(messages, tools, urgent, whole))
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def _warm(self, messages: list[ChatMessage], tools: list[ToolSpec] | None, urgent: bool, whole: bool) -> None:
        if urgent:
            # Preempted background work lets go of the model within one slice; a user request running now
            # leaves nothing to prepare.
            deadline = time.monotonic() + URGENT_WARM_WAIT_SECONDS
            while self._running or self._waiting:
                if self._foreground or time.monotonic() > deadline:
                    return
                await asyncio.sleep(0.02)
        try:
            started = time.perf_counter()
            evaluated = await self.engine.warm(messages, tools, whole=whole)
            if evaluated:
                log.debug("llm-warmed", tokens=evaluated, seconds=round(time.perf_counter() - started, 3))
        except Exception as exc:  # warming is an optimisation: never let it hurt
            log.warning("llm-warm-failed", error=str(exc))

    async def wait_warm(self) -> None:
        """Wait for background warming to finish (benchmarks use it to model a user who reads the answer)."""
        await asyncio.gather(*list(self._warming), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._warming):
            task.cancel()
        await asyncio.gather(*self._warming, return_exceptions=True)

    @property
    def full(self) -> bool:
        """Every slot is taken and the queue is full: a new generation would be refused now."""
        return self._running >= self.engine.concurrency and self._waiting >= self.max_queue

    def check_capacity(self) -> None:
        """Raise LlmBusyError now if a new generation would be refused (lets HTTP answer 503 before streaming)."""
        if self.full:
            self.metrics.llm_rejected.inc()
            seconds = self._retry_after()
            raise LlmBusyError(t("llm-busy", waiting=self._waiting, seconds=seconds), seconds)

    def _retry_after(self) -> int:
        per_slot = (self._waiting + 1) / max(1, self.engine.concurrency)
        return max(1, math.ceil(per_slot * self._recent_seconds))

    def note_user_activity(self) -> None:
        """A user is speaking or typing: background work gives the model (and the CPU) back now, and waits until
        they have been quiet for a while before starting again."""
        self._last_user_activity = time.monotonic()
        self._preempt_background()

    def _preempt_background(self) -> None:
        for task in list(self._background):
            if task not in self._preempted:
                self._preempted.add(task)
                task.cancel()

    @asynccontextmanager
    async def _slot(self, background: bool = False) -> AsyncIterator[None]:
        self.check_capacity()
        if not background:
            self._foreground += 1
            self._idle.clear()
            self._preempt_background()
        try:
            self._waiting += 1
            self.metrics.llm_queue_depth.set(self._waiting)
            try:
                await self._slots.acquire()
            finally:
                self._waiting -= 1
                self.metrics.llm_queue_depth.set(self._waiting)
            self._running += 1
            self.metrics.llm_running.set(self._running)
            try:
                yield
            finally:
                self._running -= 1
                self.metrics.llm_running.set(self._running)
                self._slots.release()
        finally:
            if not background:
                self._foreground -= 1
                if not self._foreground:
                    self._idle.set()

    async def complete_in_background(
        self,
        messages: list[ChatMessage],
        params: GenerationParams,
        quiet_seconds: float = 1.0,
        tools: list[ToolSpec] | None = None,
    ) -> str:
        """A whole reply for background work: starts once no user request has run for `quiet_seconds`, and gives
        the model back to any user request that arrives (raising LlmPreemptedError; try again later)."""
        task = asyncio.current_task()
        assert task is not None
        params = dataclasses.replace(params, background=True)
        while True:
            await self._idle.wait()
            await asyncio.sleep(quiet_seconds)
            if self._idle.is_set() and time.monotonic() - self._last_user_activity >= quiet_seconds:
                break
        self._background.add(task)
        try:
            # `tools` only render the prompt as the conversation's own (its cached prefix); the reply is text.
            return "".join([chunk.text async for chunk in self.stream(messages, tools, params)])
        except asyncio.CancelledError:
            if task in self._preempted:
                task.uncancel()
                raise LlmPreemptedError(t("llm-preempted")) from None
            raise
        finally:
            self._background.discard(task)
            self._preempted.discard(task)

    async def stream(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec] | None,
        params: GenerationParams,
        stats: GenerationStats | None = None,
    ) -> AsyncGenerator[ChatChunk, None]:
        """Stream a reply. Raises LlmBusyError at once when the queue is full; other failures are LlmError."""
        stats = stats if stats is not None else GenerationStats()
        queued_at = time.perf_counter()
        try:
            await self.engine.load()  # idempotent; waits while the model is still loading
            async with self._slot(params.background):
                started = time.perf_counter()
                stats.queue_seconds = started - queued_at
                chunks = aiter(self.engine.chat(messages, tools, params))
                try:
                    while True:
                        elapsed = time.perf_counter() - started
                        if stats.first_token_seconds is None and not params.background:
                            budget = min(self.first_token_timeout_seconds, self.timeout_seconds - elapsed)
                        else:
                            budget = self.timeout_seconds - elapsed
                        try:
                            async with asyncio.timeout(max(budget, 0.001)):
                                chunk = await anext(chunks)
                        except StopAsyncIteration:
                            break
                        except TimeoutError as exc:
                            waited = round(time.perf_counter() - started, 1)
                            raise LlmTimeoutError(t("llm-timeout", seconds=waited)) from exc
                        now = time.perf_counter()
                        if stats.first_token_seconds is None and (chunk.text or chunk.tool_calls or chunk.calling):
                            stats.first_token_seconds = now - started
                            self.metrics.llm_ttft.labels(self.engine.name).observe(stats.first_token_seconds)
                        stats.total_seconds = now - started
                        if chunk.prompt_tokens is not None:
                            stats.prompt_tokens = chunk.prompt_tokens
                        if chunk.cached_tokens is not None:
                            stats.cached_tokens = chunk.cached_tokens
                        if chunk.completion_tokens is not None:
                            stats.completion_tokens = chunk.completion_tokens
                        yield chunk
                finally:
                    await chunks.aclose()  # type: ignore[attr-defined]
                    self._recent_seconds = 0.7 * self._recent_seconds + 0.3 * max(0.5, time.perf_counter() - started)
        except JarvisError as exc:
            self.metrics.llm_errors.labels(exc.code).inc()
            raise
        except Exception as exc:
            self.metrics.llm_errors.labels("llm-failed").inc()
            raise LlmError(t("llm-failed", detail=exc)) from exc
        rate = stats.tokens_per_second
        if rate is not None:
            self.metrics.llm_tokens_per_second.labels(self.engine.name).observe(rate)
