"""Remote engine: any OpenAI-compatible chat server (Ollama, vLLM, llama.cpp's server), through the `openai` SDK."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import structlog

from jarvis.errors import LlmError, LlmTimeoutError, LlmUnavailableError
from jarvis.i18n import t
from jarvis.llm.base import ChatChunk, ChatMessage, EngineHealth, GenerationParams, ToolCall, ToolSpec

log = structlog.get_logger(__name__)
HEALTH_TIMEOUT_SECONDS = 3.0


class OpenAICompatEngine:
    name = "openai_compat"

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = "none",
        model: str | None = None,
        read_timeout_seconds: float = 30.0,
        warm_timeout_seconds: float = 120.0,
        concurrency: int = 4,
    ) -> None:
        self.base_url = base_url
        self.concurrency = concurrency
        self._warm_timeout_seconds = warm_timeout_seconds
        self._model = model
        self._timeout_seconds = read_timeout_seconds
        self._in_flight = 0  # requests of ours the server is working on
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=0,
            timeout=read_timeout_seconds,
        )

    @property
    def model_id(self) -> str:
        return self._model or "remote"

    async def _first_model(self, timeout_seconds: float) -> str:
        models = await self._client.with_options(timeout=timeout_seconds).models.list()
        async for model in models:
            return model.id
        raise LlmUnavailableError(t("llm-unavailable", detail=f"{self.base_url} ne propose aucun modèle"))

    async def load(self) -> None:
        """Resolve the model name; a server that is down now is not fatal: health() reports it."""
        if self._model is not None:
            return
        try:
            self._model = await self._first_model(HEALTH_TIMEOUT_SECONDS)
        except (openai.APIError, LlmUnavailableError) as exc:
            log.warning("llm-remote-unreachable", base_url=self.base_url, error=str(exc))

    async def health(self) -> EngineHealth:
        try:
            model = await self._first_model(HEALTH_TIMEOUT_SECONDS)
        except openai.APITimeoutError as exc:
            if self._in_flight:
                # A one-slot server (llama.cpp's, llama-cpp-python's) answers nothing while it evaluates our own
                # request: busy with Jarvis's work is not down.
                return EngineHealth(True, f"{self.model_id} sur {self.base_url} (occupé)")
            return EngineHealth(False, f"{self.base_url} injoignable : {exc}", failed=True)
        except (openai.APIError, LlmUnavailableError) as exc:
            return EngineHealth(False, f"{self.base_url} injoignable : {exc}", failed=True)
        if self._model is None:
            self._model = model
        return EngineHealth(True, f"{self.model_id} sur {self.base_url}")

    async def chat(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None, params: GenerationParams
    ) -> AsyncIterator[ChatChunk]:
        if self._model is None:
            await self.load()
        if self._model is None:
            raise LlmUnavailableError(t("llm-unavailable", detail=f"{self.base_url} injoignable"))
        request: dict[str, Any] = {
            "model": self._model,
            "messages": messages,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if params.stop:
            request["stop"] = list(params.stop)
        if params.json_schema is not None:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": params.json_schema, "strict": True},
            }
        if tools:
            request["tools"] = tools
        partial_calls: dict[int, dict[str, str]] = {}
        finish_reason = "stop"
        prompt_tokens = completion_tokens = None
        self._in_flight += 1
        try:
            stream = await self._client.chat.completions.create(**request)
            async with stream:  # closing it on cancel stops the remote generation too
                async for chunk in stream:
                    if chunk.usage is not None:
                        prompt_tokens = chunk.usage.prompt_tokens
                        completion_tokens = chunk.usage.completion_tokens
                    for choice in chunk.choices:
                        if choice.finish_reason:
                            finish_reason = choice.finish_reason
                        delta = choice.delta
                        for call in delta.tool_calls or []:
                            slot = partial_calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                            slot["id"] = call.id or slot["id"]
                            if call.function is not None:
                                named = bool(slot["name"])
                                slot["name"] += call.function.name or ""
                                slot["arguments"] += call.function.arguments or ""
                                if not named and slot["name"]:  # servers send the name whole, before the arguments
                                    yield ChatChunk(calling=slot["name"])
                        if delta.content:
                            yield ChatChunk(text=delta.content)
        except openai.APITimeoutError as exc:
            raise LlmTimeoutError(t("llm-timeout", seconds=self._timeout_seconds)) from exc
        except openai.APIConnectionError as exc:
            raise LlmUnavailableError(t("llm-unavailable", detail=f"{self.base_url} : {exc}")) from exc
        except openai.APIStatusError as exc:
            raise LlmError(t("llm-failed", detail=f"HTTP {exc.status_code} {exc.message}")) from exc
        except openai.APIError as exc:
            raise LlmError(t("llm-failed", detail=str(exc))) from exc
        finally:
            self._in_flight -= 1
        calls = [_finish_call(index, slot) for index, slot in sorted(partial_calls.items())]
        yield ChatChunk(
            tool_calls=calls,
            finish_reason="tool_calls" if calls else finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )

    async def warm(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None = None, *, whole: bool = False
    ) -> int:
        """Have the server evaluate the next turn's prefix now (one token generated after a stand-in question, or
        after the real one when `whole`): llama.cpp's server, llama-cpp-python's and Ollama reuse the longest
        cached prefix, vLLM its prefix cache, so the real question only costs its own tokens. Returns the prompt
        tokens the server reports."""
        if self._model is None:
            return 0
        request: dict[str, Any] = {
            "model": self._model,
            "messages": messages if whole else [*messages, {"role": "user", "content": "."}],
            "max_tokens": 1,
            "temperature": 0.0,
        }
        if tools:
            request["tools"] = tools
        self._in_flight += 1
        try:
            response = await self._client.with_options(timeout=self._warm_timeout_seconds).chat.completions.create(
                **request
            )
        except openai.APIError as exc:
            raise LlmError(t("llm-failed", detail=str(exc))) from exc
        finally:
            self._in_flight -= 1
        return response.usage.prompt_tokens if response.usage is not None else 0

    async def close(self) -> None:
        await self._client.close()


def _finish_call(index: int, slot: dict[str, str]) -> ToolCall:
    try:
        arguments = json.loads(slot["arguments"] or "{}")
    except json.JSONDecodeError:
        arguments = {}
    return ToolCall(
        id=slot["id"] or f"call_{index}",
        name=slot["name"],
        arguments=arguments if isinstance(arguments, dict) else {},
    )
