"""The engines the settings select (LLM, speech recognition, voice) and where their model files are."""

from __future__ import annotations

import os
import queue
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from jarvis.config import Settings
from jarvis.llm.base import ChatEngine
from jarvis.models.catalog import CATALOG, PIPER_DEFAULT, TTS_DEFAULT, VOICES
from jarvis.stt.base import Transcriber
from jarvis.tts.base import Synthesizer


def build_engine(settings: Settings) -> ChatEngine:
    """The configured LLM backend; imports are lazy so a missing optional package fails with a clear message."""
    llm = settings.llm
    if llm.backend == "openai_compat":
        from jarvis.llm.openai_compat import OpenAICompatEngine

        assert llm.base_url is not None  # checked by the settings validator
        return OpenAICompatEngine(
            llm.base_url,
            api_key=llm.api_key,
            model=llm.remote_model,
            read_timeout_seconds=llm.first_token_timeout_seconds,
            warm_timeout_seconds=llm.timeout_seconds,
        )
    from jarvis.llm.llama_cpp import LlamaCppEngine

    return LlamaCppEngine(model_path_for(settings), context_tokens=llm.context_tokens, threads=llm.threads)


def build_transcriber(settings: Settings) -> Transcriber:
    from jarvis.stt.faster_whisper import FasterWhisperTranscriber

    stt = settings.stt
    return FasterWhisperTranscriber(
        stt_model_dir(settings),
        threads=stt.threads or default_threads(),
        compute_type=stt.compute_type,
        beam_size=stt.beam_size,
        language=stt.language or settings.chat.language,
        initial_prompt=stt.initial_prompt,
        window_seconds=stt.window_seconds,
    )


def build_speech_check(settings: Settings) -> Callable[[NDArray[np.int16]], bool]:
    """The speech check (Silero VAD at the listener's threshold) for audio no live listener heard: uploads,
    push-to-talk, files. Safe from parallel threads: each check borrows a detector of its own from a pool."""
    from jarvis.pipeline.presence import holds_speech
    from jarvis.vad.silero import SileroDetector

    idle: queue.SimpleQueue[SileroDetector] = queue.SimpleQueue()
    threshold = settings.vad.threshold

    def check(audio: NDArray[np.int16]) -> bool:
        try:
            detector = idle.get_nowait()
        except queue.Empty:
            detector = SileroDetector()
        try:
            return holds_speech(audio, detector, threshold=threshold)
        finally:
            idle.put(detector)

    return check


def stt_model_dir(settings: Settings) -> Path:
    stt = settings.stt
    spec = CATALOG.get(stt.model)
    return stt.model_path or (spec.path(settings.models_dir) if spec else settings.models_dir / stt.model)


def build_synthesizer(settings: Settings) -> Synthesizer:
    """The configured TTS engine; a neural one is backed by espeak-ng unless tts.fallback is off."""
    from jarvis.tts.espeak import EspeakSynthesizer

    tts = settings.tts
    if tts.backend == "espeak":
        return EspeakSynthesizer(voice=tts.espeak_voice)
    engine = _neural_synthesizer(settings)
    if tts.phrase_cache:
        from jarvis.tts.cache import CachedSynthesizer

        engine = CachedSynthesizer(engine, max_entries=tts.phrase_cache)
    if not tts.fallback:
        return engine
    from jarvis.tts.fallback import FallbackSynthesizer

    return FallbackSynthesizer(engine, EspeakSynthesizer(voice=tts.espeak_voice))


def _neural_synthesizer(settings: Settings) -> Synthesizer:
    tts = settings.tts
    if tts.backend == "piper":
        from jarvis.tts.piper import PiperSynthesizer

        return PiperSynthesizer(piper_voice_path(settings), threads=tts.threads or default_threads())
    from jarvis.tts.kokoro import KokoroSynthesizer

    spec = CATALOG[TTS_DEFAULT]
    return KokoroSynthesizer(
        tts.model_path or spec.target(settings.models_dir, spec.files[0]),
        tts.voices_dir or CATALOG[VOICES].path(settings.models_dir),
        default_voice=tts.voice,
        language=settings.chat.language,
        threads=tts.threads or default_threads(),
    )


def piper_voice_path(settings: Settings) -> Path:
    if settings.tts.piper_voice is not None:
        return settings.tts.piper_voice
    spec = CATALOG[PIPER_DEFAULT]
    return spec.target(settings.models_dir, spec.files[0])


def tts_voice(settings: Settings) -> str:
    """The default voice name handed to the configured engine."""
    tts = settings.tts
    if tts.backend == "kokoro":
        return tts.voice
    if tts.backend == "piper":
        return tts.piper_speaker or ""
    return tts.espeak_voice


def default_threads() -> int:
    return max(1, os.cpu_count() or 1)


def model_path_for(settings: Settings) -> Path:
    if settings.llm.model_path is not None:
        return settings.llm.model_path
    spec = CATALOG.get(settings.llm.model)
    return spec.path(settings.models_dir) if spec else settings.models_dir / f"{settings.llm.model}.gguf"
