"""`jarvis talk` live on a microphone: on this machine (no sound device) a clear French message and exit code 4; the
listening loop itself, with a real recording played into it, against the real server."""

from __future__ import annotations

import threading
import wave
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import numpy as np
import pytest

from jarvis.client import ApiClient
from jarvis.config import Settings
from jarvis.mic import BLOCK_SAMPLES, live
from tests.servers import JarvisServer, jarvis_env, run_cli
from tests.speech import clip, wer

pytestmark = pytest.mark.slow
QUESTION = clip("fr/clip33.wav")  # « quel temps fait-il »


def test_talk_without_a_sound_device_says_so_in_french(tmp_path: Path) -> None:
    done = run_cli("talk", env=jarvis_env(tmp_path), timeout=120)
    assert done.returncode == 4, done.stderr
    message = " ".join(done.stderr.split())
    assert "Erreur" in message and ("Aucun micro" in message or "PortAudio" in message), message
    assert "jarvis talk --input question.wav --output reponse.wav" in message


def test_talk_needs_both_files_or_none(tmp_path: Path) -> None:
    done = run_cli("talk", "--input", str(QUESTION.path), env=jarvis_env(tmp_path), timeout=120)
    assert done.returncode == 2 and "--output" in done.stderr


class RecordingAsMicrophone:
    """Stands in for the sounddevice module on a machine without a sound card: the "microphone" plays a real
    recording (then silence) in 32 ms blocks, and the "speaker" keeps what it is asked to play; the user presses
    Ctrl+C once the answer has been played."""

    def __init__(self, samples: np.ndarray[Any, np.dtype[np.int16]]) -> None:
        self.samples = np.concatenate([np.zeros(8000, dtype=np.int16), samples, np.zeros(32000, dtype=np.int16)])
        self.played: list[tuple[np.ndarray[Any, np.dtype[np.int16]], int]] = []
        self.opened: dict[str, Any] = {}

    def InputStream(self, **options: Any) -> RecordingAsMicrophone:
        self.opened = options
        return self

    def __enter__(self) -> None:
        callback = self.opened["callback"]

        def run() -> None:
            for offset in range(0, len(self.samples), BLOCK_SAMPLES):
                block = self.samples[offset : offset + BLOCK_SAMPLES]
                callback(block.reshape(-1, 1), len(block), None, None)

        threading.Thread(target=run, daemon=True).start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    def play(self, samples: np.ndarray[Any, np.dtype[np.int16]], rate: int) -> None:
        self.played.append((samples, rate))

    def wait(self) -> None:
        raise KeyboardInterrupt


def test_the_live_loop_hears_a_question_and_plays_the_answer(server: JarvisServer) -> None:
    with wave.open(str(QUESTION.path)) as handle:
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.int16)
    sound = RecordingAsMicrophone(samples)
    client = ApiClient(server.url, server.token)
    shown: list[tuple[str, str]] = []

    def turn(wav: bytes) -> tuple[bytes, str, str]:
        response = client.voice_turn(wav, None)
        headers = response.headers
        return response.content, unquote(headers["x-jarvis-transcript"]), unquote(headers["x-jarvis-reply"])

    with pytest.raises(KeyboardInterrupt):
        live(Settings(), turn, lambda heard, reply: shown.append((heard, reply)), sound)
    assert sound.opened["samplerate"] == 16000 and sound.opened["channels"] == 1 and sound.opened["dtype"] == "int16"
    assert len(shown) == 1 and wer(QUESTION.transcript, shown[0][0]) <= 0.34, shown
    assert shown[0][1]
    ((answer, rate),) = sound.played
    assert rate in (22050, 24000) and len(answer) / rate > 0.5
    assert np.sqrt(np.mean((answer / 32768.0) ** 2)) > 0.01
