"""Speech-to-text: the Transcriber interface, the hallucination filter and the faster-whisper backend."""
