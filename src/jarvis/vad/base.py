"""The speech-detector interface: one probability per fixed-size frame of 16 kHz mono audio."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class SpeechDetector(Protocol):
    frame_samples: int

    def probability(self, frame: NDArray[np.int16]) -> float:
        """Speech probability of one frame of exactly `frame_samples` samples."""
        ...

    def reset(self) -> None: ...
