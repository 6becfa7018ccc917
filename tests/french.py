"""A crude but real check that a text is French (used on answers from the real model)."""

import re

_FRENCH = (
    "je tu il elle nous vous le la les un une des est suis et de du pour avec bonjour merci oui non pas ne que "
    "qui mon votre ton sur dans c'est au aux ce cette peux puis aider aujourd'hui"
)
_ENGLISH = "the is are you i and of to hello with for can help"
FRENCH_WORDS = frozenset(_FRENCH.split())
ENGLISH_WORDS = frozenset(_ENGLISH.split())


def looks_french(text: str) -> bool:
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ']+", text.lower())
    french = sum(w in FRENCH_WORDS for w in words) + sum(bool(re.search("[àâçéèêëîïôûùœ]", w)) for w in words)
    english = sum(w in ENGLISH_WORDS for w in words)
    return french >= 2 and french > english
