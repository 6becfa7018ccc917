"""The openai_compat backend against a real OpenAI-compatible server (llama-cpp-python's llama_cpp.server):
it answers through it, and a server that is down or hung gives `llm-unavailable` within a bounded time."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jarvis.llm.base import ChatMessage, GenerationParams, ToolSpec
from jarvis.llm.openai_compat import OpenAICompatEngine
from tests.french import looks_french
from tests.servers import JarvisServer, LlamaCppServer, prepared_model_path

pytestmark = pytest.mark.slow
PARAMS = GenerationParams(max_tokens=16, temperature=0.0)


@pytest.fixture(scope="module")
def remote() -> Iterator[LlamaCppServer]:
    server = LlamaCppServer(prepared_model_path()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def jarvis(remote: LlamaCppServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    data_dir: Path = tmp_path_factory.mktemp("jarvis-remote")
    server = JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_LLM__BACKEND": "openai_compat",
            "JARVIS_LLM__BASE_URL": remote.base_url,
            # A cold prompt (with the tool definitions, about 1,000 tokens) takes 15-20 s on the remote on 2 cores.
            "JARVIS_LLM__FIRST_TOKEN_TIMEOUT_SECONDS": "60",
            "JARVIS_AUTH__MAX_FAILURES": "1000",
        },
    ).start()
    yield server
    server.stop()


def test_ready_reports_the_remote_model(jarvis: JarvisServer, remote: LlamaCppServer) -> None:
    ready = httpx.get(f"{jarvis.url}/ready").json()
    assert ready["ready"] is True, ready
    assert "qwen-local" in ready["components"]["llm"]["detail"]
    assert remote.base_url in ready["components"]["llm"]["detail"]


def test_chat_goes_through_the_remote_server(jarvis: JarvisServer) -> None:
    with jarvis.client() as client:
        body = client.post("/api/chat", json={"message": "Bonjour ! Qui es-tu ? Réponds en une phrase."}).json()
        assert body["status"] == "complete", body
        assert looks_french(body["reply"]), body["reply"]
        assert body["timings"]["llm_first_token_seconds"] > 0
        with client.stream("POST", "/api/chat", json={"message": "Cite un fruit.", "stream": True}) as response:
            kinds = [line.split(": ", 1)[1] for line in response.iter_lines() if line.startswith("event: ")]
    assert kinds[0] == "run-start" and kinds[-1] == "run-end" and "llm-delta" in kinds


async def test_warming_evaluates_the_prefix_on_the_remote(remote: LlamaCppServer) -> None:
    engine = OpenAICompatEngine(remote.base_url, model="qwen-local")
    try:
        prefix: list[ChatMessage] = [{"role": "system", "content": "Tu es Jarvis. Réponds en français."}]
        tools: list[ToolSpec] = [
            {
                "type": "function",
                "function": {
                    "name": "get_time",
                    "description": "Donne l'heure.",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ]
        evaluated = await engine.warm(prefix, tools)
        # The server rendered the prefix with the tool definition, then the stand-in question.
        assert evaluated > 20
        chunks = [chunk async for chunk in engine.chat([*prefix, {"role": "user", "content": "Salut"}], None, PARAMS)]
        assert "".join(chunk.text for chunk in chunks).strip()
    finally:
        await engine.close()


async def test_a_remote_busy_with_our_request_is_ready_and_a_hung_one_is_not(remote: LlamaCppServer) -> None:
    engine = OpenAICompatEngine(remote.base_url, model="qwen-local")
    assert remote.process is not None
    try:
        # A long prompt the server has never seen keeps its only slot busy for a while.
        long_prompt: list[ChatMessage] = [
            {"role": "system", "content": "Tu es Jarvis. " + "Voici une note sans importance. " * 120},
            {"role": "user", "content": "Résume la note."},
        ]
        warming = asyncio.create_task(engine.warm(long_prompt, whole=True))
        await asyncio.sleep(1.0)
        assert not warming.done()
        busy = await engine.health()
        assert busy.ready, busy.detail  # working for us, not down
        assert await warming > 100
        os.kill(remote.process.pid, signal.SIGSTOP)  # nothing of ours in flight: a silent server is not ready
        try:
            hung = await engine.health()
        finally:
            os.kill(remote.process.pid, signal.SIGCONT)
        assert not hung.ready and hung.failed
    finally:
        await engine.close()


def test_hung_remote_gives_llm_unavailable_in_bounded_time(jarvis: JarvisServer, remote: LlamaCppServer) -> None:
    assert remote.process is not None
    os.kill(remote.process.pid, signal.SIGSTOP)  # accepts connections (kernel backlog) but never answers
    try:
        started = time.monotonic()
        with jarvis.client() as client:
            response = client.post("/api/chat", json={"message": "Tu es là ?"})
        elapsed = time.monotonic() - started
        assert response.status_code == 504
        assert response.json()["error"]["code"] == "llm-unavailable"
        assert elapsed < 70  # the first-token timeout, plus a margin
        assert httpx.get(f"{jarvis.url}/health").status_code == 200
    finally:
        os.kill(remote.process.pid, signal.SIGCONT)


def test_remote_down_gives_llm_unavailable_and_the_server_keeps_serving(
    jarvis: JarvisServer, remote: LlamaCppServer
) -> None:
    with jarvis.client() as client:
        before = client.get("/api/conversations").json()["conversations"]
        remote.stop()
        response = client.post("/api/chat", json={"message": "Tu es là ?"})
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "llm-unavailable"
        assert "llm.base_url" in error["message"]
        ready = httpx.get(f"{jarvis.url}/ready")
        assert ready.status_code == 503
        assert ready.json()["components"]["llm"]["ready"] is False
        after = client.get("/api/conversations").json()["conversations"]
        # Earlier conversations are intact; the unanswered question was stored (acknowledged) without a reply.
        assert {c["id"]: c["message_count"] for c in before}.items() <= {
            c["id"]: c["message_count"] for c in after
        }.items()
        assert client.get("/health").status_code == 200
