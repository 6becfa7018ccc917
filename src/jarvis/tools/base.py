"""The tool interface: a name, a description, a JSON schema of the parameters, an async run, where it comes from."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from jarvis.errors import JarvisError
from jarvis.llm.base import ToolSpec

# The conversation whose turn is calling tools (set by the pipeline for the run): a tool that asks the user a
# question (« Voulez-vous vraiment ouvrir le garage ? ») expects the answer in that conversation.
current_conversation: ContextVar[str] = ContextVar("current_conversation", default="")
# The user's words in the turn calling tools: a tool with lasting effects checks that they ask for it (a small model
# may start a timer for « allume le bureau en rouge » when it has no better tool). Empty: not called from a turn.
current_request: ContextVar[str] = ContextVar("current_request", default="")


class ToolError(JarvisError):
    """A tool could not do its job; the message goes back to the model (and so to the user)."""

    code = "tool-failed"
    status = 502


class ToolArgumentsError(ToolError):
    """The model called a tool with arguments that do not fit its schema."""

    code = "tool-invalid-arguments"
    status = 422


class Tool(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema of an object
    # "builtin", "plugin:<name>" or "mcp:<server>"
    source: str
    # The result is a sentence for the user: it ends the turn as the reply, without another generation (faster,
    # and a small model cannot garble or second-guess it).
    direct: bool

    async def run(self, arguments: dict[str, Any]) -> str:
        """Run with the model's arguments; returns the text the model reads. Raises ToolError."""
        ...


def tool_spec(tool: Tool) -> ToolSpec:
    """The OpenAI-shaped definition the model sees."""
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
    }


@dataclass(frozen=True)
class ToolInfo:
    """What the API shows about a tool."""

    name: str
    description: str
    source: str
    parameters: dict[str, Any]
