"""Speech over HTTP with real recordings: REST transcribe and synthesize, the OpenAI audio endpoints through the
official SDK, and bad audio."""

from __future__ import annotations

import io
import os
import wave

import numpy as np
import openai
import pytest

from jarvis.audio.formats import decode_audio
from tests.servers import JarvisServer
from tests.speech import clip, wer

pytestmark = pytest.mark.slow
QUESTION = clip("fr/clip33.wav")  # « quel temps fait-il »
COMMAND = clip("fr/clip01.wav")  # « allume la chambre à 80% »


def wav_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def test_ready_reports_every_engine(server: JarvisServer) -> None:
    with server.client() as client:
        components = client.get("/ready").json()["components"]
    assert components["stt"]["ready"] and components["tts"]["ready"] and components["llm"]["ready"]


def test_transcribe_raw_body_and_multipart(server: JarvisServer) -> None:
    with server.client() as client:
        raw = client.post(
            "/api/voice/transcribe", content=QUESTION.path.read_bytes(), headers={"Content-Type": "audio/wav"}
        )
        assert raw.status_code == 200, raw.text
        body = raw.json()
        assert wer(QUESTION.transcript, body["text"]) <= 0.34, body["text"]
        assert body["language"] == "fr" and body["no_speech"] is False
        assert body["segments"] and body["timings"]["stt_seconds"] > 0
        assert abs(body["timings"]["audio_seconds"] - QUESTION.duration_seconds) < 0.1
        form = client.post(
            "/api/voice/transcribe",
            files={"file": ("clip.wav", COMMAND.path.read_bytes(), "audio/wav")},
        )
        assert form.status_code == 200, form.text
        assert "allume" in form.json()["text"].lower()


def test_synthesize_then_transcribe_back(server: JarvisServer) -> None:
    sentence = "Il fait 21,5 °C dans le salon."
    with server.client() as client:
        audio = client.post("/api/voice/synthesize", json={"text": sentence})
        assert audio.status_code == 200, audio.text
        assert audio.headers["content-type"] == "audio/wav"
        with wave.open(io.BytesIO(audio.content)) as handle:
            assert handle.getframerate() == 24000
            assert handle.getnframes() / 24000 > 1.0
        heard = client.post("/api/voice/transcribe", content=audio.content, headers={"Content-Type": "audio/wav"})
    text = heard.json()["text"].lower()
    assert "salon" in text and "degré" in text, text


def test_openai_sdk_audio_endpoints(server: JarvisServer, tmp_path: os.PathLike[str]) -> None:
    sdk = openai.OpenAI(base_url=f"{server.url}/v1", api_key=server.token, max_retries=0)
    with QUESTION.path.open("rb") as handle:
        transcription = sdk.audio.transcriptions.create(model="whisper-1", file=handle, language="fr")
    assert wer(QUESTION.transcript, transcription.text) <= 0.34, transcription.text
    with COMMAND.path.open("rb") as handle:
        verbose = sdk.audio.transcriptions.create(model="whisper-1", file=handle, response_format="verbose_json")
    assert verbose.language == "fr" and verbose.segments
    speech = sdk.audio.speech.create(model="tts-1", voice="alloy", input="Bonjour, je suis Jarvis.")
    content = speech.read()
    assert content[:4] == b"RIFF"
    pcm = sdk.audio.speech.create(model="tts-1", voice="ff_siwis", input="Bonjour.", response_format="pcm")
    assert len(pcm.read()) > 24000  # more than half a second of 16-bit samples at 24 kHz


def test_silence_and_noise_give_no_text(server: JarvisServer) -> None:
    rng = np.random.default_rng(7)
    seconds = np.arange(32000) / 16000
    sounds = {
        "silence": np.zeros(32000),
        **{f"white noise {level}": rng.normal(0, level, 32000) for level in (300, 3000, 3000, 10000)},
        "mains hum": 4000 * np.sin(2 * np.pi * 50 * seconds) + rng.normal(0, 300, 32000),
        "brown noise": np.cumsum(rng.normal(0, 60, 32000)),
    }
    with server.client() as client:
        for name, samples in sounds.items():
            audio = np.clip(samples, -32768, 32767)
            response = client.post(
                "/api/voice/transcribe", content=wav_bytes(audio), headers={"Content-Type": "audio/wav"}
            )
            assert response.status_code == 200, (name, response.text)
            assert response.json()["no_speech"] is True, (name, response.json())
            assert response.json()["text"] == ""
        # Speech over noise is still speech.
        speech = decode_audio(COMMAND.path.read_bytes(), max_seconds=30).astype(np.float64)
        noisy = np.clip(speech + rng.normal(0, 300, speech.size), -32768, 32767)
        response = client.post("/api/voice/transcribe", content=wav_bytes(noisy), headers={"Content-Type": "audio/wav"})
        assert response.status_code == 200 and response.json()["no_speech"] is False, response.text
        assert wer(COMMAND.transcript, response.json()["text"]) <= 0.34, response.json()["text"]


def test_bad_audio_gets_clear_errors_and_the_server_keeps_serving(server: JarvisServer) -> None:
    with server.client() as client:
        empty = client.post("/api/voice/transcribe", content=b"", headers={"Content-Type": "audio/wav"})
        assert empty.status_code == 400 and empty.json()["error"]["code"] == "audio-empty"
        junk = client.post("/api/voice/transcribe", content=os.urandom(20000), headers={"Content-Type": "audio/wav"})
        assert junk.status_code == 400 and junk.json()["error"]["code"] == "audio-invalid", junk.text
        truncated = client.post(
            "/api/voice/transcribe", content=COMMAND.path.read_bytes()[:30], headers={"Content-Type": "audio/wav"}
        )
        assert truncated.status_code == 400, truncated.text
        too_long = client.post(
            "/api/voice/transcribe",
            content=wav_bytes(np.zeros(16000 * 130)),
            headers={"Content-Type": "audio/wav"},
        )
        assert too_long.status_code == 413 and too_long.json()["error"]["code"] == "audio-too-long"
        huge = client.post("/api/voice/transcribe", content=b"\0" * 26_000_000, headers={"Content-Type": "audio/wav"})
        assert huge.status_code == 413 and huge.json()["error"]["code"] == "body-too-large"
        no_file = client.post("/api/voice/transcribe", files={"other": ("x.wav", b"abc", "audio/wav")})
        assert no_file.status_code == 400 and no_file.json()["error"]["code"] == "audio-empty"
        empty_text = client.post("/api/voice/synthesize", json={"text": "  "})
        assert empty_text.status_code == 422 and empty_text.json()["error"]["code"] == "empty-text"
        voice = client.post("/api/voice/synthesize", json={"text": "Bonjour", "voice": "nobody"})
        assert voice.status_code == 422 and voice.json()["error"]["code"] == "unknown-voice"
        assert "ff_siwis" in voice.json()["error"]["message"]
        ok = client.post(
            "/api/voice/transcribe", content=COMMAND.path.read_bytes(), headers={"Content-Type": "audio/wav"}
        )
        assert ok.status_code == 200
