"""A text turn: store the user message, stream the reply as events, store the reply. Only this module turns
errors into `error` events, and every run ends with `run-end`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from jarvis.brain.prompt import PromptBuilder, Said
from jarvis.errors import CancelledRunError, InvalidInputError, JarvisError, LlmError
from jarvis.events import ErrorEvent, Event, LlmDelta, RunEnd, RunStart, Timings
from jarvis.i18n import t
from jarvis.llm.base import GenerationParams
from jarvis.llm.service import GenerationStats, LlmService
from jarvis.metrics import Metrics
from jarvis.store.conversations import ConversationRepository

log = structlog.get_logger(__name__)
Emit = Callable[[Event], Awaitable[None]]
# Messages of these statuses were (at least partly) said to the user, so they belong in the history.
HISTORY_STATUSES = ("complete", "cancelled")
HISTORY_MESSAGES = 60


@dataclass(frozen=True)
class PreparedRun:
    run_id: str
    conversation_id: str
    text: str


@dataclass(frozen=True)
class RunResult:
    end: RunEnd
    error: JarvisError | None


class ChatPipeline:
    def __init__(
        self,
        conversations: ConversationRepository,
        llm: LlmService,
        prompts: PromptBuilder,
        params: GenerationParams,
        metrics: Metrics,
        max_message_chars: int,
    ) -> None:
        self.conversations = conversations
        self.llm = llm
        self.prompts = prompts
        self.params = params
        self.metrics = metrics
        self.max_message_chars = max_message_chars
        # The conversation most recently used: its next turn is the one worth preparing.
        self.last_history: list[Said] = []
        # Strong references: a run whose client left must still finish storing what was said.
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, prepared: PreparedRun, emit: Emit) -> asyncio.Task[RunResult]:
        """Run a turn in its own task, independent of the request that started it: cancelling the task (client
        gone, `cancel`) stops the generation, and the run still stores the partial reply."""
        task = asyncio.create_task(self.run(prepared, emit))
        self._track(task)
        return task

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def prepare(self, text: str, conversation_id: str | None) -> PreparedRun:
        """Check the input and find or create the conversation; raises coded errors (no events yet)."""
        text = text.strip()
        if not text:
            raise InvalidInputError(t("empty-message"), code="empty-message")
        if len(text) > self.max_message_chars:
            raise InvalidInputError(t("message-too-long", limit=self.max_message_chars), code="message-too-long")
        if conversation_id is None:
            conversation_id = (await self.conversations.create()).id
        else:
            await self.conversations.get(conversation_id)
        return PreparedRun(run_id=uuid.uuid4().hex, conversation_id=conversation_id, text=text)

    async def run(self, prepared: PreparedRun, emit: Emit) -> RunResult:
        """Run one turn. Never raises a JarvisError: failures become an `error` event and a failed `run-end`.
        Cancellation (client gone, `cancel` message) keeps what was generated and re-raises."""
        started = time.perf_counter()
        run_id = prepared.run_id
        stats = GenerationStats()
        reply: list[str] = []
        history = [
            Said(m.role, m.content, m.created_at)
            for m in await self.conversations.messages(prepared.conversation_id, limit=HISTORY_MESSAGES)
            if m.status in HISTORY_STATUSES and m.role in ("user", "assistant")
        ]
        user_message = await self.conversations.add_message(prepared.conversation_id, "user", prepared.text)
        said = Said("user", prepared.text, user_message.created_at)
        await emit(RunStart(run_id=run_id, conversation_id=prepared.conversation_id, user_message_id=user_message.id))
        messages = self.prompts.build(history, prepared.text, at=said.at)
        try:
            async for chunk in self.llm.stream(messages, None, self.params, stats):
                if chunk.text:
                    reply.append(chunk.text)
                    await emit(LlmDelta(run_id=run_id, text=chunk.text))
        except asyncio.CancelledError:
            finish = asyncio.ensure_future(self._finish(prepared, reply, stats, started, "cancelled", emit, None))
            self._track(finish)
            self._warm_next_turn([*history, said], reply)
            await asyncio.shield(finish)
            raise
        except JarvisError as exc:
            result = await self._finish(prepared, reply, stats, started, "failed", emit, exc)
        except Exception as exc:
            log.exception("run-failed", run_id=run_id)
            error = LlmError(t("internal-error", detail=exc))
            result = await self._finish(prepared, reply, stats, started, "failed", emit, error)
        else:
            result = await self._finish(prepared, reply, stats, started, "complete", emit, None)
        self._warm_next_turn([*history, said], reply)
        return result

    def _warm_next_turn(self, history: list[Said], reply: list[str]) -> None:
        """While the user reads or listens, prepare the prompt prefix their next message will extend."""
        text = "".join(reply).strip()
        if text:
            history = [*history, Said("assistant", text, self.prompts.clock())]
        self.last_history = history
        self.llm.warm(self.prompts.build_prefix(history))

    async def keep_warm(self) -> None:
        """Each minute the date context changes: re-prepare the latest conversation's prefix while idle."""
        while True:
            now = self.prompts.now()
            await asyncio.sleep(60.5 - now.second - now.microsecond / 1e6)
            self.llm.warm(self.prompts.build_prefix(self.last_history))

    async def _finish(
        self,
        prepared: PreparedRun,
        reply: list[str],
        stats: GenerationStats,
        started: float,
        status: str,
        emit: Emit,
        error: JarvisError | None,
    ) -> RunResult:
        text = "".join(reply).strip()
        timings = Timings(
            queue_seconds=round(stats.queue_seconds, 4),
            llm_first_token_seconds=_round(stats.first_token_seconds),
            llm_seconds=round(stats.total_seconds, 4),
            total_seconds=round(time.perf_counter() - started, 4),
            prompt_tokens=stats.prompt_tokens,
            prompt_cached_tokens=stats.cached_tokens,
            completion_tokens=stats.completion_tokens,
            tokens_per_second=_round(stats.tokens_per_second, 2),
        )
        message_id = None
        if text:
            stored = await self.conversations.add_message(
                prepared.conversation_id,
                "assistant",
                text,
                status=status,
                timings=timings.model_dump(exclude_none=True),
            )
            message_id = stored.id
        if status == "cancelled":
            error = CancelledRunError(t("cancelled"))
        end = RunEnd(
            run_id=prepared.run_id,
            conversation_id=prepared.conversation_id,
            message_id=message_id,
            reply=text,
            status=status,
            timings=timings,
        )
        self.metrics.runs.labels(status).inc()
        try:
            if error is not None:
                await emit(ErrorEvent(run_id=prepared.run_id, code=error.code, message=error.message))
            await emit(end)
        except Exception:  # the client is gone; what matters (the stored messages) is done
            log.info("run-end-undelivered", run_id=prepared.run_id)
        log.info("run-end", run_id=prepared.run_id, status=status, **timings.model_dump(exclude_none=True))
        return RunResult(end=end, error=error)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
