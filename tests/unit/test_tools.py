"""Tools from typed functions (schema, validation) and the registry's bounded execution."""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated, Any, Literal

import pytest
from pydantic import Field

from jarvis.errors import InvalidInputError
from jarvis.llm.base import ToolCall
from jarvis.tools.base import ToolArgumentsError, ToolError, current_request, tool_spec
from jarvis.tools.functions import FunctionTool, function_tool, parse_docstring
from jarvis.tools.registry import ToolRegistry


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(id=f"call_{name}", name=name, arguments=arguments)


async def add(a: int, b: Annotated[int, Field(ge=0)] = 1) -> int:
    """Additionne deux entiers.

    Args:
        a: le premier nombre
        b: le second nombre,
            positif
    """
    return a + b


def greet(name: str, tone: Literal["poli", "familier"] = "poli") -> str:
    """Salue quelqu'un."""
    return f"Bonjour {name}" if tone == "poli" else f"Salut {name}"


def test_schema_from_signature_and_docstring() -> None:
    tool = FunctionTool(add)
    assert tool.name == "add"
    assert tool.description == "Additionne deux entiers."
    assert tool.parameters == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "description": "le premier nombre"},
            "b": {"type": "integer", "description": "le second nombre, positif", "default": 1, "minimum": 0},
        },
        "required": ["a"],
    }
    spec = tool_spec(tool)
    assert spec["type"] == "function" and spec["function"]["name"] == "add"
    assert FunctionTool(greet).parameters["properties"]["tone"]["enum"] == ["poli", "familier"]


def test_docstring_sections() -> None:
    description, args = parse_docstring("Fait X.\n\nArgs:\n    x: la valeur\n\nReturns:\n    rien")
    assert description == "Fait X."
    assert args == {"x": "la valeur"}


def test_a_function_without_docstring_or_annotation_is_refused() -> None:
    def bare(x: int) -> int:
        return x

    def untyped(x) -> int:  # type: ignore[no-untyped-def]
        """Doc."""
        return 1

    with pytest.raises(ValueError, match="docstring"):
        FunctionTool(bare)
    with pytest.raises(ValueError, match="annotation"):
        FunctionTool(untyped)


async def test_arguments_are_validated() -> None:
    tool = FunctionTool(add)
    assert await tool.run({"a": 2, "b": 3}) == "5"
    assert await tool.run({"a": "4"}) == "5"  # lax mode: a numeric string is an int
    with pytest.raises(ToolArgumentsError, match="a"):
        await tool.run({})
    with pytest.raises(ToolArgumentsError, match="b"):
        await tool.run({"a": 1, "b": -1})
    with pytest.raises(ToolArgumentsError, match="c"):
        await tool.run({"a": 1, "c": 2})


async def test_sync_functions_run_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def where() -> str:
        """Dit où."""
        seen.append(threading.get_ident())
        return "ici"

    assert await function_tool(where).run({}) == "ici"
    assert seen and seen[0] != loop_thread


async def test_registry_reports_unknown_raising_and_hanging_tools() -> None:
    async def boom() -> str:
        """Explose."""
        raise RuntimeError("kaput")

    async def hang() -> str:
        """Ne répond jamais."""
        await asyncio.sleep(3600)
        return "jamais"

    def refuse() -> str:
        """Refuse poliment."""
        raise InvalidInputError("Durée invalide.", code="invalid-duration")

    hung: list[str] = []
    registry = ToolRegistry(timeout_seconds=0.2)
    registry.on_timeout = hung.append
    registry.set_source("builtin", [FunctionTool(add), FunctionTool(refuse)])
    bad = "plugin:bad"
    registry.set_source(bad, [FunctionTool(boom, source=bad), FunctionTool(hang, source=bad)])

    ok = await registry.execute(call("add", a=1))
    assert ok.ok and ok.content == "2"
    misspelt = await registry.execute(call("ad"))  # back to the model, with the tool it probably meant
    assert not misspelt.ok and misspelt.error_code == "tool-unknown" and not misspelt.says_itself
    assert misspelt.content == "L'outil ad n'existe pas. Voulais-tu dire : add ?"
    unknown = await registry.execute(call("send_message"))  # nothing like it: Jarvis cannot do that
    assert not unknown.ok and unknown.error_code == "tool-unavailable" and unknown.says_itself
    assert unknown.content == "Désolé, je ne sais pas faire ça."
    raised = await registry.execute(call("boom"))
    assert not raised.ok and raised.error_code == "tool-failed" and "kaput" in raised.content
    coded = await registry.execute(call("refuse"))
    assert not coded.ok and coded.error_code == "invalid-duration" and coded.content == "Durée invalide."
    bad = await registry.execute(call("add", a="x"))
    assert not bad.ok and bad.error_code == "tool-invalid-arguments"
    timed_out = await registry.execute(call("hang"))
    assert not timed_out.ok and timed_out.error_code == "tool-timeout" and timed_out.seconds < 5
    assert hung == ["plugin:bad"]


async def test_a_refusal_read_from_the_request_comes_before_the_arguments() -> None:
    """« Ferme les volets » asks for no addition: the call is refused whatever (and however wrong) its arguments,
    and the registry knows it from the name alone, so the model can stop writing the call there."""

    def only_sums(request: str) -> ToolError | None:
        return None if "additionne" in request.lower() else ToolError("Désolé.", code="tool-not-asked")

    registry = ToolRegistry()
    registry.set_source("builtin", [FunctionTool(add, refusal=only_sums), FunctionTool(greet)])
    token = current_request.set("Ferme les volets.")
    try:
        refused = await registry.execute(call("add", a="pas un nombre"))
        assert refused.error_code == "tool-not-asked" and refused.content == "Désolé."
        assert registry.settled_by_name("add") and registry.settled_by_name("send_message")
        assert not registry.settled_by_name("greet")  # its arguments matter
        assert not registry.settled_by_name("ad")  # a misspelling: the model is told the close names
    finally:
        current_request.reset(token)
    token = current_request.set("Additionne 2 et 3.")
    try:
        assert (await registry.execute(call("add", a=2, b=3))).content == "5"
        assert not registry.settled_by_name("add")
    finally:
        current_request.reset(token)
    # Outside a turn (no request: the OpenAI API's own tools, a test) nothing is refused.
    assert (await registry.execute(call("add", a=2))).content == "3"


def test_registry_order_is_stable_and_names_are_unique() -> None:
    registry = ToolRegistry()
    registry.set_source("plugin:z", [FunctionTool(greet, source="plugin:z")])
    registry.set_source("builtin", [FunctionTool(add)])
    refused = registry.set_source("mcp:a", [FunctionTool(add, source="mcp:a")])
    assert refused == ["add"]
    assert [t.name for t in registry.tools()] == ["add", "greet"]
    specs = registry.specs()
    assert specs is not None and [s["function"]["name"] for s in specs] == ["add", "greet"]
    registry.remove_source("plugin:z")
    assert [t.name for t in registry.tools()] == ["add"]
