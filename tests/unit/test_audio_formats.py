"""Audio ingress: decoding containers from memory, raw PCM conversion, WAV encoding, coded errors."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from jarvis.audio.formats import SAMPLE_RATE, decode_audio, encode_wav, pcm_to_canonical, to_float32
from jarvis.errors import AudioError


def sine(frequency_hz: float, seconds: float, rate: int = SAMPLE_RATE, amplitude: float = 0.3) -> NDArray[np.float32]:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)


def as_int16(samples: NDArray[np.float32]) -> NDArray[np.int16]:
    return np.round(samples * 32767).astype(np.int16)


def peak_frequency_hz(samples: NDArray[np.int16], rate: int = SAMPLE_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.argmax(spectrum) * rate / samples.size)


def encode_with_pyav(samples: NDArray[np.int16], *, container: str, codec: str, rate: int) -> bytes:
    """Encode mono int16 16 kHz samples with FFmpeg's own encoder (as a browser or phone would send them)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = 0
        resampler = av.AudioResampler(format=stream.format, layout="mono", rate=rate)
        for piece in (*resampler.resample(frame), *resampler.resample(None)):
            for packet in stream.encode(piece):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


def test_wav_round_trip_is_exact() -> None:
    samples = as_int16(sine(440, 1.5))
    decoded = decode_audio(encode_wav(samples, SAMPLE_RATE), max_seconds=5)
    assert decoded.dtype == np.int16
    assert np.array_equal(decoded, samples)


def test_wav_at_another_rate_is_resampled_once() -> None:
    samples = as_int16(sine(1000, 1.0, rate=44100))
    decoded = decode_audio(encode_wav(samples, 44100), max_seconds=5)
    assert abs(decoded.size - SAMPLE_RATE) <= 16
    assert peak_frequency_hz(decoded) == pytest.approx(1000, abs=2)


@pytest.mark.parametrize(
    ("container", "codec", "rate"),
    [("flac", "flac", 16000), ("ogg", "libopus", 48000), ("webm", "libopus", 48000), ("mp3", "libmp3lame", 16000)],
)
def test_compressed_containers_decode(container: str, codec: str, rate: int) -> None:
    samples = as_int16(sine(600, 2.0))
    decoded = decode_audio(encode_with_pyav(samples, container=container, codec=codec, rate=rate), max_seconds=5)
    assert abs(decoded.size - samples.size) <= 0.02 * SAMPLE_RATE
    assert peak_frequency_hz(decoded) == pytest.approx(600, abs=2)
    if codec == "flac":  # lossless
        assert np.array_equal(decoded, samples)
    else:
        assert np.abs(decoded.astype(np.int32)).max() == pytest.approx(0.3 * 32767, rel=0.15)


def test_48k_stereo_float_pcm_becomes_16k_mono() -> None:
    left = sine(1000, 1.0, rate=48000)
    stereo = np.stack([left, left], axis=1)
    out = pcm_to_canonical(stereo.astype("<f4").tobytes(), rate=48000, channels=2, width=4)
    assert out.dtype == np.int16
    assert abs(out.size - SAMPLE_RATE) <= 16
    assert peak_frequency_hz(out) == pytest.approx(1000, abs=2)
    assert np.abs(out.astype(np.int32)).max() == pytest.approx(0.3 * 32767, rel=0.05)


def test_stereo_channels_are_averaged() -> None:
    left = as_int16(np.full(1600, 0.5, dtype=np.float32))
    right = np.zeros(1600, dtype=np.int16)
    data = np.stack([left, right], axis=1).astype("<i2").tobytes()
    out = pcm_to_canonical(data, rate=SAMPLE_RATE, channels=2, width=2)
    assert out.size == 1600
    assert np.all(np.abs(out.astype(np.int32) - 8192) <= 1)


def test_uint8_pcm_is_centred() -> None:
    data = np.full(800, 128, dtype=np.uint8).tobytes()
    out = pcm_to_canonical(data, rate=8000, channels=1, width=1)
    assert abs(out.size - 1600) <= 8
    assert np.abs(out).max() == 0


def test_to_float32_scales_to_unit_range() -> None:
    out = to_float32(np.array([-32768, 0, 16384], dtype=np.int16))
    assert out.dtype == np.float32
    assert out.tolist() == [-1.0, 0.0, 0.5]


def test_encode_wav_rejects_non_int16() -> None:
    with pytest.raises(AudioError) as caught:
        encode_wav(np.zeros(10, dtype=np.float32), SAMPLE_RATE)
    assert caught.value.code == "audio-format"


def wav_bytes(seconds: float) -> bytes:
    return encode_wav(as_int16(sine(300, seconds)), SAMPLE_RATE)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "audio-empty"),
        (encode_wav(np.zeros(0, dtype=np.int16), SAMPLE_RATE), "audio-empty"),
        (np.random.default_rng(7).bytes(20000), "audio-invalid"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio-invalid"),  # header cut in the middle
        (b"This is not audio at all, just text.\n" * 50, "audio-invalid"),
    ],
    ids=["no-bytes", "no-samples", "random-bytes", "truncated-header", "text"],
)
def test_unusable_audio_has_a_code(data: bytes, code: str) -> None:
    with pytest.raises(AudioError) as caught:
        decode_audio(data, max_seconds=5)
    assert caught.value.code == code
    assert caught.value.status == 400
    if code == "audio-invalid":
        assert "WAV" in caught.value.message and "Opus" in caught.value.message


def test_truncated_body_keeps_what_decoded() -> None:
    data = wav_bytes(2.0)
    decoded = decode_audio(data[: len(data) // 2], max_seconds=5)
    assert 0.9 * SAMPLE_RATE <= decoded.size <= 1.0 * SAMPLE_RATE


def test_too_long_audio_is_refused() -> None:
    with pytest.raises(AudioError) as caught:
        decode_audio(wav_bytes(3.0), max_seconds=1)
    assert caught.value.code == "audio-too-long"
    assert caught.value.status == 413


def test_audio_at_the_limit_is_accepted() -> None:
    assert decode_audio(wav_bytes(1.0), max_seconds=1).size == SAMPLE_RATE


@pytest.mark.parametrize(
    ("size", "rate", "channels", "width"),
    [
        (4, 7999, 1, 2),
        (4, 192001, 1, 2),
        (4, 16000, 0, 2),
        (18, 16000, 9, 2),
        (6, 16000, 1, 3),
        (5, 16000, 1, 2),
        (6, 16000, 2, 2),
    ],
    ids=["rate-low", "rate-high", "no-channel", "nine-channels", "width-3", "odd-int16", "partial-frame"],
)
def test_bad_pcm_arguments(size: int, rate: int, channels: int, width: int) -> None:
    with pytest.raises(AudioError) as caught:
        pcm_to_canonical(bytes(size), rate=rate, channels=channels, width=width)
    assert caught.value.code == "audio-format"
    assert caught.value.status == 400


def test_empty_pcm_is_empty() -> None:
    with pytest.raises(AudioError) as caught:
        pcm_to_canonical(b"", rate=16000, channels=1, width=2)
    assert caught.value.code == "audio-empty"
