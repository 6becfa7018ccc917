"""A small client of the Jarvis HTTP API for the command line (token resolution, streamed chat)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from jarvis.config import Settings
from jarvis.errors import JarvisError
from jarvis.store.db import Database
from jarvis.store.tokens import TokenRepository

CLI_TOKEN_PREFIX = "cli-"


def cli_token_path(settings: Settings) -> Path:
    return settings.data_dir / "cli-token"


async def _create_cli_token(settings: Settings) -> str:
    db = Database(settings.database_url)
    try:
        await db.migrate()
        tokens = TokenRepository(db)
        # The file that held the previous CLI token is gone: that token is of no use any more.
        for token in await tokens.list_all():
            if token.name.startswith(CLI_TOKEN_PREFIX) and token.revoked_at is None:
                await tokens.revoke(token.id)
        _, secret = await tokens.create(f"{CLI_TOKEN_PREFIX}{datetime.now(UTC):%Y%m%d-%H%M%S-%f}")
        return secret
    finally:
        await db.close()


def resolve_token(settings: Settings, explicit: str | None) -> str:
    """--token, else JARVIS_TOKEN, else this machine's CLI token (created on first use, file mode 0600)."""
    if explicit:
        return explicit
    if os.environ.get("JARVIS_TOKEN"):
        return os.environ["JARVIS_TOKEN"]
    path = cli_token_path(settings)
    if path.is_file():
        return path.read_text().strip()
    secret = asyncio.run(_create_cli_token(settings))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret


def default_url(settings: Settings) -> str:
    host = settings.server.host
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.server.port}"


@dataclass
class ApiClient:
    url: str
    token: str
    timeout_seconds: float = 180.0

    def _unreachable(self) -> JarvisError:
        return JarvisError(
            f"Le serveur Jarvis ne répond pas sur {self.url}. "
            "Lancez « jarvis serve » (ou « make run ») puis réessayez.",
            code="server-unreachable",
        )

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=httpx.Timeout(self.timeout_seconds, connect=5.0),
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call; an error answer becomes a JarvisError with the server's code and message."""
        try:
            with self._client() as client:
                response = client.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise self._unreachable() from exc
        except httpx.TimeoutException as exc:
            raise JarvisError(f"Le serveur {self.url} n'a pas répondu à temps.", code="server-timeout") from exc
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    def model_loading(self) -> str | None:
        """What the server's language model is doing while it is still loading (or evaluating its prompt): a first
        question sent then would wait for it, and could time out. None when it is ready, failed, or unknown."""
        try:
            with httpx.Client(base_url=self.url, timeout=httpx.Timeout(10.0, connect=5.0)) as client:
                body = client.get("/ready").json()
        except httpx.ConnectError as exc:
            raise self._unreachable() from exc
        except (httpx.HTTPError, ValueError):
            return None
        llm = body.get("components", {}).get("llm") if isinstance(body, dict) else None
        if not isinstance(llm, dict) or llm.get("ready", True) or llm.get("failed"):
            return None
        return str(llm.get("detail") or "chargement")

    def chat_stream(self, message: str, conversation_id: str | None) -> Iterator[dict[str, Any]]:
        """Yield the pipeline events of one turn; raises JarvisError with the server's code on failure."""
        body = {"message": message, "conversation_id": conversation_id, "stream": True}
        try:
            with self._client() as client, client.stream("POST", "/api/chat", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _api_error(response)
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        yield json.loads(line[6:])
        except httpx.ConnectError as exc:
            raise self._unreachable() from exc
        except httpx.TimeoutException as exc:
            raise JarvisError(f"Le serveur {self.url} n'a pas répondu à temps.", code="server-timeout") from exc

    def voice_turn(self, audio: bytes, conversation_id: str | None) -> httpx.Response:
        """One spoken turn through POST /api/voice/turn; the reply WAV is the body, texts are in headers."""
        params = {"conversation_id": conversation_id} if conversation_id else {}
        try:
            with self._client() as client:
                response = client.post(
                    "/api/voice/turn",
                    content=audio,
                    params=params,
                    headers={"Content-Type": "application/octet-stream"},
                )
        except httpx.ConnectError as exc:
            raise self._unreachable() from exc
        if response.status_code >= 400:
            raise _api_error(response)
        return response


def _api_error(response: httpx.Response) -> JarvisError:
    try:
        error = response.json()["error"]
        return JarvisError(error["message"], code=error["code"], status=response.status_code)
    except (ValueError, KeyError, TypeError):
        return JarvisError(f"HTTP {response.status_code} : {response.text[:200]}", status=response.status_code)
