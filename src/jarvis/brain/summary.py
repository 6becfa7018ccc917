"""Long conversations keep a token budget: when older turns no longer fit, they are summarised in the background
(never delaying a reply) and the prompt carries the summary instead of dropping them silently."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from jarvis.brain.prompt import PromptBuilder, Said
from jarvis.errors import JarvisError, LlmPreemptedError, LlmTimeoutError
from jarvis.llm.base import ChatMessage, GenerationParams
from jarvis.llm.service import LlmService
from jarvis.store.conversations import ConversationRepository

log = structlog.get_logger(__name__)

ATTEMPTS = 8
# Summarise a little more than what overflows, so that a summary is not needed again at the very next turn.
EXTRA_MESSAGES = 4
INSTRUCTION = {
    "fr": (
        "Résume la conversation ci-dessous entre l'utilisateur et Jarvis, son assistant vocal, en au plus 80 mots, "
        "à la troisième personne : les faits donnés par l'utilisateur, ses demandes, ce qui a été répondu ou décidé, "
        "ce qui reste en suspens. N'ajoute rien qui n'y soit pas. Réponds seulement par le résumé."
    ),
    "en": (
        "Summarise the conversation below between the user and Jarvis, their voice assistant, in at most 80 words, "
        "in the third person: facts the user gave, their requests, what was answered or decided, what is still "
        "open. Add nothing that is not there. Answer with the summary only."
    ),
}
LABELS = {"fr": ("Résumé précédent", "Utilisateur"), "en": ("Previous summary", "User")}


@dataclass(frozen=True)
class Overflow:
    conversation_id: str
    summary: str
    messages: list[Said]  # the oldest messages, to fold into the summary


class ConversationSummariser:
    def __init__(
        self,
        llm: LlmService,
        prompts: PromptBuilder,
        conversations: ConversationRepository,
        *,
        rewarm: Callable[[], None] | None = None,
        retry_delay_seconds: float = 2.0,
    ) -> None:
        self.rewarm = rewarm
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
        lang = self.prompts.lang
        previous, user = LABELS[lang]
        lines = [f"{previous} : {overflow.summary}"] if overflow.summary else []
        lines += [
            f"{user if m.role == 'user' else 'Jarvis'} : {m.content}"
            for m in overflow.messages
            if m.role in ("user", "assistant")
        ]
        return [
            {"role": "system", "content": INSTRUCTION[lang]},
            {"role": "user", "content": "\n".join(lines)},
        ]

    async def summarise(self, overflow: Overflow) -> str:
        try:
            text = await self.llm.complete_in_background(self.messages(overflow), self.params)
        finally:
            if self.rewarm is not None:
                self.rewarm()  # the cache now holds the summary prompt: prepare the next turn again
        return " ".join(text.split())

    async def _run(self, overflow: Overflow) -> None:
        for attempt in range(ATTEMPTS):
            try:
                summary = await self.summarise(overflow)
            except (LlmPreemptedError, LlmTimeoutError) as exc:
                log.info("summary-deferred", code=exc.code, attempt=attempt + 1)
                await asyncio.sleep(self.retry_delay_seconds)
                continue
            except JarvisError as exc:
                log.warning("summary-failed", code=exc.code, error=exc.message)
                return
            if not summary:
                return
            upto = overflow.messages[-1].seq
            try:
                await self.conversations.set_summary(overflow.conversation_id, summary, upto)
            except JarvisError as exc:
                log.warning("summary-not-stored", code=exc.code, error=exc.message)
                return
            log.info("conversation-summarised", conversation_id=overflow.conversation_id, upto_seq=upto)
            return
