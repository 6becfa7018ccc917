"""A full LLM queue refuses only what needs the LLM: while the real model is busy with a long answer (and no
waiting room is left), home commands — typed over HTTP or the WebSocket, or spoken — and memory commands are still
done, against a real Home Assistant; a question for the model still gets 503 llm-busy."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.home_assistant import HomeAssistant, wait_home_connected
from tests.servers import JarvisServer
from tests.speech import clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def busy_home_server(tmp_path_factory: pytest.TempPathFactory, home_assistant: HomeAssistant) -> Iterator[JarvisServer]:
    """The real model with no waiting room (one generation at a time, none queued), connected to Home Assistant."""
    data_dir: Path = tmp_path_factory.mktemp("jarvis-home-busy")
    jarvis = JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_LLM__MAX_QUEUE": "0",
            "JARVIS_LLM__MAX_TOKENS": "2000",  # the story outlasts the checks; the test cancels it
            "JARVIS_AUTH__MAX_FAILURES": "1000",
            "JARVIS_HOME_ASSISTANT__URL": home_assistant.url,
            "JARVIS_HOME_ASSISTANT__TOKEN": home_assistant.token,
            "JARVIS_HOME_ASSISTANT__VERIFY_TIMEOUT_SECONDS": "3",
        },
    ).start()
    wait_home_connected(jarvis)
    yield jarvis
    jarvis.stop()


class LongStory:
    """A streamed completion that keeps the model's only slot busy until stop(). It goes through the OpenAI
    endpoint without tools, so the model writes instead of calling one of Jarvis's tools."""

    def __init__(self, server: JarvisServer) -> None:
        self.server = server
        self.events: list[dict[str, Any]] = []
        self.failures: list[BaseException] = []
        self.writing = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> LongStory:
        self._thread.start()
        assert self.writing.wait(180), "the model never started writing"
        assert not self.failures, self.failures
        return self

    def _run(self) -> None:
        # (A story request gets a short answer from this voice assistant; counting runs long.)
        message = "Compte de 1 à 300, un nombre par ligne, sans rien d'autre."
        body = {"model": "jarvis", "stream": True, "messages": [{"role": "user", "content": message}]}
        try:
            with (
                self.server.client(timeout=300) as client,
                client.stream("POST", "/v1/chat/completions", json=body) as response,
            ):
                for line in response.iter_lines():
                    if line == "data: [DONE]":
                        self.events.append({"type": "run-end"})
                    elif line.startswith("data: "):
                        chunk = json.loads(line[6:])
                        self.events.append({"type": "chunk", "chunk": chunk})
                        if any((choice.get("delta") or {}).get("content") for choice in chunk.get("choices", [])):
                            self.writing.set()
                    if self._stop.is_set():
                        break  # leaving cancels the generation
        except BaseException as exc:
            self.failures.append(exc)
        finally:
            self.writing.set()

    @property
    def running(self) -> bool:
        return not any(event["type"] == "run-end" for event in self.events)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(120)


def assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "llm-busy"
    assert int(response.headers["retry-after"]) >= 1


async def ws_turn(server: JarvisServer, text: str) -> dict[str, Any]:
    """One chat frame over /ws; returns the run-end (or the first error event)."""
    url = server.url.replace("http://", "ws://") + "/ws"
    async with connect(url, additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "chat", "text": text}))
        while True:
            frame = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(frame, str):
                event: dict[str, Any] = json.loads(frame)
                if event["type"] in ("run-end", "error"):
                    return event


def test_home_and_memory_commands_are_done_while_the_llm_queue_is_full(
    busy_home_server: JarvisServer, home_assistant: HomeAssistant
) -> None:
    server = busy_home_server
    home_assistant.call_service("light", "turn_off", {"entity_id": "light.cuisine"})
    home_assistant.call_service("light", "turn_off", {"entity_id": "light.chambre"})
    story = LongStory(server).start()
    try:
        with server.client(timeout=120) as client:
            # The queue is full: what needs the model is refused at once, before anything is stored.
            assert_busy(client.post("/api/chat", json={"message": "Bonjour, comment vas-tu ?"}))
            # A home command does not need it.
            typed = client.post("/api/chat", json={"message": "allume la lumière de la cuisine"})
            assert typed.status_code == 200, typed.text
            assert typed.json()["reply"] == "C'est fait, la lumière de la cuisine est allumée."
            assert typed.json()["timings"]["fast_path_intent"] == "HassTurnOn"
            assert home_assistant.state("light.cuisine")["state"] == "on"
            # Nor a memory command.
            memory = client.post("/api/chat", json={"message": "Souviens-toi que la clé du garage est sous le pot"})
            assert memory.status_code == 200, memory.text
            assert memory.json()["timings"]["route"] == "memory"
        # The WebSocket chat too; a model question there gets the llm-busy error event.
        over_ws = asyncio.run(ws_turn(server, "éteins la lumière de la cuisine"))
        assert over_ws["type"] == "run-end" and over_ws["status"] == "complete", over_ws
        assert over_ws["reply"] == "C'est fait, la lumière de la cuisine est éteinte."
        assert home_assistant.state("light.cuisine")["state"] == "off"
        refused = asyncio.run(ws_turn(server, "Quelle est la capitale de l'Australie ?"))
        assert refused["type"] == "error" and refused["code"] == "llm-busy", refused
        # And a spoken command (« allume la chambre à 80% », a real recording).
        with server.client(timeout=180) as client:
            spoken = client.post(
                "/api/voice/turn",
                content=clip("fr/clip01.wav").path.read_bytes(),
                headers={"Content-Type": "audio/wav"},
            )
        assert spoken.status_code == 200, spoken.text
        assert unquote(spoken.headers["X-Jarvis-Reply"]) == "C'est fait, la lampe de chevet à 80 %."
        state = home_assistant.state("light.chambre")
        assert state["state"] == "on" and abs(state["attributes"]["brightness"] - 204) <= 3
        # All of it while the story was still being written.
        assert story.running, f"the long answer ended before the checks (the queue was not full): {story.events[-1]}"
    finally:
        story.stop()
    assert not story.failures, story.failures
    with server.client(timeout=120) as client:
        after = client.post("/api/chat", json={"message": "allume la lumière de la cuisine"})
        assert after.status_code == 200 and home_assistant.state("light.cuisine")["state"] == "on"
