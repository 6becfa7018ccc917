"""FailureLimiter (sliding window of failed authentications per client) and bearer_token header parsing."""

from __future__ import annotations

from typing import Any

import pytest

from jarvis.api.auth import FailureLimiter, bearer_token


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.times = [start]

    def __call__(self) -> float:
        return self.times[-1]

    def advance(self, seconds: float) -> None:
        self.times.append(self.times[-1] + seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> FailureLimiter:
    return FailureLimiter(max_failures=3, window_seconds=60.0, clock=clock)


def test_unknown_client_is_not_blocked(limiter: FailureLimiter) -> None:
    assert limiter.retry_after("10.0.0.1") is None


def test_not_blocked_below_max_failures(limiter: FailureLimiter, clock: FakeClock) -> None:
    for _ in range(2):
        limiter.fail("10.0.0.1")
        clock.advance(1)
        assert limiter.retry_after("10.0.0.1") is None


def test_blocked_at_max_failures(limiter: FailureLimiter) -> None:
    for _ in range(3):
        limiter.fail("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 60


def test_retry_after_counts_down(limiter: FailureLimiter, clock: FakeClock) -> None:
    for _ in range(3):
        limiter.fail("10.0.0.1")
    clock.advance(10)
    assert limiter.retry_after("10.0.0.1") == 50
    clock.advance(40)
    assert limiter.retry_after("10.0.0.1") == 10
    clock.advance(9.5)
    assert limiter.retry_after("10.0.0.1") == 1  # rounded up, never 0


def test_retry_after_is_based_on_the_oldest_failure(limiter: FailureLimiter, clock: FakeClock) -> None:
    limiter.fail("c")
    clock.advance(20)
    limiter.fail("c")
    clock.advance(20)
    limiter.fail("c")
    # The oldest failure (40 s ago) leaves the window in 20 s, which drops the count below the max.
    assert limiter.retry_after("c") == 20
    clock.advance(20)
    assert limiter.retry_after("c") is None


def test_unblocked_after_the_window(limiter: FailureLimiter, clock: FakeClock) -> None:
    for _ in range(3):
        limiter.fail("10.0.0.1")
    clock.advance(59)
    assert limiter.retry_after("10.0.0.1") is not None
    clock.advance(1)
    assert limiter.retry_after("10.0.0.1") is None
    # Old failures are forgotten: one more failure does not block again.
    limiter.fail("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") is None


def test_clients_are_independent(limiter: FailureLimiter) -> None:
    for _ in range(3):
        limiter.fail("attacker")
    limiter.fail("neighbour")
    assert limiter.retry_after("attacker") == 60
    assert limiter.retry_after("neighbour") is None
    assert limiter.retry_after("someone-else") is None


def test_expired_clients_are_forgotten(limiter: FailureLimiter, clock: FakeClock) -> None:
    limiter.fail("a")
    clock.advance(61)
    assert limiter.retry_after("a") is None
    assert "a" not in limiter._failures  # no memory kept for clients without recent failures


def test_max_failures_of_one(clock: FakeClock) -> None:
    limiter = FailureLimiter(max_failures=1, window_seconds=5.0, clock=clock)
    limiter.fail("x")
    assert limiter.retry_after("x") == 5


# --- bearer_token ---------------------------------------------------------------------------------------------


def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"type": "http", "path": "/api/chat", "headers": list(headers)}


def test_bearer_token_missing_header() -> None:
    assert bearer_token(scope()) is None
    assert bearer_token(scope((b"content-type", b"application/json"))) is None
    assert bearer_token({"type": "http"}) is None  # no headers key at all


def test_bearer_token_valid() -> None:
    assert bearer_token(scope((b"authorization", b"Bearer s3cret"))) == "s3cret"


def test_bearer_token_wrong_scheme() -> None:
    assert bearer_token(scope((b"authorization", b"Basic dXNlcjpwYXNz"))) is None
    assert bearer_token(scope((b"authorization", b"Token s3cret"))) is None


def test_bearer_token_without_a_token() -> None:
    assert bearer_token(scope((b"authorization", b"Bearer"))) is None
    assert bearer_token(scope((b"authorization", b"Bearer    "))) is None


def test_bearer_token_extra_spaces_are_stripped() -> None:
    assert bearer_token(scope((b"authorization", b"Bearer  tok "))) == "tok"


def test_bearer_token_scheme_is_case_insensitive() -> None:
    assert bearer_token(scope((b"authorization", b"bearer tok"))) == "tok"
    assert bearer_token(scope((b"authorization", b"BEARER tok"))) == "tok"


def test_bearer_token_among_other_headers() -> None:
    headers = ((b"host", b"localhost"), (b"authorization", b"Bearer abc.def"), (b"accept", b"*/*"))
    assert bearer_token(scope(*headers)) == "abc.def"


def test_retry_after_with_more_failures_than_the_max(limiter: FailureLimiter, clock: FakeClock) -> None:
    # Concurrent requests can all fail past the check: the block lasts until the count drops below the max.
    for _ in range(5):
        limiter.fail("c")
        clock.advance(1)
    assert limiter.retry_after("c") == 57  # failures at t=0..4; the 3rd newest (t=2) leaves at t=62; now t=5
    clock.advance(56)
    assert limiter.retry_after("c") == 1
    clock.advance(1)
    assert limiter.retry_after("c") is None
