"""The Home Assistant client against a real Home Assistant it cannot use: a refused token, a closed port."""

from __future__ import annotations

import asyncio
import time

import pytest

from jarvis.brain.fastpath import FastPath
from jarvis.config import HomeAssistantSettings
from jarvis.errors import HomeError
from jarvis.home.intents import HomeIntents
from jarvis.home.service import HomeService
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
