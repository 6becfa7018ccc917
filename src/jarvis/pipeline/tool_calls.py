"""One step of the tool loop: the model asked for tools; run them, report each as events, and give the model the
messages that show its calls and their results."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import structlog

from jarvis.events import Event, ToolCallEvent, ToolResultEvent
from jarvis.i18n import t
from jarvis.llm.base import ChatMessage, ToolCall
from jarvis.tools.registry import ToolOutcome, ToolRegistry

log = structlog.get_logger(__name__)


async def run_tool_calls(
    tools: ToolRegistry,
    text: str,
    calls: list[ToolCall],
    run_id: str,
    emit: Callable[[Event], Awaitable[None]],
    done: list[ToolOutcome],
) -> tuple[list[ToolOutcome], list[ChatMessage]]:
    """Run the calls in order, each outcome added to `done` as soon as it is known (a cancelled turn keeps those);
    return this step's outcomes, and the assistant message (`text` and the calls) followed by one tool message per
    result."""
    messages: list[ChatMessage] = [_assistant_calls(text, calls)]
    outcomes: list[ToolOutcome] = []
    for call in calls:
        await emit(ToolCallEvent(run_id=run_id, call_id=call.id, name=call.name, arguments=call.arguments))
        outcome = await tools.execute(call)
        outcomes.append(outcome)
        done.append(outcome)
        log.info("tool-called", run_id=run_id, tool=call.name, ok=outcome.ok, seconds=round(outcome.seconds, 3))
        await emit(
            ToolResultEvent(
                run_id=run_id,
                call_id=call.id,
                name=call.name,
                ok=outcome.ok,
                content=outcome.content,
                error_code=outcome.error_code,
                seconds=round(outcome.seconds, 4),
            )
        )
        content = outcome.content if outcome.ok else t("tool-error", message=outcome.content)
        messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content})
    return outcomes, messages


def _assistant_calls(text: str, calls: list[ToolCall]) -> ChatMessage:
    return {
        "role": "assistant",
        "content": text,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
            }
            for call in calls
        ],
    }
