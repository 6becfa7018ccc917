"""A real Home Assistant Core for the tests: installed once by scripts/install-home-assistant.sh into a cache, started
on a free port with the French house of tests/home_assistant_config, onboarded, and given a long-lived token."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.servers import ARTIFACTS, ROOT, free_port, wait_http

CONFIG_TEMPLATE = Path(__file__).parent / "home_assistant_config" / "configuration.yaml"
CLIENT_ID = "http://127.0.0.1/"
# Areas of the test house and the entities in each.
AREAS: dict[str, list[str]] = {
    "Salon": [
        "light.salon",
        "sensor.temperature_du_salon",
        "sensor.humidite_du_salon",
        "climate.thermostat_du_salon",
        "switch.radiateur",
    ],
    "Cuisine": ["light.cuisine", "switch.cafetiere"],
    "Chambre": ["light.chambre", "sensor.temperature_de_la_chambre"],
    "Entrée": ["lock.porte_d_entree"],
}


def home_assistant_python() -> Path:
    """The venv python of the cached Home Assistant install (installed on first use; idempotent)."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-home-assistant.sh")], capture_output=True, text=True, timeout=1200
    )
    if done.returncode != 0:
        raise RuntimeError(f"Home Assistant install failed:\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


@dataclass
class HomeAssistant:
    """One Home Assistant process with its own configuration directory (kept across stop/start)."""

    config_dir: Path
    port: int = field(default_factory=free_port)
    token: str = ""
    process: subprocess.Popen[bytes] | None = None
    python: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/websocket"

    def start(self) -> HomeAssistant:
        first = not (self.config_dir / "configuration.yaml").exists()
        if first:
            self.python = self.python or home_assistant_python()
            self.config_dir.mkdir(parents=True, exist_ok=True)
            config = CONFIG_TEMPLATE.read_text().replace("__PORT__", str(self.port))
            (self.config_dir / "configuration.yaml").write_text(config)
            storage = self.config_dir / ".storage"
            storage.mkdir(exist_ok=True)
            # Onboarding steps that would otherwise add integrations needing the internet are marked done.
            onboarding = {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config", "analytics", "integration"]},
            }
            (storage / "onboarding").write_text(json.dumps(onboarding))
        assert self.python is not None
        ARTIFACTS.mkdir(exist_ok=True)
        log = (ARTIFACTS / f"home-assistant-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [str(self.python), "-m", "homeassistant", "--config", str(self.config_dir), "--skip-pip"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if first:
            wait_http(f"{self.url}/api/onboarding", timeout=120, process=self.process)
            self.token = self._onboard()
            asyncio.run(self._setup_areas())
        else:
            wait_http(f"{self.url}/api/", timeout=120, expect=(200, 401), process=self.process)
        self._wait_running()
        return self

    def _onboard(self) -> str:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            created = http.post(
                "/api/onboarding/users",
                json={
                    "name": "Test",
                    "username": "test",
                    "password": "jarvis-test-password",
                    "client_id": CLIENT_ID,
                    "language": "fr",
                },
            )
            created.raise_for_status()
            tokens = http.post(
                "/auth/token",
                data={"grant_type": "authorization_code", "code": created.json()["auth_code"], "client_id": CLIENT_ID},
            )
            tokens.raise_for_status()
            access = tokens.json()["access_token"]
        long_lived = asyncio.run(
            self._ws_call(
                {"type": "auth/long_lived_access_token", "client_name": "jarvis-tests", "lifespan": 30}, token=access
            )
        )
        return str(long_lived)

    def _wait_running(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                config = httpx.get(f"{self.url}/api/config", headers=self.headers, timeout=5)
                if config.status_code == 200 and config.json().get("state") == "RUNNING":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError("Home Assistant did not reach RUNNING")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _ws_call(self, *messages: dict[str, Any], token: str | None = None) -> Any:
        """Send messages over one authenticated WebSocket; returns the last result (raises on an error)."""
        async with websockets.connect(self.ws_url, max_size=None) as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "auth", "access_token": token or self.token}))
            auth = json.loads(await ws.recv())
            assert auth["type"] == "auth_ok", auth
            result: Any = None
            for number, message in enumerate(messages, start=1):
                await ws.send(json.dumps({"id": number, **message}))
                while True:
                    answer = json.loads(await ws.recv())
                    if answer.get("id") == number and answer["type"] == "result":
                        break
                if not answer["success"]:
                    raise RuntimeError(f"{message}: {answer['error']}")
                result = answer["result"]
            return result

    def ws_call(self, *messages: dict[str, Any]) -> Any:
        return asyncio.run(self._ws_call(*messages))

    async def ws_call_async(self, *messages: dict[str, Any]) -> Any:
        """ws_call from a running event loop."""
        return await self._ws_call(*messages)

    async def _setup_areas(self) -> None:
        # A new Home Assistant already has some areas (Salon, Cuisine, Chambre in French): reuse them.
        existing = {
            area["name"]: area["area_id"] for area in await self._ws_call({"type": "config/area_registry/list"})
        }
        for area, entities in AREAS.items():
            area_id = existing.get(area)
            if area_id is None:
                area_id = (await self._ws_call({"type": "config/area_registry/create", "name": area}))["area_id"]
            for entity_id in entities:
                await self._ws_call(
                    {"type": "config/entity_registry/update", "entity_id": entity_id, "area_id": area_id}
                )

    def call_service(self, domain: str, service: str, data: dict[str, Any]) -> None:
        response = httpx.post(
            f"{self.url}/api/services/{domain}/{service}", headers=self.headers, json=data, timeout=30
        )
        response.raise_for_status()

    def state(self, entity_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/api/states/{entity_id}", headers=self.headers, timeout=30)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.config_dir, ignore_errors=True)


def wait_home_connected(jarvis: Any, timeout: float = 60) -> dict[str, Any]:
    """Wait until a Jarvis server reports its Home Assistant connection up; returns GET /api/home/entities."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = httpx.get(f"{jarvis.url}/api/home/entities", headers=jarvis.headers, timeout=10)
        body = response.json()
        if response.status_code == 200 and body["status"] == "connected" and body["entities"]:
            return body
        time.sleep(0.2)
    raise TimeoutError(f"Jarvis did not connect to Home Assistant: {body}")
