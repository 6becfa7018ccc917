"""Direct memory commands, recognised without the LLM: "souviens-toi que …", "oublie que …",
"qu'est-ce que tu sais sur moi ?" (and the English forms). Works on typed text and on Whisper's punctuated output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Action = Literal["remember", "forget", "recall-all"]

# Words people put before a command ("Jarvis, …", "Ok Jarvis. …"), followed by any punctuation Whisper writes.
_FILLER = r"(?:(?:jarvis|s'il te plaît|s'il te plait|stp|please|hey|hé|dis|ok|okay)[\s,.!:;]*)*"
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
    _FILLER + r"(?:(?:qu'est[- ]ce que|que|qu'est ce que|dis[- ]moi ce que)\s+tu\s+(?:sais|connais|as retenu)\s+"
    r"(?:sur|de|à propos de)\s+moi"
    r"|que sais[- ]tu (?:sur|de) moi"
    r"|what do you (?:know|remember) about me)",
    re.IGNORECASE,
)
# The user asks Jarvis to keep something, anywhere in the request (« garde ça en tête », « n'oublie pas que … »).
_KEEP_CUE = re.compile(
    r"\b(?:souviens|rappelle[- ]toi|retiens|retenir|mémorise|memorise|note|noter|n'oublie|garde\b.{0,20}?\ben "
    r"(?:tête|tete|mémoire|memoire)|remember|keep\b.{0,20}?\bin mind|don't forget|do not forget)",
    re.IGNORECASE,
)
# Or tells something about themselves or their home (« Je m'appelle Gaspard », « Ma fille s'appelle Léa »).
_ABOUT_ME = re.compile(
    _FILLER + r"(?:je\b|j'|mon\b|ma\b|mes\b|notre\b|nos\b|nous\b|chez (?:moi|nous)\b|i\b|i'm\b|my\b|our\b|we\b)",
    re.IGNORECASE,
)
_ENGLISH = re.compile(_FILLER + r"(remember|note that|don't|do not|forget|what do you)", re.IGNORECASE)
_TRAILING = " \t\n.!?…,;"
# Not something to store or look up: "oublie ça, c'est pas grave", "souviens-toi de moi".
_NOT_A_FACT = frozenset({"ça", "ca", "cela", "moi", "toi", "lui", "tout", "it", "this", "that", "me", "everything"})


@dataclass(frozen=True)
class Command:
    action: Action
    text: str = ""
    language: str = "fr"


def parse(text: str) -> Command | None:
    """The memory command in `text`, or None when it is not one (then the LLM answers)."""
    stripped = text.replace("’", "'").strip().strip(_TRAILING.replace(".", "")).strip()
    language = "en" if _ENGLISH.match(stripped) else "fr"
    if _RECALL_ALL.fullmatch(stripped.rstrip(_TRAILING)):
        return Command("recall-all", language=language)
    for action, pattern in (("remember", _REMEMBER), ("forget", _FORGET)):
        match = pattern.fullmatch(stripped)
        if match:
            what = match.group("what").strip(_TRAILING)
            first = re.split(r"[\s,.!?;:]+", what.casefold(), maxsplit=1)[0]
            if len(what) < 3 or first in _NOT_A_FACT:
                return None
            return Command(action, what[:1].upper() + what[1:], language)  # type: ignore[arg-type]
    return None


def may_be_remembered(request: str) -> bool:
    """Whether the model may store something from this request with its `remember` tool: the user asks it to keep
    something in mind, or tells something about themselves or their home. Not an order Jarvis cannot carry out:
    « Appelle maman » once got « C'est noté »."""
    request = request.replace("’", "'").strip()
    return _KEEP_CUE.search(request) is not None or _ABOUT_ME.match(request) is not None
