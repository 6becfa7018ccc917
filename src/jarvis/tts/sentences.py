"""Streaming sentence splitter: cuts generated text into speakable pieces as soon as each one is complete."""

from __future__ import annotations

import re

_ENDS = ".!?…;:"
# Closing marks that belong to the sentence they follow.
_CLOSERS = "»”\"')]}*"
_SPACE = " \t\r\u00a0\u202f"
# Titles always precede a name: never the end of a sentence, whatever follows.
_TITLES = frozenset(
    {"m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "pr", "me", "mgr", "st", "ste", "mr", "mrs", "ms"}
)
# Abbreviations that may end a sentence: only an end when a capital (or nothing) follows.
_ABBREVIATIONS = frozenset(
    {"etc", "cf", "ex", "env", "p", "av", "apr", "bd", "vol", "chap", "fig", "approx", "tél", "tel", "n°", "no", "vs"}
)
# Words that open a new clause or phrase (French and English): the first piece may stop before one, as at a comma.
_OPENERS = frozenset(
    {
        "et", "mais", "ou", "donc", "car", "puis", "avec", "sans", "pour", "parce", "lorsque", "quand", "alors",
        "and", "but", "because", "with", "without", "then", "while", "when",
    }
)  # fmt: skip
# Words a spoken piece never ends on: they lean on the word after them (articles, prepositions, pronouns…).
LEANING_WORDS = frozenset(
    {
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "au", "aux", "à", "en", "par", "pour", "sur",
        "sous", "dans", "chez", "vers", "entre", "avec", "sans", "et", "ou", "mais", "donc", "car", "ni", "que", "qu",
        "qui", "dont", "où", "ce", "cet", "cette", "ces", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses",
        "notre", "nos", "votre", "vos", "leur", "leurs", "ne", "n", "se", "s", "je", "j", "tu", "il", "elle", "on",
        "nous", "vous", "ils", "elles", "y", "me", "m", "te", "t", "lui", "très", "plus", "moins", "si", "quel",
        "quelle", "quels", "quelles", "tout", "tous", "toute", "toutes", "est", "c",
        "the", "a", "an", "of", "to", "in", "at", "for", "with", "by", "from", "and", "or", "but", "that",
        "which", "who", "my", "your", "his", "her", "its", "our", "their", "this", "these", "those", "i", "you",
        "he", "she", "we", "they", "it", "is", "are", "very", "more", "so",
    }
)  # fmt: skip
# Words that complete the one before them: a piece never stops just before one (« je ne sais | pas »).
_COMPLETING = frozenset({"pas", "jamais", "rien", "guère", "point", "plus", "not", "n't"})
_WORD_CHARS = re.compile(r"[\w'’-]+")
_LAST_WORD = re.compile(r"([\w°]+)$")
_LIST_MARKER = re.compile(r"^\W*\d{1,3}$")
_NO = 0  # "this mark ends nothing": a real cut is always after at least one character


class SentenceSplitter:
    """Feed text pieces of any size; complete sentences come out in the same order whatever the pieces were.

    A sentence ends at . ! ? … ; : followed by white space, or at a newline. So that the first audio can start
    early, the first piece may stop at a comma, or before a word opening a clause (« et », « mais », « avec »…),
    once it holds `first_clause_min_chars` characters. A piece that
    reaches `max_chars` without an end is cut at its last space, to bound the latency of run-on text.
    """

    def __init__(self, *, first_clause_min_chars: int = 24, max_chars: int = 300) -> None:
        self.first_clause_min_chars = first_clause_min_chars
        self.max_chars = max_chars
        self._buffer = ""
        self._scan = 0  # everything before this offset of the buffer holds no end
        self._emitted = False

    def feed(self, text_piece: str) -> list[str]:
        """Add generated text; return the sentences it completes (often none)."""
        self._buffer += text_piece
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """The end of the text: return what is left (the last sentence, if any) and start afresh."""
        out = self._drain(final=True)
        rest, self._buffer, self._scan = self._buffer.strip(), "", 0
        if _speakable(rest):
            out.append(rest)
        self._emitted = False
        return out

    def overdue_first_piece(self) -> str | None:
        """The first piece, cut now because no clause end came in time: the complete words written so far, up to
        the last one a phrase can end on (no article, preposition or pronoun — « Le livre » rather than « Le livre
        de »), at least `first_clause_min_chars` long, with no quote or bracket left open and no number cut from
        its unit. None when there is no such cut yet, or a piece was already given."""
        if self._emitted:
            return None
        text = self._buffer
        cuts = [m.start() for m in re.finditer(f"[{_SPACE}]+", text)]  # a word followed by a space is complete
        for cut in reversed(cuts):
            piece = text[:cut].strip()
            if len(piece) < self.first_clause_min_chars:
                return None
            if _can_end_piece(piece) and _starts_word(text[cut:]):
                self._buffer, self._scan, self._emitted = text[cut:].lstrip(_SPACE), 0, True
                return piece
        return None

    def _drain(self, *, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            cut = self._next_cut(final=final)
            if cut is None:
                return out
            sentence, self._buffer, self._scan = self._buffer[:cut].strip(), self._buffer[cut:], 0
            if _speakable(sentence):
                out.append(sentence)
                self._emitted = True

    def _next_cut(self, *, final: bool) -> int | None:
        """Offset just after the next sentence end in the buffer, or None when it is not known yet."""
        text = self._buffer
        i = self._scan
        while i < len(text):
            if i >= self.max_chars:
                space = text.rfind(" ", 0, self.max_chars)
                return space + 1 if space > 0 else self.max_chars
            char = text[i]
            if char == "\n":
                return i + 1
            if char in _ENDS:
                cut = self._end_at(i, final=final)
            elif char == "," and not self._emitted:
                cut = self._clause_at(i, final=final)
            elif char == " " and not self._emitted:
                cut = self._opener_at(i, final=final)
            else:
                cut = _NO
            if cut is None:
                self._scan = i  # decide again once more text has come
                return None
            if cut != _NO:
                return cut
            i += 1
        self._scan = i
        return None

    def _end_at(self, i: int, *, final: bool) -> int | None:
        """Whether the mark at `i` ends a sentence: the offset to cut at, _NO, or None (more text needed)."""
        text = self._buffer
        j = i + 1
        while j < len(text) and (text[j] in _ENDS or text[j] in _CLOSERS):
            j += 1
        k = _skip_spaces(text, j)
        if k == len(text):
            # Nothing seen after the marks yet: only the end of the stream settles it.
            return j if final else None
        if k == j and text[k] != "\n":
            return _NO  # glued to what follows: "3.14", "14:05", "www.example.fr", "mais…non"
        if text[k] in "»”":  # French spacing before a closing quote: « Bonjour ! »
            return self._end_at_quote(k, final=final)
        if text[i] == "." and j == i + 1 and not self._period_ends(i, text[k]):
            return _NO
        return j

    def _end_at_quote(self, k: int, *, final: bool) -> int | None:
        text = self._buffer
        j = k + 1
        while j < len(text) and text[j] in _CLOSERS:
            j += 1
        if _skip_spaces(text, j) == len(text) and not final:
            return None
        return j

    def _period_ends(self, i: int, following: str) -> bool:
        """A single period ends the sentence unless it closes a title, an initial or an abbreviation mid-sentence."""
        match = _LAST_WORD.search(self._buffer[:i])
        word = match.group(1) if match else ""
        lowered = word.lower()
        if lowered in _TITLES or (len(word) == 1 and word.isupper()):
            return False
        if lowered in _ABBREVIATIONS:
            return not following.islower()
        # "1. Acheter du pain": a list marker alone is not a sentence.
        return not _LIST_MARKER.match(self._buffer[:i].strip())

    def _clause_at(self, i: int, *, final: bool) -> int | None:
        """A comma followed by a space ends the first piece once it is long enough (not "21,5"). After a letter
        the comma cannot be a decimal one: no need to wait for the next token to know."""
        text = self._buffer
        if len(text[:i].strip()) < self.first_clause_min_chars:
            return _NO
        if i + 1 == len(text):
            return i + 1 if final or not text[i - 1].isdigit() else None
        return i + 1 if text[i + 1] in _SPACE or text[i + 1] == "\n" else _NO

    def _opener_at(self, i: int, *, final: bool) -> int | None:
        """A space followed by a word opening a clause ends the first piece once it is long enough."""
        text = self._buffer
        if len(text[:i].strip()) < self.first_clause_min_chars:
            return _NO
        j = i + 1
        while j < len(text) and text[j].isalpha():
            j += 1
        word = text[i + 1 : j].lower()
        if j == len(text):  # the word may go on ("et" → "était")
            if final or (word and not any(opener.startswith(word) for opener in _OPENERS)):
                return _NO
            return None
        return i + 1 if word in _OPENERS and text[j] in _SPACE else _NO


def _can_end_piece(piece: str) -> bool:
    if piece[-1] not in "»”\"')]°%" and not piece[-1].isalnum():
        return False
    last = piece.split()[-1]
    if any(c.isdigit() for c in last):
        return False  # a number goes with what follows: « 21 degrés », « 3 minutes »
    if re.split(r"['’]", last.strip("«»“”\"'()[]").lower())[-1] in LEANING_WORDS:
        return False
    opened = sum(piece.count(c) for c in "«“([") - sum(piece.count(c) for c in "»”)]")
    return opened == 0 and piece.count('"') % 2 == 0


def _starts_word(rest: str) -> bool:
    """The text after the cut begins with a word that does not complete the one before (a unit, a symbol, the
    « pas » of « ne … pas »)."""
    rest = rest.lstrip(_SPACE)
    if not rest or not (rest[0].isalpha() or rest[0] in '«“"('):
        return False
    match = _WORD_CHARS.match(rest)
    return match is None or match.group(0).lower() not in _COMPLETING


def _skip_spaces(text: str, j: int) -> int:
    while j < len(text) and text[j] in _SPACE:
        j += 1
    return j


def _speakable(text: str) -> bool:
    return any(c.isalnum() for c in text)
