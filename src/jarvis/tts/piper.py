"""Piper (ONNX VITS voices, via piper-tts): any voice file a user brings (model.onnx + model.onnx.json)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from jarvis.errors import TtsError
from jarvis.tts.base import Speech, onnx_session
from jarvis.tts.normalize import speakable

log = structlog.get_logger(__name__)

SETUP_HINT = "Lancez « jarvis setup » pour la voix anglaise fournie, ou réglez tts.piper_voice sur une voix Piper."


def config_path_for(model_path: Path) -> Path:
    """Piper's convention: the voice's settings sit beside the model as <model>.onnx.json."""
    return model_path.with_name(model_path.name + ".json")


class PiperSynthesizer:
    name = "piper"

    def __init__(self, model_path: Path, *, config_path: Path | None = None, threads: int | None = None) -> None:
        self.model_path = model_path
        self.config_path = config_path or config_path_for(model_path)
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.sample_rate = 22050  # replaced by the voice's own rate once loaded
        self.language = "en"
        self._voice: Any = None
        self._speakers: dict[str, int] = {}
        self._load_lock = asyncio.Lock()
        self._run_lock = threading.Lock()  # one synthesis at a time, held in the worker thread

    @property
    def ready(self) -> bool:
        return self._voice is not None

    @property
    def voice_name(self) -> str:
        return self.model_path.name.removesuffix(".onnx")

    def voices(self) -> list[str]:
        """A multi-speaker voice lists its speakers; a single-speaker voice is named after its file."""
        return sorted(self._speakers) if self._speakers else [self.voice_name]

    async def load(self) -> None:
        async with self._load_lock:
            if self._voice is not None:
                return
            for path, what in ((self.model_path, "Voix Piper"), (self.config_path, "Réglages de la voix Piper")):
                if not path.is_file():
                    raise TtsError(f"{what} introuvable : {path}. {SETUP_HINT}", code="model-missing", status=503)
            try:
                self._voice = await asyncio.to_thread(self._load_sync)
            except ImportError as exc:
                raise TtsError(
                    "piper-tts n'est pas installé : lancez « make install ».", code="engine-missing", status=503
                ) from exc
            except Exception as exc:  # onnxruntime's own errors (InvalidProtobuf...) derive from none of ours
                raise TtsError(
                    f"Impossible de charger la voix Piper {self.model_path} : {exc}", code="model-missing", status=503
                ) from exc
            config = self._voice.config
            self.sample_rate = int(config.sample_rate)
            self.language = str(config.espeak_voice or "en")
            self._speakers = dict(config.speaker_id_map or {})
            log.info(
                "tts-loaded",
                engine=self.name,
                model=str(self.model_path),
                language=self.language,
                rate=self.sample_rate,
                speakers=len(self._speakers),
            )

    def _load_sync(self) -> Any:
        from piper import PiperVoice
        from piper.config import PiperConfig

        config = PiperConfig.from_dict(json.loads(self.config_path.read_text(encoding="utf-8")))
        session = onnx_session(self.model_path, self.threads)
        return PiperVoice(session=session, config=config)

    def _speaker_id(self, voice: str | None) -> int | None:
        if not voice or voice == self.voice_name:
            return None
        if voice in self._speakers:
            return self._speakers[voice]
        raise TtsError(
            f"Voix inconnue : {voice}. Voix disponibles : {', '.join(self.voices())}.", code="unknown-voice", status=422
        )

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        if self._voice is None:
            await self.load()
        speaker = self._speaker_id(voice)
        spoken = speakable(text, self.language, speed)
        samples = await asyncio.to_thread(self._synthesize_sync, spoken, speaker, speed)
        return Speech(samples, self.sample_rate)

    def _synthesize_sync(self, text: str, speaker: int | None, speed: float) -> np.ndarray[Any, np.dtype[np.int16]]:
        from piper import SynthesisConfig

        with self._run_lock:
            voice = self._voice
            if voice is None:
                raise TtsError("Le moteur de synthèse vocale a été arrêté.", code="tts-unavailable", status=503)
            config = SynthesisConfig(speaker_id=speaker, length_scale=voice.config.length_scale / speed)
            try:
                chunks = [chunk.audio_int16_array for chunk in voice.synthesize(text, syn_config=config)]
            except (ValueError, RuntimeError, KeyError) as exc:
                raise TtsError(f"La synthèse vocale Piper a échoué : {exc}") from exc
        if not chunks:
            raise TtsError("Piper n'a produit aucun son.", code="empty-text", status=422)
        return np.concatenate(chunks).astype(np.int16)

    async def close(self) -> None:
        voice, self._voice = self._voice, None
        if voice is not None:
            await asyncio.to_thread(self._run_lock.acquire)  # let a synthesis in flight finish first
            self._run_lock.release()
