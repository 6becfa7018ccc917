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

# Words an utterance does not end on: the speaker is still looking for what comes next.
_TRAILING = frozenset(
    {
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "au", "aux", "à", "par", "pour", "sur", "sous",
        "dans", "chez", "vers", "entre", "avec", "sans", "contre", "depuis", "pendant", "et", "ou", "mais", "donc",
        "car", "ni", "que", "qu", "dont", "ce", "cet", "cette", "ces", "mon", "ma", "mes", "ton", "ta", "tes", "son",
        "sa", "ses", "notre", "nos", "votre", "vos", "leurs", "ne", "n", "se", "s", "je", "j", "il", "ils", "on",
        "me", "m", "te", "t", "très", "quel", "quelle", "quels", "quelles", "comme", "parce", "puis", "si", "euh",
        "heu", "hum", "bah", "ben", "genre", "enfin",
        "the", "a", "an", "of", "to", "in", "at", "for", "with", "by", "from", "and", "or", "but", "that", "my",
        "your", "his", "her", "our", "their", "this", "these", "those", "i", "very", "um", "uh", "because", "if",
    }
)  # fmt: skip
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
