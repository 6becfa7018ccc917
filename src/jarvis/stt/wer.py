"""Text normalisation for word error rate: the same light rules for references and hypotheses."""

from __future__ import annotations

import re
import unicodedata

# "80%" and "80 pourcent" both mean "80 pour cent"; the English benchmark says "percent".
_PERCENT = {"fr": " pour cent ", "en": " percent "}
_POURCENT = re.compile(r"\bpourcent\b")
# Apostrophes (straight or typographic), hyphens and every other punctuation mark separate words.
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def normalize_for_wer(text: str, *, language: str = "fr") -> str:
    """Lowercase, percent sign spelt out, punctuation removed, spaces collapsed. Accents and digits stay as
    they are ("17" and "dix-sept" differ: that is a real difference for a command parser)."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.replace("%", _PERCENT.get(language, " percent "))
    text = _POURCENT.sub("pour cent", text)
    text = _PUNCTUATION.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
