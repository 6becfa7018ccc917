"""The web app's status area against a real Home Assistant Core: connected with its entity count, then unreachable
and back, as the page polls it; in Debian's chromium driven by Playwright. A module of its own: Home Assistant's first
start must happen before Playwright holds the thread's event loop."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_web_app import TAIL_SILENCE, launch, shot, signed_in_page
from tests.home_assistant import HomeAssistant, wait_home_connected
from tests.servers import JarvisServer
from tests.web import signin_link

pytestmark = pytest.mark.slow
__all__ = ["launch"]  # the browser fixture, shared with the main web app tests


def test_home_assistant_status_live(
    home_server: JarvisServer, home_assistant: HomeAssistant, launch: Callable[..., tuple[Browser, float]]
) -> None:
    """The status area shows Home Assistant connected with its entity count, follows it going away and coming
    back (polled every 5 s), on a desktop and a phone-sized screen."""
    entities = len(wait_home_connected(home_server)["entities"])
    browser, _ = launch(TAIL_SILENCE)
    problems: list[str] = []
    context, page = signed_in_page(home_server, browser, problems)
    page.goto(signin_link(home_server))
    home = page.locator(".home-status")
    expect(home).to_have_attribute("data-state", "connected", timeout=15_000)
    label = f"Maison : connectée ({entities} entités)"
    expect(home.locator("summary")).to_have_attribute("aria-label", label)
    expect(home.locator(".status-label")).to_have_text(label)
    # This server's model file is absent on purpose: the engines show as failed, not as loading for ever.
    engines = page.locator(".status-failed")
    expect(engines.locator("summary")).to_have_attribute("aria-label", "État : En panne", timeout=15_000)
    home.locator("summary").focus()
    page.keyboard.press("Enter")  # the details open by keyboard
    expect(home.get_by_text("Home Assistant version", exact=False)).to_be_visible()
    shot(page, "22-home-connected")
    page.keyboard.press("Enter")

    home_assistant.stop()
    try:
        expect(home).to_have_attribute("data-state", "unreachable", timeout=20_000)
        expect(home.locator("summary")).to_have_attribute("aria-label", "Maison : injoignable")
        page.set_viewport_size({"width": 390, "height": 844})
        home.locator("summary").click()
        expect(home.get_by_text("Je n'arrive pas à joindre Home Assistant", exact=False)).to_be_visible()
        expect(home.locator(".status-list")).to_be_in_viewport(ratio=1)  # all of it on the phone's screen
        shot(page, "23-home-unreachable-phone")
        home.locator("summary").click()
    finally:
        home_assistant.start()
    wait_home_connected(home_server)
    expect(home).to_have_attribute("data-state", "connected", timeout=20_000)
    page.set_viewport_size({"width": 1280, "height": 800})
    # The server's own answer agrees with the page.
    status = httpx.get(f"{home_server.url}/api/home/status", headers=home_server.headers, timeout=10).json()
    assert status["entities"] == entities, status
    assert problems == [], problems
    context.close()
