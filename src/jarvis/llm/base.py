"""The chat-engine interface: one streaming method, OpenAI-shaped messages, tool calls as finished values."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

# Messages use the OpenAI chat shape ({"role", "content", "tool_calls"?, "tool_call_id"?}), so that the
# OpenAI-compatible API and the remote backend pass them through unchanged.
ChatMessage = dict[str, Any]
ToolSpec = dict[str, Any]  # {"type": "function", "function": {"name", "description", "parameters"}}


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int
    temperature: float
    repeat_penalty: float = 1.0
    stop: tuple[str, ...] = ()
    # Constrain the reply to JSON matching this schema (llama.cpp grammar; `response_format` on remote servers).
    json_schema: dict[str, Any] | None = None
    # Background work (e.g. memory extraction): the prompt is evaluated in small slices so that a user's request
    # can take the model over quickly.
    background: bool = False


@dataclass
class ChatChunk:
    """A piece of a streamed reply: text, finished tool calls, and on the last chunk the finish reason."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    # A tool call being written names this tool; its arguments are still coming (told once per call).
    calling: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    # Prompt tokens found already evaluated in the engine's cache (prefix reuse), when the engine knows.
    cached_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class EngineHealth:
    ready: bool
    detail: str
    failed: bool = False  # not ready because loading or connecting failed (not because it is still loading)


class ChatEngine(Protocol):
    """A language model that streams a chat reply. Implementations never block the event loop."""

    name: str
    # How many generations may run at once (the embedded model has one context).
    concurrency: int

    @property
    def model_id(self) -> str: ...

    async def load(self) -> None: ...

    async def health(self) -> EngineHealth: ...

    def chat(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None, params: GenerationParams
    ) -> AsyncIterator[ChatChunk]: ...

    async def warm(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None = None, *, whole: bool = False
    ) -> int:
        """Prepare the prompt prefix of the next turn (`messages` without the coming user message) while idle;
        `whole`: `messages` is the coming request's whole prompt (its user message known ahead), prepared up to
        the reply's first token. Returns the tokens evaluated; engines without a prompt cache return 0."""
        ...

    async def close(self) -> None: ...
