"""Timer intents on the fast path: start, ask, list and cancel Jarvis's own timers without the LLM.

Home Assistant's sentences (HassStartTimer, HassTimerStatus, HassCancelTimer, HassCancelAllTimers) are used as they
are; Jarvis adds what they lack: a timer named after its duration ("minuteur de 30 secondes pour les pâtes"), other
verbs ("lance un minuteur"), listing ("quels minuteurs sont en cours ?"), a name after "des"/"du" ("annule le minuteur
des pâtes"), and durations out of bounds (zero, days, years) so that they are answered clearly instead of guessed at.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from jarvis.brain.fastpath import FastPath, IntentRequest, fold
from jarvis.errors import InvalidInputError
from jarvis.events import TimerOut
from jarvis.i18n import t
from jarvis.timers.durations import say_duration
from jarvis.timers.service import TimerList, TimerService

UNIT_SECONDS = {
    "seconds": 1,
    "minutes": 60,
    "hours": 3600,
    "days": 86400,
    "weeks": 7 * 86400,
    "months": 30 * 86400,
    "years": 365 * 86400,
}
# Home Assistant's timer lists stop at 1..100; Jarvis accepts 0 and more so that it can say why it refuses.
LISTS: dict[str, dict[str, Any]] = {
    lang: {
        "timer_seconds": {"range": {"from": 0, "to": 999}},
        "timer_minutes": {"range": {"from": 0, "to": 999}},
        "timer_hours": {"range": {"from": 0, "to": 999}},
        "timer_long": {"range": {"from": 0, "to": 999}},
    }
    for lang in ("fr", "en")
}
_FR_DURATION = (
    "({timer_hours:hours} <hour_unit> [[et] {timer_minutes:minutes} [<minute_unit>]] [[et] {timer_seconds:seconds}"
    " <second_unit>]|{timer_minutes:minutes} <minute_unit> [[et] {timer_seconds:seconds} <second_unit>]"
    "|{timer_seconds:seconds} <second_unit>|{timer_long:days} jour[s]|{timer_long:weeks} semaine[s]"
    "|{timer_long:months} mois|{timer_long:years} (an[s]|annee[s]))"
)
_EN_DURATION = (
    "({timer_hours:hours}( |-)hour[s] [[and] {timer_minutes:minutes}( |-)minute[s]] [[and] {timer_seconds:seconds}"
    "( |-)second[s]]|{timer_minutes:minutes}( |-)minute[s] [[and] {timer_seconds:seconds}( |-)second[s]]"
    "|{timer_seconds:seconds}( |-)second[s]|{timer_long:days}( |-)day[s]|{timer_long:weeks}( |-)week[s]"
    "|{timer_long:months}( |-)month[s]|{timer_long:years}( |-)year[s])"
)
# An answer to « Pour combien de temps ? » is read as a timer sentence: « minuteur » + the duration said.
_TIMER_WORD = {"fr": "minuteur", "en": "timer for"}
_ANSWER_LEAD = re.compile(r"^(?:dans|pour|de|d'|pendant|durant|in|for)\s*")
_FR_RULES = {
    "duree": _FR_DURATION,
    "lance": "(lance|lancer|demarre|demarrer|programme|programmer|regle|regler|mets|mettre|cree|creer|active"
    "|activer|declenche|declencher|fais|faire|ajoute|ajouter)",
    "un": "(un|une|le|la|mon|ma)",
    "nom_de": "(des|du|de la|de l'|de|d'|pour [<le>]|appele[e]|nomme[e])",
    # Whisper writes « Suprime le minuteur. » for a real « supprime le minuteur » (same sound).
    "arrete": "(<supprime>|<eteins>|suprime|stop)",
}
_EN_RULES = {
    "duration": _EN_DURATION,
    "timer_start": "(start|set|create|make|run|put on)",
}
SENTENCES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "fr": {
        "HassStartTimer": [
            {
                "sentences": [
                    "[<lance>] [<un>] <minuteur> [(de|pour|dans)] <duree> [(pour|appele[e]|nomme[e]) [<le>|<de>]"
                    " {timer_name:name}]",
                    "[<lance>] [<un>] <minuteur> (pour|appele[e]|nomme[e]) [<le>|<de>] {timer_name:name}"
                    " (de|pour|dans) <duree>",
                ],
                "expansion_rules": _FR_RULES,
            },
            *(
                {
                    "sentences": [
                        f"[<lance>] [<un>] <minuteur> (d'une|de une|pour une) {unit} [(pour|appele[e]|nomme[e])"
                        " [<le>|<de>] {timer_name:name}]"
                    ],
                    "slots": {slot: 1},
                    "expansion_rules": _FR_RULES,
                }
                for unit, slot in (("heure", "hours"), ("minute", "minutes"), ("seconde", "seconds"))
            ),
        ],
        "HassTimerStatus": [
            {
                "sentences": [
                    "[(encore|il reste)] combien de temps [(reste-t-il|reste t il|il reste|reste)] (sur|pour|a|au|dans)"
                    " [<le>|<mon>] <minuteur> <nom_de> {timer_name:name}",
                    "(quel|quels|quelle|quelles) [sont les] (<minuteur>|<minuteurs>) [(sont|est)] (en cours|actif[s]"
                    "|lance[s]|programme[s]|demarre[s])",
                    "(quel|quels|quelle|quelles) (<minuteur>|<minuteurs>) (as-tu|as tu|j'ai|ai-je|tournent|tourne)"
                    " [en cours]",
                    "(liste|donne-moi|donne moi|dis-moi|dis moi|montre-moi|montre moi) (les|mes) <minuteurs>"
                    " [en cours]",
                    "(ou en est|ou en sont) [<le>|<mon>|les|mes] (<minuteur>|<minuteurs>)",
                    # How Whisper often writes « reste-t-il » (same sound).
                    "[encore] combien de temps (restent-ils|restent ils|reste-il|reste il)"
                    " [(sur|dans) [<le>|<mon>] <minuteur>]",
                    "(y a-t-il|y a t il|il y a|est-ce qu'il y a|j'ai) (des|un) (<minuteur>|<minuteurs>) [en cours]",
                ],
                "expansion_rules": _FR_RULES,
            }
        ],
        "HassCancelTimer": [
            {
                "sentences": [
                    "<arrete> [<le>|<mon>] <minuteur>",
                    "<arrete> [<le>|<mon>] <minuteur> <nom_de> {timer_name:name}",
                    "<arrete> [<le>|<mon>] <minuteur> [de] <duree>",
                ],
                "expansion_rules": _FR_RULES,
            }
        ],
    },
    "en": {
        "HassStartTimer": [
            {
                "sentences": [
                    "[<timer_start>] [a|an|the|my] timer for <duration> [(for|named|called) [the] {timer_name:name}]",
                    "[<timer_start>] [a|an|the|my] <duration> timer [(for|named|called) [the] {timer_name:name}]",
                ],
                "expansion_rules": _EN_RULES,
            }
        ],
        "HassTimerStatus": [
            {
                "sentences": [
                    "(what|which) timers (are|do i have) [(running|active|on|set|going)]",
                    "(list|show) [me] [(the|my)] timers",
                    "(are there|do i have) any timers [(running|active|on|set|going)]",
                    "how much time is left (on|for) [the|my] timer (for|named|called) [the] {timer_name:name}",
                ],
                "expansion_rules": _EN_RULES,
            }
        ],
        "HassCancelTimer": [
            {
                "sentences": ["(cancel|stop|delete) [the|my] timer (for|named|called) [the] {timer_name:name}"],
                "expansion_rules": _EN_RULES,
            }
        ],
    },
}
_LEADING_ARTICLE = re.compile(r"^(?:(?:les|le|la|du|des|de|the|my|mon|ma|mes)\s+|[ld]'\s*)+", re.IGNORECASE)


def unfold(text: str, folded_value: str) -> str:
    """The words of `text` that fold to `folded_value` (the fast path matches folded text: "pates" -> "pâtes")."""
    pieces = [fold(char) for char in text]
    folded = "".join(pieces)
    start = folded.rfind(folded_value)
    if start < 0 or not folded_value:
        return folded_value
    end = start + len(folded_value)
    position, first, last = 0, None, len(text)
    for index, piece in enumerate(pieces):
        if first is None and position + len(piece) > start:
            first = index
        position += len(piece)
        if position >= end:
            last = index + 1
            break
    return text[first or 0 : last]


def clean_label(text: str) -> str:
    """ "les pâtes ?" -> "pâtes"."""
    text = text.replace("’", "'").strip(' \t.!?,;:«»"')
    return _LEADING_ARTICLE.sub("", text).strip()


class TimerIntents:
    """Registers the timer intents into a FastPath and answers them from Jarvis's TimerService."""

    def __init__(self, timers: TimerService, fast_path: FastPath) -> None:
        self.timers = timers
        self.fast_path = fast_path

    def register(self) -> None:
        handlers = {
            "HassStartTimer": self.start,
            "HassTimerStatus": self.status,
            "HassCancelTimer": self.cancel,
            "HassCancelAllTimers": self.cancel_all,
        }
        for intent, handler in handlers.items():
            sentences = {lang: blocks.get(intent, []) for lang, blocks in SENTENCES.items()}
            self.fast_path.register(intent, handler, sentences, LISTS)

    # What the user said.
    @staticmethod
    def _seconds(request: IntentRequest, prefix: str = "") -> float | None:
        values = [request.slots.get(prefix + unit) for unit in UNIT_SECONDS]
        if all(value is None for value in values):
            return None
        return sum(float(value or 0) * size for value, size in zip(values, UNIT_SECONDS.values(), strict=True))

    @staticmethod
    def _name(request: IntentRequest) -> str:
        name = request.slots.get("name")
        if not isinstance(name, str):
            return ""
        return clean_label(unfold(request.text, name.strip()))

    def _chosen(self, request: IntentRequest, active: TimerList) -> TimerList:
        """The active timers the request points at: by name, by starting duration, or all of them."""
        name = fold(self._name(request))
        if name:
            exact = [timer for timer in active if fold(clean_label(timer.label)) == name]
            return exact or [timer for timer in active if name in fold(timer.label)]
        started = self._seconds(request, "start_")
        started = started if started is not None else self._seconds(request)
        if started is not None:
            return [timer for timer in active if abs(timer.duration_seconds - started) < 0.5]
        return active

    @staticmethod
    def _describe(timer: TimerOut, language: str) -> str:
        return timer.label or t(
            "timer-default-label", language, duration=say_duration(timer.duration_seconds, language)
        )

    # Handlers.
    async def start(self, request: IntentRequest) -> str | None:
        if request.slots.get("conversation_command"):
            return None  # "rappelle-moi de … dans 10 minutes": a reminder, the LLM (set_reminder) words it better
        language = request.language
        seconds = self._seconds(request)
        if seconds is None:
            return None
        if seconds < self.timers.min_seconds:
            raise InvalidInputError(
                t("timer-too-short", language, minimum=self.timers.min_seconds), code="invalid-duration"
            )
        if seconds > self.timers.max_seconds:
            maximum = say_duration(self.timers.max_seconds, language)
            raise InvalidInputError(t("timer-too-long", language, maximum=maximum), code="invalid-duration")
        timer = await self.timers.start(seconds, self._name(request))
        return self.timers.describe_started(timer, language)

    async def status(self, request: IntentRequest) -> str | None:
        language = request.language
        active = [timer for timer in await self.timers.list() if timer.kind == "timer"]
        if not active:
            return t("timers-none", language)
        chosen = self._chosen(request, active)
        if not chosen:
            return t("timer-not-found", language, name=self._name(request) or request.text)
        return self.timers.describe_active(chosen, language)

    async def cancel(self, request: IntentRequest) -> str | None:
        language = request.language
        active = [timer for timer in await self.timers.list() if timer.kind == "timer"]
        if not active:
            return t("timers-none", language)
        chosen = self._chosen(request, active)
        if not chosen:
            return t("timer-not-found", language, name=self._name(request) or request.text)
        if len(chosen) > 1:
            return self._which(request, chosen)
        return await self._cancel(chosen, language)

    async def cancel_all(self, request: IntentRequest) -> str | None:
        active = [timer for timer in await self.timers.list() if timer.kind == "timer"]
        if not active:
            return t("timers-none", request.language)
        return await self._cancel(active, request.language)

    async def _cancel(self, chosen: TimerList, language: str) -> str:
        cancelled: TimerList = []
        for timer in chosen:
            cancelled.extend(await self.timers.cancel(timer.id))
        if not cancelled:  # finished in the meantime
            return t("timers-none", language)
        return self.timers.describe_cancelled(cancelled, language)

    def heard_duration(self, text: str, language: str) -> float | None:
        """The seconds in an answer to « Pour combien de temps ? » (« sept minutes », « dans une heure »), read
        with the timer sentences' own grammar; None when it holds no duration."""
        said = _ANSWER_LEAD.sub("", fold(text).strip())
        request = self.fast_path.recognize(_TIMER_WORD.get(language, "minuteur") + " " + said, language, "")
        if request is None or request.intent != "HassStartTimer":
            return None
        return self._seconds(request)

    def ask_time(self, conversation_id: str, kind: Literal["timer", "reminder"], label: str) -> str:
        """A timer (or reminder) was asked for without a time: the question to say. The answer in the same
        conversation (« sept minutes ») starts it; anything else is handled as usual."""
        language = self.timers.language

        async def answer(text: str) -> str | None:
            seconds = self.heard_duration(text, language)
            if seconds is None:
                return None
            timer = await self.timers.start(seconds, label, kind=kind)
            return self.timers.describe_started(timer, language)

        if conversation_id:
            self.fast_path.ask(conversation_id, answer)
        return t("reminder-ask-time" if kind == "reminder" else "timer-ask-duration", language)

    def _which(self, request: IntentRequest, candidates: TimerList) -> str:
        """Several timers fit "annule le minuteur": ask which one, and cancel the one named in the answer."""
        language = request.language
        labels = [self._describe(timer, language) for timer in candidates]
        listed = ", ".join(labels[:-1]) + (" ou " if language == "fr" else " or ") + labels[-1]

        async def answer(text: str) -> str | None:
            said = fold(text)
            if any(word in said.split() for word in ("tous", "toutes", "all", "both", "les deux")):
                return await self._cancel(candidates, language)
            chosen = [timer for timer, label in zip(candidates, labels, strict=True) if fold(label) in said]
            chosen = chosen or [t_ for t_ in candidates if t_.label and fold(clean_label(t_.label)) in said]
            return await self._cancel(chosen[:1], language) if len(chosen) == 1 else None

        self.fast_path.ask(request.conversation_id, answer)
        return t("timer-which", language, options=listed)


def register_timer_intents(fast_path: FastPath, timers: TimerService) -> TimerIntents:
    intents = TimerIntents(timers, fast_path)
    intents.register()
    return intents
