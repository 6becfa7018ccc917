"""The chat pipeline's tool loop with a scripted engine (the real ChatEngine interface) and a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from jarvis.brain.prompt import PromptBuilder
from jarvis.events import Event
from jarvis.llm.base import ChatChunk, ChatMessage, EngineHealth, GenerationParams, ToolCall, ToolSpec
from jarvis.llm.service import LlmService
from jarvis.metrics import Metrics
from jarvis.pipeline.chat import ChatPipeline
from jarvis.pipeline.speech import SpeechService
from jarvis.store.conversations import ConversationRepository
from jarvis.store.db import Database
from jarvis.tools.base import ToolError
from jarvis.tools.functions import FunctionTool
from jarvis.tools.registry import ToolRegistry

Step = list[ChatChunk]


class ScriptedEngine:
    """Answers each generation with the next scripted step; records what it was given."""

    name = "scripted"
    concurrency = 1

    def __init__(self, steps: list[Step] | Iterator[Step]) -> None:
        self.steps = iter(steps)
        self.unsent = 0
        self.requests: list[tuple[list[ChatMessage], list[ToolSpec] | None]] = []

    @property
    def model_id(self) -> str:
        return "scripted"

    async def load(self) -> None:
        return None

    async def health(self) -> EngineHealth:
        return EngineHealth(True, "ok")

    def chat(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None, params: GenerationParams
    ) -> AsyncIterator[ChatChunk]:
        self.requests.append(([dict(m) for m in messages], tools))
        return self._stream(next(self.steps))

    async def _stream(self, step: Step) -> AsyncIterator[ChatChunk]:
        self.unsent = len(step)  # chunks of the last step not sent: the loop stopped the generation before them
        for chunk in step:
            self.unsent -= 1
            yield chunk

    async def warm(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None = None, *, whole: bool = False
    ) -> int:
        return 0

    async def close(self) -> None:
        return None


def text(*pieces: str) -> Step:
    return [ChatChunk(text=p) for p in pieces] + [ChatChunk(finish_reason="stop")]


def calls(*items: tuple[str, dict[str, Any]]) -> Step:
    made = [ToolCall(id=f"call_{i}", name=name, arguments=args) for i, (name, args) in enumerate(items)]
    return [ChatChunk(tool_calls=made, finish_reason="tool_calls")]


async def weather(city: str) -> str:
    """Donne la météo d'une ville.

    Args:
        city: la ville
    """
    if city == "Atlantis":
        raise RuntimeError("ville inconnue")
    return json.dumps({"city": city, "temperature": 12})


async def hang() -> str:
    """Ne répond jamais."""
    await asyncio.sleep(3600)
    return ""


def say_time() -> str:
    """Donne l'heure."""
    return "Il est 14 heures 05."


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'jarvis.db'}")
    await database.migrate()
    yield database
    await database.close()


def pipeline_for(engine: ScriptedEngine, db: Database, *, max_steps: int = 3) -> ChatPipeline:
    registry = ToolRegistry(timeout_seconds=0.3)
    registry.set_source("builtin", [FunctionTool(weather), FunctionTool(hang), FunctionTool(say_time, direct=True)])
    metrics = Metrics()
    return ChatPipeline(
        ConversationRepository(db),
        LlmService(engine, metrics, max_queue=2, first_token_timeout_seconds=5, timeout_seconds=10),
        PromptBuilder(language="fr", timezone=ZoneInfo("Europe/Paris"), history_tokens=1000, tools_hint=True),
        GenerationParams(max_tokens=64, temperature=0),
        metrics,
        4000,
        cast(SpeechService, None),  # text turns never speak
        tools=registry,
        max_tool_steps=max_steps,
    )


async def run(pipeline: ChatPipeline, message: str) -> tuple[list[Event], Any]:
    events: list[Event] = []

    async def emit(event: Event) -> None:
        events.append(event)

    result = await pipeline.run(await pipeline.prepare(message, None), emit)
    return events, result


def types(events: list[Event]) -> list[str]:
    return [e.type for e in events]


async def test_tool_result_goes_back_to_the_model(db: Database) -> None:
    engine = ScriptedEngine([calls(("weather", {"city": "Paris"})), text("Il fait ", "12 degrés.")])
    pipeline = pipeline_for(engine, db)
    events, result = await run(pipeline, "Quel temps à Paris ?")
    assert types(events) == ["run-start", "tool-call", "tool-result", "llm-delta", "llm-delta", "run-end"]
    assert result.end.reply == "Il fait 12 degrés." and result.end.status == "complete"
    tool_result = events[2]
    assert tool_result.type == "tool-result" and tool_result.ok and '"temperature": 12' in tool_result.content
    # Same tools (the constant prefix) on both generations; the second sees the call and its result.
    (first, tools1), (second, tools2) = engine.requests
    assert tools1 == tools2 == pipeline.tool_specs
    assert second[: len(first)] == first
    assert second[-2]["role"] == "assistant" and second[-2]["tool_calls"][0]["function"]["name"] == "weather"
    assert second[-1] == {"role": "tool", "tool_call_id": "call_0", "name": "weather", "content": tool_result.content}
    # The stored history: user, the tool record, the reply.
    stored = await pipeline.conversations.messages(result.end.conversation_id, limit=10)
    assert [m.role for m in stored] == ["user", "tool", "assistant"]
    record = json.loads(stored[1].content)
    assert record["name"] == "weather" and record["arguments"] == {"city": "Paris"} and record["ok"]


async def test_a_direct_tool_answers_without_a_second_generation(db: Database) -> None:
    engine = ScriptedEngine([calls(("say_time", {}))])
    events, result = await run(pipeline_for(engine, db), "Quelle heure est-il ?")
    assert result.end.reply == "Il est 14 heures 05."
    assert len(engine.requests) == 1
    assert types(events) == ["run-start", "tool-call", "tool-result", "llm-delta", "run-end"]


async def test_failures_are_told_to_the_model(db: Database) -> None:
    engine = ScriptedEngine(
        [
            calls(("weather", {"city": "Atlantis"}), ("hang", {}), ("weather", {}), ("wheather", {})),
            text("Je n'ai pas pu."),
        ]
    )
    events, result = await run(pipeline_for(engine, db), "Météo ?")
    results = [e for e in events if e.type == "tool-result"]
    assert [r.error_code for r in results] == ["tool-failed", "tool-timeout", "tool-invalid-arguments", "tool-unknown"]
    assert all(not r.ok for r in results)
    told = [m["content"] for m in engine.requests[1][0] if m["role"] == "tool"]
    assert all(content.startswith("ERREUR") for content in told)
    assert "ville inconnue" in told[0]
    assert result.end.status == "complete" and result.end.reply == "Je n'ai pas pu."


async def test_a_tool_nothing_resembles_is_answered_without_naming_any_tool(db: Database) -> None:
    """« Envoie un message à Paul »: the model calls a send_message tool Jarvis does not have. Told the list of
    tools, it used to read it out; the reply is now that Jarvis cannot do that, with no second generation."""
    engine = ScriptedEngine([calls(("send_message", {"to": "Paul"}))])
    events, result = await run(pipeline_for(engine, db), "Envoie un message à Paul.")
    assert result.end.reply == "Désolé, je ne sais pas faire ça."
    assert len(engine.requests) == 1
    assert [e.error_code for e in events if e.type == "tool-result"] == ["tool-unavailable"]


def writing(name: str, arguments: dict[str, Any]) -> Step:
    """A call as an engine streams it: its name first, then, once its arguments are written, the whole call."""
    made = ToolCall(id="call_0", name=name, arguments=arguments)
    return [ChatChunk(calling=name), ChatChunk(tool_calls=[made], finish_reason="tool_calls")]


async def test_the_model_is_stopped_at_the_name_of_a_tool_nothing_resembles(db: Database) -> None:
    """Its arguments cannot change the reply: the model is not left to write them (about a second on 2 cores)."""
    engine = ScriptedEngine([writing("lock_door", {"door": "entrée"})])
    events, result = await run(pipeline_for(engine, db), "Verrouille la porte d'entrée.")
    assert engine.unsent == 1  # the generation was closed right after the name
    assert result.end.reply == "Désolé, je ne sais pas faire ça."
    assert result.end.timings.llm_first_token_seconds is not None  # the name was the model's first output
    (call,) = [e for e in events if e.type == "tool-call"]
    assert call.name == "lock_door" and call.arguments == {}  # the record shows what was known
    assert [e.error_code for e in events if e.type == "tool-result"] == ["tool-unavailable"]


async def test_the_model_is_stopped_at_the_name_of_a_tool_the_request_did_not_ask_for(db: Database) -> None:
    def refuse_without_the_word(request: str) -> ToolError | None:
        return None if "minuteur" in request else ToolError("Désolé, je ne sais pas faire ça.", code="tool-not-asked")

    async def start_timer(minutes: int) -> str:
        """Lance un minuteur.

        Args:
            minutes: sa durée
        """
        return f"Minuteur de {minutes} minutes lancé."

    def pipeline(engine: ScriptedEngine) -> ChatPipeline:
        made = pipeline_for(engine, db)
        assert made.tools is not None
        made.tools.set_source("timers", [FunctionTool(start_timer, direct=True, refusal=refuse_without_the_word)])
        return made

    engine = ScriptedEngine([writing("start_timer", {"minutes": 15})])
    events, result = await run(pipeline(engine), "Ferme tous les volets.")
    assert engine.unsent == 1 and result.end.reply == "Désolé, je ne sais pas faire ça."
    assert [e.error_code for e in events if e.type == "tool-result"] == ["tool-not-asked"]
    # Asked for, the call is written to its end and run with its arguments.
    engine = ScriptedEngine([writing("start_timer", {"minutes": 15})])
    _, result = await run(pipeline(engine), "Lance un minuteur de 15 minutes.")
    assert engine.unsent == 0 and result.end.reply == "Minuteur de 15 minutes lancé."


async def test_a_misspelt_or_known_tool_is_written_to_its_end(db: Database) -> None:
    """A misspelt name goes back to the model with the close names, and a known tool needs its arguments."""
    paris = {"city": "Paris"}
    engine = ScriptedEngine([writing("wheather", paris), writing("weather", paris), text("12.")])
    events, result = await run(pipeline_for(engine, db), "Quel temps à Paris ?")
    assert engine.unsent == 0 and result.end.reply == "12."
    assert [e.error_code for e in events if e.type == "tool-result"] == ["tool-unknown", None]


async def test_bad_arguments_to_a_direct_tool_let_the_model_retry(db: Database) -> None:
    engine = ScriptedEngine([calls(("say_time", {"zone": "x"})), calls(("say_time", {}))])
    _, result = await run(pipeline_for(engine, db), "L'heure ?")
    assert result.end.reply == "Il est 14 heures 05."
    assert len(engine.requests) == 2


async def test_the_loop_is_bounded(db: Database) -> None:
    def forever() -> Iterator[Step]:
        while True:
            yield calls(("weather", {"city": "Paris"}))

    engine = ScriptedEngine(forever())
    events, result = await run(pipeline_for(engine, db, max_steps=2), "Météo ?")
    assert len(engine.requests) == 3  # the first generation and two more after tool results
    assert types(events).count("tool-call") == 2
    assert "trop d'appels d'outils" in result.end.reply


async def test_past_tool_calls_stay_in_the_prompt(db: Database) -> None:
    engine = ScriptedEngine([calls(("weather", {"city": "Paris"})), text("Il fait 12 degrés."), text("De rien.")])
    pipeline = pipeline_for(engine, db)
    _, first = await run(pipeline, "Quel temps à Paris ?")
    events: list[Event] = []

    async def emit(event: Event) -> None:
        events.append(event)

    await pipeline.run(await pipeline.prepare("Merci", first.end.conversation_id), emit)
    during, _ = engine.requests[1]  # the first turn's last generation
    after, _ = engine.requests[2]  # the next turn
    roles = [m["role"] for m in after]
    assert roles == ["system", "system", "user", "assistant", "tool", "assistant", "system", "user"]
    assert after[3]["tool_calls"][0]["function"] == {"name": "weather", "arguments": '{"city": "Paris"}'}
    assert after[4]["content"] == during[-1]["content"]  # the same result the model read then
    assert after[5]["content"] == "Il fait 12 degrés."


class WarmRecordingEngine(ScriptedEngine):
    def __init__(self, steps: list[Step]) -> None:
        super().__init__(steps)
        self.warmed: list[list[ChatMessage]] = []
        self.whole: list[bool] = []

    async def warm(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None = None, *, whole: bool = False
    ) -> int:
        self.warmed.append([dict(m) for m in messages])
        self.whole.append(whole)
        return 1


async def test_prefill_evaluates_the_prompt_the_turn_then_sends(db: Database) -> None:
    """Speech recognised during the final silence: the prompt of the coming turn is prepared before it starts."""
    engine = WarmRecordingEngine([text("Bonjour !"), text("Demain, il fera beau.")])
    pipeline = pipeline_for(engine, db)
    _, first = await run(pipeline, "Salut")
    conversation = first.end.conversation_id
    await pipeline.llm.wait_warm()
    engine.warmed.clear()
    engine.whole.clear()
    pipeline.warmer.prefill("  ", conversation)  # nothing heard: nothing to prepare
    pipeline.warmer.prefill("Et demain ?", conversation)
    await pipeline.warmer.wait_prefilled()
    await pipeline.llm.wait_warm()
    assert len(engine.warmed) == 1
    assert engine.whole == [True]  # the whole prompt, question included, up to the reply
    prepared = engine.warmed[0]

    async def emit(event: Event) -> None:
        return None

    await pipeline.run(await pipeline.prepare("Et demain ?", conversation), emit)
    sent = engine.requests[-1][0]
    # The same system prompt, history and question (the date line between them is to the minute).
    assert prepared[-1] == sent[-1] == {"role": "user", "content": "Et demain ?"}
    assert prepared[:-2] == sent[:-2]
    assert len(prepared) == len(sent)
    assert any(m["content"] == "Bonjour !" for m in prepared)


async def test_a_pending_draft_is_prepared_again_after_background_work(db: Database) -> None:
    """Background work (memory learning, a summary) leaves the cache holding its own prompt: what is prepared
    again is the draft the user is still typing, until they send it, clear it or leave it."""
    engine = WarmRecordingEngine([text("Bonjour !"), text("Demain, il fera beau.")])
    pipeline = pipeline_for(engine, db)
    _, first = await run(pipeline, "Salut")
    conversation = first.end.conversation_id
    pipeline.warmer.prefill("Et demain ?", conversation)
    await pipeline.warmer.wait_prefilled()
    await pipeline.llm.wait_warm()
    engine.warmed.clear()
    engine.whole.clear()

    async def prepared_again() -> tuple[bool, list[ChatMessage]]:
        pipeline.warmer.rewarm()
        await pipeline.warmer.wait_prefilled()
        await pipeline.llm.wait_warm()
        return engine.whole.pop(), engine.warmed.pop()

    whole, messages = await prepared_again()
    assert whole and messages[-1] == {"role": "user", "content": "Et demain ?"}

    async def emit(event: Event) -> None:
        return None

    await pipeline.run(await pipeline.prepare("Et demain ?", conversation), emit)
    await pipeline.llm.wait_warm()
    whole, messages = await prepared_again()  # sent: the next turn's prefix, up to the reply
    assert not whole and messages[-1]["role"] == "system"
    assert [m["content"] for m in messages if m["role"] == "assistant"] == ["Bonjour !", "Demain, il fera beau."]

    pipeline.warmer.prefill("Et après-demain ?", conversation)
    pipeline.warmer.prefill(" ", conversation)  # the user cleared the input
    await pipeline.warmer.wait_prefilled()
    await pipeline.llm.wait_warm()
    whole, messages = await prepared_again()
    assert not whole and messages[-1]["role"] == "system"
