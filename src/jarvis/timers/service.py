"""The timer service: start / list / cancel, one scheduled task per active timer, announcements on every session.

A timer that came due while Jarvis was stopped fires once at start-up, announced as late ("… s'est terminé il y a
5 minutes"); the announcement waits for the first session to connect when none is open. A timer is marked finished
in the database before it is announced, so it is never announced twice (at most once, even across a crash)."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, Protocol

import structlog

from jarvis.errors import InvalidInputError, NotFoundError
from jarvis.events import Event, TimerCancelled, TimerFinished, TimerOut, TimerStarted
from jarvis.i18n import t
from jarvis.pipeline.announce import AnnouncementTarget
from jarvis.store.tables import TimerRow
from jarvis.store.timers import TimerRepository
from jarvis.timers.durations import say_duration

log = structlog.get_logger(__name__)
# Finished timers older than this are not announced any more when a session connects.
PENDING_WINDOW = timedelta(hours=12)
ALL_WORDS = {"tous", "toutes", "tout", "all"}
TimerList = list[TimerOut]  # (the service has a method named `list`)
_ARTICLES = ("le ", "la ", "les ", "l'", "du ", "de ", "des ", "minuteur ", "rappel ", "timer ")


class Announcer(Protocol):
    async def broadcast(self, event: Event, speech: str | None = None) -> int:
        """Send the event to every open session (and say `speech` in voice sessions); returns how many got it."""
        ...


class Notifier(Protocol):
    async def notify(self, message: str, title: str | None = None) -> bool:
        """Send a notification elsewhere (a Home Assistant notify service); False when not sent."""
        ...


def _fold(text: str) -> str:
    """Case, accents and leading articles do not matter when naming a timer."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).strip()
    changed = True
    while changed:
        changed = False
        for article in _ARTICLES:
            if text.startswith(article):
                text, changed = text[len(article) :].strip(), True
    return text


class TimerService:
    def __init__(
        self,
        repository: TimerRepository,
        *,
        now: Callable[[], datetime],
        language: str = "fr",
        min_seconds: float = 1.0,
        max_seconds: float = 30 * 86400,
    ) -> None:
        self.repository = repository
        self.now = now  # aware local time
        self.language = language
        self.min_seconds = min_seconds
        self.max_seconds = max_seconds
        self.announcer: Announcer | None = None
        # Also told of finished timers (e.g. a phone, through Home Assistant), after the sessions.
        self.notifier: Notifier | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Being announced, not yet recorded as such in the database: a session connecting meanwhile must not get
        # it again (the window is wide while start-up work holds the event loop).
        self._announcing: set[str] = set()

    # Public API (tools, HTTP, CLI through HTTP, the fast path).

    async def start(
        self, duration_seconds: float, label: str = "", kind: Literal["timer", "reminder"] = "timer"
    ) -> TimerOut:
        if duration_seconds < self.min_seconds:
            raise InvalidInputError(t("timer-too-short", minimum=self.min_seconds), code="invalid-duration")
        if duration_seconds > self.max_seconds:
            maximum = say_duration(self.max_seconds, self.language)
            raise InvalidInputError(t("timer-too-long", maximum=maximum), code="invalid-duration")
        label = " ".join(label.split())[:200]
        created = self.now()
        row = await self.repository.add(
            kind, label, duration_seconds, created, created + timedelta(seconds=duration_seconds)
        )
        self._schedule(row)
        timer = self.out(row)
        log.info("timer-started", id=row.id, kind=kind, label=label, seconds=duration_seconds)
        await self._broadcast(TimerStarted(timer=timer))
        return timer

    async def remind_at(self, at: str, message: str) -> TimerOut:
        """A reminder at a local time "HH:MM" (today, or tomorrow if already past) or an ISO 8601 date."""
        now = self.now()
        value = at.strip()
        try:
            if len(value) <= 5 and ":" in value:
                hour, minute = (int(p) for p in value.split(":"))
                due = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
                if due <= now:
                    due += timedelta(days=1)
            else:
                due = datetime.fromisoformat(value)
                if due.tzinfo is None:
                    due = due.replace(tzinfo=now.tzinfo)
        except ValueError as exc:
            raise InvalidInputError(t("timer-bad-time", value=at), code="invalid-time") from exc
        if due <= now:
            raise InvalidInputError(t("timer-in-past", value=at), code="invalid-time")
        return await self.start((due - now).total_seconds(), message, kind="reminder")

    async def list(self) -> TimerList:
        """The active timers, soonest first."""
        return [self.out(row) for row in await self.repository.active()]

    async def recent(self, limit: int = 50) -> TimerList:
        return [self.out(row) for row in await self.repository.recent(limit)]

    async def cancel(self, key: str) -> TimerList:
        """Cancel by id, by label (case, accents and articles ignored) or all ("tous"); raises when nothing or
        several timers match."""
        active = await self.repository.active()
        if not active:  # whatever was asked: « annule tout » with nothing running is no unknown name
            raise NotFoundError(t("timers-none"), code="timer-not-found")
        wanted = _fold(key)
        if wanted in ALL_WORDS:
            chosen = active
        else:
            chosen = [row for row in active if row.id == key.strip()]
            chosen = chosen or [row for row in active if _fold(row.label) == wanted]
            chosen = chosen or [row for row in active if wanted and wanted in _fold(row.label)]
            if not chosen and len(active) == 1 and wanted in ("", "minuteur", "rappel", "timer"):
                chosen = active
        if not chosen:
            raise NotFoundError(t("timer-not-found", name=key), code="timer-not-found")
        if len(chosen) > 1 and wanted not in ALL_WORDS:
            labels = ", ".join(self._label(row) for row in chosen)
            raise InvalidInputError(t("timer-ambiguous", name=key, labels=labels), code="timer-ambiguous")
        cancelled: TimerList = []
        for row in chosen:
            done = await self.repository.cancel(row.id, self.now())
            task = self._tasks.pop(row.id, None)
            if task is not None:
                task.cancel()
            if done is not None:
                timer = self.out(done)
                cancelled.append(timer)
                log.info("timer-cancelled", id=row.id)
                await self._broadcast(TimerCancelled(timer=timer))
        return cancelled

    async def cancel_id(self, timer_id: str) -> TimerOut:
        """Cancel exactly this timer (HTTP DELETE)."""
        row = await self.repository.get(timer_id)
        if row is None or row.status != "active":
            raise NotFoundError(t("timer-not-found", name=timer_id), code="timer-not-found")
        return (await self.cancel(timer_id))[0]

    # Life cycle.

    async def resume(self) -> None:
        """At start-up: schedule the active timers; those already due fire now, announced as late."""
        for row in await self.repository.active():
            self._schedule(row)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def deliver_pending(self, target: AnnouncementTarget) -> None:
        """A session just connected: announce the timers that finished while nobody was listening."""
        for row in await self.repository.unannounced(self.now() - PENDING_WINDOW):
            if row.id in self._announcing:
                continue
            self._announcing.add(row.id)
            try:
                if await target.announce(*self._finished_event(row)):
                    await self.repository.mark_announced(row.id, self.now())
            finally:
                self._announcing.discard(row.id)

    # Internals.

    def _schedule(self, row: TimerRow) -> None:
        task = asyncio.create_task(self._wait_and_fire(row))
        self._tasks[row.id] = task
        key = row.id
        task.add_done_callback(lambda done: self._forget(key, done))

    def _forget(self, key: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

    async def _wait_and_fire(self, row: TimerRow) -> None:
        delay = (row.due_at - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        now = self.now()
        late = max(0.0, (now - row.due_at).total_seconds())
        late = late if late >= 2.0 else 0.0  # scheduling jitter is not lateness
        try:
            finished = await self.repository.finish(row.id, now, late)
        except Exception:
            log.exception("timer-finish-failed", id=row.id)
            return
        if finished is None:
            return  # cancelled meanwhile
        log.info("timer-finished", id=row.id, label=row.label, late_seconds=round(late, 1))
        event, speech = self._finished_event(finished)
        self._announcing.add(row.id)
        try:
            if await self._broadcast(event, speech):
                await self.repository.mark_announced(row.id, self.now())
        finally:
            self._announcing.discard(row.id)
        await self._notify(finished, speech)

    async def _notify(self, row: TimerRow, text: str) -> None:
        if self.notifier is None:
            return
        title = t("reminder-notify-title" if row.kind == "reminder" else "timer-notify-title", self.language)
        try:
            await self.notifier.notify(text, title)
        except Exception:  # a notification must never break the timer itself
            log.exception("timer-notify-failed", id=row.id)

    def _finished_event(self, row: TimerRow) -> tuple[TimerFinished, str]:
        label = self._label(row)
        prefix = "reminder" if row.kind == "reminder" else "timer"
        if row.late_seconds:
            ago = say_duration(row.late_seconds, self.language)
            text = t(f"{prefix}-finished-late", self.language, label=label, ago=ago)
        else:
            text = t(f"{prefix}-finished", self.language, label=label)
        return TimerFinished(timer=self.out(row), text=text), text

    def _label(self, row: TimerRow) -> str:
        if row.label:
            return row.label
        return t("timer-default-label", self.language, duration=say_duration(row.duration_seconds, self.language))

    async def _broadcast(self, event: Event, speech: str | None = None) -> int:
        if self.announcer is None:
            return 0
        try:
            return await self.announcer.broadcast(event, speech)
        except Exception:  # announcing must never break the timer itself
            log.exception("timer-announce-failed")
            return 0

    def out(self, row: TimerRow) -> TimerOut:
        remaining = max(0.0, (row.due_at - self.now()).total_seconds()) if row.status == "active" else 0.0
        return TimerOut(
            id=row.id,
            kind="reminder" if row.kind == "reminder" else "timer",
            label=row.label,
            duration_seconds=row.duration_seconds,
            created_at=row.created_at,
            due_at=row.due_at,
            status=row.status,
            finished_at=row.finished_at,
            late_seconds=round(row.late_seconds, 1),
            remaining_seconds=round(remaining, 1),
        )

    # Sentences for the user (direct tool results).

    def describe_started(self, timer: TimerOut, language: str | None = None) -> str:
        lang = language or self.language
        if timer.kind == "reminder":
            due = timer.due_at.astimezone(self.now().tzinfo)
            return t("reminder-started", lang, time=f"{due:%H:%M}", label=timer.label)
        duration = say_duration(timer.duration_seconds, lang)
        if timer.label:
            return t("timer-started-named", lang, label=timer.label, duration=duration)
        return t("timer-started", lang, label=t("timer-default-label", lang, duration=duration))

    def describe_active(self, timers: TimerList, language: str | None = None) -> str:
        lang = language or self.language
        if not timers:
            return t("timers-none", lang)
        items = [
            t(
                "timer-remaining",
                lang,
                label=self._label_out(timer, lang),
                duration=say_duration(timer.remaining_seconds, lang),
            )
            for timer in timers
        ]
        return t("timers-active", lang, items=" ; ".join(items))

    def describe_cancelled(self, timers: TimerList, language: str | None = None) -> str:
        lang = language or self.language
        return t("timers-cancelled", lang, labels=", ".join(self._label_out(timer, lang) for timer in timers))

    def _label_out(self, timer: TimerOut, language: str | None = None) -> str:
        if timer.label:
            return timer.label
        lang = language or self.language
        return t("timer-default-label", lang, duration=say_duration(timer.duration_seconds, lang))
