"""faster-whisper backend: a CTranslate2 Whisper model loaded once, decoding in a worker thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray

from jarvis.audio.formats import SAMPLE_RATE, to_float32
from jarvis.errors import AudioError, SttError
from jarvis.stt.base import Segment, Transcript
from jarvis.stt.filters import clean_segments

log = structlog.get_logger(__name__)

# Shorter than this, Whisper can only invent: answer "nothing heard" without running the model.
MIN_AUDIO_SECONDS = 0.1
# Bounded fallback: a failed decode is retried at most twice (the default ladder re-decodes up to five times).
TEMPERATURES = (0.0, 0.2, 0.4)
# The files a CTranslate2 Whisper directory must hold.
MODEL_FILES = ("model.bin", "config.json")
# Whisper reads 30 s windows (3,000 feature frames); silence after the clip is kept up to this much.
WINDOW_MARGIN_SECONDS = 1.0
FRAMES_PER_SECOND = 100
FULL_WINDOW_FRAMES = 3000


@dataclass(frozen=True)
class _Decoded:
    language: str
    segments: list[Segment]


class FasterWhisperTranscriber:
    name = "faster_whisper"

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int,
        compute_type: str = "int8",
        beam_size: int = 1,
        language: str = "fr",
        initial_prompt: str | None = None,
        vad_filter: bool = False,
        window_seconds: float = 30.0,
    ) -> None:
        self.model_dir = model_dir
        self.threads = threads
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.language = language
        self.initial_prompt = initial_prompt
        self.vad_filter = vad_filter
        self.window_seconds = window_seconds
        self._model: Any = None
        self._load_lock = asyncio.Lock()
        # One decode at a time, even when a cancelled request left its thread running.
        self._decode_lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._model is not None

    async def load(self) -> None:
        async with self._load_lock:
            if self._model is not None:
                return
            missing = [name for name in MODEL_FILES if not (self.model_dir / name).is_file()]
            if missing:
                raise SttError(
                    f"Modèle de reconnaissance vocale introuvable : {self.model_dir} ({', '.join(missing)} absent). "
                    "Lancez « jarvis setup » (ou « make run ») pour le préparer.",
                    code="model-missing",
                    status=503,
                )
            started = time.perf_counter()
            try:
                self._model = await asyncio.to_thread(self._load_sync)
            except ImportError as exc:
                raise SttError(
                    "faster-whisper n'est pas installé : lancez « make install ».", code="stt-unavailable", status=503
                ) from exc
            except (RuntimeError, ValueError, OSError) as exc:
                raise SttError(
                    f"Impossible de charger le modèle de reconnaissance vocale {self.model_dir} : {exc}",
                    code="stt-unavailable",
                    status=503,
                ) from exc
            log.info(
                "stt-loaded",
                model=str(self.model_dir),
                threads=self.threads,
                compute_type=self.compute_type,
                seconds=round(time.perf_counter() - started, 2),
            )

    def _load_sync(self) -> Any:
        return _windowed_model_class()(
            str(self.model_dir),
            device="cpu",
            compute_type=self.compute_type,
            cpu_threads=self.threads,
            local_files_only=True,
        )

    async def transcribe(
        self, audio: NDArray[np.int16], *, language: str | None = None, hotwords: Sequence[str] = ()
    ) -> Transcript:
        """Transcribe 16 kHz mono int16 audio (the model is loaded on first use)."""
        if audio.dtype != np.int16 or audio.ndim != 1:
            raise AudioError("La transcription attend de l'audio 16 kHz mono int16.", code="audio-format", status=400)
        language = language or self.language
        duration = audio.size / SAMPLE_RATE
        if duration < MIN_AUDIO_SECONDS:
            return Transcript(text="", language=language, segments=(), duration_seconds=duration, no_speech=True)
        await self.load()
        samples = to_float32(audio)
        words = ", ".join(word.strip() for word in hotwords if word.strip()) or None
        try:
            decoded = await asyncio.to_thread(self._transcribe_sync, samples, language, words)
        except Exception as exc:
            raise SttError(f"La transcription a échoué : {exc}", code="stt-failed") from exc
        kept = tuple(clean_segments(decoded.segments))
        if len(kept) < len(decoded.segments):  # what was thrown away, to tune the filter from real logs
            dropped = [segment for segment in decoded.segments if segment not in kept]
            log.info(
                "stt-segments-dropped",
                segments=[
                    {
                        "text": segment.text.strip(),
                        "no_speech_prob": round(segment.no_speech_prob, 3),
                        "avg_logprob": round(segment.avg_logprob, 3),
                        "compression_ratio": round(segment.compression_ratio, 2),
                    }
                    for segment in dropped
                ],
            )
        text = " ".join(segment.text.strip() for segment in kept).strip()
        return Transcript(
            text=text,
            language=decoded.language,
            segments=kept,
            duration_seconds=duration,
            no_speech=not text,
        )

    def _transcribe_sync(self, samples: NDArray[np.float32], language: str, hotwords: str | None) -> _Decoded:
        with self._decode_lock:
            model = self._model
            if model is None:
                raise RuntimeError("modèle déchargé")
            model.window_frames = self._window_frames(samples.size / SAMPLE_RATE)
            segments, info = model.transcribe(
                samples,
                language=language,
                beam_size=self.beam_size,
                temperature=TEMPERATURES,
                condition_on_previous_text=False,
                hotwords=hotwords,
                initial_prompt=self.initial_prompt,
                vad_filter=self.vad_filter,
                without_timestamps=False,
            )
            # The generator decodes lazily: consume it here, in the worker thread, never on the event loop.
            found = [
                Segment(
                    start=float(s.start),
                    end=float(s.end),
                    text=str(s.text),
                    no_speech_prob=float(s.no_speech_prob),
                    avg_logprob=float(s.avg_logprob),
                    compression_ratio=float(s.compression_ratio),
                )
                for s in segments
            ]
            return _Decoded(language=str(info.language), segments=found)

    def _window_frames(self, duration: float) -> int | None:
        """The encoder window for a clip: at least `window_seconds`, the whole clip and a margin; None: Whisper's
        full 30 s (also for clips that long, which faster-whisper reads in 30 s windows)."""
        frames = round(max(self.window_seconds, duration + WINDOW_MARGIN_SECONDS) * FRAMES_PER_SECOND)
        return frames if frames < FULL_WINDOW_FRAMES else None

    async def close(self) -> None:
        if self._model is not None:
            await asyncio.to_thread(self._close_sync)

    def _close_sync(self) -> None:
        # Wait for a running decode before the model goes away.
        with self._decode_lock:
            self._model = None


def _windowed_model_class() -> Any:
    """faster-whisper's model with a shorter encoder window for short clips.

    faster-whisper pads every clip to 30 s of features and the encoder's cost grows with that length (1.1 s on 2
    cores for base, most of a short command's transcription). CTranslate2 encodes a shorter window too; the decoder
    then attends to fewer frames. On the 39 French recordings of ../shared/speech, with the vocabulary prompt
    (DEFAULT_STT_PROMPT_FR): a 14 s window gave WER 0.157 on the 29 commands and 0.235 overall (20 s: 0.174 and 0.235;
    16 s: 0.183 and 0.277) and transcribed commands in 0.78 of the 20 s window's time, about half of Whisper's own
    30 s; a 12 s window misheard more (0.268 overall; it repeated « combien de temps reste-t-il » twice)."""
    from faster_whisper import WhisperModel  # type: ignore[import-untyped]

    class WindowedWhisperModel(WhisperModel):  # type: ignore[misc]
        window_frames: int | None = None

        def encode(self, features: NDArray[np.float32]) -> Any:
            if self.window_frames is not None and features.shape[-1] > self.window_frames:
                features = features[..., : self.window_frames]
            return super().encode(features)

    return WindowedWhisperModel
