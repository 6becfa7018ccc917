"""Canonical audio (16 kHz mono int16): decode any container PyAV knows, convert raw PCM, encode WAV."""

from __future__ import annotations

import io
import wave

import av
import av.error
import numpy as np
from numpy.typing import NDArray

from jarvis.errors import AudioError

SAMPLE_RATE = 16000
SAMPLE_WIDTH_BYTES = 2
CHANNELS = 1

ACCEPTED_FORMATS = "WAV, OGG/Opus, WebM, MP3, FLAC"
# Raw PCM sample widths: 1 = unsigned 8-bit, 2 = signed 16-bit, 4 = 32-bit float (all little-endian).
PCM_DTYPES: dict[int, str] = {1: "<u1", 2: "<i2", 4: "<f4"}
MIN_PCM_RATE, MAX_PCM_RATE = 8000, 192000
MAX_PCM_CHANNELS = 8

Int16Audio = NDArray[np.int16]


def _invalid(detail: str) -> AudioError:
    return AudioError(
        f"Audio illisible ({detail}). Formats acceptés : {ACCEPTED_FORMATS}.", code="audio-invalid", status=400
    )


def _empty() -> AudioError:
    return AudioError("L'audio est vide.", code="audio-empty", status=400)


def _too_long(max_seconds: float) -> AudioError:
    return AudioError(f"L'audio dépasse la durée maximale ({max_seconds:g} s).", code="audio-too-long", status=413)


class _Collector:
    """Resamples frames once to the canonical format and stops as soon as the duration limit is passed."""

    def __init__(self, max_seconds: float) -> None:
        self.max_seconds = max_seconds
        self.max_samples = int(max_seconds * SAMPLE_RATE)
        self.resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self.chunks: list[Int16Audio] = []
        self.samples = 0

    def feed(self, frame: av.AudioFrame | None) -> None:
        for out in self.resampler.resample(frame):
            chunk = _plane(out)
            self.samples += chunk.size
            if self.samples > self.max_samples:
                raise _too_long(self.max_seconds)
            self.chunks.append(chunk)

    def result(self) -> Int16Audio:
        if not self.chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self.chunks)


def decode_audio(data: bytes, *, max_seconds: float) -> Int16Audio:
    """Decode an audio file held in memory into 16 kHz mono int16; raises AudioError (audio-empty,
    audio-invalid, audio-too-long). CPU-bound: call it through asyncio.to_thread from async code."""
    if not data:
        raise _empty()
    collector = _Collector(max_seconds)
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise _invalid("format non reconnu") from exc
    with container:
        if not container.streams.audio:
            raise _invalid("aucune piste audio")
        stream = container.streams.audio[0]
        try:
            for frame in container.decode(stream):
                collector.feed(frame)
            collector.feed(None)
        except AudioError:
            raise
        except (av.error.FFmpegError, ValueError, OSError) as exc:
            # A truncated upload keeps what decoded before the damage; one that decodes to nothing is invalid.
            if collector.samples == 0:
                raise _invalid("décodage impossible") from exc
    audio = collector.result()
    if audio.size == 0:
        raise _empty()
    return audio


def pcm_to_canonical(data: bytes, *, rate: int, channels: int, width: int) -> Int16Audio:
    """Convert raw little-endian PCM (width 1 = uint8, 2 = int16, 4 = float32; interleaved channels) into
    16 kHz mono int16. Channels are averaged; the rate is converted with FFmpeg's resampler."""
    if not MIN_PCM_RATE <= rate <= MAX_PCM_RATE:
        raise _bad_format(f"fréquence {rate} Hz hors de {MIN_PCM_RATE}–{MAX_PCM_RATE} Hz")
    if not 1 <= channels <= MAX_PCM_CHANNELS:
        raise _bad_format(f"{channels} canaux (1 à {MAX_PCM_CHANNELS} acceptés)")
    if width not in PCM_DTYPES:
        raise _bad_format(f"largeur d'échantillon {width} octets (1, 2 ou 4 acceptés)")
    if len(data) % (channels * width):
        raise _bad_format(f"{len(data)} octets : pas un multiple de {channels * width} (canaux × largeur)")
    if not data:
        raise _empty()
    raw = np.frombuffer(data, dtype=PCM_DTYPES[width]).reshape(-1, channels)
    if width == 2 and channels == 1 and rate == SAMPLE_RATE:
        return raw[:, 0].astype(np.int16)  # already canonical: no conversion, no rounding
    if width == 1:
        mono = (raw.astype(np.float32).mean(axis=1) - 128.0) / 128.0
    elif width == 2:
        mono = raw.astype(np.float32).mean(axis=1) / 32768.0
    else:
        mono = np.nan_to_num(raw.mean(axis=1, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    mono = np.clip(mono, -1.0, 1.0).astype(np.float32)
    if rate == SAMPLE_RATE:
        return _float_to_int16(mono)
    return _resample_float(mono, rate)


def _bad_format(detail: str) -> AudioError:
    return AudioError(f"Format PCM invalide : {detail}.", code="audio-format", status=400)


def _float_to_int16(samples: NDArray[np.float32]) -> Int16Audio:
    # The same scale as the int16 -> float conversion, so that int16 audio survives a round trip.
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def _resample_float(mono: NDArray[np.float32], rate: int) -> Int16Audio:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    frame.pts = 0
    chunks = [_plane(out) for out in (*resampler.resample(frame), *resampler.resample(None))]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def _plane(frame: av.AudioFrame) -> Int16Audio:
    # Packed s16 mono: one plane of shape (1, samples).
    return np.asarray(frame.to_ndarray(), dtype=np.int16).reshape(-1)


def encode_wav(samples: Int16Audio, rate: int = SAMPLE_RATE) -> bytes:
    """A mono 16-bit WAV file holding `samples`."""
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise AudioError("encode_wav attend un tableau int16 mono (1 dimension).", code="audio-format", status=400)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(SAMPLE_WIDTH_BYTES)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def to_float32(samples: Int16Audio) -> NDArray[np.float32]:
    """int16 samples scaled to float32 in [-1, 1), the input Whisper expects."""
    return (samples.astype(np.float32) / 32768.0).astype(np.float32)
