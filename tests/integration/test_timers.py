"""Timers against the real server: started by the API and the CLI, announced on every WebSocket session (with
speech in a voice session), cancelled, bad durations refused, and a timer that came due while the server was
stopped announced once, late, after the restart."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.servers import JarvisServer, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def timer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    data_dir = tmp_path_factory.mktemp("jarvis-timers")
    # Timers need no language model.
    server = JarvisServer(data_dir, extra_env={"JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf")})
    server.start(wait_ready=False)
    yield server
    server.stop()


def ws_url(server: JarvisServer) -> str:
    return server.url.replace("http://", "ws://") + "/ws"


async def next_json(ws: ClientConnection, timeout: float = 20) -> dict[str, Any]:
    while True:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        if isinstance(frame, str):
            event: dict[str, Any] = json.loads(frame)
            return event


async def test_timer_is_announced_to_every_session(timer_server: JarvisServer) -> None:
    url, headers = ws_url(timer_server), timer_server.headers
    async with (
        connect(url, additional_headers=headers) as text_ws,
        connect(url, additional_headers=headers) as voice_ws,
    ):
        await voice_ws.send(json.dumps({"type": "audio-start", "rate": 16000}))  # a listening (voice) session
        await asyncio.sleep(0.5)
        with timer_server.client() as client:
            response = client.post("/api/timers", json={"duration_seconds": 1.5, "label": "pâtes"})
            assert response.status_code == 201, response.text
            timer = response.json()
            assert timer["status"] == "active" and timer["label"] == "pâtes"
            assert [t["id"] for t in client.get("/api/timers").json()["timers"]] == [timer["id"]]
        started = time.monotonic()
        for ws in (text_ws, voice_ws):
            first = await next_json(ws)
            assert first["type"] == "timer-started" and first["timer"]["id"] == timer["id"]
        for ws in (text_ws, voice_ws):
            finished = await next_json(ws)
            assert finished["type"] == "timer-finished" and finished["timer"]["status"] == "finished"
            assert finished["text"] == "Le minuteur pâtes est terminé."
            assert finished["timer"]["late_seconds"] == 0
        assert 0.5 < time.monotonic() - started < 10
        # The voice session also hears it: tts-start, then audio frames.
        tts = await next_json(voice_ws, timeout=60)
        assert tts["type"] == "tts-start" and tts["run_id"] == f"timer-{timer['id']}"
        audio = await asyncio.wait_for(voice_ws.recv(), 60)
        assert isinstance(audio, bytes) and len(audio) > 1000
    with timer_server.client() as client:
        assert client.get("/api/timers").json()["timers"] == []
        recent = client.get("/api/timers", params={"all": True}).json()["timers"]
        assert any(t["id"] == timer["id"] and t["status"] == "finished" for t in recent)


async def test_cancel_and_bad_durations(timer_server: JarvisServer) -> None:
    async with connect(ws_url(timer_server), additional_headers=timer_server.headers) as ws:
        with timer_server.client() as client:
            for seconds, words in ((0, "au moins"), (10 * 365 * 86400, "30 jours")):
                bad = client.post("/api/timers", json={"duration_seconds": seconds})
                assert bad.status_code == 422
                assert bad.json()["error"]["code"] == "invalid-duration" and words in bad.json()["error"]["message"]
            timer = client.post("/api/timers", json={"duration_seconds": 60, "label": "thé"}).json()
            cancelled = client.delete(f"/api/timers/{timer['id']}")
            assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
            again = client.delete(f"/api/timers/{timer['id']}")
            assert again.status_code == 404 and again.json()["error"]["code"] == "timer-not-found"
            assert client.get("/api/timers").json()["timers"] == []
        assert (await next_json(ws))["type"] == "timer-started"
        event = await next_json(ws)
        assert event["type"] == "timer-cancelled" and event["timer"]["id"] == timer["id"]


def test_cli_timer_commands(timer_server: JarvisServer) -> None:
    env = {**timer_server.env, "JARVIS_TOKEN": timer_server.token}
    started = run_cli("timer", "start", "5m", "lessive", env=env)
    assert started.returncode == 0, started.stderr
    assert "lessive" in started.stdout and "5 minutes" in started.stdout
    listed = run_cli("timer", "list", env=env)
    assert listed.returncode == 0 and "lessive" in listed.stdout
    cancelled = run_cli("timer", "cancel", "lessive", env=env)
    assert cancelled.returncode == 0 and "annulé" in cancelled.stdout
    assert "Aucun minuteur" in run_cli("timer", "list", env=env).stdout
    bad = run_cli("timer", "start", "0", env=env)
    assert bad.returncode != 0 and "au moins" in bad.stderr
    unparsable = run_cli("timer", "start", "bientôt", env=env)
    assert unparsable.returncode == 2 and "Durée invalide" in unparsable.stderr
    missing = run_cli("timer", "cancel", "inconnu", env=env)
    assert missing.returncode == 1 and "Aucun minuteur" in missing.stderr


async def test_a_timer_survives_a_restart(timer_server: JarvisServer) -> None:
    with timer_server.client() as client:
        due_while_down = client.post("/api/timers", json={"duration_seconds": 2, "label": "gâteau"}).json()
        after_restart = client.post("/api/timers", json={"duration_seconds": 40, "label": "pain"}).json()
    timer_server.stop()
    time.sleep(3)
    timer_server.start(wait_ready=False)
    url, headers = ws_url(timer_server), timer_server.headers
    async with connect(url, additional_headers=headers) as ws:
        # Due while the server was stopped: announced once, late, to the first session.
        late = await next_json(ws)
        assert late["type"] == "timer-finished" and late["timer"]["id"] == due_while_down["id"]
        assert late["timer"]["late_seconds"] >= 1
        assert "pendant que j'étais arrêté" in late["text"]
        async with connect(url, additional_headers=headers) as second:
            with pytest.raises(TimeoutError):
                await next_json(second, timeout=1.0)  # already announced: not again
            with timer_server.client() as client:
                active = client.get("/api/timers").json()["timers"]
                assert [t["id"] for t in active] == [after_restart["id"]]
            # Still pending across the restart: it fires on time.
            on_time = await next_json(second, timeout=60)
            assert on_time["type"] == "timer-finished" and on_time["timer"]["id"] == after_restart["id"]
            assert on_time["timer"]["late_seconds"] == 0
