"""The encoder window chosen for a clip: short clips get the configured window, long ones Whisper's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from jarvis.stt.faster_whisper import FasterWhisperTranscriber


@pytest.mark.parametrize(
    ("window_seconds", "duration", "frames"),
    [
        (20.0, 2.5, 2000),  # a command: the configured window
        (12.0, 11.5, 1250),  # longer than the window: the clip and a 1 s margin
        (20.0, 29.2, None),  # the margin reaches 30 s: Whisper's full window
        (20.0, 95.0, None),  # read in 30 s windows by faster-whisper
        (30.0, 2.5, None),  # 30 restores Whisper's own window
    ],
)
def test_window_frames(window_seconds: float, duration: float, frames: int | None) -> None:
    engine = FasterWhisperTranscriber(Path("/nonexistent"), threads=1, window_seconds=window_seconds)
    assert engine._window_frames(duration) == frames
