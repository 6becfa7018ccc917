"""The speech-synthesis interface: text in, one finished utterance of int16 mono samples out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Speech:
    """Mono 16-bit audio at the engine's own rate; converting to the wire format is the egress's job."""

    samples: NDArray[np.int16]
    sample_rate: int

    @property
    def duration_seconds(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


class Synthesizer(Protocol):
    """A text-to-speech engine. Implementations load once and never block the event loop."""

    @property
    def name(self) -> str: ...

    @property
    def sample_rate(self) -> int: ...

    @property
    def ready(self) -> bool: ...

    async def load(self) -> None: ...

    def voices(self) -> list[str]: ...

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        """Speak `text` (normalised by the engine for its language); `voice` None means the engine's default."""
        ...

    async def close(self) -> None: ...


def float_to_int16(samples: NDArray[np.float32]) -> NDArray[np.int16]:
    """Float audio in [-1, 1] to int16, clipping what overshoots instead of wrapping around."""
    scaled = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0) * 32767.0
    out: NDArray[np.int16] = np.rint(scaled).astype(np.int16)
    return out


def onnx_session(model_path: Path, threads: int) -> Any:
    """An onnxruntime CPU session for a voice model. Its worker threads sleep instead of spinning between runs: on
    2 cores the LLM writes the reply while the voice speaks it, and spinning threads steal the cores the other
    engine needs (a first sentence took 3.3 times longer with spinning, measured while the LLM was generating)."""
    import onnxruntime  # type: ignore[import-untyped]

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
