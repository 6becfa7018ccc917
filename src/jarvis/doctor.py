"""`jarvis doctor`: checks every engine and model (found, checksum, loads, speed of a tiny run)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from jarvis.audio.formats import decode_audio, encode_wav
from jarvis.config import Settings
from jarvis.engines import build_engine, build_synthesizer, build_transcriber, model_path_for
from jarvis.errors import JarvisError
from jarvis.llm.base import GenerationParams
from jarvis.models.catalog import CATALOG
from jarvis.models.prepare import ProgressCallback, status, verify
from jarvis.store.db import Database

TINY_PROMPT = "Dis bonjour en une phrase."


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # works, but degraded


# What decides llama.cpp's speed on x86 (scripts/install.sh builds AVX-512 with VNNI where the CPU has it).
SIMD_REPORTED = ("AVX2", "AVX512", "AVX512_VNNI", "AVX512_BF16")


async def check_database(settings: Settings) -> Check:
    db = Database(settings.database_url)
    try:
        await db.migrate()
        result = await db.integrity_check()
        return Check("base de données", result == "ok", f"{settings.database_url} — intégrité : {result}")
    except JarvisError as exc:
        return Check("base de données", False, exc.message)
    finally:
        await db.close()


def check_models(settings: Settings, progress: Callable[[str, int], ProgressCallback]) -> list[Check]:
    checks = []
    for spec in CATALOG.values():
        state = status(spec, settings.models_dir)
        if not state.present:
            hint = "lancez « jarvis setup »" if state.sources_available else f"installez : {spec.install_hint}"
            checks.append(Check(f"modèle {spec.name}", False, f"absent de {state.path} — {hint}"))
            continue
        ok = verify(spec, settings.models_dir, progress(spec.name, spec.size_bytes))
        detail = "SHA-256 conforme" if ok else "SHA-256 différent : relancez « jarvis setup --force »"
        checks.append(Check(f"modèle {spec.name}", ok, f"{state.path} — {detail}"))
    return checks


def simd_in_use(system_info: bytes) -> str:
    """The vector instruction sets llama.cpp was built for and uses (its system info: "AVX2 = 1 | AVX512 = 1 | …")."""
    info = system_info.decode(errors="replace")
    used = [name for name in SIMD_REPORTED if f" {name} = 1 " in f" {info} "]
    return "+".join(used) or "sans AVX2"


async def check_llm(settings: Settings) -> Check:
    """Load the configured engine and time a tiny French generation."""
    name = f"LLM {settings.llm.backend}"
    if settings.llm.backend == "llama_cpp":
        try:
            import llama_cpp
        except ImportError:
            return Check(name, False, "llama-cpp-python absent : lancez « make install »")
        name += f" (llama-cpp-python {llama_cpp.__version__} {simd_in_use(llama_cpp.llama_print_system_info())}, "
        name += f"{model_path_for(settings).name})"
    engine = build_engine(settings)
    try:
        started = time.perf_counter()
        await engine.load()
        health = await engine.health()
        if not health.ready:
            return Check(name, False, health.detail)
        loaded = time.perf_counter() - started
        first: float | None = None
        tokens = 0
        text = []
        started = time.perf_counter()
        messages = [{"role": "user", "content": TINY_PROMPT}]
        async for chunk in engine.chat(messages, None, GenerationParams(max_tokens=24, temperature=0.0)):
            if first is None and chunk.text:
                first = time.perf_counter() - started
            text.append(chunk.text)
            if chunk.completion_tokens is not None:
                tokens = chunk.completion_tokens
        total = time.perf_counter() - started
        rate = (tokens - 1) / (total - first) if first is not None and tokens > 1 and total > first else 0.0
        reply = "".join(text).strip().replace("\n", " ")
        return Check(
            name,
            bool(reply),
            f"chargé en {loaded:.1f} s ; premier jeton {first or 0:.2f} s ; {rate:.1f} jetons/s ; « {reply[:60]} »",
        )
    except JarvisError as exc:
        return Check(name, False, exc.message)
    finally:
        await engine.close()


SPOKEN_CHECK = "Bonjour, je suis Jarvis. Il fait vingt et un degrés dans le salon."


async def check_speech(settings: Settings) -> list[Check]:
    """Say a sentence with the TTS engine, then have the STT engine read it back."""
    synthesizer, transcriber = build_synthesizer(settings), build_transcriber(settings)
    tts_name, stt_name = f"TTS {settings.tts.backend}", f"STT {settings.stt.backend}"
    try:
        started = time.perf_counter()
        await synthesizer.load()
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        speech = await synthesizer.synthesize(SPOKEN_CHECK)
        spoken = time.perf_counter() - started
        detail = (
            f"chargé en {loaded:.1f} s ; {speech.duration_seconds:.1f} s d'audio en {spoken:.2f} s "
            f"(RTF {spoken / max(speech.duration_seconds, 0.01):.2f})"
        )
        degraded = getattr(synthesizer, "degraded", None)  # the espeak-ng fallback spoke instead
        if degraded:
            detail = f"DÉGRADÉ — {degraded} ; {detail}"
        tts = Check(tts_name, speech.duration_seconds > 1, detail, warning=bool(degraded))
    except JarvisError as exc:
        return [Check(tts_name, False, exc.message), Check(stt_name, False, "non vérifié (pas d'audio de test)")]
    finally:
        await synthesizer.close()
    try:
        audio = decode_audio(encode_wav(speech.samples, speech.sample_rate), max_seconds=60)
        await transcriber.load()
        started = time.perf_counter()
        transcript = await transcriber.transcribe(audio, language="fr")
        heard = time.perf_counter() - started
        stt = Check(stt_name, bool(transcript.text), f"relu en {heard:.2f} s : « {transcript.text[:70]} »")
    except JarvisError as exc:
        stt = Check(stt_name, False, exc.message)
    finally:
        await transcriber.close()
    return [tts, stt]


def check_wake_word(settings: Settings) -> Check:
    """Load the wake-word model and score a second of silence (it must not fire)."""
    import numpy as np

    from jarvis.vad.wakeword import WakeWordDetector

    wake = settings.wake_word
    name = f"mot d'éveil {wake.model} ({'activé' if wake.enabled else 'désactivé'} par défaut)"
    try:
        started = time.perf_counter()
        detector = WakeWordDetector(wake.model, threshold=wake.threshold)
        loaded = time.perf_counter() - started
        score = detector.feed(np.zeros(16000, dtype=np.int16))
        detector.close()
    except JarvisError as exc:
        return Check(name, False, exc.message)
    return Check(
        name,
        score < wake.threshold,
        f"chargé en {loaded:.2f} s ; score sur une seconde de silence {score:.3f} (seuil {wake.threshold}) ; "
        "modèle openWakeWord sous licence CC BY-NC-SA 4.0 (usage non commercial)",
    )
