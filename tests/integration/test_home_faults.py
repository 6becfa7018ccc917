"""The Home Assistant client against a real Home Assistant it cannot use: a refused token, a token revoked
mid-session, a closed port, a notify service that fails (the timer goes on)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from jarvis.brain.fastpath import FastPath
from jarvis.config import HomeAssistantSettings
from jarvis.errors import HomeError
from jarvis.home.intents import HomeIntents
from jarvis.home.service import HomeService
from jarvis.pipeline.announce import SessionHub
from jarvis.store.db import Database
from jarvis.store.timers import TimerRepository
from jarvis.timers.service import TimerService
from tests.home_assistant import HomeAssistant
from tests.servers import free_port

pytestmark = pytest.mark.slow


async def started(url: str, token: str, status: str) -> tuple[HomeService, FastPath]:
    home = HomeService(HomeAssistantSettings(url=url, token=token, timeout_seconds=2, reconnect_max_seconds=1))
    fast_path = FastPath()
    HomeIntents(home, fast_path).register()
    home.start()
    assert home.client is not None
    async with asyncio.timeout(15):
        while home.client.status != status:
            await asyncio.sleep(0.05)
    return home, fast_path


async def test_refused_token_is_said_plainly(home_assistant: HomeAssistant) -> None:
    home, fast_path = await started(home_assistant.url, "not-a-valid-token", "unauthorized")
    try:
        began = time.monotonic()
        with pytest.raises(HomeError, match="refuse mon jeton"):
            await fast_path.handle("allume la lumière du salon", "c1")
        assert time.monotonic() - began < 2
        assert home.describe() == []
        # What is not a home command still goes to the LLM.
        assert await fast_path.handle("quelle est la capitale de la France", "c1") is None
    finally:
        await home.close()


async def test_unreachable_home_assistant_is_said_plainly() -> None:
    home, fast_path = await started(f"http://127.0.0.1:{free_port()}", "token", "unreachable")
    try:
        with pytest.raises(HomeError, match="Je n'arrive pas à joindre Home Assistant"):
            await fast_path.handle("éteins la lumière de la cuisine", "c1")
        assert home.client is not None
        ready, detail = await home.client.ping()
        assert not ready and "joindre" in detail
    finally:
        await home.close()


async def test_token_revoked_mid_session_is_said_plainly(home_assistant: HomeAssistant) -> None:
    name = f"jarvis-revoked-{uuid.uuid4().hex[:8]}"
    token = await home_assistant.ws_call_async(
        {"type": "auth/long_lived_access_token", "client_name": name, "lifespan": 1}
    )
    home, fast_path = await started(home_assistant.url, token, "connected")
    try:
        tokens = await home_assistant.ws_call_async({"type": "auth/refresh_tokens"})
        (revoked,) = [entry["id"] for entry in tokens if entry.get("client_name") == name]
        await home_assistant.ws_call_async({"type": "auth/delete_refresh_token", "refresh_token_id": revoked})
        assert home.client is not None
        # The REST API answers 401 at once: a clear error, not a crash.
        with pytest.raises(HomeError, match="refuse mon jeton"):
            await home.client.call_service("light", "turn_on", {"entity_id": "light.salon"})
        # HA drops the event stream; reconnecting, Jarvis learns the token is refused and says so.
        async with asyncio.timeout(15):
            while home.client.status != "unauthorized":
                await asyncio.sleep(0.05)
        began = time.monotonic()
        with pytest.raises(HomeError, match="refuse mon jeton"):
            await fast_path.handle("allume la lumière du salon", "c1")
        assert time.monotonic() - began < 2
    finally:
        await home.close()


async def finished_despite_notify(home: HomeService, tmp_path: Path, label: str) -> list[dict[str, object]]:
    """Run a short timer whose finish goes to `home`'s notify service; returns the logs of the notification."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / f'{label}.db'}")
    await db.migrate()
    timers = TimerService(TimerRepository(db), now=lambda: datetime.now(UTC).astimezone(), min_seconds=0.1)
    timers.announcer = SessionHub()
    timers.notifier = home
    try:
        with capture_logs() as logs:
            timer = await timers.start(0.2, label)
            async with asyncio.timeout(15):
                while not [e for e in logs if str(e["event"]).startswith("home-notif")]:
                    await asyncio.sleep(0.05)
        statuses = {t.id: t.status for t in await timers.recent()}
        assert statuses[timer.id] == "finished"
        # The service goes on: another timer starts and is listed.
        again = await timers.start(60, "suivant")
        assert [t.id for t in await timers.list()] == [again.id]
    finally:
        await timers.close()
        await db.close()
    return [e for e in logs if str(e["event"]).startswith("home-notif")]


async def test_a_failing_notify_service_is_logged_and_the_timer_goes_on(
    home_assistant: HomeAssistant, tmp_path: Path
) -> None:
    unknown = HomeService(
        HomeAssistantSettings(url=home_assistant.url, token=home_assistant.token, notify_service="notify.absent")
    )
    down = HomeService(
        HomeAssistantSettings(
            url=f"http://127.0.0.1:{free_port()}", token="t", notify_service="persistent_notification"
        )
    )
    working = HomeService(
        HomeAssistantSettings(
            url=home_assistant.url, token=home_assistant.token, notify_service="notify.persistent_notification"
        )
    )
    try:
        for home, label in ((unknown, "unknown"), (down, "down")):
            logs = await finished_despite_notify(home, tmp_path, label)
            assert [e["event"] for e in logs] == ["home-notify-failed"], logs
            assert logs[0]["log_level"] == "warning" and logs[0]["service"] in (
                "notify.absent",
                "notify.persistent_notification",
            )
        logs = await finished_despite_notify(working, tmp_path, "working")
        assert [e["event"] for e in logs] == ["home-notified"], logs
        notifications = await home_assistant.ws_call_async({"type": "persistent_notification/get"})
        assert any(n["message"] == "Le minuteur working est terminé." for n in notifications)
    finally:
        for home in (unknown, down, working):
            await home.close()
