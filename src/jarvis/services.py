"""The objects one running Jarvis shares: built from settings by `build_services`, closed at shutdown."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from jarvis.brain.prompt import PromptBuilder
from jarvis.config import Settings
from jarvis.errors import JarvisError
from jarvis.llm.base import ChatEngine, GenerationParams
from jarvis.llm.service import LlmService
from jarvis.metrics import Metrics
from jarvis.models.catalog import CATALOG, PIPER_DEFAULT, TTS_DEFAULT, VOICES
from jarvis.pipeline.chat import ChatPipeline
from jarvis.pipeline.speech import SpeechService
from jarvis.store.conversations import ConversationRepository
from jarvis.store.db import Database
from jarvis.store.tokens import TokenRepository
from jarvis.stt.base import Transcriber
from jarvis.tts.base import Synthesizer

log = structlog.get_logger(__name__)


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
    )


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


@dataclass
class Services:
    settings: Settings
    db: Database
    metrics: Metrics
    engine: ChatEngine
    llm: LlmService
    prompts: PromptBuilder
    conversations: ConversationRepository
    tokens: TokenRepository
    pipeline: ChatPipeline
    params: GenerationParams
    speech: SpeechService
    background: set[asyncio.Task[None]] = field(default_factory=set)

    def start_loading(self) -> None:
        """Load the engine in the background: /health answers at once, /ready tells when the model is in."""
        self._spawn(self._load())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _load(self) -> None:
        try:
            await self.engine.load()
        except JarvisError as exc:
            log.error("llm-load-failed", code=exc.code, error=exc.message)
        else:
            self.llm.warm(self.prompts.build_prefix([]))  # a new conversation's prefix, before the first question
            self._spawn(self.pipeline.keep_warm())
        for name, engine in (("stt", self.speech.stt), ("tts", self.speech.tts)):
            try:
                await engine.load()
            except JarvisError as exc:
                log.error(f"{name}-load-failed", code=exc.code, error=exc.message)

    async def close(self) -> None:
        for task in list(self.background):
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.pipeline.close()
        await self.llm.close()
        await self.engine.close()
        await self.speech.stt.close()
        await self.speech.tts.close()
        await self.db.close()


async def build_services(
    settings: Settings, *, engine: ChatEngine | None = None, metrics: Metrics | None = None
) -> Services:
    db = Database(settings.database_url)
    await db.migrate()
    metrics = metrics or Metrics()
    engine = engine or build_engine(settings)
    llm = LlmService(
        engine,
        metrics,
        max_queue=settings.llm.max_queue,
        first_token_timeout_seconds=settings.llm.first_token_timeout_seconds,
        timeout_seconds=settings.llm.timeout_seconds,
        prefix_warming=settings.llm.prefix_warming,
    )
    prompts = PromptBuilder(
        language=settings.chat.language,
        timezone=ZoneInfo(settings.chat.timezone) if settings.chat.timezone else None,
        history_tokens=settings.chat.history_tokens,
    )
    params = GenerationParams(
        max_tokens=settings.llm.max_tokens,
        temperature=settings.llm.temperature,
        repeat_penalty=settings.llm.repeat_penalty,
    )
    speech = SpeechService(
        build_transcriber(settings),
        build_synthesizer(settings),
        metrics,
        language=settings.stt.language or settings.chat.language,
        hotwords=settings.stt.hotwords,
        max_audio_seconds=settings.stt.max_audio_seconds,
        max_text_chars=settings.tts.max_text_chars,
        voice=tts_voice(settings),
        speed=settings.tts.speed,
        first_clause_min_chars=settings.tts.first_clause_min_chars,
        stt_timeout_seconds=settings.stt.timeout_seconds,
        tts_timeout_seconds=settings.tts.timeout_seconds,
    )
    conversations = ConversationRepository(db)
    pipeline = ChatPipeline(conversations, llm, prompts, params, metrics, settings.chat.max_message_chars, speech)
    return Services(
        settings=settings,
        speech=speech,
        db=db,
        metrics=metrics,
        engine=engine,
        llm=llm,
        prompts=prompts,
        conversations=conversations,
        tokens=TokenRepository(db),
        pipeline=pipeline,
        params=params,
    )
