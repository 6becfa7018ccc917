"""MQTT against a real Mosquitto broker started here: state with a last will, readiness, pipeline events, chat
commands answered on the reply topic, a broker that is down (the assistant carries on) and reconnection."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from tests.servers import ARTIFACTS, JarvisServer, free_port

pytestmark = pytest.mark.slow


@dataclass
class Mosquitto:
    """`mosquitto` on a free port with its own configuration file (anonymous, no persistence)."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Mosquitto:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise RuntimeError("mosquitto is missing: run scripts/install.sh with the dev extra (apt-get mosquitto)")
        config = self.directory / f"mosquitto-{self.port}.conf"
        config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        ARTIFACTS.mkdir(exist_ok=True)
        log = (ARTIFACTS / f"mosquitto-{self.port}.log").open("ab")
        self.process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    mosquitto = Mosquitto(tmp_path).start()
    yield mosquitto
    mosquitto.stop()


def mqtt_env(port: int, prefix: str, **extra: str) -> dict[str, str]:
    return {
        "JARVIS_MQTT__ENABLED": "true",
        "JARVIS_MQTT__PORT": str(port),
        "JARVIS_MQTT__TOPIC_PREFIX": prefix,
        "JARVIS_MQTT__RECONNECT_MAX_SECONDS": "1",
        "JARVIS_MQTT__KEEPALIVE_SECONDS": "5",
        "JARVIS_AUTH__MAX_FAILURES": "1000",
        **extra,
    }


class Listener:
    """A real MQTT client subscribed to everything under a prefix; keeps (topic, payload) in arrival order."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.received: list[tuple[str, str]] = []
        self._arrived = asyncio.Event()

    async def collect(self) -> None:
        async for message in self.client.messages:
            payload = message.payload
            text = payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)
            self.received.append((message.topic.value, text))
            self._arrived.set()

    async def wait_for(self, topic: str, predicate: Any = None, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            for got_topic, payload in self.received:
                if got_topic == topic and (predicate is None or predicate(payload)):
                    return payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"nothing on {topic}; received {self.received[-10:]}")
            self._arrived.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)


@asynccontextmanager
async def listen(port: int, prefix: str) -> AsyncIterator[Listener]:
    async with aiomqtt.Client("127.0.0.1", port, identifier=f"test-{time.monotonic_ns()}") as client:
        await client.subscribe(f"{prefix}/#", qos=1)
        listener = Listener(client)
        task = asyncio.create_task(listener.collect())
        try:
            yield listener
        finally:
            task.cancel()


def replies(listener: Listener, prefix: str) -> list[dict[str, Any]]:
    return [json.loads(p) for t, p in listener.received if t == f"{prefix}/reply"]


async def test_state_events_and_commands(tmp_path: Path, broker: Mosquitto) -> None:
    prefix = "maison/jarvis"
    server = JarvisServer(tmp_path / "data", extra_env=mqtt_env(broker.port, prefix))
    async with listen(broker.port, prefix) as listener:
        try:
            await asyncio.to_thread(server.start)
            assert await listener.wait_for(f"{prefix}/status", lambda p: p == "online") == "online"
            ready = await listener.wait_for(f"{prefix}/ready", lambda p: json.loads(p)["ready"])
            assert json.loads(ready)["components"]["llm"] is True

            command = {"id": "q1", "text": "Réponds seulement par le mot : bonjour."}
            await listener.client.publish(f"{prefix}/command", json.dumps(command), qos=1)
            reply = json.loads(await listener.wait_for(f"{prefix}/reply", lambda p: json.loads(p)["id"] == "q1"))
            assert reply["status"] == "complete" and reply["text"] and "error" not in reply
            start = json.loads(await listener.wait_for(f"{prefix}/event/run-start"))
            end = json.loads(await listener.wait_for(f"{prefix}/event/run-end"))
            assert start["conversation_id"] == end["conversation_id"] == reply["conversation_id"]
            assert end["reply"] == reply["text"] and end["status"] == "complete"

            # Plain text continues nothing (a new conversation); the turn is stored like any other.
            await listener.client.publish(f"{prefix}/command", "Quelle est la couleur du ciel ?", qos=1)
            await listener.wait_for(f"{prefix}/reply", lambda p: json.loads(p)["id"] is None)
            with server.client() as client:
                stored = client.get(f"/api/conversations/{reply['conversation_id']}").json()
            assert [m["content"] for m in stored["messages"]] == [command["text"], reply["text"]]

            # Turns from the HTTP API are published too.
            with server.client() as client:
                answered = client.post("/api/chat", json={"message": "Dis oui."}).json()
            await listener.wait_for(
                f"{prefix}/event/run-end", lambda p: json.loads(p)["conversation_id"] == answered["conversation_id"]
            )

            # Bad commands get an error reply; the bridge keeps serving.
            await listener.client.publish(f"{prefix}/command", json.dumps({"id": "bad", "text": "  "}), qos=1)
            await listener.client.publish(f"{prefix}/command", "{pas du json", qos=1)
            bad = json.loads(await listener.wait_for(f"{prefix}/reply", lambda p: json.loads(p)["id"] == "bad"))
            assert bad["status"] == "failed" and bad["error"]["code"] == "empty-message"
            broken = await listener.wait_for(
                f"{prefix}/reply", lambda p: json.loads(p).get("error", {}).get("code") == "invalid-json"
            )
            assert json.loads(broken)["status"] == "failed"
            unknown = {"id": "ghost", "text": "Bonjour", "conversation_id": "0" * 32}
            await listener.client.publish(f"{prefix}/command", json.dumps(unknown), qos=1)
            ghost = json.loads(await listener.wait_for(f"{prefix}/reply", lambda p: json.loads(p)["id"] == "ghost"))
            assert ghost["error"]["code"] == "conversation-not-found"

            # kill -9: the broker publishes the last will.
            listener.received.clear()
            await asyncio.to_thread(server.kill)
            assert await listener.wait_for(f"{prefix}/status", lambda p: p == "offline", timeout=30) == "offline"
        finally:
            await asyncio.to_thread(server.stop)


async def test_broker_down_never_blocks_and_reconnects(tmp_path: Path) -> None:
    """No broker at start: the server serves at once; when a broker appears (and comes back) it connects."""
    port = free_port()
    prefix = "jarvis"
    data_dir = tmp_path / "data"
    server = JarvisServer(
        data_dir, extra_env=mqtt_env(port, prefix, JARVIS_LLM__MODEL_PATH=str(data_dir / "absent.gguf"))
    )
    broker = Mosquitto(tmp_path, port=port)
    try:
        await asyncio.to_thread(server.start, wait_ready=False)
        with server.client(timeout=10) as client:
            began = time.monotonic()
            response = client.post("/api/chat", json={"message": "Tu m'entends ?"})
            assert response.status_code == 503 and "llm-unavailable" in response.text
            assert time.monotonic() - began < 5
            assert client.get("/api/conversations").status_code == 200

        broker.start()
        async with listen(port, prefix) as listener:
            assert await listener.wait_for(f"{prefix}/status", lambda p: p == "online", timeout=30) == "online"
            ready = json.loads(await listener.wait_for(f"{prefix}/ready", timeout=30))
            assert ready["ready"] is False and ready["components"]["llm"] is False

        # The broker restarts (its retained messages are gone: no persistence); the server comes back online.
        broker.stop()
        with server.client(timeout=10) as client:
            assert client.get("/health").status_code == 200
        broker.start()
        async with listen(port, prefix) as listener:
            assert await listener.wait_for(f"{prefix}/status", lambda p: p == "online", timeout=30) == "online"
            with server.client(timeout=10) as client:
                client.post("/api/chat", json={"message": "Encore là ?"})
            failed = json.loads(await listener.wait_for(f"{prefix}/event/run-end", timeout=30))
            assert failed["status"] == "failed"
        # A clean stop says "offline" itself (the last will is only for crashes).
        async with listen(port, prefix) as listener:
            await asyncio.to_thread(server.stop)
            assert await listener.wait_for(f"{prefix}/status", lambda p: p == "offline", timeout=30) == "offline"
    finally:
        await asyncio.to_thread(server.stop)
        broker.stop()
