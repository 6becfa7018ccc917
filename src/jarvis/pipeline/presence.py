"""Does a recording hold speech? Checked on audio no live listener heard (uploads, push-to-talk, files), so that
silence and noise never reach Whisper, which invents words on them."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from jarvis.vad.base import SpeechDetector


def holds_speech(audio: NDArray[np.int16], detector: SpeechDetector, *, threshold: float) -> bool:
    """True at the first frame the detector calls speech. One frame is enough: a recording is deliberate, and a
    one-word command (« pause ») can have a single frame above the threshold. Silence, white, brown and mains noise
    stay far below it (Silero: at most 0.13 at 0.5). The live listener, which must not start on a cough, asks for
    `vad.min_speech_seconds` in a row instead."""
    size = detector.frame_samples
    detector.reset()
    return any(
        detector.probability(audio[start : start + size]) >= threshold
        for start in range(0, audio.size - size + 1, size)
    )
