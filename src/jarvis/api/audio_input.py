"""The audio a WebSocket client streams: its declared PCM format, and either server-side endpointing (VAD mode)
or a buffer released by `audio-end` (push-to-talk)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from jarvis.audio.formats import MAX_PCM_CHANNELS, MAX_PCM_RATE, MIN_PCM_RATE, PCM_DTYPES, SAMPLE_RATE, pcm_to_canonical
from jarvis.config import VadSettings, WakeWordSettings
from jarvis.errors import AudioError
from jarvis.pipeline.endpointing import Endpointer
from jarvis.pipeline.listener import Heard, Listener
from jarvis.pipeline.wake import WakeGate
from jarvis.vad.silero import SileroDetector

MIN_SPEED, MAX_SPEED = 0.5, 2.0


def speech_speed(frame: dict[str, Any]) -> float | None:
    """The optional `speed` of a chat or audio-start frame (0.5–2.0); anything else means the server's setting."""
    speed = frame.get("speed")
    if isinstance(speed, int | float) and not isinstance(speed, bool) and MIN_SPEED <= speed <= MAX_SPEED:
        return float(speed)
    return None


@dataclass
class AudioInput:
    rate: int
    channels: int
    width: int
    mode: Literal["vad", "push-to-talk"]
    max_seconds: float
    conversation_id: str | None = None
    speak: bool = True
    voice: str | None = None
    speed: float | None = None
    listener: Listener | None = None
    wake: WakeGate | None = None  # hands-free behind the wake word
    _buffer: list[NDArray[np.int16]] = field(default_factory=list)
    _buffered: int = 0
    _overflowed: bool = False  # the recording passed the limit: drop it whole at audio-end

    @classmethod
    def from_frame(
        cls,
        frame: dict[str, Any],
        max_seconds: float,
        vad: VadSettings | None = None,
        wake_word: WakeWordSettings | None = None,
    ) -> AudioInput:
        rate, channels, width = frame.get("rate", SAMPLE_RATE), frame.get("channels", 1), frame.get("width", 2)
        mode = frame.get("mode", "vad")
        conversation_id = frame.get("conversation_id")
        wake_word = wake_word or WakeWordSettings()
        wake = frame.get("wake_word", wake_word.enabled if mode == "vad" else False)
        valid = (
            type(rate) is int  # not bool, not float
            and MIN_PCM_RATE <= rate <= MAX_PCM_RATE
            and type(channels) is int
            and 1 <= channels <= MAX_PCM_CHANNELS
            and type(width) is int
            and width in PCM_DTYPES
            and mode in ("vad", "push-to-talk")
            and (conversation_id is None or isinstance(conversation_id, str))
            and isinstance(wake, bool)
            and not (wake and mode != "vad")
        )
        if not valid:
            raise AudioError(
                "audio-start invalide : rate 8000–192000, channels 1–8, width 1, 2 ou 4 (octets), "
                "mode « vad » ou « push-to-talk », wake_word booléen (seulement en mode « vad »).",
                code="audio-format",
            )
        vad = vad or VadSettings()
        listener = None
        if mode == "vad":
            endpointer = Endpointer(
                vad.min_speech_seconds,
                vad.silence_seconds,
                max_utterance_seconds=max_seconds,
                pause_seconds=vad.early_stt_after_seconds,
            )
            listener = Listener(
                SileroDetector(), endpointer, threshold=vad.threshold, pre_roll_seconds=vad.pre_roll_seconds
            )
        gate = None
        if listener is not None and wake:
            from jarvis.vad.wakeword import WakeWordDetector

            detector = WakeWordDetector(wake_word.model, threshold=wake_word.threshold)
            gate = WakeGate(detector, listener, listen_seconds=wake_word.listen_seconds)
        return cls(
            rate,
            channels,
            width,
            mode,
            max_seconds,
            conversation_id=conversation_id,
            speak=frame.get("speak", True) is not False,
            voice=frame.get("voice") if isinstance(frame.get("voice"), str) else None,
            speed=speech_speed(frame),
            listener=listener,
            wake=gate,
        )

    def feed(self, data: bytes) -> list[Heard]:
        """Convert a binary frame to 16 kHz mono; in VAD mode return the speech boundaries it completes."""
        samples = pcm_to_canonical(data, rate=self.rate, channels=self.channels, width=self.width)
        if self.wake is not None:
            return self.wake.feed(samples)
        if self.listener is not None:
            return self.listener.feed(samples)
        if self._overflowed:
            return []
        if (self._buffered + len(samples)) / SAMPLE_RATE > self.max_seconds:
            self._buffer, self._buffered, self._overflowed = [], 0, True
            raise AudioError(
                f"Enregistrement trop long (plus de {self.max_seconds:.0f} s) : il est abandonné.",
                code="audio-too-long",
                status=413,
            )
        self._buffer.append(samples)
        self._buffered += len(samples)
        return []

    @property
    def in_speech(self) -> bool:
        """The user is saying something now (an utterance has started and not ended; push-to-talk: recording)."""
        if self.wake is not None:
            return self.wake.awake and self.wake.listener.endpointer.in_speech
        if self.listener is not None:
            return self.listener.endpointer.in_speech
        return self._buffered > 0

    def end_now(self) -> Heard | None:
        """VAD mode: end the utterance in progress without waiting for the rest of the silence."""
        if self.wake is not None:
            return self.wake.end_now()
        return self.listener.end_now() if self.listener is not None else None

    def end_after(self, silence_seconds: float) -> None:
        """VAD mode: the pause in progress ends the utterance after `silence_seconds` of silence."""
        if self.wake is not None:
            self.wake.end_after(silence_seconds)
        elif self.listener is not None:
            self.listener.end_after(silence_seconds)

    def take(self) -> NDArray[np.int16] | None:
        """The push-to-talk utterance (None when nothing was recorded)."""
        buffer, self._buffer, self._buffered, self._overflowed = self._buffer, [], 0, False
        return np.concatenate(buffer) if buffer else None
