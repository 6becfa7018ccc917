"""Turns a stream of 16 kHz audio into utterances: frames -> speech probability -> endpointing, with a short
pre-roll so the first syllable is not lost."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jarvis.audio.formats import SAMPLE_RATE
from jarvis.pipeline.endpointing import Boundary, Endpointer
from jarvis.vad.base import SpeechDetector


@dataclass(frozen=True)
class Heard:
    """A boundary found in the stream; an END carries the whole utterance, a PAUSE the utterance so far."""

    boundary: Boundary
    audio: NDArray[np.int16] | None = None
    score: float | None = None  # WAKE: the wake word's score


class Listener:
    def __init__(
        self,
        detector: SpeechDetector,
        endpointer: Endpointer,
        *,
        threshold: float = 0.5,
        pre_roll_seconds: float = 0.3,
    ) -> None:
        self.detector = detector
        self.endpointer = endpointer
        self.threshold = threshold
        self._pending = np.zeros(0, dtype=np.int16)
        # Frames before START hold the lead-in and the speech frames that triggered START (but the last one,
        # which goes straight into the utterance): keep room for both.
        per_second = SAMPLE_RATE / detector.frame_samples
        speech_frames = math.ceil(endpointer.min_speech_seconds * per_second)
        frames_kept = max(1, math.ceil(pre_roll_seconds * per_second) + speech_frames - 1)
        self._pre_roll: deque[NDArray[np.int16]] = deque(maxlen=frames_kept)
        self._utterance: list[NDArray[np.int16]] = []

    def reset(self) -> None:
        """Forget everything heard so far (listening starts afresh, e.g. after the wake word)."""
        self._pending = np.zeros(0, dtype=np.int16)
        self._pre_roll.clear()
        self._utterance = []
        self.endpointer.reset()
        self.detector.reset()

    def end_now(self) -> Heard | None:
        """End the utterance in progress without waiting for the rest of the silence (None: no speech going on)."""
        if not self.endpointer.in_speech or not self._utterance:
            return None
        heard = Heard(Boundary.END, np.concatenate(self._utterance))
        self._utterance = []
        self.endpointer.reset()
        self.detector.reset()
        return heard

    def end_after(self, silence_seconds: float) -> None:
        """The words so far sound finished: the pause in progress ends the utterance after `silence_seconds`."""
        self.endpointer.end_after(silence_seconds)

    def feed(self, samples: NDArray[np.int16]) -> list[Heard]:
        """Add audio of any length; return the boundaries it completes."""
        self._pending = np.concatenate([self._pending, samples])
        size = self.detector.frame_samples
        heard: list[Heard] = []
        while len(self._pending) >= size:
            frame, self._pending = self._pending[:size], self._pending[size:]
            is_speech = self.detector.probability(frame) >= self.threshold
            boundary = self.endpointer.feed(size / SAMPLE_RATE, is_speech)
            if self.endpointer.in_speech or boundary is Boundary.END:
                self._utterance.append(frame)
            else:
                self._pre_roll.append(frame)
            if boundary is Boundary.START:
                self._utterance[:0] = list(self._pre_roll)
                self._pre_roll.clear()
                heard.append(Heard(Boundary.START))
            elif boundary is Boundary.PAUSE:
                heard.append(Heard(Boundary.PAUSE, np.concatenate(self._utterance)))
            elif boundary is Boundary.RESUME:
                heard.append(Heard(Boundary.RESUME))
            elif boundary is Boundary.END:
                heard.append(Heard(Boundary.END, np.concatenate(self._utterance)))
                self._utterance = []
                self.detector.reset()
        return heard
