"""Prompt assembly. The system prompt is a constant prefix so llama.cpp's prefix cache keeps it evaluated;
everything that changes (date and time) goes right before the newest user message."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from jarvis.i18n import t
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

PROFILE_LABELS = {
    "fr": {
        "header": "Ce que tu sais du foyer (profil) :",
        "name": "Prénom de l'utilisateur",
        "city": "Ville",
        "household": "Foyer",
        "preferences": "Préférences",
        "notes": "Notes",
    },
    "en": {
        "header": "What you know about the household (profile):",
        "name": "User's name",
        "city": "City",
        "household": "Household",
        "preferences": "Preferences",
        "notes": "Notes",
    },
}
MEMORIES_HEADER = {
    "fr": "Ce que tu sais de l'utilisateur (sers-t'en seulement si cela aide à répondre ; parle-lui en le vouvoyant) :",
    "en": 'What you know about the user (use it only if it helps to answer; speak to them as "you"):',
}

SUMMARY_HEADER = {
    "fr": "Résumé du début de cette conversation :",
    "en": "Summary of the start of this conversation:",
}

# Also used by the French text normaliser of speech synthesis.
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
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
    return WEEKDAYS[language if language in WEEKDAYS else "fr"][now.weekday()]


def month_name(now: datetime, language: str) -> str:
    return MONTHS[language if language in MONTHS else "fr"][now.month - 1]


def describe_now(now: datetime, language: str) -> str:
    """The local date and time as a sentence the model reads (minute resolution)."""
    lang = language if language in WEEKDAYS else "fr"
    weekday = WEEKDAYS[lang][now.weekday()]
    month = MONTHS[lang][now.month - 1]
    zone = now.tzname() or ""
    if lang == "fr":
        return f"Contexte : nous sommes le {weekday} {now.day} {month} {now.year}, il est {now:%H:%M} ({zone})."
    return f"Context: today is {weekday}, {month} {now.day}, {now.year}; the time is {now:%H:%M} ({zone})."


def estimate_tokens(text: str) -> int:
    # About 3.5 characters per token for French and English with Qwen's tokenizer; used for history budgets.
    return len(text) // 3 + 4


def tool_exchange(record: str) -> list[ChatMessage]:
    """A stored tool record (the `tool` message of a past turn) as the call and result the model saw then, so that
    past turns show which actions really happened (a small model otherwise imitates "done" without calling)."""
    try:
        data = json.loads(record)
        name, arguments, ok, content = data["name"], data["arguments"], data["ok"], data["content"]
    except (ValueError, KeyError, TypeError):
        return []
    # Stable across restarts (unlike hash()), so the rendered history stays the same token for token.
    call_id = "call_" + hashlib.sha256(record.encode()).hexdigest()[:12]
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }
    return [
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {
            "role": "tool",
            "tool_call_id": call_id,
            "name": name,
            "content": content if ok else t("tool-error", message=content),
        },
    ]


@dataclass(frozen=True)
class Said:
    """A past message of the conversation and when it was said."""

    role: str
    content: str
    at: datetime
    seq: int = 0  # the message's place in its conversation (0: not stored yet)


@dataclass
class PromptBuilder:
    language: str
    timezone: ZoneInfo | None
    history_tokens: int
    clock: Callable[[], datetime] = datetime.now
    # The household profile; part of the constant system prompt (it changes rarely).
    profile: dict[str, str] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.language if self.language in PERSONA else "fr"

    # Tools go with every request (their definitions are part of the constant prefix): tell the model to use them.
    tools_hint: bool = False

    @property
    def system_prompt(self) -> str:
        persona = PERSONA[self.lang]
        if self.tools_hint:
            persona += TOOLS_HINT[self.lang]
        return persona

    def profile_context(self) -> list[ChatMessage]:
        """The household profile as a system message of its own, after the persona and the tool definitions: a
        profile edit then invalidates only these few tokens of the cached prompt, not the ~1,000 of the tools."""
        if not self.profile:
            return []
        labels = PROFILE_LABELS[self.lang]
        sep = " : " if self.lang == "fr" else ": "
        lines = [f"- {labels.get(key, key)}{sep}{value}" for key, value in self.profile.items()]
        return [{"role": "system", "content": "\n".join([labels["header"], *lines])}]

    def set_profile(self, profile: dict[str, str]) -> None:
        self.profile = dict(profile)

    def memories_context(self, memories: Sequence[str]) -> ChatMessage:
        lines = "\n".join(f"- {text}" for text in memories)
        return {"role": "system", "content": f"{MEMORIES_HEADER[self.lang]}\n{lines}"}

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone) if self.timezone is not None else moment.astimezone()

    def now(self) -> datetime:
        return self.local(self.clock())

    def context(self, moment: datetime) -> ChatMessage:
        return {"role": "system", "content": describe_now(self.local(moment), self.language)}

    def build(
        self,
        history: Sequence[Said],
        user_text: str,
        at: datetime | None = None,
        memories: Sequence[str] = (),
        summary: str = "",
    ) -> list[ChatMessage]:
        """System prompt, the most recent history that fits the budget, the date and time, the memories relevant
        to this message (they sit after the cached prefix, so recalling them costs only their own tokens), the new
        message."""
        recalled = [self.memories_context(memories)] if memories else []
        return [*self.build_prefix(history, at, summary), *recalled, {"role": "user", "content": user_text}]

    def build_prefix(self, history: Sequence[Said], at: datetime | None = None, summary: str = "") -> list[ChatMessage]:
        """Everything before the new user message (what can be evaluated before the user speaks).

        Each past user message keeps the date context it was said with, so a turn's prompt extends the
        previous one token for token and llama.cpp's cache only evaluates what is new."""
        kept: list[ChatMessage] = []
        budget = self.history_tokens
        for said in reversed(history):
            turn: list[ChatMessage] = [{"role": said.role, "content": said.content}]
            if said.role == "user":
                turn.insert(0, self.context(said.at))
            elif said.role == "tool":
                turn = tool_exchange(said.content)
            cost = self._cost(said)
            if cost > budget:
                break
            budget -= cost
            kept[:0] = turn
        # Start the kept history on a user turn so the model never sees an orphan reply first.
        while kept and kept[0]["role"] in ("assistant", "tool"):
            kept.pop(0)
        earlier = [{"role": "system", "content": f"{SUMMARY_HEADER[self.lang]}\n{summary}"}] if summary else []
        return [
            {"role": "system", "content": self.system_prompt},
            *self.profile_context(),
            *earlier,
            *kept,
            self.context(at or self.clock()),
        ]

    def _cost(self, said: Said) -> int:
        """Tokens a past message takes in the prompt (a user message also carries its date context)."""
        cost = estimate_tokens(said.content)
        if said.role == "user":
            cost += estimate_tokens(self.context(said.at)["content"])
        elif said.role == "tool":
            cost += len(said.content) // 4  # the record is shown as a call and its result
        return cost

    def overflow(self, history: Sequence[Said]) -> int:
        """How many of the oldest messages of `history` no longer fit the budget (they are left out)."""
        budget = self.history_tokens
        kept = 0
        for said in reversed(history):
            cost = self._cost(said)
            if cost > budget:
                break
            budget -= cost
            kept += 1
        return len(history) - kept
