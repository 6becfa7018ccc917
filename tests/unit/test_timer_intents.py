"""Timer intents on the fast path: Home Assistant's sentences plus Jarvis's, answered by the real TimerService over a
real SQLite file (with a recording announcer implementing the real Announcer interface)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jarvis.brain.fastpath import FastPath
from jarvis.errors import InvalidInputError
from jarvis.store.db import Database
from jarvis.store.timers import TimerRepository
from jarvis.timers.intents import clean_label, register_timer_intents, unfold
from jarvis.timers.service import TimerService
from tests.unit.test_own_intents import with_own_intents
from tests.unit.test_timers import RecordingAnnouncer, local_now


@pytest.fixture
async def timers(tmp_path: Path) -> AsyncIterator[TimerService]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'jarvis.db'}")
    await database.migrate()
    service = TimerService(TimerRepository(database), now=local_now, min_seconds=1, max_seconds=30 * 86400)
    service.announcer = RecordingAnnouncer()
    yield service
    await service.close()
    await database.close()


@pytest.fixture
def fast_path(timers: TimerService) -> FastPath:
    fast = FastPath()
    register_timer_intents(fast, timers)
    return fast


async def say(fast_path: FastPath, text: str, conversation: str = "c1") -> tuple[str, str]:
    reply = await fast_path.handle(text, conversation)
    assert reply is not None, f"not recognised: {text!r}"
    return reply.text, reply.intent


def test_unfold_and_labels() -> None:
    assert unfold("Minuteur de 30 secondes pour les Pâtes ?", "pates") == "Pâtes"
    assert unfold("minuteur pour le bœuf", "boeuf") == "bœuf"
    assert clean_label("les pâtes ?") == "pâtes" and clean_label("the pasta") == "pasta"
    assert clean_label("de l'œuf") == "œuf"


async def test_start_named_and_unnamed_timers_in_french(fast_path: FastPath, timers: TimerService) -> None:
    text, intent = await say(fast_path, "Minuteur de 30 secondes pour les pâtes")
    assert intent == "HassStartTimer"
    assert text == "C'est parti : minuteur « pâtes » de 30 secondes."
    text, _ = await say(fast_path, "mets un minuteur de 5 minutes")
    assert text == "C'est parti : minuteur de 5 minutes."
    text, _ = await say(fast_path, "lance un minuteur d'une heure pour le rôti")
    assert text == "C'est parti : minuteur « rôti » de 1 heure."
    active = await timers.list()
    assert sorted((t.label, t.duration_seconds) for t in active) == [("", 300), ("pâtes", 30), ("rôti", 3600)]
    assert isinstance(timers.announcer, RecordingAnnouncer)
    assert timers.announcer.types().count("timer-started") == 3  # started through the service: announced


async def test_status_list_and_cancel(fast_path: FastPath, timers: TimerService) -> None:
    assert (await say(fast_path, "quels minuteurs sont en cours ?"))[0] == "Aucun minuteur ni rappel en cours."
    await say(fast_path, "minuteur de 10 minutes pour les pâtes")
    await say(fast_path, "mets un minuteur de 3 minutes")
    text, intent = await say(fast_path, "combien de temps reste-t-il sur le minuteur des pâtes ?")
    assert intent == "HassTimerStatus" and text.startswith("En cours : pâtes, encore ")
    assert "de 3 minutes" not in text
    text, _ = await say(fast_path, "quels minuteurs sont en cours ?")
    assert "pâtes" in text and "de 3 minutes" in text
    # As Whisper writes « combien de temps reste-t-il ».
    text, intent = await say(fast_path, "Combien de temps restent-ils ?")
    assert intent == "HassTimerStatus" and "pâtes" in text and "de 3 minutes" in text
    text, intent = await say(fast_path, "annule le minuteur des pâtes")
    assert intent == "HassCancelTimer" and text == "C'est annulé : pâtes."
    assert [t.duration_seconds for t in await timers.list()] == [180]
    text, _ = await say(fast_path, "annule le minuteur")  # only one left: no question
    assert text == "C'est annulé : de 3 minutes."
    assert await timers.list() == []
    assert (await say(fast_path, "annule le minuteur"))[0] == "Aucun minuteur ni rappel en cours."


async def test_annuler_alone_cancels_no_timer(fast_path: FastPath, timers: TimerService) -> None:
    """With Jarvis's own intents (as in a server), « annuler » alone is « never mind », not « cancel them all »."""
    with_own_intents(fast_path)
    await say(fast_path, "minuteur de 10 minutes pour les pâtes")
    assert await say(fast_path, "Annuler.") == ("D'accord.", "HassNevermind")
    assert [t.label for t in await timers.list()] == ["pâtes"]
    text, intent = await say(fast_path, "annule le minuteur des pâtes")
    assert intent == "HassCancelTimer" and text == "C'est annulé : pâtes."


async def test_cancel_asks_which_when_several_fit(fast_path: FastPath, timers: TimerService) -> None:
    await say(fast_path, "minuteur de 10 minutes pour les pâtes")
    await say(fast_path, "minuteur de 20 minutes pour le riz")
    text, _ = await say(fast_path, "arrête le minuteur")
    assert text == "Quel minuteur : pâtes ou riz ?"
    text, intent = await say(fast_path, "celui du riz")
    assert intent == "follow-up" and text == "C'est annulé : riz."
    assert [t.label for t in await timers.list()] == ["pâtes"]
    await say(fast_path, "mets un minuteur de 5 minutes")
    text, _ = await say(fast_path, "annule le minuteur de 5 minutes")  # by its duration
    assert text == "C'est annulé : de 5 minutes."
    text, intent = await say(fast_path, "annule tous les minuteurs")
    assert intent == "HassCancelAllTimers" and text == "C'est annulé : pâtes."


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("mets un minuteur de 0 minute", "au moins 1 s"),
        ("mets un minuteur de 10 ans", "ne peut pas dépasser 30 jours"),
        ("set a timer for 0 seconds", "at least 1 s"),
        ("set a timer for 10 years", "more than 30 days"),
    ],
)
async def test_bad_durations_are_answered_clearly(
    fast_path: FastPath, timers: TimerService, sentence: str, words: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        await fast_path.handle(sentence, "c1")
    assert raised.value.code == "invalid-duration" and words in raised.value.message
    assert await timers.list() == []


async def test_english_sentences_answer_in_english(fast_path: FastPath, timers: TimerService) -> None:
    text, _ = await say(fast_path, "set a timer for 30 seconds for the pasta")
    assert text == "Timer “pasta” started for 30 seconds."
    text, _ = await say(fast_path, "5 minute timer")
    assert text == "Timer of 5 minutes started."
    text, _ = await say(fast_path, "what timers are running?")
    assert text.startswith("Running: pasta, ") and "of 5 minutes" in text
    text, _ = await say(fast_path, "cancel the pasta timer")
    assert text == "Cancelled: pasta."
    text, _ = await say(fast_path, "cancel all timers")
    assert text == "Cancelled: of 5 minutes."
    assert await timers.list() == []


async def test_commands_after_a_delay_and_other_sentences_go_to_the_llm(
    fast_path: FastPath, timers: TimerService
) -> None:
    # Home Assistant's "{command} dans 10 minutes" is a reminder: the LLM's set_reminder tool words it.
    assert await fast_path.handle("rappelle-moi de sortir le linge dans 10 minutes", "c1") is None
    assert await fast_path.handle("quelle est la météo dans 2 heures", "c1") is None
    assert await fast_path.handle("raconte-moi une histoire de minuteur", "c1") is None
    assert await timers.list() == []
