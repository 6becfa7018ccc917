"""Hands-free listening behind a wake word: audio goes to the wake-word detector until it fires, then to the
listener (VAD and endpointing) for one utterance; after it, or after `listen_seconds` without speech, the gate
waits for the wake word again."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from jarvis.audio.formats import SAMPLE_RATE
from jarvis.pipeline.endpointing import Boundary
from jarvis.pipeline.listener import Heard, Listener

# The wake-word model scores 80 ms steps: audio after a detection within a frame goes on to the listener.
STEP_SAMPLES = 1280


class WakeDetector(Protocol):
    model: str
    threshold: float

    def feed(self, samples: NDArray[np.int16]) -> float:
        """The highest wake-word score in this audio."""
        ...

    def reset(self) -> None: ...


class WakeGate:
    def __init__(self, detector: WakeDetector, listener: Listener, *, listen_seconds: float = 8.0) -> None:
        self.detector = detector
        self.listener = listener
        self.listen_seconds = listen_seconds
        self.awake = False
        self._quiet_seconds = 0.0  # awake, but no speech yet

    def end_now(self) -> Heard | None:
        """End the utterance in progress now; the gate then waits for the wake word again."""
        heard = self.listener.end_now() if self.awake else None
        if heard is not None:
            self.awake = False
            self.detector.reset()
        return heard

    def end_after(self, silence_seconds: float) -> None:
        if self.awake:
            self.listener.end_after(silence_seconds)

    def feed(self, samples: NDArray[np.int16]) -> list[Heard]:
        heard: list[Heard] = []
        while len(samples):
            if not self.awake:
                step, samples = samples[:STEP_SAMPLES], samples[STEP_SAMPLES:]
                score = self.detector.feed(step)
                if score >= self.detector.threshold:
                    self.detector.reset()  # the same words must not fire twice
                    self.listener.reset()
                    self.awake, self._quiet_seconds = True, 0.0
                    heard.append(Heard(Boundary.WAKE, score=score))
                continue
            found = self.listener.feed(samples)
            heard += found
            if self.listener.endpointer.in_speech or any(h.boundary is Boundary.START for h in found):
                self._quiet_seconds = 0.0
            else:
                self._quiet_seconds += len(samples) / SAMPLE_RATE
            if any(h.boundary is Boundary.END for h in found) or self._quiet_seconds >= self.listen_seconds:
                self.awake = False
                self.detector.reset()
            samples = samples[:0]
        return heard
