"""The WebSocket session (/ws) with the real websockets client."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.french import looks_french
from tests.servers import JarvisServer

pytestmark = pytest.mark.slow


def ws_url(server: JarvisServer) -> str:
    return server.url.replace("http://", "ws://") + "/ws"


async def next_event(ws: ClientConnection) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(await ws.recv(decode=True))
    return event


async def collect_run(ws: ClientConnection) -> list[dict[str, Any]]:
    events = []
    while True:
        events.append(await next_event(ws))
        if events[-1]["type"] == "run-end":
            return events


async def test_chat_over_websocket_streams_events(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "chat", "text": "Bonjour ! Présente-toi en une phrase."}))
        events = await collect_run(ws)
        kinds = [e["type"] for e in events]
        assert kinds[0] == "run-start" and kinds[-1] == "run-end"
        assert "llm-delta" in kinds
        end = events[-1]
        assert end["status"] == "complete"
        assert looks_french(end["reply"]), end["reply"]
        # The same session continues the same conversation when asked to.
        await ws.send(json.dumps({"type": "chat", "text": "Merci !", "conversation_id": end["conversation_id"]}))
        second = await collect_run(ws)
        assert second[0]["conversation_id"] == end["conversation_id"]


async def test_bad_frames_get_error_events_and_the_session_survives(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send("{not json")
        assert (await next_event(ws))["code"] == "invalid-json"
        await ws.send(json.dumps(["chat"]))
        assert (await next_event(ws))["code"] == "invalid-message"
        await ws.send(json.dumps({"type": "dance"}))
        assert (await next_event(ws))["code"] == "unknown-message-type"
        await ws.send(json.dumps({"type": "chat", "text": 42}))
        assert (await next_event(ws))["code"] == "invalid-message"
        await ws.send(json.dumps({"type": "chat", "text": "  "}))
        assert (await next_event(ws))["code"] == "empty-message"
        await ws.send(json.dumps({"type": "chat", "text": "Salut", "conversation_id": "missing"}))
        assert (await next_event(ws))["code"] == "conversation-not-found"
        await ws.send(b"\x00\x01binary")
        assert (await next_event(ws))["code"] == "unexpected-binary"
        await ws.send(json.dumps({"type": "draft", "text": ["Salut"]}))
        assert (await next_event(ws))["code"] == "invalid-message"
        # A draft for a conversation that does not exist prepares nothing and says nothing.
        await ws.send(json.dumps({"type": "draft", "text": "Salut", "conversation_id": "missing"}))
        await ws.send(json.dumps({"type": "chat", "text": "Réponds « ok »."}))
        events = await collect_run(ws)
        assert events[-1]["status"] == "complete"


async def test_a_draft_prepares_the_prompt_before_the_message_is_sent(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "chat", "text": "Bonjour ! Réponds en trois mots."}))
        conversation = (await collect_run(ws))[-1]["conversation_id"]

        async def ask(text: str) -> dict[str, Any]:
            await ws.send(json.dumps({"type": "chat", "text": text, "conversation_id": conversation}))
            end = (await collect_run(ws))[-1]
            assert end["status"] == "complete", end
            timings: dict[str, Any] = end["timings"]
            return timings

        # Without a draft, the question and the assistant header are evaluated when the message comes.
        await asyncio.sleep(8)  # the prefix of the next turn is prepared meanwhile
        plain = await ask("Cite trois fruits rouges, en une phrase.")
        assert plain["prompt_cached_tokens"] < plain["prompt_tokens"] - 5, plain
        # With one, only the assistant header is left. (The date line of the prompt changes each minute: keep the
        # draft and its message within the same minute.)
        while datetime.now().second > 40:
            await asyncio.sleep(1)
        question = "Et trois fruits jaunes, en une phrase ?"
        await ws.send(json.dumps({"type": "draft", "text": question, "conversation_id": conversation}))
        await asyncio.sleep(8)  # the user finishes typing; the prefix, then the draft, are evaluated
        drafted = await ask(question)
        assert drafted["prompt_cached_tokens"] >= drafted["prompt_tokens"] - 3, drafted


async def test_cancel_stops_the_generation_and_keeps_what_was_said(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "chat", "text": "Raconte-moi une longue histoire de dragon, en détail."}))
        start = await next_event(ws)
        assert start["type"] == "run-start"
        first_delta = await next_event(ws)
        assert first_delta["type"] == "llm-delta"
        await ws.send(json.dumps({"type": "chat", "text": "Et une autre ?"}))
        await ws.send(json.dumps({"type": "cancel"}))
        events = await collect_run(ws)
        errors = [e for e in events if e["type"] == "error"]
        assert {e["code"] for e in errors} == {"run-in-progress", "cancelled"}
        end = events[-1]
        assert end["status"] == "cancelled"
        assert end["reply"].startswith(first_delta["text"].strip())
    with server.client() as client:
        stored = client.get(f"/api/conversations/{start['conversation_id']}").json()["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[1]["status"] == "cancelled"
    assert stored[1]["content"] == end["reply"]


async def test_client_leaving_mid_run_cancels_it(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "chat", "text": "Écris un long poème sur la mer."}))
        start = await next_event(ws)
        await next_event(ws)  # first delta: the generation is running
    # The server noticed and stored the partial reply as cancelled; it is free for the next request.
    with server.client() as client:
        for _ in range(50):
            stored = client.get(f"/api/conversations/{start['conversation_id']}").json()["messages"]
            if len(stored) == 2:
                break
            await asyncio.sleep(0.1)
        assert stored[1]["status"] == "cancelled"
        assert client.post("/api/chat", json={"message": "Réponds « ok »."}).status_code == 200


async def test_websocket_without_token_is_refused(server: JarvisServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(server)):
            pass
    assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as wrong:
        async with connect(ws_url(server), additional_headers={"Authorization": "Bearer wrong"}):
            pass
    assert wrong.value.response.status_code == 401
    assert httpx.get(f"{server.url}/health").status_code == 200
