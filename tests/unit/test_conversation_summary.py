"""The history budget: which messages overflow, and what the summariser folds into a summary (over a real
LlmService with a scripted engine and a real SQLite conversation store)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jarvis.brain.prompt import PromptBuilder, Said, estimate_tokens
from jarvis.brain.summary import EXTRA_MESSAGES, ConversationSummariser, Overflow, fold
from jarvis.llm.service import LlmService
from jarvis.store.conversations import ConversationRepository
from jarvis.store.db import Database
from tests.unit.test_llm_service import collect, make_service
from tests.unit.test_memory_extraction import RecordingEngine

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def conversation(turns: int) -> list[Said]:
    out: list[Said] = []
    for i in range(turns):
        at = T0 + timedelta(minutes=i)
        out.append(Said("user", f"Question numéro {i} sur un sujet assez long pour compter.", at, 2 * i + 1))
        out.append(Said("assistant", f"Réponse numéro {i}, elle aussi d'une longueur raisonnable.", at, 2 * i + 2))
    return out


def builder(budget: int) -> PromptBuilder:
    return PromptBuilder(language="fr", timezone=None, history_tokens=budget, clock=lambda: T0)


def test_no_overflow_within_the_budget() -> None:
    assert builder(10_000).overflow(conversation(5)) == 0


def test_overflow_counts_exactly_what_build_prefix_leaves_out() -> None:
    prompts = builder(200)
    history = conversation(8)
    overflow = prompts.overflow(history)
    assert 0 < overflow < len(history)
    kept = [m for m in prompts.build_prefix(history) if m["role"] in ("user", "assistant")]
    # build_prefix may also drop an orphan assistant reply at the start, never more.
    assert len(history) - overflow - len(kept) in (0, 1)
    assert kept[-1]["content"] == history[-1].content


def test_summary_goes_right_after_the_system_prompt() -> None:
    prefix = builder(200).build_prefix(conversation(1), summary="L'utilisateur a un chien, Rex.")
    assert prefix[1]["role"] == "system" and "Rex" in prefix[1]["content"]
    assert prefix[1]["content"].startswith("Résumé du début de cette conversation")


class Recorder(ConversationSummariser):
    def __init__(self, prompts: PromptBuilder) -> None:
        super().__init__(llm=None, prompts=prompts, conversations=None)  # type: ignore[arg-type]
        self.overflows: list[Overflow] = []

    async def _run(self, overflow: Overflow) -> None:
        self.overflows.append(overflow)


async def test_after_turn_folds_the_overflow_and_ends_on_a_reply() -> None:
    prompts = builder(200)
    history = conversation(8)
    summariser = Recorder(prompts)
    summariser.after_turn("c1", "Résumé d'avant.", history)
    await summariser.wait()
    [overflow] = summariser.overflows
    assert overflow.summary == "Résumé d'avant."
    assert len(overflow.messages) >= prompts.overflow(history) + EXTRA_MESSAGES - 1
    assert overflow.messages[-1].role == "assistant"
    text = summariser.messages(overflow)[1]["content"]
    # Only the overflowing messages go to the model: the previous summary is kept, not rewritten.
    assert "Résumé d'avant" not in text
    assert text.startswith("Utilisateur : Question numéro 0")
    assert "Jarvis : Réponse numéro 0" in text


async def test_after_turn_does_nothing_when_everything_fits() -> None:
    summariser = Recorder(builder(10_000))
    summariser.after_turn("c1", "", conversation(3))
    await summariser.wait()
    assert summariser.overflows == []


# -- folding: the previous summary is kept word for word -----------------------------------------------------------


def test_fold_appends_the_new_part_and_keeps_the_previous_summary_verbatim() -> None:
    previous = "L'utilisateur a un chien qui s'appelle Rex.\nIl habite à Lyon depuis 2019."
    summary, dropped = fold(previous, "  L'utilisateur   a demandé la météo de demain. ")
    assert summary == previous + "\nL'utilisateur a demandé la météo de demain."
    assert dropped == 0
    assert fold("", "Premier résumé.") == ("Premier résumé.", 0)
    assert fold(previous, "") == (previous, 0)


def test_fold_drops_the_oldest_parts_past_the_budget() -> None:
    parts = [f"Partie {i} : " + "mot " * 40 for i in range(6)]
    summary = ""
    for part in parts:
        summary, _ = fold(summary, part, budget_tokens=200)
    kept = summary.splitlines()
    assert sum(estimate_tokens(p) for p in kept) <= 200
    assert kept == [" ".join(p.split()) for p in parts[-len(kept) :]]  # the newest, in order, unchanged
    assert 1 < len(kept) < 6
    # The newest part stays even when it alone is over the budget.
    assert fold("Ancien.", "x" * 900, budget_tokens=50) == ("x" * 900, 1)


@dataclass
class Setup:
    summariser: ConversationSummariser
    conversations: ConversationRepository
    engine: RecordingEngine
    llm: LlmService
    conversation_id: str


@asynccontextmanager
async def summarising(tmp_path: Path, pieces: Sequence[str], **engine: Any) -> AsyncIterator[Setup]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await db.migrate()
    conversations = ConversationRepository(db)
    conversation = await conversations.create("test")
    recording = RecordingEngine(pieces, **engine)
    llm = make_service(recording)
    summariser = ConversationSummariser(llm, builder(200), conversations, retry_delay_seconds=0.01)
    try:
        yield Setup(summariser, conversations, recording, llm, conversation.id)
    finally:
        await summariser.close()
        await llm.close()
        await db.close()


PREVIOUS = "L'utilisateur a un chien qui s'appelle Rex."
PART = ["L'utilisateur a posé ", "des questions numérotées ", "et Jarvis a répondu."]


async def test_a_fold_in_keeps_the_facts_of_the_previous_summary(tmp_path: Path) -> None:
    """The model only summarises the new overflow; what the previous summary said (the dog's name) survives even
    though the new part does not mention it."""
    async with summarising(tmp_path, PART) as setup:
        history = conversation(8)
        setup.summariser.after_turn(setup.conversation_id, PREVIOUS, history)
        await asyncio.wait_for(setup.summariser.wait(), 20.0)
        [(messages, params)] = setup.engine.requests
        assert params.background
        assert "Rex" not in messages[-1]["content"] and "Question numéro 0" in messages[-1]["content"]
        stored = await setup.conversations.get(setup.conversation_id)
        assert stored.summary == PREVIOUS + "\n" + "".join(PART)
        # Stored up to the last summarised message: past what overflows, on a reply.
        assert stored.summary_seq >= builder(200).overflow(history)
        assert history[stored.summary_seq - 1].role == "assistant"


async def wait_for_requests(engine: RecordingEngine, count: int) -> None:
    for _ in range(5000):  # a few seconds at most on a loaded machine
        if len(engine.requests) >= count:
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"{len(engine.requests)} requests, expected {count}")


async def test_a_chat_turn_takes_the_model_back_from_a_running_summary(tmp_path: Path) -> None:
    release = asyncio.Event()
    async with summarising(tmp_path, PART, pause_after_first=release) as setup:
        setup.summariser.after_turn(setup.conversation_id, PREVIOUS, conversation(8))
        await asyncio.wait_for(setup.engine.first_sent.wait(), 20.0)  # the summary is generating
        assert setup.engine.requests[0][1].background
        # The user's turn: a foreground request preempts the summary at once.
        foreground = asyncio.create_task(collect(setup.llm))
        await wait_for_requests(setup.engine, 2)
        assert not setup.engine.requests[1][1].background
        assert setup.engine.closed == 1  # the summary's generation was stopped, not left running
        assert (await setup.conversations.get(setup.conversation_id)).summary == ""
        release.set()
        await asyncio.wait_for(foreground, 5.0)
        # The summary is generated again once the user is done, and stored.
        await asyncio.wait_for(setup.summariser.wait(), 20.0)
        assert len(setup.engine.requests) == 3 and setup.engine.requests[2][1].background
        assert (await setup.conversations.get(setup.conversation_id)).summary == PREVIOUS + "\n" + "".join(PART)


async def test_the_user_starting_to_speak_preempts_a_running_summary(tmp_path: Path) -> None:
    release = asyncio.Event()
    async with summarising(tmp_path, PART, pause_after_first=release) as setup:
        setup.summariser.after_turn(setup.conversation_id, "", conversation(8))
        await asyncio.wait_for(setup.engine.first_sent.wait(), 20.0)
        setup.llm.note_user_activity()
        await wait_for_requests(setup.engine, 2)  # deferred, then tried again
        assert setup.engine.closed >= 1
        release.set()
        await asyncio.wait_for(setup.summariser.wait(), 20.0)
        assert (await setup.conversations.get(setup.conversation_id)).summary == "".join(PART)
