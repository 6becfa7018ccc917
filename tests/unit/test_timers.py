"""The timer service over a real SQLite file, with a recording announcer (the real Announcer interface)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jarvis.brain.fastpath import FastPath
from jarvis.errors import InvalidInputError, NotFoundError
from jarvis.events import Event, TimerFinished
from jarvis.llm.base import ToolCall
from jarvis.store.db import Database
from jarvis.store.timers import TimerRepository
from jarvis.timers.durations import mentions_time, mentions_timer, parse_duration, said_seconds, say_duration
from jarvis.timers.intents import register_timer_intents
from jarvis.timers.service import TimerService
from jarvis.tools.base import current_conversation, current_request
from jarvis.tools.builtin import timer_tools
from jarvis.tools.registry import ToolOutcome, ToolRegistry


class RecordingAnnouncer:
    def __init__(self, sessions: int = 1) -> None:
        self.sessions = sessions
        self.received: list[tuple[Event, str | None]] = []

    async def broadcast(self, event: Event, speech: str | None = None) -> int:
        self.received.append((event, speech))
        return self.sessions

    async def announce(self, event: Event, speech: str | None) -> bool:
        self.received.append((event, speech))
        return True

    def types(self) -> list[str]:
        return [event.type for event, _ in self.received]


class RecordingNotifier:
    """The Notifier interface (a Home Assistant notify service in production); `fail` makes it raise."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, str | None]] = []

    async def notify(self, message: str, title: str | None = None) -> bool:
        if self.fail:
            raise RuntimeError("notify service down")
        self.sent.append((message, title))
        return True


def local_now() -> datetime:
    return datetime.now(UTC).astimezone()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'jarvis.db'}")
    await database.migrate()
    yield database
    await database.close()


def service(db: Database, announcer: RecordingAnnouncer | None = None) -> TimerService:
    timers = TimerService(TimerRepository(db), now=local_now, min_seconds=0.1, max_seconds=86400)
    timers.announcer = announcer
    return timers


async def wait_for(condition: object, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_a_timer_fires_once_and_is_announced(db: Database) -> None:
    announcer = RecordingAnnouncer()
    timers = service(db, announcer)
    started = await timers.start(0.3, "pâtes")
    assert started.status == "active" and 0 < started.remaining_seconds <= 0.3
    assert [t.id for t in await timers.list()] == [started.id]
    await wait_for(lambda: "timer-finished" in announcer.types())
    event, speech = announcer.received[-1]
    assert isinstance(event, TimerFinished) and event.timer.status == "finished" and event.timer.late_seconds == 0
    assert speech == "Le minuteur pâtes est terminé."
    assert await timers.list() == []
    await asyncio.sleep(0.2)
    assert announcer.types() == ["timer-started", "timer-finished"]
    await timers.close()


async def test_finished_timers_and_reminders_are_also_notified(db: Database) -> None:
    announcer, notifier = RecordingAnnouncer(), RecordingNotifier()
    timers = service(db, announcer)
    timers.notifier = notifier
    await timers.start(0.2, "pâtes")
    await timers.start(0.3, "appeler Léa", kind="reminder")
    await wait_for(lambda: len(notifier.sent) == 2)
    assert notifier.sent == [
        ("Le minuteur pâtes est terminé.", "Jarvis : minuteur terminé"),
        ("Rappel : appeler Léa.", "Jarvis : rappel"),
    ]
    await timers.close()


async def test_a_failing_notifier_never_breaks_the_timer(db: Database) -> None:
    announcer = RecordingAnnouncer()
    timers = service(db, announcer)
    timers.notifier = RecordingNotifier(fail=True)
    first = await timers.start(0.2, "thé")
    await wait_for(lambda: "timer-finished" in announcer.types())
    second = await timers.start(0.2, "café")  # the service goes on
    await wait_for(lambda: announcer.types().count("timer-finished") == 2)
    recent = {t.id: t.status for t in await timers.recent()}
    assert recent[first.id] == "finished" and recent[second.id] == "finished"
    await timers.close()


async def test_durations_out_of_bounds_are_refused(db: Database) -> None:
    timers = service(db)
    with pytest.raises(InvalidInputError, match="au moins"):
        await timers.start(0)
    with pytest.raises(InvalidInputError, match="dépasser 1 jour"):
        await timers.start(10 * 365 * 86400)
    assert await timers.recent() == []


async def test_cancel_by_label_id_or_all(db: Database) -> None:
    announcer = RecordingAnnouncer()
    timers = service(db, announcer)
    pasta = await timers.start(60, "Pâtes")
    eggs = await timers.start(60, "œufs")
    rice = await timers.start(60, "riz complet")
    assert [t.id for t in await timers.cancel("les pates")] == [pasta.id]
    assert [t.id for t in await timers.cancel(eggs.id)] == [eggs.id]
    with pytest.raises(NotFoundError, match="gâteau"):
        await timers.cancel("gâteau")
    await timers.start(60, "riz blanc")
    with pytest.raises(InvalidInputError, match="Plusieurs"):
        await timers.cancel("riz")
    assert [t.id for t in await timers.cancel("riz complet")] == [rice.id]
    assert len(await timers.cancel("tous")) == 1
    assert await timers.list() == []
    assert announcer.types().count("timer-cancelled") == 4
    # With nothing running, whatever the name: say so (not « no timer matches « all » »).
    for key in ("all", "tous", "gâteau"):
        with pytest.raises(NotFoundError, match=r"^Aucun minuteur ni rappel en cours\.$"):
            await timers.cancel(key)
    with pytest.raises(NotFoundError):
        await timers.cancel_id(pasta.id)  # not active any more
    await timers.close()


async def test_a_timer_due_while_stopped_fires_late_once_and_waits_for_a_listener(db: Database) -> None:
    repository = TimerRepository(db)
    past = local_now() - timedelta(minutes=5)
    row = await repository.add("timer", "gâteau", 60, past - timedelta(seconds=60), past)
    nobody = RecordingAnnouncer(sessions=0)
    timers = service(db, nobody)
    await timers.resume()
    await wait_for(lambda: "timer-finished" in nobody.types())
    event, speech = nobody.received[-1]
    assert isinstance(event, TimerFinished) and event.timer.late_seconds >= 299
    assert speech == "Le minuteur gâteau s'est terminé il y a 5 minutes pendant que j'étais arrêté."
    # Nobody heard it: the first session to connect gets it, once.
    session = RecordingAnnouncer()
    await timers.deliver_pending(session)
    await timers.deliver_pending(session)
    assert session.types() == ["timer-finished"]
    # A second start does not fire it again.
    again = RecordingAnnouncer()
    restarted = service(db, again)
    await restarted.resume()
    await asyncio.sleep(0.1)
    assert again.received == []
    assert (await repository.get(row.id)).status == "finished"  # type: ignore[union-attr]
    await timers.close()


async def test_a_session_connecting_while_a_timer_is_announced_does_not_get_it_twice(db: Database) -> None:
    """The window between announcing a timer and recording it as announced: a session connecting then (its pending
    announcements looked up) must not get the same timer a second time."""
    late_comer = RecordingAnnouncer()

    class ConnectingDuringBroadcast(RecordingAnnouncer):
        async def broadcast(self, event: Event, speech: str | None = None) -> int:
            count = await super().broadcast(event, speech)
            if isinstance(event, TimerFinished):
                await timers.deliver_pending(late_comer)  # connects before the service records the announcement
            return count

    first = ConnectingDuringBroadcast()
    timers = service(db, first)
    await timers.start(0.2, "oeufs")
    await wait_for(lambda: "timer-finished" in first.types())
    await asyncio.sleep(0.1)
    assert late_comer.received == []
    await timers.deliver_pending(late_comer)
    assert late_comer.received == []  # recorded as announced
    await timers.close()


async def test_reminder_at_a_clock_time(db: Database) -> None:
    timers = service(db)
    soon = local_now() + timedelta(minutes=10)
    reminder = await timers.remind_at(f"{soon:%H:%M}", "sortir le chien")
    assert reminder.kind == "reminder" and 500 < reminder.remaining_seconds <= 600
    assert "sortir le chien" in timers.describe_started(reminder)
    with pytest.raises(InvalidInputError):
        await timers.remind_at("25:99", "x")
    with pytest.raises(InvalidInputError):
        await timers.remind_at("2001-01-01T10:00", "x")
    await timers.close()


def test_durations() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("90s") == 90
    assert parse_duration("5m") == 300
    assert parse_duration("5 min") == 300
    assert parse_duration("1h30") == 5400
    assert parse_duration("1h30m15s") == 5415
    assert parse_duration("00:05:00") == 300
    for bad in ("", "abc", "5x", "1:2:3:4"):
        with pytest.raises(InvalidInputError):
            parse_duration(bad)
    assert say_duration(5) == "5 secondes"
    assert say_duration(61) == "1 minute et 1 seconde"
    assert say_duration(5400) == "1 heure et 30 minutes"
    assert say_duration(90, "en") == "1 minute and 30 seconds"


def timer_registry(timers: TimerService, fast_path: FastPath | None = None) -> ToolRegistry:
    """The LLM's timer tools, asking their questions through a fast path as the server does."""
    registry = ToolRegistry()
    intents = register_timer_intents(fast_path or FastPath(), timers)
    registry.set_source("builtin", timer_tools(timers, intents.ask_time))
    return registry


async def call_in_turn(registry: ToolRegistry, call: ToolCall, request: str, conversation: str = "") -> ToolOutcome:
    """Run a tool call as the chat pipeline does, within a turn whose user said `request`."""
    tokens = (current_conversation.set(conversation), current_request.set(request))
    try:
        return await registry.execute(call)
    finally:
        current_request.reset(tokens[1])
        current_conversation.reset(tokens[0])


async def test_absurd_durations_from_the_model_are_refused_clearly(db: Database) -> None:
    """The LLM's timer tools get the same bounds: ten years or zero seconds is a clear tool error, nothing starts."""
    timers = service(db)
    registry = timer_registry(timers)
    calls = (
        ToolCall(id="a", name="start_timer", arguments={"hours": 10 * 365 * 24}),
        ToolCall(id="b", name="start_timer", arguments={"seconds": 0}),
        ToolCall(id="c", name="set_reminder", arguments={"message": "x", "in_minutes": 10 * 365 * 24 * 60}),
    )
    outcomes = [await registry.execute(call) for call in calls]
    assert [o.ok for o in outcomes] == [False, False, False]
    assert {o.error_code for o in outcomes} == {"invalid-duration"}
    assert "1 jour" in outcomes[0].content and "au moins" in outcomes[1].content
    assert await timers.list() == []
    await timers.close()


def test_a_request_names_a_time_or_not() -> None:
    for asked in (
        "lance un minuteur de cinq minutes",
        "minuteur 20 secondes",
        "rappelle-moi d'appeler maman à midi",
        "réveille-moi dans une demi-heure",
        "remind me to call Bob tomorrow",
        "rappelle-moi vendredi de sortir les poubelles",
        "set a timer for an hour",
        "rappelle-moi à 18h30 de sortir le chien",
        "réveille-moi à 7 h",
        "remind me at 18:30",
    ):
        assert mentions_time(asked), asked
    for not_asked in ("Allume le bureau en rouge.", "lance un minuteur", "rappelle-moi d'acheter du pain", "à 80 %"):
        assert not mentions_time(not_asked), not_asked


def test_a_request_is_about_a_timer_or_not() -> None:
    about_timers = (
        "lance un minuteur",
        "Rappelle-moi d'acheter du pain",
        "réveille-moi",
        "set a timer",
        "Préviens-moi",
        "Fais-moi penser à sortir le linge ce soir.",
        "Tell me to call Bob at 6",
    )
    for about in about_timers:
        assert mentions_timer(about), about
    others = ("Allume le bureau en rouge.", "Mets de la musique.", "Éteins tout.", "annule tout", "Réserve une table.")
    for other in others:
        assert not mentions_timer(other), other
    for cancel in ("Annule tout.", "arrête tout", "supprime le minuteur", "cancel everything"):
        assert mentions_timer(cancel, cancelling=True), cancel
    assert not mentions_timer("Éteins tout.", cancelling=True)


async def test_the_model_cannot_start_a_timer_nobody_asked_for(db: Database) -> None:
    """A small model with no better tool may start a timer for « allume le bureau en rouge » or cancel every timer
    for « éteins tout »: nothing happens and Jarvis says it cannot do that (the tool's answer is the reply). Asked
    for a timer without its time, Jarvis asks the time; with one, it starts."""
    timers = service(db)
    registry = timer_registry(timers)
    kept = await timers.start(600, "Pâtes")
    request = "Allume le bureau en rouge."
    timer = await call_in_turn(registry, ToolCall(id="a", name="start_timer", arguments={"minutes": 1}), request)
    reminder = await call_in_turn(registry, ToolCall(id="b", name="set_reminder", arguments={"message": "x"}), request)
    cancel = ToolCall(id="c", name="cancel_timer", arguments={"timer": "tous"})
    cancelled = await call_in_turn(registry, cancel, "Éteins tout.")
    # A time is said, but no reminder asked for: the model once set one « à 23:00 » for this.
    booking = ToolCall(id="g", name="set_reminder", arguments={"message": "Réserver une table", "at": "20:00"})
    booked = await call_in_turn(registry, booking, "Réserve une table au restaurant pour ce soir.")
    for outcome in (timer, reminder, cancelled, booked):
        assert not outcome.ok and outcome.error_code == "tool-not-asked" and outcome.says_itself
        assert outcome.content == "Désolé, je ne sais pas faire ça."
    assert [t.id for t in await timers.list()] == [kept.id]
    asked = await call_in_turn(
        registry, ToolCall(id="d", name="start_timer", arguments={"minutes": 1}), "Lance un minuteur."
    )
    remind = ToolCall(id="e", name="set_reminder", arguments={"message": "appeler maman"})
    asked_when = await call_in_turn(registry, remind, "Rappelle-moi d'appeler maman.")
    assert (asked.error_code, asked.content) == ("time-missing", "Pour combien de temps ?")
    assert (asked_when.error_code, asked_when.content) == ("time-missing", "Quand dois-je vous le rappeler ?")
    call = ToolCall(id="f", name="start_timer", arguments={"minutes": 1})
    started = await call_in_turn(registry, call, "lance un minuteur d'une minute pour les pâtes")
    assert started.ok and sorted(t.duration_seconds for t in await timers.list()) == [60, 600]
    cancelled = await call_in_turn(registry, cancel, "Annule tous les minuteurs.")
    assert cancelled.ok and await timers.list() == []
    await timers.close()


async def test_the_answer_to_the_question_starts_what_was_asked(db: Database) -> None:
    """« Lance un minuteur. » → « Pour combien de temps ? » → « Sept minutes. » starts it, without the model; the
    same for a reminder and « Dans une heure. ». A name the model made up is dropped; another conversation's
    messages are not taken for the answer."""
    timers = service(db)
    fast_path = FastPath()
    registry = timer_registry(timers, fast_path)
    timer_call = ToolCall(id="a", name="start_timer", arguments={"minutes": 15, "label": "Le déjeuner"})
    reminder_call = ToolCall(id="b", name="set_reminder", arguments={"message": "appeler maman", "in_minutes": 15})
    asked = [("c1", "Lance un minuteur.", timer_call), ("c2", "Rappelle-moi d'appeler maman.", reminder_call)]
    for conversation, request, call in asked:
        outcome = await call_in_turn(registry, call, request, conversation)
        assert outcome.error_code == "time-missing" and outcome.says_itself
    assert await timers.list() == []
    assert await fast_path.handle("Sept minutes.", "c3") is None  # nobody asked c3
    timer = await fast_path.handle("Sept minutes.", "c1")
    reminder = await fast_path.handle("Dans une heure.", "c2")
    assert timer is not None and timer.text == "C'est parti : minuteur de 7 minutes."
    assert reminder is not None and reminder.intent == "follow-up"
    started = {t.kind: (t.duration_seconds, t.label) for t in await timers.list()}
    assert started == {"timer": (420, ""), "reminder": (3600, "appeler maman")}
    await timers.close()


def test_the_duration_said_in_figures() -> None:
    assert said_seconds("Milleur 30 secondes.") == 30
    assert said_seconds("minuteur 1 heure 30 minutes pour le four") == 5400
    assert said_seconds("set a timer for 10 minutes and 30 seconds") == 630
    assert said_seconds("mets la chambre à 80 %") is None
    assert said_seconds("réveille-moi à 8 h") is None and said_seconds("préviens-moi jusqu'à 18 h") is None
    assert said_seconds("lance un minuteur de cinq minutes") is None  # in words: the model's reading stands


async def test_the_users_figures_win_over_the_models_reading(db: Database) -> None:
    """Misheard as « Milleur 30 secondes », the command reached the model, which started 30 minutes named « mille
    meilleure 30 secondes »: the user's figures and words are what count."""
    timers = service(db)
    registry = timer_registry(timers)
    call = ToolCall(id="a", name="start_timer", arguments={"minutes": 30, "label": "mille meilleure 30 secondes"})
    outcome = await call_in_turn(registry, call, "Milleur 30 secondes.")
    assert outcome.ok and outcome.content == "C'est parti : minuteur de 30 secondes."
    # The model also names timers after the whole request: no name either.
    call = ToolCall(id="b", name="start_timer", arguments={"seconds": 30, "label": "Milleur 30 secondes"})
    outcome = await call_in_turn(registry, call, "Milleur 30 secondes.")
    assert outcome.content == "C'est parti : minuteur de 30 secondes."
    # A name the user gave is kept.
    call = ToolCall(id="c", name="start_timer", arguments={"minutes": 10, "label": "Pâtes"})
    outcome = await call_in_turn(registry, call, "Minuteur 10 minutes pour les pâtes.")
    assert outcome.content == "C'est parti : minuteur « Pâtes » de 10 minutes."
    assert sorted((t.duration_seconds, t.label) for t in await timers.list()) == [(30, ""), (30, ""), (600, "Pâtes")]
    await timers.close()
