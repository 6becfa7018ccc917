"""Shared fixtures: real servers started once per session where they can be shared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.home_assistant import HomeAssistant, wait_home_connected
from tests.servers import JarvisServer


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    """The real server with the real embedded model (auth limits relaxed: every test shares 127.0.0.1)."""
    jarvis = JarvisServer(
        tmp_path_factory.mktemp("jarvis-main"), extra_env={"JARVIS_AUTH__MAX_FAILURES": "1000"}
    ).start()
    yield jarvis
    jarvis.stop()


@pytest.fixture(scope="session")
def modelless_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    """A real server whose model file is missing: for auth, limits and 'model unavailable' paths."""
    data_dir: Path = tmp_path_factory.mktemp("jarvis-nomodel")
    jarvis = JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"),
            "JARVIS_AUTH__MAX_FAILURES": "3",
            "JARVIS_AUTH__FAILURE_WINDOW_SECONDS": "2",
            "JARVIS_SERVER__MAX_BODY_BYTES": "4096",
            "JARVIS_CHAT__MAX_MESSAGE_CHARS": "500",
        },
    ).start(wait_ready=False)
    yield jarvis
    jarvis.stop()


@pytest.fixture(scope="session")
def home_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HomeAssistant]:
    """A real Home Assistant Core with the French test house (tests/home_assistant_config), shared by all tests."""
    ha = HomeAssistant(tmp_path_factory.mktemp("home-assistant")).start()
    yield ha
    ha.remove()


@pytest.fixture(scope="session")
def home_server(tmp_path_factory: pytest.TempPathFactory, home_assistant: HomeAssistant) -> Iterator[JarvisServer]:
    """A real Jarvis connected to that Home Assistant. Its LLM model file is absent on purpose: what the fast path
    does not answer ends in a clear 'model unavailable' error, which also proves the LLM was asked."""
    data_dir: Path = tmp_path_factory.mktemp("jarvis-home")
    jarvis = JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"),
            "JARVIS_AUTH__MAX_FAILURES": "1000",
            "JARVIS_HOME_ASSISTANT__URL": home_assistant.url,
            "JARVIS_HOME_ASSISTANT__TOKEN": home_assistant.token,
            "JARVIS_HOME_ASSISTANT__VERIFY_TIMEOUT_SECONDS": "1.5",
            "JARVIS_HOME_ASSISTANT__TIMEOUT_SECONDS": "3",
            "JARVIS_HOME_ASSISTANT__RECONNECT_MAX_SECONDS": "2",
            # Finished timers also go to HA's persistent notifications (tests/home_assistant_config loads notify).
            "JARVIS_HOME_ASSISTANT__NOTIFY_SERVICE": "notify.persistent_notification",
            # The test house's alarm (tests/home_assistant_config) asks for this code to disarm.
            "JARVIS_HOME_ASSISTANT__ALARM_CODE": "1234",
        },
    ).start(wait_ready=False)
    wait_home_connected(jarvis)
    yield jarvis
    jarvis.stop()
