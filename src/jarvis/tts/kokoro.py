"""Kokoro-82M (ONNX, via kokoro-onnx): neural speech at 24 kHz from espeak-ng phonemes, voices as style arrays."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray

from jarvis.errors import TtsError
from jarvis.tts.base import Speech, float_to_int16, onnx_session
from jarvis.tts.normalize import speakable

log = structlog.get_logger(__name__)

SAMPLE_RATE = 24000
STYLE_DIM = 256
# espeak-ng (through phonemizer) wants a full code for some languages: "fr" alone is refused.
ESPEAK_LANGUAGES = {"fr": "fr-fr", "en": "en-us", "pt": "pt-br", "zh": "cmn"}
SETUP_HINT = "Lancez « jarvis setup » (ou « make run ») pour préparer les modèles."


# Blends computed from client-given strings are cached, up to this many.
MAX_BLENDS = 32


class KokoroSynthesizer:
    name = "kokoro"
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        model_path: Path,
        voices_dir: Path,
        *,
        default_voice: str = "ff_siwis",
        language: str = "fr-fr",
        threads: int | None = None,
    ) -> None:
        self.model_path = model_path
        self.voices_dir = voices_dir
        self.default_voice = default_voice
        self.language = ESPEAK_LANGUAGES.get(language.lower(), language.lower())
        self.threads = threads or max(1, os.cpu_count() or 1)
        self._kokoro: Any = None
        self._voices: dict[str, NDArray[np.float32]] = {}
        self._blends: dict[str, NDArray[np.float32]] = {}
        self._load_lock = asyncio.Lock()
        # One synthesis at a time, held in the worker thread so that a cancelled request still waits its turn.
        self._run_lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._kokoro is not None

    def voices(self) -> list[str]:
        if self._voices:
            return sorted(self._voices)
        return sorted(p.stem for p in self.voices_dir.glob("*.bin")) if self.voices_dir.is_dir() else []

    async def load(self) -> None:
        async with self._load_lock:
            if self._kokoro is not None:
                return
            if not self.model_path.is_file():
                raise TtsError(
                    f"Modèle Kokoro introuvable : {self.model_path}. {SETUP_HINT}", code="model-missing", status=503
                )
            voices = await asyncio.to_thread(_read_voices, self.voices_dir)
            if not voices:
                raise TtsError(
                    f"Aucune voix Kokoro dans {self.voices_dir}. {SETUP_HINT}", code="model-missing", status=503
                )
            try:
                self._kokoro = await asyncio.to_thread(self._load_sync)
            except ImportError as exc:
                raise TtsError(
                    "kokoro-onnx n'est pas installé : lancez « make install ».", code="engine-missing", status=503
                ) from exc
            except Exception as exc:  # onnxruntime's own errors (InvalidProtobuf...) derive from none of ours
                raise TtsError(
                    f"Impossible de charger {self.model_path} : {exc}", code="model-missing", status=503
                ) from exc
            self._voices = voices
            self._blends.clear()
            log.info(
                "tts-loaded", engine=self.name, model=str(self.model_path), voices=len(voices), threads=self.threads
            )

    def _load_sync(self) -> Any:
        from kokoro_onnx import Kokoro

        session = onnx_session(self.model_path, self.threads)
        # kokoro-onnx insists on a voices archive; ours are separate arrays handed to create(), so give it an empty one.
        with tempfile.TemporaryDirectory(prefix="jarvis-kokoro-") as tmp:
            empty = Path(tmp) / "voices.npz"
            np.savez(empty)
            kokoro = Kokoro.from_session(session, str(empty))
            kokoro.voices.close()
        kokoro.voices = {}
        return kokoro

    def resolve_voice(self, spec: str | None) -> NDArray[np.float32]:
        """The style array for a voice name or a blend "ff_siwis:0.7,em_alex:0.3" (weights are normalised)."""
        spec = (spec or self.default_voice).replace(" ", "")
        if spec in self._voices:
            return self._voices[spec]
        if spec in self._blends:
            return self._blends[spec]
        parts: list[tuple[str, float]] = []
        for item in filter(None, spec.split(",")):
            name, _, weight = item.partition(":")
            if name not in self._voices:
                available = ", ".join(self.voices()) or "aucune"
                raise TtsError(
                    f"Voix inconnue : {name}. Voix disponibles : {available}.", code="unknown-voice", status=422
                )
            try:
                parts.append((name, float(weight) if weight else 1.0))
            except ValueError as exc:
                raise TtsError(f"Poids de voix invalide : {item}.", code="invalid-voice", status=422) from exc
        total = sum(w for _, w in parts)
        if not parts or any(w < 0 for _, w in parts) or total <= 0:
            raise TtsError(f"Mélange de voix invalide : {spec}.", code="invalid-voice", status=422)
        blend = sum((self._voices[name] * (w / total) for name, w in parts), np.zeros_like(self._voices[parts[0][0]]))
        if len(self._blends) >= MAX_BLENDS:  # clients choose the strings: keep the cache bounded
            self._blends.pop(next(iter(self._blends)))
        self._blends[spec] = blend.astype(np.float32)
        return self._blends[spec]

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        if self._kokoro is None:
            await self.load()
        style = self.resolve_voice(voice)
        spoken = speakable(text, self.language, speed)
        samples = await asyncio.to_thread(self._synthesize_sync, spoken, style, speed)
        return Speech(float_to_int16(samples), SAMPLE_RATE)

    def _synthesize_sync(self, text: str, style: NDArray[np.float32], speed: float) -> NDArray[np.float32]:
        # kokoro-onnx phonemizes the whole text, then splits the phonemes at sentence, clause or word boundaries
        # into batches within the model's 510-token window, each with its own style row; long text needs no help.
        with self._run_lock:
            kokoro = self._kokoro
            if kokoro is None:
                raise TtsError("Le moteur de synthèse vocale a été arrêté.", code="tts-unavailable", status=503)
            try:
                samples, rate = kokoro.create(text, voice=style, speed=speed, lang=self.language)
            except (ValueError, RuntimeError) as exc:
                raise TtsError(f"La synthèse vocale a échoué : {exc}") from exc
        if rate != SAMPLE_RATE:
            raise TtsError(f"Kokoro a produit {rate} Hz au lieu de {SAMPLE_RATE} Hz.")
        return np.asarray(samples, dtype=np.float32)

    async def close(self) -> None:
        kokoro, self._kokoro = self._kokoro, None
        if kokoro is not None:
            # Wait for a synthesis in flight before the session goes.
            await asyncio.to_thread(self._run_lock.acquire)
            self._run_lock.release()


def _read_voices(voices_dir: Path) -> dict[str, NDArray[np.float32]]:
    """Every *.bin in the folder: raw little-endian float32 style rows, one per token count (510 x 1 x 256)."""
    if not voices_dir.is_dir():
        return {}
    voices: dict[str, NDArray[np.float32]] = {}
    for path in sorted(voices_dir.glob("*.bin")):
        data = np.fromfile(path, dtype="<f4")
        if data.size == 0 or data.size % STYLE_DIM:
            log.warning("tts-voice-skipped", path=str(path), values=int(data.size))
            continue
        voices[path.stem] = data.astype(np.float32).reshape(-1, 1, STYLE_DIM)
    return voices
