"""Sign-in links and browser sessions in a real SQLite database file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from jarvis.store.db import Database
from jarvis.store.web_sessions import WebSessionRepository

HOUR = timedelta(hours=1)


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[WebSessionRepository]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'jarvis.db'}")
    await db.migrate()
    yield WebSessionRepository(db)
    await db.close()


async def test_a_link_opens_one_session_once(repo: WebSessionRepository) -> None:
    link = await repo.create_link(HOUR)
    opened = await repo.redeem(link, HOUR, "Firefox")
    assert opened is not None and opened.secret.startswith("jvs_")
    assert opened.session.user_agent == "Firefox"
    assert await repo.redeem(link, HOUR) is None
    found = await repo.verify(opened.secret)
    assert found is not None and found.csrf_token == opened.session.csrf_token
    assert await repo.verify(link) is None  # the link's secret is not a session


async def test_concurrent_redemptions_of_one_link_give_one_session(repo: WebSessionRepository) -> None:
    link = await repo.create_link(HOUR)
    results = await asyncio.gather(*(repo.redeem(link, HOUR) for _ in range(5)))
    assert sum(r is not None for r in results) == 1


async def test_expired_links_and_sessions_are_refused(repo: WebSessionRepository) -> None:
    stale_link = await repo.create_link(timedelta(seconds=-1))
    assert await repo.redeem(stale_link, HOUR) is None
    opened = await repo.redeem(await repo.create_link(HOUR), timedelta(seconds=-1))
    assert opened is not None
    assert await repo.verify(opened.secret) is None


async def test_sign_out_deletes_the_session(repo: WebSessionRepository) -> None:
    opened = await repo.redeem(await repo.create_link(HOUR), HOUR)
    assert opened is not None
    assert await repo.close(opened.secret) is True
    assert await repo.verify(opened.secret) is None
    assert await repo.close(opened.secret) is False
