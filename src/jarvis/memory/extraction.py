"""Learning from conversation: after a turn, the LLM lists the durable facts of the user's message as JSON
(grammar-constrained), which are de-duplicated and may replace a memory they contradict.

It runs in the background and never delays a reply: it waits until no user request is running, evaluates its
prompt in small slices, and gives the model back as soon as the user speaks again (then it is tried later). Its
prompt is the conversation's own prompt plus one instruction, so llama.cpp's prefix cache already holds almost all
of it."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import BaseModel, Field, ValidationError

from jarvis.brain.prompt import PromptBuilder, Said
from jarvis.errors import JarvisError, LlmPreemptedError, LlmTimeoutError
from jarvis.llm.base import ChatMessage, GenerationParams, ToolSpec
from jarvis.llm.service import LlmService
from jarvis.memory.index import fold, topic_of
from jarvis.memory.items import KINDS, NewMemory
from jarvis.memory.service import MemoryService, as_statement
from jarvis.store.tables import Memory

log = structlog.get_logger(__name__)

MAX_FACTS = 3
KNOWN_SHOWN = 4
# A turn whose extraction keeps being interrupted by the user is given up after this many attempts.
ATTEMPTS = 8
# Only messages that speak about the user or their people can hold a durable fact worth an LLM call.
_PERSONAL = re.compile(
    r"\b(je|j'|j’|moi|mon|ma|mes|nous|notre|nos|i|i'm|i’m|my|we|our|mine)\b|\b(j'|j’)", re.IGNORECASE
)
RETENTION_BY_KIND = {"fact": "important", "preference": "normal", "event": "temporary", "note": "normal"}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "maxItems": MAX_FACTS,
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 3, "maxLength": 200},
                    "kind": {"type": "string", "enum": list(KINDS)},
                    "replaces": {"type": "integer", "minimum": 0, "maximum": KNOWN_SHOWN},
                },
                "required": ["text", "kind", "replaces"],
            },
        }
    },
    "required": ["facts"],
}

INSTRUCTION = {
    "fr": (
        "[Tâche interne, pas une réponse pour l'utilisateur] Relis seulement mon avant-dernier message (celui "
        "auquel tu viens de répondre). Liste les faits durables qu'il donne sur moi ou mes proches : identité, "
        "famille, lieu de vie, travail, goûts, santé, habitudes, dates importantes. Un seul fait par élément : "
        "sépare ce qui est distinct. Écris chaque fait à la troisième personne, en une phrase courte et complète "
        "(par exemple « L'utilisateur habite à Lyon. » ou « Sa fille s'appelle Léa. »). "
        "N'invente rien ; ignore les questions, les demandes, les salutations et ce qui ne vaut pas d'être retenu : "
        'dans ce cas, réponds {{"facts": []}}.\n{known}'
        'Si un fait remplace ou contredit un souvenir numéroté, mets son numéro dans "replaces", sinon 0. '
        'Réponds uniquement en JSON : {{"facts": [{{"text": …, "kind": "fact|preference|event|note", '
        '"replaces": 0}}]}}.'
    ),
    "en": (
        "[Internal task, not a reply for the user] Read only my message before this one (the one you just "
        "answered). List the durable facts it gives about me or my people: identity, family, home, work, tastes, "
        "health, habits, important dates. One fact per item: split what is distinct. Write each fact in the third "
        'person, as one short full sentence (for example "The user lives in Lyon." or "Their daughter is called '
        'Lea."). Invent nothing; ignore questions, requests, greetings '
        'and whatever is not worth remembering: then answer {{"facts": []}}.\n{known}'
        'If a fact replaces or contradicts a numbered memory, put its number in "replaces", otherwise 0. '
        'Answer only in JSON: {{"facts": [{{"text": …, "kind": "fact|preference|event|note", "replaces": 0}}]}}.'
    ),
}
KNOWN_HEADER = {"fr": "Souvenirs déjà connus :\n", "en": "Memories already known:\n"}


# Facts that hold one value at a time for a given person: a new one on the same topic replaces the old one, even
# when the model forgets to say so ("L'utilisateur a déménagé à Lyon" replaces "L'utilisateur habite à Paris").
ONE_VALUE_TOPICS = frozenset({"home", "work", "name", "age"})
_AUXILIARIES = frozenset({"a", "est", "s", "se", "ne", "n", "is", "has", "was", "now", "maintenant", "desormais"})


def _topic(text: str) -> tuple[str, tuple[str, ...]] | None:
    """(topic, the words naming whose fact it is) of a third-person statement, when it has a one-value topic."""
    words = re.findall(r"\w+", fold(text))
    for i, word in enumerate(words):
        topic = topic_of(word)
        if topic in ONE_VALUE_TOPICS and i > 0:
            subject = tuple(w for w in words[:i] if w not in _AUXILIARIES)
            return (topic, subject) if subject else None
    return None


def supersedes(new: str, old: str) -> bool:
    """Whether `new` states the same one-value fact about the same person as `old` (so it replaces it)."""
    a, b = _topic(new), _topic(old)
    if a is None or a != b:
        return False
    # Two children may have two names: a name replaces a name only for the user themselves.
    return a[0] != "name" or a[1] in (("l", "utilisateur"), ("the", "user"))


class ExtractedFact(BaseModel):
    text: str = Field(min_length=3, max_length=200)
    kind: str = "fact"
    replaces: int = Field(0, ge=0, le=KNOWN_SHOWN)


class Extraction(BaseModel):
    facts: list[ExtractedFact] = Field(default_factory=list, max_length=MAX_FACTS)


def worth_extracting(text: str) -> bool:
    """Cheap gate before any LLM work: a first-person statement, not a question."""
    stripped = text.strip()
    return bool(stripped) and not stripped.endswith("?") and _PERSONAL.search(stripped) is not None


def parse_extraction(raw: str) -> Extraction | None:
    """The model's JSON, or None (logged) when it is not valid."""
    try:
        return Extraction.model_validate(json.loads(raw))
    except (json.JSONDecodeError, ValidationError) as exc:
        log.warning("memory-extraction-invalid", error=str(exc)[:200], output=raw[:200])
        return None


@dataclass(frozen=True)
class TurnToLearn:
    history: list[Said]  # everything before the user's message
    user: Said
    reply: str
    conversation_id: str
    message_id: str | None
    summary: str = ""  # the conversation summary the turn's prompt carried


class MemoryLearner:
    def __init__(
        self,
        memory: MemoryService,
        llm: LlmService,
        prompts: PromptBuilder,
        *,
        rewarm: Callable[[], None] | None = None,
        tools: Callable[[], list[ToolSpec] | None] | None = None,
        retry_delay_seconds: float = 2.0,
    ) -> None:
        self.tools = tools
        self.memory = memory
        self.llm = llm
        self.prompts = prompts
        self.params = GenerationParams(
            max_tokens=160, temperature=0.0, repeat_penalty=1.0, json_schema=SCHEMA, background=True
        )
        self.rewarm = rewarm
        self.retry_delay_seconds = retry_delay_seconds
        self._queue: asyncio.Queue[TurnToLearn] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._done = asyncio.Event()
        self._done.set()

    def after_turn(self, turn: TurnToLearn) -> None:
        """Queue a finished turn for extraction (no-op for messages that cannot hold a fact)."""
        if not worth_extracting(turn.user.content) or not turn.reply:
            return
        self._done.clear()
        self._queue.put_nowait(turn)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())

    async def wait(self) -> None:
        """Wait until every queued turn was processed (tests and benchmarks)."""
        await self._done.wait()

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    async def _work(self) -> None:
        while not self._queue.empty():
            turn = self._queue.get_nowait()
            for attempt in range(ATTEMPTS):
                try:
                    await self.learn(turn)
                    break
                except (LlmPreemptedError, LlmTimeoutError) as exc:
                    log.info("memory-extraction-deferred", code=exc.code, attempt=attempt + 1)
                    await asyncio.sleep(self.retry_delay_seconds)
                except JarvisError as exc:
                    log.warning("memory-extraction-failed", code=exc.code, error=exc.message)
                    break
                except Exception:
                    log.exception("memory-extraction-failed")
                    break
        self._done.set()

    def messages(self, turn: TurnToLearn, known: list[Memory]) -> list[ChatMessage]:
        """The conversation's prompt (what the cache holds) followed by the extraction instruction."""
        lang = self.prompts.language if self.prompts.language in INSTRUCTION else "fr"
        listed = "".join(f"{i}. {m.text}\n" for i, m in enumerate(known, 1))
        instruction = INSTRUCTION[lang].format(known=KNOWN_HEADER[lang] + listed if known else "")
        history = [*turn.history, turn.user, Said("assistant", turn.reply, turn.user.at)]
        return [*self.prompts.build_prefix(history, summary=turn.summary), {"role": "user", "content": instruction}]

    async def learn(self, turn: TurnToLearn) -> list[Memory]:
        known = [f.memory for f in await self.memory.search(turn.user.content, KNOWN_SHOWN)]
        try:
            tools = self.tools() if self.tools is not None else None
            raw = await self.llm.complete_in_background(self.messages(turn, known), self.params, tools=tools)
        finally:
            if self.rewarm is not None:
                self.rewarm()  # the cache now ends with the extraction: prepare the next turn again
        extraction = parse_extraction(raw)
        if extraction is None:
            return []
        learned: list[Memory] = []
        for fact in extraction.facts:
            kind = fact.kind if fact.kind in KINDS else "fact"
            item = NewMemory(
                as_statement(fact.text, self.prompts.lang),
                kind=kind,
                retention=RETENTION_BY_KIND.get(kind, "normal"),
                source_conversation_id=turn.conversation_id,
                source_message_id=turn.message_id,
            )
            replaced = known[fact.replaces - 1] if 0 < fact.replaces <= len(known) else None
            if replaced is None:
                replaced = next((m for m in known if supersedes(item.text, m.text)), None)
            try:
                if replaced is not None and self.memory.get(replaced.id) is not None:
                    row = await self.memory.replace(replaced.id, item)
                else:
                    row, _ = await self.memory.add(item)
            except JarvisError as exc:
                log.warning("memory-extraction-skipped", code=exc.code, text=fact.text[:80])
                continue
            learned.append(row)
        log.info("memory-learned", count=len(learned), conversation_id=turn.conversation_id)
        return learned
