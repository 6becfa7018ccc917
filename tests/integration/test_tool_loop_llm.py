"""The tool loop with the real default model (Qwen) in the real server: asking for a timer makes the model call the
timer tool, and the timer fires and is announced; asking the time gets the true time; asked indirectly to keep a
fact in mind, the model stores it with the memory tool, and the fact is found again in another conversation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.servers import JarvisServer

pytestmark = pytest.mark.slow
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    # The tool definitions make the first prompt long: a loaded 2-core machine may need minutes for it once.
    server = JarvisServer(
        tmp_path_factory.mktemp("jarvis-tools-llm"),
        extra_env={
            "JARVIS_LLM__FIRST_TOKEN_TIMEOUT_SECONDS": "600",
            "JARVIS_LLM__TIMEOUT_SECONDS": "900",
            "JARVIS_CHAT__TIMEZONE": "Europe/Paris",
        },
    ).start()
    yield server
    server.stop()


async def turn(ws: ClientConnection, text: str) -> list[dict[str, Any]]:
    await ws.send(json.dumps({"type": "chat", "text": text}))
    events: list[dict[str, Any]] = []
    while True:
        frame = await asyncio.wait_for(ws.recv(), 900)
        if isinstance(frame, str):
            events.append(json.loads(frame))
            if events[-1]["type"] == "run-end":
                return events


def ws_url(server: JarvisServer) -> str:
    return server.url.replace("http://", "ws://") + "/ws"


def said_times(moment: datetime) -> set[str]:
    return {f"{moment:%H:%M}", f"{moment:%H}h{moment:%M}", f"{moment.hour} heures {moment:%M}"}


async def test_asking_the_time_gets_the_true_time(llm_server: JarvisServer) -> None:
    """The prompt carries the date and time at minute resolution, and the clock tool gives it to the second: either
    way the answer must be the real time, never an invented one (the default 1.5B model reads the context; with
    only the date in the context it invented "14:30" instead of calling the tool)."""
    asked = datetime.now(PARIS)
    async with connect(ws_url(llm_server), additional_headers=llm_server.headers) as ws:
        events = await turn(ws, "Quelle heure est-il ?")
    answered = datetime.now(PARIS)
    end = events[-1]
    assert end["status"] == "complete", events
    calls = [e["name"] for e in events if e["type"] == "tool-call"]
    assert calls in ([], ["get_current_datetime"]), events
    truths: set[str] = set()
    moment = asked - timedelta(minutes=1)
    while moment <= answered + timedelta(minutes=1):
        truths |= said_times(moment)
        moment += timedelta(minutes=1)
    assert any(truth in end["reply"] for truth in truths), (end["reply"], sorted(truths))


async def test_asking_for_a_timer_starts_one_that_fires(llm_server: JarvisServer) -> None:
    async with connect(ws_url(llm_server), additional_headers=llm_server.headers) as ws:
        # "Mets un minuteur de 5 secondes." is the fast path's (no LLM): this wording is not in its grammar.
        events = await turn(ws, "J'aimerais un minuteur : 5 secondes.")
        call = next(e for e in events if e["type"] == "tool-call")
        assert call["name"] == "start_timer", events
        result = next(e for e in events if e["type"] == "tool-result")
        assert result["ok"], result
        started = next(e for e in events if e["type"] == "timer-started")
        assert started["timer"]["duration_seconds"] == 5
        assert events[-1]["reply"].endswith("C'est parti : minuteur de 5 secondes.")
        while True:
            frame = await asyncio.wait_for(ws.recv(), 60)
            if isinstance(frame, str) and json.loads(frame)["type"] == "timer-finished":
                finished = json.loads(frame)
                break
        assert finished["timer"]["id"] == started["timer"]["id"]
        assert finished["text"] == "Le minuteur de 5 secondes est terminé."
    with llm_server.client() as client:
        conversation = client.get(f"/api/conversations/{events[-1]['conversation_id']}").json()
        roles = [m["role"] for m in conversation["messages"]]
        assert roles == ["user", "tool", "assistant"]
        record = json.loads(conversation["messages"][1]["content"])
        assert record["name"] == "start_timer" and record["ok"]


async def test_an_indirect_request_to_keep_a_fact_is_stored_by_the_memory_tool(llm_server: JarvisServer) -> None:
    async with connect(ws_url(llm_server), additional_headers=llm_server.headers) as ws:
        # Not a direct memory command ("souviens-toi que …" never reaches the model): the model decides.
        events = await turn(ws, "Garde bien en tête que le code du portail est 4512.")
        calls = [e for e in events if e["type"] == "tool-call"]
        assert [c["name"] for c in calls] == ["remember"], events
        assert "4512" in calls[0]["arguments"]["text"]
        assert events[-1]["timings"]["route"] == "llm"
        assert events[-1]["reply"].endswith("C'est noté, je m'en souviendrai.")
    with llm_server.client() as client:
        texts = [m["text"] for m in client.get("/api/memories").json()["memories"]]
        assert any("4512" in text and "portail" in text for text in texts), texts
    async with connect(ws_url(llm_server), additional_headers=llm_server.headers) as ws:
        events = await turn(ws, "Quel est le code du portail ?")  # a new conversation
        assert "4512" in events[-1]["reply"], events
