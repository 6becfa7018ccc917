"""Coded errors: each carries a stable code, an HTTP status and a user-facing message."""

from __future__ import annotations


class JarvisError(Exception):
    """Base of every error Jarvis reports to a user; `code` is stable and machine-readable."""

    code = "internal-error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class ConfigError(JarvisError):
    code = "invalid-settings"


class SetupError(JarvisError):
    code = "setup-failed"


class StoreError(JarvisError):
    code = "store-unavailable"
    status = 503


class NotFoundError(JarvisError):
    code = "not-found"
    status = 404


class InvalidInputError(JarvisError):
    code = "invalid-request"
    status = 422


class LlmError(JarvisError):
    code = "llm-failed"
    status = 502


class LlmUnavailableError(LlmError):
    code = "llm-unavailable"
    status = 503


class LlmBusyError(LlmError):
    """The generation queue is full; the client should retry after `retry_after_seconds`."""

    code = "llm-busy"
    status = 503

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class LlmTimeoutError(LlmUnavailableError):
    """A model too slow to answer is, for the user, an unavailable one (same code, HTTP 504)."""

    status = 504


class LlmPreemptedError(LlmError):
    """Background work gave the model to a user request; it may be tried again later."""

    code = "llm-preempted"
    status = 503


class CancelledRunError(JarvisError):
    code = "cancelled"
    status = 499


class AudioError(JarvisError):
    """Audio that cannot be used: empty, undecodable, too long, unsupported format."""

    code = "audio-invalid"
    status = 400


class SttError(JarvisError):
    code = "stt-failed"
    status = 502


class TtsError(JarvisError):
    code = "tts-failed"
    status = 502


class HomeError(JarvisError):
    """Home Assistant could not be reached, refused the token, or an action did not take effect."""

    code = "home-assistant-unavailable"
    status = 503
