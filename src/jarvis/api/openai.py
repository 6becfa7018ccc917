"""OpenAI-compatible endpoints (/v1/models, /v1/chat/completions) so any OpenAI client can talk to Jarvis."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import ErrorBody
from jarvis.brain.prompt import TOOLS_HINT
from jarvis.errors import InvalidInputError, JarvisError
from jarvis.events import ErrorEvent
from jarvis.i18n import t
from jarvis.llm.base import ChatMessage, GenerationParams, ToolCall
from jarvis.llm.service import GenerationStats

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "jarvis"


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    stop: str | list[str] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    parts = []
    for part in content:
        if part.get("type") != "text":
            raise InvalidInputError(
                t("invalid-request", detail=f"contenu de type {part.get('type')!r} non pris en charge"),
                code="unsupported-content",
            )
        parts.append(str(part.get("text", "")))
    return "".join(parts)


def _messages(body: ChatCompletionRequest, services: ServicesDep, with_tools: bool) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    for message in body.messages:
        out: ChatMessage = {
            "role": "system" if message.role == "developer" else message.role,
            "content": _text(message.content),
        }
        if message.tool_calls:
            out["tool_calls"] = message.tool_calls
        if message.tool_call_id:
            out["tool_call_id"] = message.tool_call_id
        messages.append(out)
    limit = services.settings.chat.max_message_chars
    if any(len(m["content"]) > limit for m in messages):
        raise InvalidInputError(t("message-too-long", limit=limit), code="message-too-long")
    if messages[0]["role"] != "system":
        # No system prompt from the client: Jarvis speaks as itself, with the same cached prefix as the chat API.
        persona = services.prompts.system_prompt
        if with_tools:
            persona += TOOLS_HINT.get(services.prompts.language, TOOLS_HINT["fr"])
        messages[:0] = [{"role": "system", "content": persona}, *services.prompts.profile_context()]
    return messages


def _params(body: ChatCompletionRequest, services: ServicesDep) -> GenerationParams:
    defaults = services.params
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    return GenerationParams(
        max_tokens=body.max_completion_tokens or body.max_tokens or defaults.max_tokens,
        temperature=defaults.temperature if body.temperature is None else body.temperature,
        repeat_penalty=defaults.repeat_penalty,
        stop=stop,
    )


def _tools(body: ChatCompletionRequest) -> list[dict[str, Any]] | None:
    if not body.tools or body.tool_choice == "none":
        return None
    return body.tools


def _tool_call_json(call: ToolCall, index: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
    }
    if index is not None:
        out["index"] = index
    return out


@router.get("/models")
async def list_models(services: ServicesDep) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {
                "id": MODEL_ID,
                "object": "model",
                "created": 0,
                "owned_by": f"jarvis/{services.engine.model_id}",
            }
        ],
    }


@router.post("/chat/completions", responses={400: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def chat_completions(body: ChatCompletionRequest, services: ServicesDep) -> Any:
    tools = _tools(body)
    messages = _messages(body, services, with_tools=tools is not None)
    params = _params(body, services)
    services.llm.check_capacity()
    completion_id = "chatcmpl-" + uuid.uuid4().hex
    created = int(time.time())
    if body.stream:
        return StreamingResponse(
            _stream(services, messages, tools, params, completion_id, created, body.model),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    stats = GenerationStats()
    text: list[str] = []
    calls: list[ToolCall] = []
    finish = "stop"
    async for chunk in services.llm.stream(messages, tools, params, stats):
        text.append(chunk.text)
        calls.extend(chunk.tool_calls)
        finish = chunk.finish_reason or finish
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
    if calls:
        message["tool_calls"] = [_tool_call_json(c) for c in calls]
        finish = "tool_calls"
    prompt_tokens = stats.prompt_tokens or 0
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": stats.completion_tokens,
                "total_tokens": prompt_tokens + stats.completion_tokens,
            },
        }
    )


async def _stream(
    services: ServicesDep,
    messages: list[ChatMessage],
    tools: list[dict[str, Any]] | None,
    params: GenerationParams,
    completion_id: str,
    created: int,
    model: str,
) -> AsyncIterator[bytes]:
    def frame(delta: dict[str, Any], finish: str | None = None) -> bytes:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()

    yield frame({"role": "assistant", "content": ""})
    call_index = 0
    finish = "stop"
    try:
        async for chunk in services.llm.stream(messages, tools, params):
            if chunk.text:
                yield frame({"content": chunk.text})
            for call in chunk.tool_calls:
                yield frame({"tool_calls": [_tool_call_json(call, call_index)]})
                call_index += 1
            finish = chunk.finish_reason or finish
    except JarvisError as exc:
        error = ErrorEvent(code=exc.code, message=exc.message)
        yield f"data: {json.dumps({'error': error.model_dump(exclude={'type', 'run_id'})})}\n\n".encode()
        return
    yield frame({}, "tool_calls" if call_index else finish)
    yield b"data: [DONE]\n\n"
