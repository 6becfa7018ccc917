"""Spoken turns over the real WebSocket and REST with real recordings: push-to-talk, server-side VAD, barge-in,
silence, and the reply audio read back by Whisper."""

from __future__ import annotations

import io
import json
import time
import wave
from typing import Any
from urllib.parse import unquote

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.french import looks_french
from tests.servers import JarvisServer, run_cli
from tests.speech import clip, wer

pytestmark = pytest.mark.slow
QUESTION = clip("fr/clip33.wav")  # « quel temps fait-il »
OTHER = clip("fr/clip41.wav")  # a read sentence, to speak over Jarvis
FRAME_BYTES = 3200  # 100 ms of 16 kHz 16-bit mono


def pcm(path: Any) -> bytes:
    with wave.open(str(path)) as handle:
        assert handle.getframerate() == 16000 and handle.getnchannels() == 1
        return handle.readframes(handle.getnframes())


def silence(seconds: float) -> bytes:
    return bytes(int(16000 * seconds) * 2)


async def send_audio(ws: ClientConnection, data: bytes) -> None:
    for offset in range(0, len(data), FRAME_BYTES):
        await ws.send(data[offset : offset + FRAME_BYTES])


async def collect_turn(ws: ClientConnection) -> tuple[list[dict[str, Any]], bytes]:
    events: list[dict[str, Any]] = []
    audio = bytearray()
    while True:
        message = await ws.recv()
        if isinstance(message, bytes):
            audio.extend(message)
            continue
        events.append(json.loads(message))
        if events[-1]["type"] == "run-end":
            return events, bytes(audio)


def ws_url(server: JarvisServer) -> str:
    return server.url.replace("http://", "ws://") + "/ws"


def transcribe_back(server: JarvisServer, audio: bytes, rate: int) -> str:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(audio)
    with server.client() as client:
        response = client.post("/api/voice/transcribe", content=out.getvalue(), headers={"Content-Type": "audio/wav"})
    text: str = response.json()["text"]
    return text


async def test_push_to_talk_turn_answers_with_french_speech(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers, max_size=None) as ws:
        await ws.send(
            json.dumps({"type": "audio-start", "rate": 16000, "channels": 1, "width": 2, "mode": "push-to-talk"})
        )
        await send_audio(ws, pcm(QUESTION.path))
        await ws.send(json.dumps({"type": "audio-end"}))
        events, audio = await collect_turn(ws)
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["run-start", "stt-end"], kinds
    assert wer(QUESTION.transcript, events[1]["text"]) <= 0.34, events[1]["text"]
    assert "llm-delta" in kinds and "tts-start" in kinds
    start = next(e for e in events if e["type"] == "tts-start")
    assert (start["rate"], start["channels"], start["width"]) == (24000, 1, 2)
    end = events[-1]
    assert end["status"] == "complete"
    assert end["timings"]["first_audio_seconds"] > 0
    assert end["timings"]["stt_seconds"] > 0
    assert len(audio) / 2 / 24000 > 0.5
    heard = transcribe_back(server, audio, 24000)
    assert looks_french(heard) or wer(end["reply"], heard) < 0.5, (end["reply"], heard)


async def test_server_vad_finds_the_utterance_and_the_session_continues(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers, max_size=None) as ws:
        await ws.send(json.dumps({"type": "audio-start", "rate": 16000, "mode": "vad", "speak": False}))
        await send_audio(ws, silence(0.5) + pcm(QUESTION.path) + silence(1.0))
        events, audio = await collect_turn(ws)
        kinds = [e["type"] for e in events]
        assert kinds[:4] == ["vad-start", "vad-end", "run-start", "stt-end"], kinds
        assert abs(events[1]["seconds"] - QUESTION.duration_seconds) < 1.2
        assert "tts-start" not in kinds and audio == b""  # speak: false gives a text reply only
        first_conversation = events[2]["conversation_id"]
        await send_audio(ws, pcm(clip("fr/clip16.wav").path) + silence(1.0))
        second, _ = await collect_turn(ws)
        assert next(e for e in second if e["type"] == "run-start")["conversation_id"] == first_conversation


async def test_barge_in_cancels_the_spoken_reply_and_keeps_what_was_said(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers, max_size=None) as ws:
        await ws.send(
            json.dumps({"type": "chat", "text": "Raconte-moi une longue histoire de pirates.", "speak": True})
        )
        events: list[dict[str, Any]] = []
        while True:  # wait until Jarvis speaks
            message = await ws.recv()
            if isinstance(message, bytes):
                break
            events.append(json.loads(message))
        conversation_id = events[0]["conversation_id"]
        await ws.send(json.dumps({"type": "audio-start", "rate": 16000, "mode": "vad"}))
        await send_audio(ws, pcm(OTHER.path))
        vad_at = cancel_at = None
        end: dict[str, Any] = {}
        while True:
            message = await ws.recv()
            if isinstance(message, bytes):
                continue
            event = json.loads(message)
            if event["type"] == "vad-start" and vad_at is None:
                vad_at = time.monotonic()
            if event["type"] == "run-end":
                cancel_at, end = time.monotonic(), event
                break
    assert vad_at is not None and cancel_at is not None
    assert end["status"] == "cancelled"
    assert cancel_at - vad_at < 0.2, cancel_at - vad_at
    with server.client() as client:
        stored = client.get(f"/api/conversations/{conversation_id}").json()["messages"]
    spoken = [m for m in stored if m["role"] == "assistant"]
    if spoken:  # only sentences whose audio was sent are kept
        assert spoken[-1]["status"] == "cancelled"
        assert spoken[-1]["content"] == end["reply"]


@pytest.mark.parametrize("sound", ["silence", "noise"])
async def test_silence_and_noise_are_not_sent_to_the_llm(server: JarvisServer, sound: str) -> None:
    noise = np.random.default_rng(7).normal(0, 3000, 24000).astype("<i2").tobytes()
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "audio-start", "mode": "push-to-talk"}))
        await send_audio(ws, silence(1.5) if sound == "silence" else noise)
        await ws.send(json.dumps({"type": "audio-end"}))
        events, audio = await collect_turn(ws)
    assert [e["type"] for e in events] == ["run-start", "stt-no-speech", "run-end"]
    assert events[-1]["status"] == "no-speech" and audio == b""
    with server.client() as client:
        stored = client.get(f"/api/conversations/{events[0]['conversation_id']}").json()["messages"]
    assert stored == []


async def test_bad_audio_messages_get_error_events(server: JarvisServer) -> None:
    async with connect(ws_url(server), additional_headers=server.headers) as ws:
        await ws.send(json.dumps({"type": "audio-start", "rate": 3, "channels": 1, "width": 2}))
        assert json.loads(await ws.recv())["code"] == "audio-format"
        await ws.send(json.dumps({"type": "audio-start", "rate": 16000, "width": 2, "mode": "push-to-talk"}))
        await ws.send(b"\x01\x02\x03")  # not a whole number of samples
        assert json.loads(await ws.recv())["code"] == "audio-format"
        await ws.send(json.dumps({"type": "chat", "text": "Réponds « ok »."}))
        events, _ = await collect_turn(ws)
        assert events[-1]["status"] == "complete"


def test_rest_turn_and_cli_talk(server: JarvisServer, tmp_path: Any) -> None:
    with server.client() as client:
        response = client.post(
            "/api/voice/turn", content=QUESTION.path.read_bytes(), headers={"Content-Type": "audio/wav"}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "audio/wav"
        assert wer(QUESTION.transcript, unquote(response.headers["x-jarvis-transcript"])) <= 0.34
        assert unquote(response.headers["x-jarvis-reply"]).strip()
        with wave.open(io.BytesIO(response.content)) as handle:
            assert handle.getnframes() / handle.getframerate() > 0.5
        silent = client.post("/api/voice/turn", content=_wav(np.zeros(24000)), headers={"Content-Type": "audio/wav"})
        assert silent.status_code == 422 and silent.json()["error"]["code"] == "no-speech"
    output = tmp_path / "reply.wav"
    result = run_cli(
        "talk",
        "--input",
        str(QUESTION.path),
        "--output",
        str(output),
        "--url",
        server.url,
        "--token",
        server.token,
        env=server.env,
    )
    assert result.returncode == 0, result.stderr
    assert output.stat().st_size > 10_000
    assert "jarvis ›" in result.stdout


def _wav(samples: np.ndarray) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()
