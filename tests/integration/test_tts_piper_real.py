"""Real Piper synthesis with the packaged English voice (en_US-joe-medium), read back by Whisper."""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest

from jarvis.config import Settings
from jarvis.engines import build_synthesizer
from jarvis.errors import TtsError
from jarvis.models.catalog import CATALOG, PIPER_DEFAULT
from jarvis.stt.wer import normalize_for_wer
from jarvis.tts.base import Speech, Synthesizer
from jarvis.tts.cache import CachedSynthesizer
from jarvis.tts.fallback import FallbackSynthesizer
from jarvis.tts.piper import PiperSynthesizer
from tests.integration.test_tts_real import WHISPER, rms, to_16k

pytestmark = pytest.mark.slow

MODELS = Path("/root/.local/share/jarvis/models")
VOICE = CATALOG[PIPER_DEFAULT].target(MODELS, CATALOG[PIPER_DEFAULT].files[0])
MAX_WER = 0.2

SENTENCES = [
    "Hello, I am Jarvis, your home assistant.",
    "The living room light is now on.",
    "It is 21.5 degrees in the kitchen.",
    "Your timer for ten minutes has started.",
]


@pytest.fixture(scope="module")
async def piper() -> AsyncIterator[PiperSynthesizer]:
    if not VOICE.is_file():
        pytest.skip("Piper voice not prepared: run `jarvis setup`")
    engine = PiperSynthesizer(VOICE, threads=2)
    await engine.load()
    yield engine
    await engine.close()


@pytest.fixture(scope="module")
def whisper() -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(str(WHISPER), device="cpu", compute_type="int8", cpu_threads=2, local_files_only=True)


def heard(model: Any, speech: Speech) -> str:
    segments, _ = model.transcribe(to_16k(speech), language="en", beam_size=1, condition_on_previous_text=False)
    return " ".join(segment.text for segment in segments).strip()


async def test_piper_speaks_english_that_whisper_understands(piper: PiperSynthesizer, whisper: Any) -> None:
    engine: Synthesizer = piper  # the real engine satisfies the interface
    assert engine.ready and engine.voices() == ["en_US-joe-medium"]
    assert piper.sample_rate == 22050 and piper.language == "en-us"
    started = time.perf_counter()
    speeches = []
    first_seconds = 0.0
    for sentence in SENTENCES:
        speeches.append(await piper.synthesize(sentence))
        if not first_seconds:
            first_seconds = time.perf_counter() - started
    total_seconds = time.perf_counter() - started
    audio_seconds = sum(s.duration_seconds for s in speeches)
    references, hypotheses = [], []
    for sentence, speech in zip(SENTENCES, speeches, strict=True):
        assert speech.sample_rate == 22050 and speech.samples.dtype == np.int16
        assert 0.8 < speech.duration_seconds < 8.0 and rms(speech) > 0.02, sentence
        text = heard(whisper, speech)
        print(f"\n  said: {sentence}\n  heard: {text}")
        references.append(normalize_for_wer(sentence))
        hypotheses.append(normalize_for_wer(text) or "∅")
    error_rate = jiwer.wer(references, hypotheses)
    print(
        f"\nPiper en_US-joe-medium: WER {error_rate:.3f}, first sentence {first_seconds:.2f} s, "
        f"RTF {total_seconds / audio_seconds:.2f} ({audio_seconds:.1f} s of audio in {total_seconds:.1f} s)"
    )
    assert error_rate < MAX_WER


async def test_speed_and_settings_select_the_voice(piper: PiperSynthesizer, tmp_path: Path) -> None:
    text = "Turning off the bedroom lights."
    # Piper varies phoneme durations at random (noise_w): compare medians.
    normal = statistics.median([(await piper.synthesize(text)).duration_seconds for _ in range(3)])
    fast = statistics.median([(await piper.synthesize(text, speed=1.5)).duration_seconds for _ in range(3)])
    assert fast < normal * 0.85
    # tts.backend=piper with no voice file set uses the packaged voice prepared by `jarvis setup`, with espeak-ng
    # behind it (tts.fallback), or alone when the fallback is off.
    settings = Settings(data_dir=MODELS.parent, tts={"backend": "piper", "threads": 1})
    configured = build_synthesizer(settings)
    # The phrase cache sits between the fallback and the engine (a fallback's audio is never cached).
    assert isinstance(configured, FallbackSynthesizer) and isinstance(configured.primary, CachedSynthesizer)
    assert isinstance(configured.primary.inner, PiperSynthesizer) and configured.primary.inner.model_path == VOICE
    alone = build_synthesizer(
        Settings(data_dir=MODELS.parent, tts={"backend": "piper", "fallback": False, "phrase_cache": 0})
    )
    assert isinstance(alone, PiperSynthesizer) and alone.model_path == VOICE
    # Any voice file a user brings: a copy elsewhere under another name works the same.
    own = tmp_path / "my-voice.onnx"
    shutil.copy(VOICE, own)
    shutil.copy(VOICE.with_name(VOICE.name + ".json"), tmp_path / "my-voice.onnx.json")
    brought = build_synthesizer(
        Settings(data_dir=tmp_path, tts={"backend": "piper", "piper_voice": str(own), "fallback": False})
    )
    speech = await brought.synthesize("Good morning.")
    assert speech.duration_seconds > 0.4 and brought.voices() == ["my-voice"]
    await brought.close()


async def test_piper_errors_are_coded(piper: PiperSynthesizer, tmp_path: Path) -> None:
    with pytest.raises(TtsError) as unknown:
        await piper.synthesize("Hello.", voice="somebody")
    assert unknown.value.code == "unknown-voice" and unknown.value.status == 422
    with pytest.raises(TtsError) as empty:
        await piper.synthesize(" … ")
    assert empty.value.code == "empty-text" and empty.value.status == 422
    with pytest.raises(TtsError) as missing:
        await PiperSynthesizer(tmp_path / "absent.onnx").synthesize("Hello.")
    assert missing.value.code == "model-missing" and missing.value.status == 503
    assert "tts.piper_voice" in missing.value.message
    # A voice without its .onnx.json, and a corrupt model file: clear errors, not a crash.
    lone = tmp_path / "lone.onnx"
    shutil.copy(VOICE, lone)
    with pytest.raises(TtsError) as no_config:
        await PiperSynthesizer(lone).load()
    assert no_config.value.code == "model-missing" and "lone.onnx.json" in no_config.value.message
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(np.random.default_rng(1).bytes(4096))
    shutil.copy(VOICE.with_name(VOICE.name + ".json"), tmp_path / "corrupt.onnx.json")
    with pytest.raises(TtsError) as bad:
        await PiperSynthesizer(corrupt).load()
    assert bad.value.code == "model-missing" and bad.value.status == 503
