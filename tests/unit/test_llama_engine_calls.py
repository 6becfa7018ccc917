"""The embedded engine tells which tool a call names as soon as the name is written, before its arguments, so that
the chat loop can stop the model there. The model is a fake with llama-cpp-python's streaming interface."""

from __future__ import annotations

from jarvis.cpu import CpuPriority
from jarvis.llm.base import ChatChunk, GenerationParams, ToolSpec
from tests.unit.test_llama_engine_priority import FakeLlama, engine_with

PARAMS = GenerationParams(max_tokens=32, temperature=0.0)
TOOLS: list[ToolSpec] = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


async def chunks_for(words: list[str]) -> list[ChatChunk]:
    engine = engine_with(FakeLlama(words), CpuPriority())
    return [chunk async for chunk in engine.chat([{"role": "user", "content": "bonjour"}], TOOLS, PARAMS)]


async def test_a_tagged_call_is_named_once_before_its_arguments() -> None:
    words = ["D'accord.", "<tool_call>", '\n{"name": "', "lock", "_door", '", "arguments": {"', "door", '": "x"}}']
    chunks = await chunks_for([*words, "</tool_call>", '<tool_call>{"name": "get_weather", "arguments": {}}'])
    kinds = [("calling", c.calling) if c.calling else ("calls", [t.name for t in c.tool_calls]) for c in chunks]
    assert ("calling", "lock_door") in kinds and ("calling", "get_weather") in kinds
    named = kinds.index(("calling", "lock_door"))
    # Told after the name's last piece, before anything else: once per call, and before the call is complete.
    assert [c.text for c in chunks[:named]] == ["D'accord."]
    assert sum(1 for c in chunks if c.calling == "lock_door") == 1
    assert [t.name for c in chunks for t in c.tool_calls] == ["lock_door", "get_weather"]


async def test_a_bare_call_is_named_and_plain_json_is_not() -> None:
    chunks = await chunks_for(['{"name": "send_message"', ', "arguments": {', '"to": "Paul"}}'])
    assert [c.calling for c in chunks if c.calling] == ["send_message"]
    assert [t.name for c in chunks for t in c.tool_calls] == ["send_message"]
    assert "".join(c.text for c in chunks) == ""  # a call is never said
    chunks = await chunks_for(['{"name": "Léa"', ', "age": 7}'])
    assert not any(c.calling for c in chunks) and not any(c.tool_calls for c in chunks)
    assert "".join(c.text for c in chunks) == '{"name": "Léa", "age": 7}'
