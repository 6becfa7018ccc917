"""Speech synthesis: one small interface, Kokoro (neural, French voice) and espeak-ng (fallback) behind it."""

from jarvis.tts.base import Speech, Synthesizer

__all__ = ["Speech", "Synthesizer"]
