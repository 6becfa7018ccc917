"""The fast path: Home Assistant's own intent language (`hassil` with the sentences of `home-assistant-intents`) tried
before the LLM. Modules register async handlers by intent name; no match (or a handler that declines) means the LLM
answers."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from hassil import Intents, recognize_best
from hassil.intents import SlotList, TextSlotList
from home_assistant_intents import get_intents
from rapidfuzz import fuzz, process

from jarvis.errors import JarvisError

log = structlog.get_logger(__name__)

# Misheard words (« éteins toutes les humières ») are replaced by the closest word the sentences know when they are
# this similar (RapidFuzz ratio, 0-100) and this long, at most this many per sentence; the corrected sentence is
# only used when it is a whole command.
CORRECTION_MIN_SCORE = 80.0
CORRECTION_MIN_LETTERS = 4
CORRECTION_MAX_WORDS = 2
WORD = re.compile(r"[^\W\d_]+")
# Rule and list references in hassil templates (<name>, {area}) are not words anyone says.
TEMPLATE_REFERENCE = re.compile(r"<[^>]*>|\{[^}]*\}")
ALTERNATIVES = re.compile(r"\(([^()\[\]]*)\)")
OPTIONAL = re.compile(r"\[([^()\[\]]*)\]")


@dataclass(frozen=True)
class IntentRequest:
    """One recognised sentence: the intent, its slot values (`slots`, e.g. an entity id) and the words heard."""

    intent: str
    slots: dict[str, Any]
    words: dict[str, str]
    context: dict[str, Any]
    text: str
    language: str
    conversation_id: str
    # Recognised only after misheard words were corrected: a guess, not to be acted on where a guess is dangerous.
    corrected: bool = False


@dataclass(frozen=True)
class FastReply:
    text: str
    intent: str


IntentHandler = Callable[[IntentRequest], Awaitable[str | None]]
# A question asked to the user (which one? are you sure?): gets their next message, None lets it go on normally.
FollowUp = Callable[[str], Awaitable[str | None]]
# Slot lists from the modules that know names (entities, areas): returns (version, lists); a new version rebuilds.
SlotProvider = Callable[[], tuple[int, dict[str, SlotList]]]
# For sentences naming something unknown: lists accepting any words (None: not now), and the error to answer with.
UnknownProvider = Callable[[], dict[str, SlotList] | None]
UnknownError = Callable[[str, str], JarvisError | None]


# Commands said to « vous » (« Fermez les rideaux », as Whisper often writes even a « ferme »): Home Assistant's French
# sentences say « tu ». Most verbs just drop their z (« allumez » → « allume »); these change more.
_VOUS_IMPERATIVES = {
    "eteignez": "eteins", "mettez": "mets", "lisez": "lis", "reprenez": "reprends", "dites": "dis", "faites": "fais",
}  # fmt: skip
_FOLDED_WORD = re.compile(r"[a-z]+")


def fold(text: str) -> str:
    """Lower case without accents and with straight apostrophes: how every name and sentence is compared."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("œ", "oe").replace("Œ", "oe"))
    return "".join(char for char in text if not unicodedata.combining(char)).lower()


def as_said(text: str, folded: str) -> str:
    """The words of `text` that fold to `folded` (a slot's text, recognised in the folded sentence), with their
    accents back (in lower case): « télé » rather than « tele ». `folded` itself when they cannot be found."""
    whole = fold(text)
    start = whole.find(folded)
    if start < 0 or len(whole) != len(text):  # (œ folds to two letters: no exact mapping)
        return folded
    return text[start : start + len(folded)].lower()


def _one_expansion(template: str, *, first: bool) -> str:
    """`template` with each alternative group replaced by its first (or last) choice, and optional parts kept (or
    dropped), innermost groups first."""

    def choose(match: re.Match[str]) -> str:
        choices = match.group(1).split("|")
        return choices[0] if first else choices[-1]

    while True:
        expanded = OPTIONAL.sub(choose if first else "", ALTERNATIVES.sub(choose, template))
        if expanded == template:
            return template
        template = expanded


def _template_words(value: Any) -> Iterator[str]:
    """Every word a user may say in hassil sentence data (sentences, rules, list values, skip words)."""
    if isinstance(value, str):
        text = TEMPLATE_REFERENCE.sub(" ", value)
        yield from WORD.findall(text)
        # Alternatives and optional parts glued to a word (« lumière[s] », « (r|R)éveil »): the whole words too,
        # with the first alternative and the optional parts, then with the last alternative and without them.
        yield from WORD.findall(_one_expansion(text, first=True))
        yield from WORD.findall(_one_expansion(text, first=False))
    elif isinstance(value, list):
        for item in value:
            yield from _template_words(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("slots", "requires_context", "excludes_context", "metadata", "context", "out", "range"):
                yield from _template_words(item)


def _fold_data(value: Any) -> Any:
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, list):
        return [_fold_data(item) for item in value]
    if isinstance(value, dict):
        # Keys (intent, rule and list names) stay as they are: sentences refer to them by name.
        return {key: _fold_data(item) for key, item in value.items()}
    return value


@dataclass
class _Pending:
    follow_up: FollowUp
    expires: float


@dataclass
class FastPath:
    languages: tuple[str, ...] = ("fr", "en")
    pending_seconds: float = 60.0
    # Bound on one fast-path turn (recognition + handler, e.g. a Home Assistant call and its verification).
    timeout_seconds: float = 10.0
    handlers: dict[str, IntentHandler] = field(default_factory=dict)
    # Sentences Jarvis adds to Home Assistant's, per language, in hassil's format ({"Intent": [data, ...]}).
    extra_sentences: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    # Lists those sentences use, per language, in hassil's format ({"minutes": {"range": {"from": 1, "to": 99}}}).
    extra_lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    slot_provider: SlotProvider | None = None
    # A second chance for commands naming something Jarvis does not know (« allume la télé » in a house without
    # one): these intents only, with any words as names (`unknown_provider`); answered by raising
    # `unknown_error(words, language)` (None: let the LLM have it) rather than handing the LLM a command it cannot
    # carry out.
    unknown_provider: UnknownProvider | None = None
    unknown_intents: frozenset[str] = frozenset()
    unknown_error: UnknownError | None = None
    unknown_max_words: int = 4
    # Sentences that need a context only a known entity gives (« verrouille {name} » needs a lock) are tried again
    # with each of these contexts: any words are then a lock, say, and get the same answer.
    unknown_contexts: tuple[dict[str, Any], ...] = ()
    _intents: dict[str, Intents] = field(default_factory=dict)
    _unknown_intents: dict[str, Intents] = field(default_factory=dict)
    _lists: tuple[int, dict[str, SlotList]] | None = None
    _pending: dict[str, _Pending] = field(default_factory=dict)
    # Per language: the folded words of the sentences, and with the names of the slot lists (by their version).
    _sentence_words: dict[str, frozenset[str]] = field(default_factory=dict)
    _vocabulary: dict[str, tuple[int | None, list[str], frozenset[str]]] = field(default_factory=dict)

    def register(
        self,
        intent: str,
        handler: IntentHandler,
        sentences: dict[str, list[dict[str, Any]]] | None = None,
        lists: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Handle `intent` with `handler`. `sentences` (language -> hassil data blocks) add ways to say it, and
        `lists` (language -> hassil lists) the lists they use. Home Assistant's own sentences for `intent`, if
        any, are used too."""
        self.handlers[intent] = handler
        for language, blocks in (sentences or {}).items():
            self.extra_sentences.setdefault(language, {}).setdefault(intent, []).extend(blocks)
        for language, named in (lists or {}).items():
            self.extra_lists.setdefault(language, {}).update(named)
        self._intents.clear()
        self._unknown_intents.clear()

    def ask(self, conversation_id: str, follow_up: FollowUp) -> None:
        """The reply just given asks the user something: their next message in this conversation goes to it."""
        self._pending[conversation_id] = _Pending(follow_up, time.monotonic() + self.pending_seconds)

    def intents(self, language: str) -> Intents:
        intents = self._intents.get(language)
        if intents is None:
            data = get_intents(language)
            if data is None:
                raise ValueError(f"no intent sentences for language {language!r}")
            data["intents"] = {name: block for name, block in data["intents"].items() if name in self.handlers}
            data["lists"] = {**data.get("lists", {}), **self.extra_lists.get(language, {})}
            for name, blocks in self.extra_sentences.get(language, {}).items():
                data["intents"].setdefault(name, {"data": []})["data"].extend(blocks)
            intents = Intents.from_dict(_fold_data(data))
            self._intents[language] = intents
            self._sentence_words[language] = frozenset(fold(word) for word in _template_words(data))
        return intents

    def vocabulary(self, language: str) -> list[str]:
        """The folded words a command may use: the sentences' and the names in the slot lists (devices, areas)."""
        return self._known_words(language)[0]

    def _known_words(self, language: str) -> tuple[list[str], frozenset[str]]:
        self.intents(language)
        version, lists = self.slot_provider() if self.slot_provider is not None else (None, {})
        cached = self._vocabulary.get(language)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        words = set(self._sentence_words[language])
        for slot_list in lists.values():
            for value in getattr(slot_list, "values", ()):
                words.update(fold(word) for word in WORD.findall(getattr(value.text_in, "text", "")))
        vocabulary, known = sorted(words), frozenset(words)
        self._vocabulary[language] = (version, vocabulary, known)
        return vocabulary, known

    def corrected(self, text: str, language: str) -> str | None:
        """`text` with its misheard words replaced by the closest known ones (folded), or None when no word needs
        it or too many would."""
        vocabulary, known = self._known_words(language)
        folded = fold(text)
        replaced: list[tuple[str, str]] = []
        for word in WORD.findall(folded):
            if len(word) < CORRECTION_MIN_LETTERS or word in known:
                continue
            match = process.extractOne(word, vocabulary, scorer=fuzz.ratio, score_cutoff=CORRECTION_MIN_SCORE)
            if match is None:
                return None  # a word no command uses: a sentence for the LLM
            replaced.append((word, match[0]))
        if not replaced or len(replaced) > CORRECTION_MAX_WORDS:
            return None
        for word, closest in replaced:
            folded = re.sub(rf"\b{re.escape(word)}\b", closest, folded, count=1)
        return folded

    def recognize_heard(self, text: str, language: str, conversation_id: str) -> IntentRequest | None:
        """The sentence as heard, else with misheard words corrected (logged, so that wrong guesses show)."""
        request = self.recognize(text, language, conversation_id)
        if request is not None:
            return request
        corrected = self.corrected(text, language)
        if corrected is None:
            return None
        request = self.recognize(corrected, language, conversation_id)
        if request is None:
            return None
        log.info("fast-path-corrected", heard=text, corrected=corrected, intent=request.intent)
        return dataclasses.replace(request, corrected=True)

    def warm(self) -> None:
        """Parse the sentence data and run one recognition per language (the first one costs the most)."""
        for language in self.languages:
            self.recognize("allume la lumiere" if language == "fr" else "turn on the light", language, "warm-up")
            if self.unknown_intents:
                self._unknown_for(language)

    def _unknown_for(self, language: str) -> Intents:
        intents = self._unknown_intents.get(language)
        if intents is None:
            known = self.intents(language)
            intents = Intents(
                language=known.language,
                intents={name: known.intents[name] for name in self.unknown_intents if name in known.intents},
                slot_lists=known.slot_lists,
                expansion_rules=known.expansion_rules,
                skip_words=known.skip_words,
                settings=known.settings,
            )
            self._unknown_intents[language] = intents
        return intents

    def unknown(self, text: str) -> JarvisError | None:
        """The error for a command about something unknown (see unknown_provider), or None."""
        if self.unknown_provider is None or self.unknown_error is None or not self.unknown_intents:
            return None
        lists = self.unknown_provider()
        if lists is None:
            return None
        for language in self.languages:
            slot_lists = {**self._slot_lists(), **lists}
            folded = self._folded(text, language)
            intents = self._unknown_for(language)
            for context in ({}, *self.unknown_contexts):
                result = recognize_best(
                    folded, intents, slot_lists=slot_lists, language=language, intent_context=context
                )
                if result is not None:
                    break
            if result is None:
                continue
            said = [str(result.entities[slot].text).strip() for slot in lists if slot in result.entities]
            if not said or not said[0] or any(len(words.split()) > self.unknown_max_words for words in said):
                return None  # a long "name" is a sentence for the LLM, not a device
            return self.unknown_error(as_said(text, said[0]), language)
        return None

    def _slot_lists(self) -> dict[str, SlotList]:
        empty: dict[str, SlotList] = {name: TextSlotList(name, []) for name in ("name", "area", "floor")}
        if self.slot_provider is None:
            return empty
        _version, lists = self.slot_provider()
        return {**empty, **lists}

    def takes(self, text: str, conversation_id: str | None) -> bool:
        """Whether handle() would take this message (an answer to a pending question, or a recognised sentence),
        without running any handler. Lets a turn go ahead when the LLM could not take it."""
        pending = self._pending.get(conversation_id) if conversation_id is not None else None
        if pending is not None and pending.expires > time.monotonic():
            return True
        if any(self.recognize_heard(text, language, conversation_id or "") for language in self.languages):
            return True
        return self.unknown(text) is not None

    def _folded(self, text: str, language: str) -> str:
        """`text` folded as the sentences are, French « vous » imperatives said as « tu » (« fermez » → « ferme »)
        when the sentences know that word."""
        folded = fold(text)
        if language != "fr":
            return folded
        self.intents(language)
        words = self._sentence_words[language]

        def as_tu(match: re.Match[str]) -> str:
            word = match.group(0)
            said = _VOUS_IMPERATIVES.get(word) or (word[:-1] if word.endswith("ez") else None)
            return said if said is not None and said in words else word

        return _FOLDED_WORD.sub(as_tu, folded)

    def recognize(self, text: str, language: str, conversation_id: str) -> IntentRequest | None:
        folded = self._folded(text, language)
        result = recognize_best(folded, self.intents(language), slot_lists=self._slot_lists(), language=language)
        if result is None or result.intent.name not in self.handlers:
            return None
        return IntentRequest(
            intent=result.intent.name,
            slots={name: entity.value for name, entity in result.entities.items()},
            words={name: as_said(text, str(entity.text).strip()) for name, entity in result.entities.items()},
            context=dict(result.context or {}),
            text=text,
            language=language,
            conversation_id=conversation_id,
        )

    async def handle(self, text: str, conversation_id: str) -> FastReply | None:
        """A reply without the LLM, or None. Raises JarvisError (e.g. Home Assistant unreachable) with a clear
        message; bounded by timeout_seconds."""
        async with asyncio.timeout(self.timeout_seconds):
            return await self._handle(text, conversation_id)

    async def _handle(self, text: str, conversation_id: str) -> FastReply | None:
        pending = self._pending.pop(conversation_id, None)
        if pending is not None and pending.expires > time.monotonic():
            answer = await pending.follow_up(text)
            if answer is not None:
                return FastReply(answer, "follow-up")
        for language in self.languages:
            request = self.recognize_heard(text, language, conversation_id)
            if request is None:
                continue
            try:
                answer = await self.handlers[request.intent](request)
            except JarvisError:
                raise
            except Exception:  # a handler bug must not take the turn down: the LLM answers instead
                log.exception("fast-path-handler-failed", intent=request.intent)
                return None
            if answer is not None:
                return FastReply(answer, request.intent)
            return None
        error = self.unknown(text)
        if error is not None:
            raise error
        return None
