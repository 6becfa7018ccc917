"""`jarvis talk` live: the microphone through sounddevice (PortAudio), local VAD endpointing (Silero), each
utterance sent as one spoken turn to the server, the answer played on the speakers."""

from __future__ import annotations

import io
import queue
import wave
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jarvis.audio.formats import SAMPLE_RATE, encode_wav
from jarvis.config import Settings
from jarvis.errors import JarvisError
from jarvis.i18n import t
from jarvis.pipeline.endpointing import Boundary, Endpointer
from jarvis.pipeline.listener import Listener

BLOCK_SAMPLES = 512  # 32 ms: Silero's frame


class NoAudioDeviceError(JarvisError):
    code = "no-audio-device"
    status = 503


def open_sound() -> Any:
    """The sounddevice module, once a microphone and a speaker are known to exist; NoAudioDeviceError otherwise."""
    try:
        import sounddevice  # type: ignore[import-untyped]
    except OSError as exc:  # the PortAudio library is not installed
        raise NoAudioDeviceError(t("no-audio-library", detail=exc)) from exc
    for kind, key in (("input", "no-microphone"), ("output", "no-speaker")):
        try:
            device = sounddevice.query_devices(kind=kind)
        except (sounddevice.PortAudioError, ValueError) as exc:
            raise NoAudioDeviceError(t(key, detail=exc)) from exc
        channels = device.get(f"max_{kind}_channels", 0) if isinstance(device, dict) else 0
        if channels < 1:
            raise NoAudioDeviceError(t(key, detail=f"{device.get('name', '?') if isinstance(device, dict) else '?'}"))
    return sounddevice


def live(
    settings: Settings,
    turn: Callable[[bytes], tuple[bytes, str, str] | None],
    show: Callable[[str, str], None],
    sound: Any,
) -> None:
    """Listen, and for each utterance: `turn(wav) -> (reply wav, transcript, reply)` (None: nothing was said),
    show it, play it.
    Runs until Ctrl+C. While the answer plays, the microphone is not listened to (no echo of Jarvis)."""
    from jarvis.vad.silero import SileroDetector

    vad = settings.vad
    endpointer = Endpointer(vad.min_speech_seconds, vad.silence_seconds, max_utterance_seconds=30.0)
    listener = Listener(SileroDetector(), endpointer, threshold=vad.threshold, pre_roll_seconds=vad.pre_roll_seconds)
    blocks: queue.Queue[NDArray[np.int16]] = queue.Queue()

    def captured(data: Any, frames: int, time: Any, status: Any) -> None:
        blocks.put(np.array(data[:, 0], dtype=np.int16))

    with sound.InputStream(
        samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=BLOCK_SAMPLES, callback=captured
    ):
        while True:
            for heard in listener.feed(blocks.get()):
                if heard.boundary is not Boundary.END or heard.audio is None:
                    continue
                result = turn(encode_wav(heard.audio, SAMPLE_RATE))
                if result is None:
                    continue
                answer, transcript, reply = result
                show(transcript, reply)
                samples, rate = read_wav(answer)
                sound.play(samples, rate)
                sound.wait()
                while not blocks.empty():  # drop what the microphone heard during the answer
                    blocks.get_nowait()
                listener.reset()


def read_wav(data: bytes) -> tuple[NDArray[np.int16], int]:
    """The server's reply: 16-bit mono WAV."""
    with wave.open(io.BytesIO(data)) as handle:
        rate = handle.getframerate()
        frames = handle.readframes(handle.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.int16), rate
