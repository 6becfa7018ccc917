"""The brain: prompt assembly and persona (later: fast-path intents, tool loop)."""
