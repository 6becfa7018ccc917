"""Wake word "Hey Jarvis" with pyopen-wakeword (openWakeWord's models through TensorFlow Lite, ~5 % of a core).

The hey_jarvis model ships inside the pyopen-wakeword wheel; openWakeWord's pre-trained models are licensed
CC BY-NC-SA 4.0 (non-commercial), unlike the code (Apache-2.0): see README.md."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from jarvis.errors import AudioError

# The feature model works on 80 ms of 16 kHz audio at a time.
CHUNK_SAMPLES = 1280


class WakeWordDetector:
    """Feed 16 kHz mono int16 audio of any length; `feed` returns the highest wake-word probability it saw."""

    def __init__(self, model: str = "hey_jarvis", *, threshold: float = 0.5) -> None:
        try:
            from pyopen_wakeword import Model, OpenWakeWord, OpenWakeWordFeatures
        except (ImportError, OSError) as exc:
            raise AudioError(
                f"pyopen-wakeword est indisponible ({exc}) : lancez « make install ».",
                code="wake-word-unavailable",
                status=503,
            ) from exc
        try:
            builtin = Model(model)
        except ValueError as exc:
            known = ", ".join(m.value for m in Model)
            raise AudioError(
                f"Mot d'éveil inconnu : {model} (connus : {known}).", code="wake-word-unavailable", status=503
            ) from exc
        self.model = model
        self.threshold = threshold
        self._features: Any = OpenWakeWordFeatures.from_builtin()
        self._detector: Any = OpenWakeWord.from_builtin(builtin)
        self._pending = np.zeros(0, dtype=np.int16)

    def feed(self, samples: NDArray[np.int16]) -> float:
        self._pending = np.concatenate([self._pending, samples.astype(np.int16)])
        usable = len(self._pending) // CHUNK_SAMPLES * CHUNK_SAMPLES
        if usable == 0:
            return 0.0
        chunk, self._pending = self._pending[:usable], self._pending[usable:]
        best = 0.0
        data = chunk.astype("<i2").tobytes()
        step = CHUNK_SAMPLES * 2
        for offset in range(0, len(data), step):  # the library keeps 10 s of audio: feed it 80 ms at a time
            for features in self._features.process_streaming(data[offset : offset + step]):
                for probability in self._detector.process_streaming(features):
                    best = max(best, float(probability))
        return best

    def detected(self, samples: NDArray[np.int16]) -> bool:
        return self.feed(samples) >= self.threshold

    def reset(self) -> None:
        """Forget the audio heard so far (after a detection, so the same words do not trigger twice)."""
        self._features.reset()
        self._detector.reset()
        self._pending = np.zeros(0, dtype=np.int16)

    def close(self) -> None:
        self._features.close()
        self._detector.close()
