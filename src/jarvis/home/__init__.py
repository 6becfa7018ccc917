"""Home Assistant: live entity cache, verified actions, fast-path intents."""
