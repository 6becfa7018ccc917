"""Audio at the edges: decoding uploads and raw PCM into the canonical 16 kHz mono int16, and WAV encoding."""
