"""Timer commands through the real server's fast path (no language model at all): started, asked, listed, cancelled
by sentence, announced on the WebSocket, bad durations answered clearly; the memory tools are offered to the model
while the direct memory commands keep precedence."""

from __future__ import annotations

import asyncio
import json
import time
import wave
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from websockets.asyncio.client import connect

from tests.integration.test_timers import next_json, ws_url
from tests.servers import JarvisServer
from tests.speech import clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    data_dir = tmp_path_factory.mktemp("jarvis-timer-intents")
    # The fast path needs no language model: an absent one proves it is never asked.
    jarvis = JarvisServer(data_dir, extra_env={"JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf")})
    jarvis.start(wait_ready=False)
    yield jarvis
    jarvis.stop()


def chat(server: JarvisServer, message: str) -> dict[str, Any]:
    with server.client(timeout=60) as client:
        response = client.post("/api/chat", json={"message": message})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_timer_by_voice_sentence_is_persisted_and_announced(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        body = chat(server, "Minuteur de 2 secondes pour les pâtes")
        assert body["reply"] == "C'est parti : minuteur « pâtes » de 2 secondes."
        assert body["timings"]["route"] == "fast-path" and body["timings"]["fast_path_intent"] == "HassStartTimer"
        started = await next_json(ws)
        assert started["type"] == "timer-started" and started["timer"]["label"] == "pâtes"
        finished = await next_json(ws)
        assert finished["type"] == "timer-finished" and finished["text"] == "Le minuteur pâtes est terminé."


def test_ask_list_and_cancel_by_sentence(server: JarvisServer) -> None:
    assert chat(server, "mets un minuteur de 10 minutes pour le thé")["reply"].startswith("C'est parti")
    assert chat(server, "set a timer for 20 minutes")["reply"] == "Timer of 20 minutes started."
    with server.client() as client:
        timers = client.get("/api/timers").json()["timers"]
    assert sorted((t["label"], t["duration_seconds"]) for t in timers) == [("", 1200), ("thé", 600)]
    status = chat(server, "combien de temps reste-t-il sur le minuteur du thé ?")
    assert status["timings"]["fast_path_intent"] == "HassTimerStatus"
    assert status["reply"].startswith("En cours : thé, encore ") and "minutes" in status["reply"]
    listed = chat(server, "quels minuteurs sont en cours ?")["reply"]
    assert "thé" in listed and "de 20 minutes" in listed
    assert chat(server, "annule le minuteur du thé")["reply"] == "C'est annulé : thé."
    assert chat(server, "cancel all timers")["reply"] == "Cancelled: of 20 minutes."
    with server.client() as client:
        assert client.get("/api/timers").json()["timers"] == []
    assert chat(server, "annule le minuteur")["reply"] == "Aucun minuteur ni rappel en cours."


@pytest.mark.parametrize(
    ("sentence", "words"),
    [("mets un minuteur de 0 seconde", "au moins"), ("mets un minuteur de 10 ans", "ne peut pas dépasser 30 jours")],
)
def test_bad_durations_are_answered_and_nothing_is_started(server: JarvisServer, sentence: str, words: str) -> None:
    body = chat(server, sentence)
    assert words in body["reply"] and body["timings"]["fast_path_intent"] == "error:invalid-duration"
    with server.client() as client:
        assert client.get("/api/timers").json()["timers"] == []
        assert client.get("/health").status_code == 200  # still serving


def test_memory_tools_are_offered_and_direct_commands_come_first(server: JarvisServer) -> None:
    with server.client() as client:
        tools = {t["name"]: t for t in client.get("/api/tools").json()["tools"]}
    assert {"remember", "search_memory"} <= set(tools) and tools["remember"]["source"] == "builtin"
    # A direct command never reaches the model (which is absent here): the memory route answers it.
    body = chat(server, "Souviens-toi que mon minuteur préféré dure 7 minutes")
    assert body["timings"]["route"] == "memory" and body["reply"] == "C'est noté, je m'en souviendrai."
    with server.client() as client:
        texts = [m["text"] for m in client.get("/api/memories").json()["memories"]]
    assert any("7 minutes" in text for text in texts)


async def test_the_ws_session_hears_a_fast_path_timer_reply(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "chat", "text": "quels minuteurs sont en cours ?"}))
        events = []
        while not events or events[-1]["type"] != "run-end":
            events.append(await next_json(ws))
        text = "".join(e.get("text", "") for e in events if e["type"] == "llm-delta")
        assert text == "Aucun minuteur ni rappel en cours."
        await asyncio.sleep(0)


def test_spoken_timer_commands_from_real_recordings(server: JarvisServer) -> None:
    """People saying « minuteur 1 heure » then « supprime le minuteur »: heard, done, answered aloud."""
    replies, intents = [], []
    for name in ("fr/clip24.wav", "fr/clip37.wav"):
        with server.client(timeout=300) as client:
            response = client.post(
                "/api/voice/turn", content=clip(name).path.read_bytes(), headers={"Content-Type": "audio/wav"}
            )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "audio/wav" and len(response.content) > 24000  # some speech
        replies.append(unquote(response.headers["X-Jarvis-Reply"]))
        intents.append(json.loads(response.headers["X-Jarvis-Timings"])["fast_path_intent"])
    assert intents == ["HassStartTimer", "HassCancelTimer"]
    assert replies == ["C'est parti : minuteur de 1 heure.", "C'est annulé : de 1 heure."]
    with server.client() as client:
        assert client.get("/api/timers").json()["timers"] == []


# The end of an utterance needs this much silence here: long enough that an early end cannot be mistaken for it.
LONG_SILENCE = 8.0


@pytest.fixture(scope="module")
def patient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    data_dir = tmp_path_factory.mktemp("jarvis-endpointing")
    jarvis = JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"),
            "JARVIS_VAD__SILENCE_SECONDS": str(LONG_SILENCE),
        },
    )
    jarvis.start(wait_ready=False)
    # The timed tests need speech recognition loaded (the absent model keeps the server from ever being ready).
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with jarvis.client() as client:
            components = client.get("/ready").json()["components"]
        if components["stt"]["ready"] and components["tts"]["ready"]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("speech recognition not loaded within 300 s")
    yield jarvis
    jarvis.stop()


async def spoken_vad_end(
    server: JarvisServer, name: str, *, cut_seconds: float | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """Stream a recording (its first `cut_seconds` only, if given) then silence in real time (100 ms frames) over a
    VAD session: the utterance length the server reported, and the turn's events."""
    with wave.open(str(clip(name).path)) as recording:
        speech = recording.readframes(recording.getnframes())
    if cut_seconds is not None:
        speech = speech[: int(16000 * cut_seconds) * 2]
    audio = speech + bytes(int(16000 * (LONG_SILENCE + 1.0)) * 2)
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "audio-start", "rate": 16000, "mode": "vad", "speak": False}))
        events: list[dict[str, Any]] = []

        async def stream() -> None:
            for offset in range(0, len(audio), 3200):
                await ws.send(audio[offset : offset + 3200])
                await asyncio.sleep(0.1)

        sender = asyncio.create_task(stream())
        try:
            while not events or events[-1]["type"] != "run-end":
                events.append(await next_json(ws, timeout=LONG_SILENCE + 60))
        finally:
            sender.cancel()
    vad_end = next(e for e in events if e["type"] == "vad-end")
    return float(vad_end["seconds"]), events


async def test_a_whole_spoken_command_ends_without_waiting_for_the_whole_silence(patient_server: JarvisServer) -> None:
    """« minuteur 20 secondes » is a complete command once heard: the utterance ends as soon as the early
    recognition says so, not after the 8 s of silence the server otherwise requires."""
    seconds, events = await spoken_vad_end(patient_server, "fr/clip26.wav")
    # The utterance (speech and the silence heard until its end) is shorter than the silence alone would be.
    assert seconds < LONG_SILENCE - 1.0, seconds
    end = events[-1]
    assert end["status"] == "complete" and end["timings"]["fast_path_intent"] == "HassStartTimer", end
    with patient_server.client() as client:
        timers = client.get("/api/timers").json()["timers"]
    assert [timer["duration_seconds"] for timer in timers] == [20]


async def test_a_finished_sentence_ends_after_a_shorter_silence(patient_server: JarvisServer) -> None:
    """« Les deux autres sont situés au bord de la mer jaune. » is no command, but it sounds finished: the
    utterance ends after `vad.sentence_end_silence_seconds` (0.4 s) of silence, not the 8 s otherwise required."""
    seconds, _ = await spoken_vad_end(patient_server, "fr/clip41.wav")
    assert seconds < LONG_SILENCE - 1.0, seconds


async def test_words_cut_mid_sentence_wait_for_the_whole_silence(patient_server: JarvisServer) -> None:
    """The same sentence stopped after « … situés au bord de » does not sound finished: the whole silence is
    waited for."""
    seconds, _ = await spoken_vad_end(patient_server, "fr/clip41.wav", cut_seconds=2.9)
    assert seconds >= LONG_SILENCE, seconds
