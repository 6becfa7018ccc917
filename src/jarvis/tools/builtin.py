"""Built-in tools: the current date and time, timers and reminders, memory (when it is enabled)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from jarvis.brain.fastpath import fold
from jarvis.brain.prompt import MONTHS, WEEKDAYS
from jarvis.i18n import t
from jarvis.memory.commands import may_be_remembered
from jarvis.memory.items import NewMemory, clean_text
from jarvis.memory.service import RELATIVE_CUTOFF, as_statement
from jarvis.timers.durations import mentions_time, mentions_timer, said_seconds
from jarvis.tools.base import Tool, ToolError, current_conversation, current_request
from jarvis.tools.functions import FunctionTool

if TYPE_CHECKING:
    from jarvis.memory.service import MemoryService
    from jarvis.timers.service import TimerService


def say_now(moment: datetime, language: str) -> str:
    """ "Il est 14 heures 05. Nous sommes le dimanche 22 novembre 2026." """
    lang = language if language in WEEKDAYS else "fr"
    day = f"{WEEKDAYS[lang][moment.weekday()]} {moment.day} {MONTHS[lang][moment.month - 1]} {moment.year}"
    if lang == "en":
        day = f"{WEEKDAYS[lang][moment.weekday()]}, {MONTHS[lang][moment.month - 1]} {moment.day}, {moment.year}"
    plural = "s" if moment.hour > 1 else ""
    return t("now-sentence", lang, hour=moment.hour, plural=plural, minute=moment.minute, date=day)


def datetime_tools(now: Callable[[], datetime], language: str) -> list[Tool]:
    def get_current_datetime() -> str:
        """Donne l'heure et la date actuelles (heure locale)."""
        return say_now(now(), language)

    return [FunctionTool(get_current_datetime, direct=True)]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


# Asks the user for the missing time of a timer or reminder (conversation, kind, label): the question to say.
AskTime = Callable[[str, Literal["timer", "reminder"], str], str]


def not_asked(language: str) -> ToolError:
    """The model reached for a tool the user's words never asked for: the reply is that Jarvis cannot do that."""
    return ToolError(t("tool-not-asked", language), code="tool-not-asked")


def timer_tools(timers: TimerService, ask_time: AskTime) -> list[Tool]:
    language = timers.language

    def check_time_said(kind: Literal["timer", "reminder"], label: str) -> None:
        """A timer or reminder starts only when the user's words give a time. Otherwise nothing starts: they are
        asked the time (« Pour combien de temps ? »: the model made it up)."""
        request = current_request.get()
        if request and not mentions_time(request):
            raise ToolError(ask_time(current_conversation.get(), kind, label), code="time-missing")

    def timer_not_asked(request: str) -> ToolError | None:
        """Neither a time nor a timer in the request (« allume le bureau en rouge » in a house Jarvis cannot
        reach): Jarvis says it cannot do that rather than ask about a timer nobody wanted."""
        return None if mentions_time(request) or mentions_timer(request) else not_asked(language)

    def reminder_not_asked(request: str) -> ToolError | None:
        """« Réserve une table pour ce soir » gives a time but asks for no reminder."""
        return None if mentions_timer(request) else not_asked(language)

    def cancel_not_asked(request: str) -> ToolError | None:
        """« éteins tout » is not « annule tout »."""
        return None if mentions_timer(request, cancelling=True) else not_asked(language)

    async def start_timer(
        hours: Annotated[int, Field(ge=0)] = 0,
        minutes: Annotated[int, Field(ge=0)] = 0,
        seconds: Annotated[int, Field(ge=0)] = 0,
        label: str = "",
    ) -> str:
        """Lance un minuteur ; Jarvis l'annonce quand il est terminé.

        Args:
            hours: nombre d'heures
            minutes: nombre de minutes
            seconds: nombre de secondes
            label: le nom que l'utilisateur donne au minuteur, ou vide s'il n'en donne pas
        """
        # The user's own words win over the small model's reading of them: a name they did not say is dropped
        # (« Le déjeuner »), and so is the request itself or a duration taken for a name (« Milleur 30 secondes »);
        # the duration they gave in figures is the one used (« 30 secondes » once came back as 30 minutes).
        request = current_request.get()
        if request and (
            fold(label) not in fold(request) or _words(label) == _words(request) or said_seconds(label) is not None
        ):
            label = ""
        check_time_said("timer", label)
        duration = hours * 3600 + minutes * 60 + seconds
        said = said_seconds(request) if request else None
        timer = await timers.start(said if said is not None else duration, label)
        return timers.describe_started(timer)

    async def set_reminder(message: str, at: str = "", in_minutes: Annotated[int, Field(ge=0)] = 0) -> str:
        """Programme un rappel : à une heure donnée (at) ou dans un nombre de minutes (in_minutes).

        Args:
            message: ce qu'il faut rappeler
            at: heure locale HH:MM (ou date ISO 8601) ; vide si in_minutes est donné
            in_minutes: dans combien de minutes ; 0 si at est donné
        """
        check_time_said("reminder", message)
        if at:
            timer = await timers.remind_at(at, message)
        else:
            timer = await timers.start(in_minutes * 60, message, kind="reminder")
        return timers.describe_started(timer)

    async def list_timers() -> str:
        """Liste les minuteurs et rappels en cours avec le temps restant."""
        return timers.describe_active(await timers.list())

    async def cancel_timer(timer: str) -> str:
        """Annule un minuteur ou un rappel en cours.

        Args:
            timer: son nom (label) ou son identifiant ; « tous » annule tout
        """
        cancelled = await timers.cancel(timer)
        return timers.describe_cancelled(cancelled)

    return [
        FunctionTool(start_timer, direct=True, refusal=timer_not_asked),
        FunctionTool(set_reminder, direct=True, refusal=reminder_not_asked),
        FunctionTool(list_timers, direct=True),
        FunctionTool(cancel_timer, direct=True, refusal=cancel_not_asked),
    ]


def memory_tools(memory: MemoryService, max_results: int = 3) -> list[Tool]:
    """`remember` and `search_memory`, for what the user asks indirectly ("garde ça en tête", "tu te rappelles … ?").
    Direct commands ("souviens-toi que …") never reach the model: the chat pipeline handles them first."""
    language = memory.language

    async def remember(text: str) -> str:
        """Mémorise une information quand on te dit « garde en tête », « retiens », « n'oublie pas ».

        Args:
            text: l'information, en une phrase
        """
        text = clean_text(text)  # empty or oversized: a coded error the model reads
        item = NewMemory(as_statement(text, language), kind="note", retention=memory.default_retention)
        _, created = await memory.add(item)
        return t("memory-remembered" if created else "memory-already-known", language)

    async def search_memory(query: str) -> str:
        """Cherche une information mémorisée quand on te demande « tu te souviens… ? », « c'était quoi… ? ».

        Args:
            query: ce qu'il faut chercher
        """
        # The closest few (far behind the best is noise); the model judges whether they answer the question.
        found = await memory.search(query, max_results)
        found = [f for f in found if f.hit.score >= RELATIVE_CUTOFF * found[0].hit.score]
        if not found:
            return t("memory-search-none", language)
        return "\n".join(f"- {f.memory.text}" for f in found)

    def nothing_to_remember(request: str) -> ToolError | None:
        """« Appelle maman » is no fact to keep."""
        return None if may_be_remembered(request) else not_asked(language)

    return [FunctionTool(remember, direct=True, refusal=nothing_to_remember), FunctionTool(search_memory)]
