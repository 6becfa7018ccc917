"""The speech-to-text interface: one transcribe call on canonical audio, finished values back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    # Whisper's own confidence signals, kept for the hallucination filter and for debugging.
    no_speech_prob: float
    avg_logprob: float
    compression_ratio: float


@dataclass(frozen=True)
class Transcript:
    """What was heard. `no_speech` is True when nothing survived the filter (then `text` is "")."""

    text: str
    language: str
    segments: tuple[Segment, ...]
    duration_seconds: float
    no_speech: bool


class Transcriber(Protocol):
    """Turns 16 kHz mono int16 audio into text. Implementations never block the event loop."""

    name: str

    @property
    def ready(self) -> bool: ...

    async def load(self) -> None: ...

    async def transcribe(
        self, audio: NDArray[np.int16], *, language: str | None = None, hotwords: Sequence[str] = ()
    ) -> Transcript: ...

    async def close(self) -> None: ...
