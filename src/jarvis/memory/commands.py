"""Direct memory commands, recognised without the LLM: "souviens-toi que …", "oublie que …",
"qu'est-ce que tu sais sur moi ?" (and the English forms). Works on typed text and on Whisper's punctuated output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Action = Literal["remember", "forget", "recall-all"]

_FILLER = r"(?:(?:jarvis|s'il te plaît|s'il te plait|stp|please|hey|dis|ok|okay)[\s,]*)*"
_REMEMBER = re.compile(
    _FILLER + r"(?:souviens[- ]toi|rappelle[- ]toi|retiens|mémorise|memorise|note|n'oublie pas|n'oublies pas"
    r"|remember|note|don't forget|do not forget)(?:\s+bien)?\s*(?:que\s+|qu'|de\s+|:\s*|that\s+)(?P<what>.+)",
    re.IGNORECASE | re.DOTALL,
)
_FORGET = re.compile(
    _FILLER + r"(?:oublie|forget)\s+(?:que\s+|qu'|ce que je t'ai dit (?:sur|à propos de)\s+"
    r"|(?:le fait |the fact )?(?:que\s+|that\s+)|about\s+|)(?P<what>.+)",
    re.IGNORECASE | re.DOTALL,
)
_RECALL_ALL = re.compile(
    _FILLER + r"(?:qu'est[- ]ce que|que|qu'est ce que|dis[- ]moi ce que)\s+tu\s+(?:sais|connais|as retenu)\s+"
    r"(?:sur|de|à propos de)\s+moi"
    r"|what do you (?:know|remember) about me",
    re.IGNORECASE,
)
_TRAILING = " \t\n.!?…,;"


@dataclass(frozen=True)
class Command:
    action: Action
    text: str = ""
    language: str = "fr"


def _language(text: str) -> str:
    return "en" if re.match(_FILLER + r"(remember|note that|don't|do not|forget|what do you)", text, re.I) else "fr"


def parse(text: str) -> Command | None:
    """The memory command in `text`, or None when it is not one (then the LLM answers)."""
    stripped = text.strip().strip(_TRAILING.replace(".", "")).strip()
    if _RECALL_ALL.fullmatch(stripped.rstrip(_TRAILING)):
        return Command("recall-all", language=_language(stripped))
    for action, pattern in (("remember", _REMEMBER), ("forget", _FORGET)):
        match = pattern.fullmatch(stripped)
        if match:
            what = match.group("what").strip(_TRAILING)
            # "oublie ça" / "forget it" are not about a stored memory.
            if len(what) < 3 or what.casefold() in {"ça", "ca", "it", "that", "tout", "everything"}:
                return None
            return Command(action, _first_upper(what), _language(stripped))  # type: ignore[arg-type]
    return None


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]
