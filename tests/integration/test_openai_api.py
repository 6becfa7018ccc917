"""The OpenAI-compatible endpoints, driven by the official `openai` SDK."""

from __future__ import annotations

import json

import openai
import pytest

from tests.french import looks_french
from tests.servers import JarvisServer

pytestmark = pytest.mark.slow

TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Donne l'heure actuelle dans une ville.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "La ville"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def sdk(server: JarvisServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=server.token, max_retries=0)


def test_models_list(sdk: openai.OpenAI) -> None:
    models = [m.id for m in sdk.models.list()]
    assert models == ["jarvis"]


def test_chat_completion(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(
        model="jarvis", messages=[{"role": "user", "content": "Bonjour ! Qui es-tu ?"}], max_tokens=40
    )
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content and looks_french(choice.message.content), choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0


def test_chat_completion_stream(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="jarvis",
        messages=[
            {"role": "system", "content": "Tu réponds toujours en français, très brièvement."},
            {"role": "user", "content": [{"type": "text", "text": "Cite une couleur."}]},
        ],
        stream=True,
        max_tokens=20,
    )
    pieces = []
    finish = None
    for chunk in stream:
        if chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        finish = chunk.choices[0].finish_reason or finish
    assert len(pieces) >= 1
    assert "".join(pieces).strip()
    assert finish in ("stop", "length")


def test_tools_are_passed_to_the_model_and_calls_come_back(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(
        model="jarvis",
        messages=[{"role": "user", "content": "Quelle heure est-il à Lyon ? Utilise l'outil."}],
        tools=[TIME_TOOL],  # type: ignore[list-item]
        temperature=0,
        max_tokens=60,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_time"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments)["city"].lower() == "lyon"  # type: ignore[union-attr]
    # The tool result goes back in and the model answers with it.
    follow = sdk.chat.completions.create(
        model="jarvis",
        messages=[
            {"role": "user", "content": "Quelle heure est-il à Lyon ? Utilise l'outil."},
            choice.message.model_dump(exclude_none=True),  # type: ignore[list-item]
            {"role": "tool", "tool_call_id": call.id, "content": '{"time": "14:25"}'},
        ],
        tools=[TIME_TOOL],  # type: ignore[list-item]
        temperature=0,
        max_tokens=40,
    )
    assert "14" in (follow.choices[0].message.content or ""), follow.choices[0].message.content


def test_sdk_errors(server: JarvisServer, sdk: openai.OpenAI) -> None:
    bad = openai.OpenAI(base_url=f"{server.url}/v1", api_key="jv_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    with pytest.raises(openai.UnprocessableEntityError) as empty:
        sdk.chat.completions.create(model="jarvis", messages=[])
    assert empty.value.status_code == 422
    with pytest.raises(openai.UnprocessableEntityError) as image:
        sdk.chat.completions.create(
            model="jarvis",
            messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}],
        )
    assert "image_url" in str(image.value)
