"""The run controller: one code path for a turn, reported as pipeline events."""
