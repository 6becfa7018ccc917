"""Preparing the LLM's cache for the turn to come: the latest conversation's prefix while the user reads or
listens, and the whole prompt of what the user is about to send (a draft being typed, speech recognised during the
final silence), so that the reply's first token waits for almost nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from jarvis.brain.prompt import PromptBuilder, Said
from jarvis.errors import JarvisError
from jarvis.llm.service import LlmService
from jarvis.pipeline.turn import Turn

log = structlog.get_logger(__name__)
# A draft (or early speech) is worth preparing again after background work for this long; then it was abandoned.
PENDING_KEEP_SECONDS = 120.0


@dataclass(frozen=True)
class Pending:
    """What a user is about to send."""

    text: str
    conversation_id: str | None
    at: float  # monotonic


class PromptWarmer:
    def __init__(
        self,
        llm: LlmService,
        prompts: PromptBuilder,
        *,
        history: Callable[[str], Awaitable[tuple[list[Said], str]]],
        recall: Callable[[str], Awaitable[list[str]]],
        tool_specs: Callable[[], list[dict[str, Any]] | None],
        needs_model: Callable[[str, str | None], bool],
    ) -> None:
        self.llm = llm
        self.prompts = prompts
        self._history = history
        self._recall = recall
        self._tool_specs = tool_specs
        self._needs_model = needs_model
        # The conversation most recently used: its next turn is the one worth preparing.
        self.last_history: list[Said] = []
        self.last_summary = ""
        self._pending: Pending | None = None  # cleared when a turn starts
        self._prefills: set[asyncio.Task[None]] = set()

    def prefill(self, text: str, conversation_id: str | None) -> None:
        """Speculative: the words of a turn are known before the turn starts: evaluate its prompt now, in the
        background. If the user goes on speaking or typing, the real prompt still reuses all it shares (the system
        prompt and the history); only the CPU time is lost."""
        text = text.strip()
        if not text or not self._needs_model(text, conversation_id):
            self._pending = None  # the user cleared the draft, or it needs no model
            return
        self._pending = Pending(text, conversation_id, time.monotonic())
        self._start(self._pending, urgent=True)

    def turn_started(self) -> None:
        """The pending words were sent (or superseded): a draft typed from now on is pending again."""
        self._pending = None

    def after_turn(self, history: list[Said], said: Said | None, turn: Turn) -> None:
        """While the user reads or listens, prepare the prompt prefix their next message will extend."""
        if said is not None:
            history = [*history, said]
        now = self.prompts.clock()
        history = [*history, *(Said("tool", o.record(), now) for o in turn.tool_outcomes)]
        text = turn.kept_reply("complete")
        if text:
            history = [*history, Said("assistant", text, now)]
        self.last_history = history
        self.last_summary = turn.summary
        self.rewarm()

    def rewarm(self) -> None:
        """The model's cache no longer holds what the next turn will send (background work used it, the minute of
        the prompt's date changed): prepare it again, the user's pending draft if any, else the latest
        conversation's prefix."""
        pending = self._pending
        if pending is not None and time.monotonic() - pending.at < PENDING_KEEP_SECONDS:
            self._start(pending, urgent=False)
        else:
            self.llm.warm(self.prompts.build_prefix(self.last_history, summary=self.last_summary), self._tool_specs())

    async def keep_warm(self) -> None:
        """Each minute the date context changes: prepare the next turn again while idle."""
        while True:
            now = self.prompts.now()
            await asyncio.sleep(60.5 - now.second - now.microsecond / 1e6)
            self.rewarm()

    async def wait_prefilled(self) -> None:
        """Wait until the prompts asked by prefill() are handed to the LLM (benchmarks and tests)."""
        await asyncio.gather(*list(self._prefills))

    async def close(self) -> None:
        for task in list(self._prefills):
            task.cancel()
        await asyncio.gather(*self._prefills, return_exceptions=True)

    def _start(self, pending: Pending, *, urgent: bool) -> None:
        task = asyncio.create_task(self._prefill(pending, urgent=urgent))
        self._prefills.add(task)
        task.add_done_callback(self._prefills.discard)

    async def _prefill(self, pending: Pending, *, urgent: bool) -> None:
        try:
            history: list[Said] = []
            summary = ""
            if pending.conversation_id is not None:
                history, summary = await self._history(pending.conversation_id)
            messages = self.prompts.build(
                history,
                pending.text,
                at=self.prompts.clock(),
                memories=await self._recall(pending.text),
                summary=summary,
            )
            self.llm.prefill(messages, self._tool_specs(), urgent=urgent)
        except JarvisError as exc:  # e.g. the conversation was deleted meanwhile: nothing to prepare
            log.debug("prefill-skipped", code=exc.code)
