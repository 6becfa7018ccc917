"""Endpointing: pure decisions on (seconds, is_speech) steps — when speech starts, when an utterance ends."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Boundary(Enum):
    START = "start"
    # The speaker paused long enough that the utterance may be over: work on it can start early (speculation).
    PAUSE = "pause"
    # Speech came back after a PAUSE: whatever was started early is out of date.
    RESUME = "resume"
    END = "end"
    # Not from the endpointer: the wake-word gate heard the wake word (listening starts).
    WAKE = "wake"


@dataclass
class Endpointer:
    """Speech starts after `min_speech_seconds` of speech in a row; the utterance ends after `silence_seconds` of
    silence, or when it reaches `max_utterance_seconds`. With `pause_seconds`, a PAUSE comes after that much
    silence (before END), and a RESUME if speech comes back. Feed it steps; it answers with a boundary or None."""

    min_speech_seconds: float = 0.15
    silence_seconds: float = 0.6
    max_utterance_seconds: float = 15.0
    pause_seconds: float | None = None
    in_speech: bool = False
    _paused: bool = False
    _speech_run: float = 0.0
    _silence_run: float = 0.0
    _utterance: float = 0.0
    _end_silence: float | None = None

    def end_after(self, silence_seconds: float) -> None:
        """The words before this pause sound finished: the pause ends the utterance once it lasts `silence_seconds`,
        when that comes before the usual `self.silence_seconds`. Speech coming back cancels this."""
        if self._paused:
            self._end_silence = silence_seconds

    def feed(self, seconds: float, is_speech: bool) -> Boundary | None:
        if not self.in_speech:
            self._speech_run = self._speech_run + seconds if is_speech else 0.0
            if self._speech_run >= self.min_speech_seconds:
                self.in_speech = True
                self._utterance = self._speech_run
                self._silence_run = 0.0
                return Boundary.START
            return None
        self._utterance += seconds
        self._silence_run = 0.0 if is_speech else self._silence_run + seconds
        if is_speech:
            self._end_silence = None
        needed = self.silence_seconds if self._end_silence is None else min(self.silence_seconds, self._end_silence)
        if self._silence_run >= needed or self._utterance >= self.max_utterance_seconds:
            self.reset()
            return Boundary.END
        if self._paused and is_speech:
            self._paused = False
            return Boundary.RESUME
        if not self._paused and self.pause_seconds is not None and self._silence_run >= self.pause_seconds:
            self._paused = True
            return Boundary.PAUSE
        return None

    def reset(self) -> None:
        self._paused = False
        self._end_silence = None
        self.in_speech = False
        self._speech_run = self._silence_run = self._utterance = 0.0
