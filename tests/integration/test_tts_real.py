"""Real speech synthesis: Kokoro with the French voice, read back by Whisper; espeak-ng as the fallback."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest

from jarvis.errors import TtsError
from jarvis.tts.base import Speech, Synthesizer
from jarvis.tts.espeak import EspeakSynthesizer
from jarvis.tts.kokoro import KokoroSynthesizer
from jarvis.tts.normalize import normalize_fr

pytestmark = pytest.mark.slow

MODELS = Path("/root/.local/share/jarvis/models")
KOKORO_MODEL = MODELS / "kokoro" / "kokoro-v1.0.int8.onnx"
VOICES = MODELS / "kokoro" / "voices"
WHISPER = MODELS / "whisper-base"
# Whisper base reading Kokoro back measured 0.03 to 0.08 here; the margin absorbs Whisper's own slips.
MAX_WER = 0.25

SENTENCES = [
    "Bonjour, je suis Jarvis, votre assistant.",
    "Il fait 21,5 °C dans le salon.",
    "Votre rendez-vous chez le médecin est à 14h30.",
    "J'ai allumé la lumière de la cuisine.",
    "Il reste 3 kg de farine dans le placard.",
    "La réunion du 22/11/2026 est annulée.",
]


@pytest.fixture(scope="module")
async def kokoro() -> AsyncIterator[KokoroSynthesizer]:
    if not KOKORO_MODEL.is_file():
        pytest.skip("Kokoro model not prepared: run `jarvis setup`")
    engine = KokoroSynthesizer(KOKORO_MODEL, VOICES, threads=2)
    await engine.load()
    yield engine
    await engine.close()


@pytest.fixture(scope="module")
def whisper() -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(str(WHISPER), device="cpu", compute_type="int8", cpu_threads=2, local_files_only=True)


def to_16k(speech: Speech) -> np.ndarray[Any, np.dtype[np.float32]]:
    audio = speech.samples.astype(np.float32) / 32768.0
    times = np.arange(int(len(audio) * 16000 / speech.sample_rate)) / 16000
    return np.interp(times, np.arange(len(audio)) / speech.sample_rate, audio).astype(np.float32)


def transcribe(model: Any, speech: Speech) -> str:
    segments, _ = model.transcribe(to_16k(speech), language="fr", beam_size=1, condition_on_previous_text=False)
    return " ".join(segment.text for segment in segments).strip()


def words(text: str) -> str:
    """Comparable words: both sides normalised (Whisper writes "14h30"), lowercased, no punctuation."""
    text = normalize_fr(text).lower().replace("’", "'")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def rms(speech: Speech) -> float:
    return float(np.sqrt(np.mean((speech.samples.astype(np.float64) / 32768.0) ** 2)))


async def test_kokoro_speaks_french_that_whisper_understands(kokoro: KokoroSynthesizer, whisper: Any) -> None:
    engine: Synthesizer = kokoro  # the real engine satisfies the interface
    assert engine.ready and "ff_siwis" in engine.voices() and "em_alex" in engine.voices()
    started = time.perf_counter()
    first = await kokoro.synthesize(SENTENCES[0])
    first_seconds = time.perf_counter() - started
    speeches = [first]
    for sentence in SENTENCES[1:]:
        speeches.append(await kokoro.synthesize(sentence))
    total_seconds = time.perf_counter() - started
    audio_seconds = sum(s.duration_seconds for s in speeches)

    references, hypotheses = [], []
    for sentence, speech in zip(SENTENCES, speeches, strict=True):
        assert speech.sample_rate == 24000 and speech.samples.dtype == np.int16
        assert 0.8 < speech.duration_seconds < 8.0, sentence
        assert rms(speech) > 0.02, sentence
        heard = transcribe(whisper, speech)
        references.append(words(sentence))
        hypotheses.append(words(heard))
        print(f"\n  said: {normalize_fr(sentence)}\n  heard: {heard}")
    error_rate = jiwer.wer(references, hypotheses)
    print(
        f"\nKokoro ff_siwis: WER {error_rate:.3f}, first sentence {first_seconds:.2f} s, "
        f"RTF {total_seconds / audio_seconds:.2f} ({audio_seconds:.1f} s of audio in {total_seconds:.1f} s)"
    )
    assert error_rate < MAX_WER


async def test_a_blend_is_another_voice_that_still_speaks_french(kokoro: KokoroSynthesizer, whisper: Any) -> None:
    text = "La lumière du salon est allumée."
    pure = await kokoro.synthesize(text)
    blend = await kokoro.synthesize(text, voice="ff_siwis:0.7, em_alex:0.3")
    assert blend.duration_seconds > 1.0 and rms(blend) > 0.02
    length = min(len(pure.samples), len(blend.samples))
    assert len(pure.samples) != len(blend.samples) or not np.array_equal(pure.samples[:length], blend.samples[:length])
    assert jiwer.wer(words(text), words(transcribe(whisper, blend))) < 0.5
    # Weights are normalised: 7/3 is the same blend as 0.7/0.3.
    assert np.array_equal(
        kokoro.resolve_voice("ff_siwis:7,em_alex:3"), kokoro.resolve_voice("ff_siwis:0.7,em_alex:0.3")
    )


async def test_speed_changes_the_duration(kokoro: KokoroSynthesizer) -> None:
    text = "Je lance une minuterie de dix minutes."
    normal = await kokoro.synthesize(text)
    fast = await kokoro.synthesize(text, speed=1.5)
    assert fast.duration_seconds < normal.duration_seconds * 0.85


async def test_text_longer_than_one_model_window(kokoro: KokoroSynthesizer) -> None:
    # About 900 phonemes: kokoro-onnx cuts the phonemes into windows of at most 510 tokens and joins the audio.
    text = " ".join(f"Voici la phrase numéro {n} de ce long texte de démonstration." for n in range(1, 21))
    speech = await kokoro.synthesize(text)
    assert speech.duration_seconds > 40 and rms(speech) > 0.02


async def test_a_short_language_code_is_accepted() -> None:
    engine = KokoroSynthesizer(KOKORO_MODEL, VOICES, language="fr", threads=1)
    assert engine.language == "fr-fr"
    speech = await engine.synthesize("Il est 7h.")
    assert speech.duration_seconds > 0.5
    await engine.close()
    assert not engine.ready


async def test_kokoro_errors_are_coded(kokoro: KokoroSynthesizer, tmp_path: Path) -> None:
    with pytest.raises(TtsError) as unknown:
        await kokoro.synthesize("Bonjour.", voice="ff_nobody")
    assert unknown.value.code == "unknown-voice" and unknown.value.status == 422
    assert "ff_siwis" in unknown.value.message
    with pytest.raises(TtsError) as unknown_in_blend:
        await kokoro.synthesize("Bonjour.", voice="ff_siwis:0.5,xx_nobody:0.5")
    assert unknown_in_blend.value.code == "unknown-voice"
    for text in ("", "   ", " … !"):
        with pytest.raises(TtsError) as empty:
            await kokoro.synthesize(text)
        assert empty.value.code == "empty-text" and empty.value.status == 422
    with pytest.raises(TtsError) as missing:
        await KokoroSynthesizer(tmp_path / "absent.onnx", VOICES, threads=1).synthesize("Bonjour.")
    assert missing.value.code == "model-missing" and missing.value.status == 503
    assert "jarvis setup" in missing.value.message
    with pytest.raises(TtsError) as no_voices:
        await KokoroSynthesizer(KOKORO_MODEL, tmp_path, threads=1).load()
    assert no_voices.value.code == "model-missing"


async def test_espeak_speaks_french() -> None:
    engine = EspeakSynthesizer()
    await engine.load()
    assert engine.ready and "fr" in engine.voices()
    speech = await engine.synthesize("Il est 14h30 et il fait 21,5 °C.")
    assert speech.sample_rate == 22050 and speech.samples.dtype == np.int16
    assert speech.duration_seconds > 0.5 and rms(speech) > 0.02
    slow = await engine.synthesize("Il est 14h30 et il fait 21,5 °C.", speed=0.6)
    assert slow.duration_seconds > speech.duration_seconds * 1.3
    # Text starting with a dash goes through stdin: it is spoken, not taken for an option.
    assert (await engine.synthesize("-3 °C dehors")).duration_seconds > 0.5
    assert (await engine.synthesize("Bonjour.", voice="fr+f3")).duration_seconds > 0.3
    with pytest.raises(TtsError) as unknown:
        await engine.synthesize("Bonjour.", voice="ff_siwis")
    assert unknown.value.code == "unknown-voice" and unknown.value.status == 422


async def test_espeak_missing_binary_says_how_to_install() -> None:
    with pytest.raises(TtsError) as missing:
        await EspeakSynthesizer(binary="espeak-ng-not-installed").synthesize("Bonjour.")
    assert missing.value.code == "engine-missing" and missing.value.status == 503
    assert "apt-get install espeak-ng" in missing.value.message
