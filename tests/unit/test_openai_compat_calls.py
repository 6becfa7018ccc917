"""The remote engine tells which tool a call names as soon as the server streams the name, before the arguments.
The server's side is an OpenAI-shaped event stream served through httpx's mock transport to the real `openai` SDK."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai

from jarvis.llm.base import ChatChunk, GenerationParams
from jarvis.llm.openai_compat import OpenAICompatEngine


def sse(deltas: list[dict[str, Any]]) -> bytes:
    events = []
    for index, delta in enumerate(deltas):
        last = index == len(deltas) - 1
        choice = {"index": 0, "delta": delta, "finish_reason": "tool_calls" if last else None}
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [choice]}
        events.append(f"data: {json.dumps(chunk)}\n\n")
    return ("".join(events) + "data: [DONE]\n\n").encode()


def call_delta(name: str | None, arguments: str) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    return {"tool_calls": [{"index": 0, "id": "call_a" if name else None, "type": "function", "function": function}]}


async def test_the_name_of_a_streamed_call_comes_before_its_arguments() -> None:
    body = sse([call_delta("lock_door", ""), call_delta(None, '{"door": '), call_delta(None, '"entrée"}')])

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    engine = OpenAICompatEngine("http://remote.invalid/v1", model="m")
    engine._client = openai.AsyncOpenAI(
        base_url="http://remote.invalid/v1",
        api_key="none",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(serve)),
    )
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    chunks: list[ChatChunk] = [
        c async for c in engine.chat([{"role": "user", "content": "x"}], tools, GenerationParams(16, 0.0))
    ]
    assert chunks[0].calling == "lock_door" and not chunks[0].tool_calls
    assert [c.calling for c in chunks if c.calling] == ["lock_door"]  # told once
    (call,) = chunks[-1].tool_calls
    assert call.name == "lock_door" and call.arguments == {"door": "entrée"}
    await engine.close()
