"""The espeak-ng fallback: a corrupt Kokoro model against the real server and `jarvis doctor`, and a synthesis that
fails inside the engine."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jarvis.errors import TtsError
from jarvis.tts.base import Speech
from jarvis.tts.espeak import EspeakSynthesizer
from jarvis.tts.fallback import FallbackSynthesizer
from tests.servers import JarvisServer, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corrupt_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corrupt") / "kokoro-v1.0.int8.onnx"
    path.write_bytes(np.random.default_rng(7).bytes(200_000))  # the right name, garbage inside
    return path


@pytest.fixture(scope="module")
def degraded_server(tmp_path_factory: pytest.TempPathFactory, corrupt_model: Path) -> Iterator[JarvisServer]:
    data_dir = tmp_path_factory.mktemp("jarvis-corrupt-tts")
    server = JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_TTS__MODEL_PATH": str(corrupt_model),
            "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"),  # this test needs no LLM: spare the memory
        },
    ).start(wait_ready=False)
    yield server
    server.stop()


def test_a_corrupt_kokoro_model_falls_back_to_espeak_and_says_so(degraded_server: JarvisServer) -> None:
    with degraded_server.client() as client:
        deadline = time.monotonic() + 120
        while True:
            tts = client.get("/ready").json()["components"]["tts"]
            if tts["ready"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert tts["ready"] is True and tts["degraded"] is True, tts
        assert "kokoro" in tts["detail"] and "espeak-ng" in tts["detail"], tts
        spoken = client.post("/api/voice/synthesize", json={"text": "Il fait 21,5 °C dans le salon."})
        assert spoken.status_code == 200, spoken.text
        with wave.open(io.BytesIO(spoken.content)) as handle:
            rate, frames = handle.getframerate(), handle.readframes(handle.getnframes())
        samples = np.frombuffer(frames, dtype="<i2")
        assert rate == 22050 and len(samples) / rate > 1.0  # espeak-ng's own rate: it is the one speaking
        assert np.sqrt(np.mean((samples / 32768.0) ** 2)) > 0.02
        # The voice the client asks for means nothing to espeak-ng: it still speaks, with its own voice.
        assert client.post("/api/voice/synthesize", json={"text": "Bonjour.", "voice": "ff_siwis"}).status_code == 200
        assert client.get("/health").status_code == 200
    log = degraded_server.log_path.read_text() if degraded_server.log_path else ""
    assert '"tts-fallback"' in log


def test_doctor_shows_the_voice_as_degraded(degraded_server: JarvisServer) -> None:
    done = run_cli("doctor", env={**degraded_server.env, "COLUMNS": "400"}, timeout=600)  # one line per check
    output = " ".join(done.stdout.split())
    assert "DÉGRADÉ" in output and "espeak-ng" in output, done.stdout
    # The wake-word engine is checked too, with its model's licence.
    assert "mot d'éveil hey_jarvis" in output and "CC BY-NC-SA 4.0" in output, done.stdout
    assert done.returncode != 0  # the prepared models are missing from this data directory


class BrokenEngine:
    """A real-interface engine whose synthesis fails inside the engine (as an ONNX runtime error would)."""

    name = "kokoro"
    sample_rate = 24000
    ready = True

    def __init__(self) -> None:
        self.calls = 0

    async def load(self) -> None:
        return None

    def voices(self) -> list[str]:
        return ["ff_siwis"]

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        self.calls += 1
        if voice == "nobody":
            raise TtsError("Voix inconnue : nobody.", code="unknown-voice", status=422)
        raise TtsError("La synthèse vocale a échoué : onnxruntime error")

    async def close(self) -> None:
        return None


async def test_a_failed_synthesis_is_spoken_by_espeak_at_the_engine_rate() -> None:
    engine = FallbackSynthesizer(BrokenEngine(), EspeakSynthesizer())
    await engine.load()
    assert engine.degraded is None and engine.name == "kokoro"
    speech = await engine.synthesize("La lumière de la cuisine est allumée.", voice="ff_siwis")
    # Resampled to the engine's rate, so a reply keeps one rate when one sentence comes from the fallback.
    assert speech.sample_rate == 24000 and speech.duration_seconds > 1.0
    assert engine.degraded is not None and "espeak-ng" in engine.degraded
    # A wrong request is not an engine failure: it is reported, not hidden by the fallback.
    with pytest.raises(TtsError) as wrong:
        await engine.synthesize("Bonjour.", voice="nobody")
    assert wrong.value.code == "unknown-voice"
    await engine.close()
