"""Long conversations keep a token budget: when older turns no longer fit, they are summarised in the background
(never delaying a reply) and the prompt carries the summary instead of dropping them silently.

The summary grows by folding, never by rewriting: each time, the model summarises only the messages that newly
overflow, and that part is appended to the previous summary, which is kept word for word. A small model asked to
re-summarise its own summary together with new turns drops facts (the dog's name, a date); appending cannot. The
summary has its own token budget; past it, the oldest parts go first (logged), after memory learning has had every
one of those turns to store their durable facts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from jarvis.brain.prompt import PromptBuilder, Said, estimate_tokens
from jarvis.errors import JarvisError, LlmPreemptedError, LlmTimeoutError
from jarvis.llm.base import ChatMessage, GenerationParams
from jarvis.llm.service import LlmService
from jarvis.store.conversations import ConversationRepository

log = structlog.get_logger(__name__)

ATTEMPTS = 8
# Summarise a little more than what overflows, so that a summary is not needed again at the very next turn.
EXTRA_MESSAGES = 4
# Tokens the whole summary may take in every prompt (estimate_tokens); one part is at most ~160 tokens.
SUMMARY_TOKENS = 600
INSTRUCTION = {
    "fr": (
        "Résume l'extrait ci-dessous d'une conversation entre l'utilisateur et Jarvis, son assistant vocal, en au "
        "plus 80 mots, à la troisième personne : les faits donnés par l'utilisateur (garde les noms, dates et "
        "nombres exacts), ses demandes, ce qui a été répondu ou décidé, ce qui reste en suspens. N'ajoute rien qui "
        "n'y soit pas. Réponds seulement par le résumé."
    ),
    "en": (
        "Summarise the excerpt below of a conversation between the user and Jarvis, their voice assistant, in at "
        "most 80 words, in the third person: facts the user gave (keep names, dates and numbers exact), their "
        "requests, what was answered or decided, what is still open. Add nothing that is not there. Answer with "
        "the summary only."
    ),
}
USER_LABEL = {"fr": "Utilisateur", "en": "User"}


def fold(previous: str, part: str, budget_tokens: int = SUMMARY_TOKENS) -> tuple[str, int]:
    """The previous summary kept word for word with the new part appended (one part a line), and how many of the
    oldest parts were dropped to stay within the budget (the newest part is always kept)."""
    parts = [line for line in previous.splitlines() if line.strip()]
    part = " ".join(part.split())
    if part:
        parts.append(part)
    dropped = 0
    while len(parts) > 1 and sum(estimate_tokens(p) for p in parts) > budget_tokens:
        parts.pop(0)
        dropped += 1
    return "\n".join(parts), dropped


@dataclass(frozen=True)
class Overflow:
    conversation_id: str
    summary: str
    messages: list[Said]  # the oldest messages not yet summarised: only these are given to the model


class ConversationSummariser:
    def __init__(
        self,
        llm: LlmService,
        prompts: PromptBuilder,
        conversations: ConversationRepository,
        *,
        rewarm: Callable[[], None] | None = None,
        retry_delay_seconds: float = 2.0,
        summary_tokens: int = SUMMARY_TOKENS,
    ) -> None:
        self.rewarm = rewarm
        self.summary_tokens = summary_tokens
        self.llm = llm
        self.prompts = prompts
        self.conversations = conversations
        self.retry_delay_seconds = retry_delay_seconds
        self.params = GenerationParams(max_tokens=160, temperature=0.0, repeat_penalty=1.05, background=True)
        self._pending: dict[str, asyncio.Task[None]] = {}

    def after_turn(self, conversation_id: str, summary: str, history: list[Said]) -> None:
        """Summarise the oldest messages of `history` (stored messages, oldest first) if they overflow the budget."""
        overflow = self.prompts.overflow(history)
        if overflow == 0 or conversation_id in self._pending:
            return
        count = min(len(history), overflow + EXTRA_MESSAGES)
        # End on an assistant message so that the kept history starts with a user turn.
        while count < len(history) and history[count - 1].role != "assistant":
            count += 1
        task = asyncio.create_task(self._run(Overflow(conversation_id, summary, history[:count])))
        self._pending[conversation_id] = task
        task.add_done_callback(lambda _: self._pending.pop(conversation_id, None))

    async def wait(self) -> None:
        await asyncio.gather(*list(self._pending.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        await self.wait()

    def messages(self, overflow: Overflow) -> list[ChatMessage]:
        """The request for the new part: the overflowing messages only (the previous summary is not rewritten)."""
        lang = self.prompts.lang
        lines = [
            f"{USER_LABEL[lang] if m.role == 'user' else 'Jarvis'} : {m.content}"
            for m in overflow.messages
            if m.role in ("user", "assistant")
        ]
        return [
            {"role": "system", "content": INSTRUCTION[lang]},
            {"role": "user", "content": "\n".join(lines)},
        ]

    async def summarise(self, overflow: Overflow) -> str:
        """The summary of the overflowing messages alone (the part to append)."""
        try:
            text = await self.llm.complete_in_background(self.messages(overflow), self.params)
        finally:
            if self.rewarm is not None:
                self.rewarm()  # the cache now holds the summary prompt: prepare the next turn again
        return " ".join(text.split())

    async def _run(self, overflow: Overflow) -> None:
        for attempt in range(ATTEMPTS):
            try:
                part = await self.summarise(overflow)
            except (LlmPreemptedError, LlmTimeoutError) as exc:
                log.info("summary-deferred", code=exc.code, attempt=attempt + 1)
                await asyncio.sleep(self.retry_delay_seconds)
                continue
            except JarvisError as exc:
                log.warning("summary-failed", code=exc.code, error=exc.message)
                return
            if not part:
                return
            summary, dropped = fold(overflow.summary, part, self.summary_tokens)
            if dropped:
                log.info("summary-trimmed", conversation_id=overflow.conversation_id, dropped_parts=dropped)
            upto = overflow.messages[-1].seq
            try:
                await self.conversations.set_summary(overflow.conversation_id, summary, upto)
            except JarvisError as exc:
                log.warning("summary-not-stored", code=exc.code, error=exc.message)
                return
            log.info("conversation-summarised", conversation_id=overflow.conversation_id, upto_seq=upto)
            return
