"""Learning from conversation: the cheap gate, the JSON parsing, MemoryLearner over a real LlmService (fake engine)
and a real SQLite memory, and background generations giving the model back to the user."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jarvis.brain.prompt import PromptBuilder, Said
from jarvis.errors import LlmPreemptedError
from jarvis.llm.base import ChatChunk, ChatMessage, GenerationParams, ToolSpec
from jarvis.llm.service import LlmService
from jarvis.memory.extraction import (
    MAX_FACTS,
    SCHEMA,
    Extraction,
    MemoryLearner,
    TurnToLearn,
    parse_extraction,
    supersedes,
    worth_extracting,
)
from jarvis.memory.items import NewMemory
from jarvis.memory.service import MemoryService
from jarvis.store.tables import Conversation
from tests.unit.test_llm_service import MESSAGES, PARAMS, FakeEngine, collect, make_service
from tests.unit.test_memory_service import Clock, opened

AT = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
CONVERSATION = "c" * 32


class RecordingEngine(FakeEngine):
    """The test engine, also keeping what each generation was asked."""

    def __init__(self, pieces: Sequence[str] = (), **options: Any) -> None:
        super().__init__(pieces, **options)
        self.requests: list[tuple[list[ChatMessage], GenerationParams]] = []

    def chat(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None, params: GenerationParams
    ) -> AsyncIterator[ChatChunk]:
        self.requests.append((messages, params))
        return super().chat(messages, tools, params)


def answer(*facts: tuple[str, str, int]) -> list[str]:
    """The model's JSON reply, streamed in a few pieces."""
    text = json.dumps({"facts": [{"text": t, "kind": k, "replaces": r} for t, k, r in facts]}, ensure_ascii=False)
    return [text[:7], text[7:20], text[20:]]


@dataclass
class Setup:
    memory: MemoryService
    engine: RecordingEngine
    llm: LlmService
    learner: MemoryLearner
    rewarmed: list[int]


@asynccontextmanager
async def learning(tmp_path: Path, pieces: Sequence[str], language: str = "fr", **engine: Any) -> AsyncIterator[Setup]:
    async with opened(tmp_path / "m.db", Clock(AT), language=language) as memory:  # type: ignore[arg-type]
        async with memory.repo.db.sessions() as session, session.begin():
            session.add(Conversation(id=CONVERSATION, title="test", created_at=AT, updated_at=AT))
        recording = RecordingEngine(pieces, **engine)
        llm = make_service(recording)
        prompts = PromptBuilder(
            language=language, timezone=ZoneInfo("Europe/Paris"), history_tokens=500, clock=lambda: AT
        )
        rewarmed: list[int] = []
        learner = MemoryLearner(
            memory,
            llm,
            prompts,
            rewarm=lambda: rewarmed.append(1),
            retry_delay_seconds=0.01,
        )
        try:
            yield Setup(memory, recording, llm, learner, rewarmed)
        finally:
            await learner.close()
            await llm.close()


def turn(user: str, reply: str = "C'est noté.", history: Sequence[Said] = ()) -> TurnToLearn:
    return TurnToLearn(list(history), Said("user", user, AT), reply, CONVERSATION, "m" * 32)


# -- the gate and the parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "worth"),
    [
        ("J'habite à Lyon.", True),
        ("Ma fille s'appelle Léa", True),
        ("Mon chien a dix ans.", True),
        ("Nous partons en vacances en août.", True),
        ("Notre maison est bleue.", True),
        ("Moi, je préfère le thé.", True),
        ("I live in Paris.", True),
        ("My daughter is called Lea.", True),
        ("I'm a nurse.", True),
        ("We have two cats.", True),
        ("Où est-ce que j'habite ?", False),  # a question
        ("Comment s'appelle ma fille ?", False),
        ("Quelle heure est-il ?", False),
        ("Mets un minuteur de cinq minutes.", False),
        ("Allume la lumière du salon.", False),
        ("Bonjour !", False),
        ("Il fait beau aujourd'hui.", False),
        ("", False),
        ("   ", False),
        ("Jeanne mange des pommes.", False),  # "je" inside a word is not a first person
        ("Montre-moi la météo", True),  # cheap gate: "moi" is enough, the LLM then finds nothing
    ],
)
def test_worth_extracting(text: str, worth: bool) -> None:
    assert worth_extracting(text) is worth


def test_parse_valid_extraction() -> None:
    raw = json.dumps(
        {
            "facts": [
                {"text": "L'utilisateur habite à Lyon.", "kind": "fact", "replaces": 0},
                {"text": "Sa fille s'appelle Léa.", "kind": "fact", "replaces": 2},
            ]
        }
    )
    extraction = parse_extraction(raw)
    assert extraction is not None
    assert [(f.text, f.kind, f.replaces) for f in extraction.facts] == [
        ("L'utilisateur habite à Lyon.", "fact", 0),
        ("Sa fille s'appelle Léa.", "fact", 2),
    ]
    assert parse_extraction('{"facts": []}') == Extraction(facts=[])
    # kind and replaces have defaults.
    defaulted = parse_extraction('{"facts": [{"text": "Son chat s\'appelle Minou."}]}')
    assert defaulted is not None and (defaulted.facts[0].kind, defaulted.facts[0].replaces) == ("fact", 0)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        '{"facts": [',
        '{"facts": "L\'utilisateur habite à Lyon."}',
        '{"facts": [{"kind": "fact"}]}',  # no text
        '{"facts": [{"text": "ab"}]}',  # too short
        json.dumps({"facts": [{"text": "x" * 201}]}),
        '{"facts": [{"text": "Sa fille s\'appelle Léa.", "replaces": 5}]}',
        '{"facts": [{"text": "Sa fille s\'appelle Léa.", "replaces": -1}]}',
        json.dumps({"facts": [{"text": f"Fait numéro {i}."} for i in range(MAX_FACTS + 1)]}),
        '["L\'utilisateur habite à Lyon."]',
    ],
)
def test_parse_invalid_extraction(raw: str) -> None:
    assert parse_extraction(raw) is None


# -- the learner ------------------------------------------------------------------------------------------------


async def test_learn_stores_facts_in_the_third_person(tmp_path: Path) -> None:
    pieces = answer(
        ("J'habite à Lyon", "fact", 0),
        ("Sa fille s'appelle Léa.", "fact", 0),
        ("L'utilisateur va chez le dentiste jeudi.", "event", 0),
    )
    async with learning(tmp_path, pieces) as setup:
        user = "J'habite à Lyon avec ma fille Léa, et je vais chez le dentiste jeudi."
        history = [Said("user", "Bonjour", AT), Said("assistant", "Bonjour ! Que puis-je faire ?", AT)]
        learned = await setup.learner.learn(turn(user, "Très bien, bon courage pour jeudi !", history))
        assert [(m.text, m.kind, m.retention) for m in learned] == [
            ("L'utilisateur habite à Lyon.", "fact", "important"),
            ("Sa fille s'appelle Léa.", "fact", "important"),
            ("L'utilisateur va chez le dentiste jeudi.", "event", "temporary"),
        ]
        rows = await setup.memory.repo.all()
        assert sorted(r.text for r in rows) == sorted(m.text for m in learned)
        assert {(r.source_conversation_id, r.source_message_id) for r in rows} == {(CONVERSATION, "m" * 32)}
        assert setup.rewarmed == [1]

        # The prompt is the conversation's prompt plus the instruction, generated as constrained background work.
        ((messages, params),) = setup.engine.requests
        assert messages[0]["role"] == "system" and messages[0]["content"].startswith("Tu es Jarvis")
        contents = [m["content"] for m in messages]
        assert "Bonjour" in contents and user in contents and "Très bien, bon courage pour jeudi !" in contents
        assert contents.index(user) < contents.index("Très bien, bon courage pour jeudi !")
        assert messages[-1]["role"] == "user"
        assert messages[-1]["content"].startswith("[Tâche interne")
        assert "Souvenirs déjà connus" not in messages[-1]["content"]  # nothing known yet
        assert params.json_schema == SCHEMA
        assert params.background is True
        assert params.temperature == 0.0


async def test_learn_replaces_a_contradicted_memory(tmp_path: Path) -> None:
    async with learning(tmp_path, answer(("L'utilisateur habite à Paris.", "fact", 1))) as setup:
        old, _ = await setup.memory.add(NewMemory("L'utilisateur habite à Lyon.", retention="important"))
        other, _ = await setup.memory.add(NewMemory("Sa fille s'appelle Léa."))
        learned = await setup.learner.learn(turn("J'ai déménagé : maintenant j'habite à Paris."))
        assert [m.id for m in learned] == [old.id]
        instruction = setup.engine.requests[0][0][-1]["content"]
        assert "Souvenirs déjà connus :\n1. L'utilisateur habite à Lyon.\n" in instruction
        rows = {r.id: r.text for r in await setup.memory.repo.all()}
        assert rows == {old.id: "L'utilisateur habite à Paris.", other.id: "Sa fille s'appelle Léa."}
        assert [f.memory.id for f in await setup.memory.search("Paris")] == [old.id]
        assert await setup.memory.search("Lyon") == []


async def test_learn_with_an_out_of_range_replace_adds(tmp_path: Path) -> None:
    async with learning(tmp_path, answer(("L'utilisateur aime le thé.", "preference", 3))) as setup:
        old, _ = await setup.memory.add(NewMemory("L'utilisateur aime le café."))
        learned = await setup.learner.learn(turn("J'aime le thé aussi."))
        assert len(learned) == 1 and learned[0].id != old.id
        assert sorted(r.text for r in await setup.memory.repo.all()) == [
            "L'utilisateur aime le café.",
            "L'utilisateur aime le thé.",
        ]


async def test_learn_replaces_a_one_value_fact_the_model_did_not_flag(tmp_path: Path) -> None:
    async with learning(tmp_path, answer(("L'utilisateur habite à Paris.", "fact", 0))) as setup:
        old, _ = await setup.memory.add(NewMemory("L'utilisateur habite à Lyon."))
        learned = await setup.learner.learn(turn("J'habite à Paris maintenant."))
        assert [m.id for m in learned] == [old.id]
        assert [r.text for r in await setup.memory.repo.all()] == ["L'utilisateur habite à Paris."]


async def test_learn_known_fact_is_not_duplicated(tmp_path: Path) -> None:
    async with learning(tmp_path, answer(("L'utilisateur habite à Lyon.", "fact", 0))) as setup:
        old, _ = await setup.memory.add(NewMemory("L'utilisateur habite à Lyon."))
        learned = await setup.learner.learn(turn("Comme tu sais, j'habite à Lyon."))
        assert [m.id for m in learned] == [old.id]
        assert len(await setup.memory.repo.all()) == 1


@pytest.mark.parametrize("pieces", [["Voici les faits : ", "Lyon"], ['{"facts": [{"text": "ab"}]}'], []])
async def test_learn_with_invalid_output_stores_nothing(tmp_path: Path, pieces: list[str]) -> None:
    async with learning(tmp_path, pieces) as setup:
        assert await setup.learner.learn(turn("J'habite à Lyon.")) == []
        assert await setup.memory.repo.all() == []
        assert setup.rewarmed == [1]


async def test_learn_in_english(tmp_path: Path) -> None:
    async with learning(tmp_path, answer(("I live in Paris.", "fact", 0)), language="en") as setup:
        learned = await setup.learner.learn(turn("I live in Paris.", "Nice city!"))
        assert [m.text for m in learned] == ["The user lives in Paris."]
        assert setup.engine.requests[0][0][-1]["content"].startswith("[Internal task")


async def test_after_turn_queues_only_what_is_worth_it(tmp_path: Path) -> None:
    async with learning(tmp_path, answer(("Son chien s'appelle Rex.", "fact", 0))) as setup:
        setup.learner.after_turn(turn("Quelle heure est-il ?", "Il est 7 h."))
        setup.learner.after_turn(turn("Mon chien s'appelle Rex.", ""))  # no reply: the turn failed
        await asyncio.wait_for(setup.learner.wait(), 1.0)
        assert setup.engine.calls == 0
        setup.learner.after_turn(turn("Mon chien s'appelle Rex.", "Joli nom !"))
        await asyncio.wait_for(setup.learner.wait(), 10.0)
        assert setup.engine.calls == 1
        assert [r.text for r in await setup.memory.repo.all()] == ["Son chien s'appelle Rex."]


async def test_learner_gives_way_to_the_user_and_retries(tmp_path: Path) -> None:
    release = asyncio.Event()
    pieces = answer(("Son chien s'appelle Rex.", "fact", 0))
    async with learning(tmp_path, pieces, pause_after_first=release) as setup:
        setup.learner.after_turn(turn("Mon chien s'appelle Rex.", "Joli nom !"))
        await asyncio.wait_for(setup.engine.first_sent.wait(), 10.0)  # the extraction is generating
        assert setup.engine.requests[0][1].background
        # The user speaks: a foreground request takes the model.
        foreground = asyncio.create_task(collect(setup.llm))
        for _ in range(5000):  # a few seconds at most on a loaded machine
            if len(setup.engine.requests) == 2:
                break
            await asyncio.sleep(0.001)
        assert len(setup.engine.requests) == 2
        assert not setup.engine.requests[1][1].background
        assert await setup.memory.repo.all() == []
        release.set()
        chunks = await asyncio.wait_for(foreground, 5.0)
        assert "".join(c.text for c in chunks) == "".join(pieces)
        # The extraction runs again once the user is done, and stores the fact.
        await asyncio.wait_for(setup.learner.wait(), 10.0)
        assert setup.engine.calls == 3
        assert [r.text for r in await setup.memory.repo.all()] == ["Son chien s'appelle Rex."]
        assert setup.rewarmed == [1, 1]


# -- background generations -------------------------------------------------------------------------------------


async def test_foreground_stream_preempts_background_completion() -> None:
    release = asyncio.Event()
    engine = FakeEngine(pause_after_first=release)
    service = make_service(engine)
    background = asyncio.create_task(service.complete_in_background(MESSAGES, PARAMS, quiet_seconds=0.01))
    await asyncio.wait_for(engine.first_sent.wait(), 5.0)
    foreground = asyncio.create_task(collect(service))
    with pytest.raises(LlmPreemptedError) as info:
        await asyncio.wait_for(background, 5.0)
    assert info.value.code == "llm-preempted"
    assert info.value.status == 503
    assert not background.cancelled()  # the task ended with the error, it was not left cancelled
    release.set()
    chunks = await asyncio.wait_for(foreground, 5.0)
    assert "".join(c.text for c in chunks) == "Bonjour !"
    assert engine.closed == 2 and engine.active == 0
    # Background work runs again afterwards.
    assert await asyncio.wait_for(service.complete_in_background(MESSAGES, PARAMS, quiet_seconds=0.01), 5.0) == (
        "Bonjour !"
    )


async def test_preempt_background_when_the_user_starts_speaking() -> None:
    release = asyncio.Event()
    engine = FakeEngine(pause_after_first=release)
    service = make_service(engine)
    background = asyncio.create_task(service.complete_in_background(MESSAGES, PARAMS, quiet_seconds=0.01))
    await asyncio.wait_for(engine.first_sent.wait(), 5.0)
    service.note_user_activity()
    with pytest.raises(LlmPreemptedError):
        await asyncio.wait_for(background, 5.0)
    assert engine.active == 0


async def test_background_waits_while_the_user_is_speaking() -> None:
    engine = FakeEngine()
    service = make_service(engine)
    service.note_user_activity()
    background = asyncio.create_task(service.complete_in_background(MESSAGES, PARAMS, quiet_seconds=0.2))
    for _ in range(20):  # the user speaks for a while: the session notes it with every frame
        service.note_user_activity()
        await asyncio.sleep(0.05)
    assert engine.calls == 0 and not background.done()
    # Quiet now: the background work runs.
    assert await asyncio.wait_for(background, 5.0) == "Bonjour !"
    assert engine.calls == 1


async def test_background_waits_for_the_foreground_to_finish() -> None:
    release = asyncio.Event()
    engine = FakeEngine(pause_after_first=release)
    service = make_service(engine)
    foreground = asyncio.create_task(collect(service))
    await asyncio.wait_for(engine.first_sent.wait(), 5.0)
    background = asyncio.create_task(service.complete_in_background(MESSAGES, PARAMS, quiet_seconds=0.05))
    await asyncio.sleep(0.2)
    assert engine.calls == 1  # not started while the user's request runs
    assert not background.done()
    release.set()
    await asyncio.wait_for(foreground, 5.0)
    assert await asyncio.wait_for(background, 5.0) == "Bonjour !"
    assert engine.calls == 2


async def test_cancelling_a_background_task_is_not_a_preemption() -> None:
    release = asyncio.Event()
    engine = FakeEngine(pause_after_first=release)
    service = make_service(engine)
    background = asyncio.create_task(service.complete_in_background(MESSAGES, PARAMS, quiet_seconds=0.01))
    await asyncio.wait_for(engine.first_sent.wait(), 5.0)
    background.cancel()
    with pytest.raises(asyncio.CancelledError):
        await background
    assert engine.active == 0


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [
        ("L'utilisateur a déménagé à Lyon.", "L'utilisateur habite à Paris depuis dix ans.", True),
        ("L'utilisateur déménagé à Lyon le mois dernier.", "L'utilisateur habite à Paris.", True),
        ("The user moved to Lyon.", "The user lives in Paris.", True),
        ("L'utilisateur travaille chez Airbus.", "L'utilisateur travaille à la mairie.", True),
        ("L'utilisateur s'appelle Paul.", "L'utilisateur s'appelle Pierre.", True),
        ("Sa fille s'appelle Zoé.", "Sa fille s'appelle Léa.", False),  # maybe two daughters
        ("Sa fille s'appelle Léa.", "Son fils s'appelle Tom.", False),
        ("L'utilisateur travaille chez Airbus.", "L'utilisateur habite à Paris.", False),
        ("L'utilisateur aime le thé.", "L'utilisateur aime le café.", False),
        ("Son frère habite à Nice.", "L'utilisateur habite à Paris.", False),
    ],
)
def test_supersedes_one_value_facts_of_the_same_person(new: str, old: str, expected: bool) -> None:
    assert supersedes(new, old) is expected


async def test_an_urgent_warm_up_takes_the_model_from_background_work() -> None:
    """A draft being typed or speech being recognised: background work gives the model back for its prompt."""

    class WarmingEngine(FakeEngine):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.warmed: list[list[ChatMessage]] = []

        async def warm(
            self, messages: list[ChatMessage], tools: list[ToolSpec] | None = None, *, whole: bool = False
        ) -> int:
            self.warmed.append(messages)
            return 1

    release = asyncio.Event()
    engine = WarmingEngine(pause_after_first=release)
    service = make_service(engine)
    background = asyncio.create_task(service.complete_in_background(MESSAGES, PARAMS, quiet_seconds=0.2))
    await asyncio.wait_for(engine.first_sent.wait(), 5.0)
    service.warm(MESSAGES)  # an ordinary warm-up is for an idle model only
    await service.wait_warm()
    assert engine.warmed == []
    service.prefill(MESSAGES)
    with pytest.raises(LlmPreemptedError):
        await asyncio.wait_for(background, 5.0)
    await asyncio.wait_for(service.wait_warm(), 5.0)
    assert engine.warmed == [MESSAGES]
    # Background work waits its quiet time after the user's last activity before taking the model again.
    release.set()
    again = asyncio.create_task(service.complete_in_background(MESSAGES, PARAMS, quiet_seconds=0.2))
    service.prefill(MESSAGES)
    await asyncio.sleep(0.15)
    assert engine.calls == 1
    assert await asyncio.wait_for(again, 5.0) == "Bonjour !"
    assert engine.calls == 2
