"""Whether what was heard so far reads as a finished utterance (semantic endpointing).

Whisper punctuates what it transcribes: a question it hears whole ends with « ? », a statement with « . ». A speaker
who stops mid-sentence leaves either no final mark, an ellipsis, or a word that cannot end a French (or English)
sentence: an article, a preposition, a conjunction, a hesitation. Live listening uses this to end the utterance as
soon as the early transcript is known, instead of waiting for the whole endpointing silence.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from jarvis.config import VadSettings
from jarvis.tts.sentences import LEANING_WORDS

# Words an utterance does not end on: those a spoken piece never ends on, except the pronouns and adverbs a question
# or an answer can close with (« Et vous ? », « C'est qui ? », « Il est où ? », « J'en veux plus. »), and words of
# hesitation or linking that leave the sentence open.
_CAN_CLOSE = frozenset(
    {
        "c", "elle", "elles", "en", "est", "leur", "lui", "moins", "nous", "où", "plus", "qui", "tous", "tout",
        "toute", "toutes", "tu", "vous", "y",
        "are", "he", "is", "it", "its", "more", "she", "so", "they", "we", "which", "who", "you",
    }
)  # fmt: skip
_OPEN = frozenset(
    {
        "contre", "depuis", "pendant", "comme", "parce", "puis", "euh", "heu", "hum", "bah", "ben", "genre", "enfin",
        "because", "if", "um", "uh",
    }
)  # fmt: skip
_TRAILING = (LEANING_WORDS - _CAN_CLOSE) | _OPEN
_WORDS = re.compile(r"[\w'’-]+")


def sounds_complete(text: str) -> bool:
    """True when `text` (a Whisper transcript) ends like a whole sentence: a final « . », « ? » or « ! » (not an
    ellipsis) after a word a sentence can end on."""
    text = text.strip().rstrip("»”\"') ")
    if not text or text[-1] not in ".?!" or text.endswith(("..", "…")):
        return False
    words = _WORDS.findall(text)
    if not words:
        return False
    last = re.split(r"['’]", words[-1].lower())[-1]  # « l'Italie » ends on « italie », « jusqu' » on nothing
    return bool(last) and last not in _TRAILING


def end_silence(text: str, vad: VadSettings, completes_command: Callable[[str], bool]) -> float | None:
    """The silence after which an utterance ends, now that the early transcript `text` is known: 0 (at once) for a
    whole command the fast path knows, `vad.sentence_end_silence_seconds` for a sentence that sounds finished,
    None for the usual `vad.silence_seconds`."""
    if vad.end_on_command and completes_command(text):
        return 0.0
    if vad.sentence_end_silence_seconds is not None and sounds_complete(text):
        return vad.sentence_end_silence_seconds
    return None
