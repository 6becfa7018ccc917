"""Prompt assembly. The system prompt is a constant prefix so llama.cpp's prefix cache keeps it evaluated;
everything that changes (date and time) goes right before the newest user message."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from jarvis.llm.base import ChatMessage

PERSONA = {
    "fr": (
        "Tu es Jarvis, l'assistant vocal privé d'une maison. Tu fonctionnes entièrement en local, sans cloud. "
        "Réponds dans la langue de l'utilisateur (en français par défaut), en une à trois phrases courtes, "
        "naturelles et faciles à dire à voix haute : pas de listes, de titres ni de Markdown sauf si on te les "
        "demande. Sois direct et chaleureux. Si tu ne sais pas, dis-le simplement ; n'invente jamais de faits, "
        "d'actions effectuées ni de chiffres."
    ),
    "en": (
        "You are Jarvis, the private voice assistant of a home. You run entirely locally, without any cloud. "
        "Answer in the user's language (English by default), in one to three short, natural sentences that are "
        "easy to say aloud: no lists, headings or Markdown unless asked. Be direct and warm. If you do not know, "
        "say so plainly; never invent facts, actions you did not take, or numbers."
    ),
}

# Appended to the persona when the request carries tools: small models otherwise answer from imagination.
TOOLS_HINT = {
    "fr": " Quand un des outils fournis permet de répondre ou d'agir, appelle-le au lieu de répondre de mémoire.",
    "en": " When one of the provided tools can answer or act, call it instead of answering from memory.",
}

# Also used by the French text normaliser of speech synthesis.
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

_WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "fr": MONTHS_FR,
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def weekday_name(now: datetime, language: str) -> str:
    return _WEEKDAYS[language if language in _WEEKDAYS else "fr"][now.weekday()]


def month_name(now: datetime, language: str) -> str:
    return _MONTHS[language if language in _MONTHS else "fr"][now.month - 1]


def describe_now(now: datetime, language: str) -> str:
    """The local date and time as a sentence the model reads (minute resolution)."""
    lang = language if language in _WEEKDAYS else "fr"
    weekday = _WEEKDAYS[lang][now.weekday()]
    month = _MONTHS[lang][now.month - 1]
    zone = now.tzname() or ""
    if lang == "fr":
        return f"Contexte : nous sommes le {weekday} {now.day} {month} {now.year}, il est {now:%H:%M} ({zone})."
    return f"Context: today is {weekday}, {month} {now.day}, {now.year}; the time is {now:%H:%M} ({zone})."


def estimate_tokens(text: str) -> int:
    # About 3.5 characters per token for French and English with Qwen's tokenizer; used for history budgets.
    return len(text) // 3 + 4


@dataclass(frozen=True)
class Said:
    """A past message of the conversation and when it was said."""

    role: str
    content: str
    at: datetime


@dataclass
class PromptBuilder:
    language: str
    timezone: ZoneInfo | None
    history_tokens: int
    clock: Callable[[], datetime] = datetime.now

    @property
    def system_prompt(self) -> str:
        return PERSONA.get(self.language, PERSONA["fr"])

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone) if self.timezone is not None else moment.astimezone()

    def now(self) -> datetime:
        return self.local(self.clock())

    def context(self, moment: datetime) -> ChatMessage:
        return {"role": "system", "content": describe_now(self.local(moment), self.language)}

    def build(self, history: Sequence[Said], user_text: str, at: datetime | None = None) -> list[ChatMessage]:
        """System prompt, the most recent history that fits the budget, the date and time, the new message."""
        return [*self.build_prefix(history, at), {"role": "user", "content": user_text}]

    def build_prefix(self, history: Sequence[Said], at: datetime | None = None) -> list[ChatMessage]:
        """Everything before the new user message (what can be evaluated before the user speaks).

        Each past user message keeps the date context it was said with, so a turn's prompt extends the
        previous one token for token and llama.cpp's cache only evaluates what is new."""
        kept: list[ChatMessage] = []
        budget = self.history_tokens
        for said in reversed(history):
            turn: list[ChatMessage] = [{"role": said.role, "content": said.content}]
            if said.role == "user":
                turn.insert(0, self.context(said.at))
            cost = sum(estimate_tokens(m["content"]) for m in turn)
            if cost > budget:
                break
            budget -= cost
            kept[:0] = turn
        # Start the kept history on a user turn so the model never sees an orphan reply first.
        while kept and kept[0]["role"] == "assistant":
            kept.pop(0)
        return [
            {"role": "system", "content": self.system_prompt},
            *kept,
            self.context(at or self.clock()),
        ]
