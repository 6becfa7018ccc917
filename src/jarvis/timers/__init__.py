"""Timers and reminders owned by Jarvis: persisted, scheduled, announced to every session."""
