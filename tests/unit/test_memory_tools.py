"""The memory tools of the LLM tool loop (`remember`, `search_memory`) over a real MemoryService on SQLite, with the
deterministic HashEmbedder (the real Embedder interface)."""

from __future__ import annotations

import json
from pathlib import Path

from jarvis.llm.base import ToolCall
from jarvis.tools.base import current_request
from jarvis.tools.builtin import memory_tools
from jarvis.tools.registry import ToolRegistry
from tests.unit.test_memory_service import opened, stored


async def test_remember_stores_a_fact_about_the_user_and_search_finds_it(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as memory:
        registry = ToolRegistry()
        registry.set_source("builtin", memory_tools(memory))
        remember = registry.get("remember")
        assert remember is not None and remember.direct  # "C'est noté" is the reply itself
        said = await remember.run({"text": "mon fils s'appelle Léo"})
        assert said == "C'est noté, je m'en souviendrai."
        rows = await stored(memory)
        assert [r.text for r in rows] == ["Son fils s'appelle Léo."] and rows[0].kind == "note"
        assert await remember.run({"text": "mon fils s'appelle Léo"}) == "Je le savais déjà, c'est bien noté."
        assert len(await stored(memory)) == 1

        search = registry.get("search_memory")
        assert search is not None and not search.direct  # the model reads the result and answers
        assert await search.run({"query": "comment s'appelle mon fils ?"}) == "- Son fils s'appelle Léo."
        await remember.run({"text": "ma voiture est une Zoé bleue"})
        found = await search.run({"query": "de quelle couleur est ma voiture ?"})
        assert found.splitlines()[0] == "- Sa voiture est une Zoé bleue."


async def test_search_memory_with_nothing_stored(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as memory:
        search = memory_tools(memory)[1]
        assert await search.run({"query": "le code du portail"}) == "Aucun souvenir ne correspond."


async def test_memory_tools_are_short_and_validate_arguments(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as memory:
        registry = ToolRegistry()
        registry.set_source("builtin", memory_tools(memory))
        specs = registry.specs()
        assert specs is not None
        assert sorted(s["function"]["name"] for s in specs) == ["remember", "search_memory"]
        # They go into the constant prompt prefix: a few dozen tokens each.
        assert all(len(json.dumps(s, ensure_ascii=False)) < 320 for s in specs)
        bad = await registry.execute(ToolCall(id="1", name="remember", arguments={"text": "   "}))
        assert not bad.ok and bad.error_code == "memory-empty" and await stored(memory) == []
        empty = await registry.execute(ToolCall(id="2", name="search_memory", arguments={}))
        assert not empty.ok and empty.error_code == "tool-invalid-arguments"


async def test_remember_refuses_what_the_user_never_asked_to_keep(tmp_path: Path) -> None:
    """« Appelle maman » once got « C'est noté »: the small model stored the order it could not carry out. Only a
    request to keep something, or something the user tells about themselves, is stored."""
    async with opened(tmp_path / "m.db") as memory:
        registry = ToolRegistry()
        registry.set_source("builtin", memory_tools(memory))
        for request in ("Appelle maman.", "Envoie un message à ma sœur", "Call mom"):
            token = current_request.set(request)
            try:
                result = await registry.execute(ToolCall(id="1", name="remember", arguments={"text": "appeler maman"}))
            finally:
                current_request.reset(token)
            assert not result.ok and result.error_code == "tool-not-asked", request
            assert result.content == "Désolé, je ne sais pas faire ça."
        assert await stored(memory) == []
        for request in ("Je m'appelle Gaspard.", "Garde en tête que le code du portail est 1234"):
            token = current_request.set(request)
            try:
                result = await registry.execute(ToolCall(id="2", name="remember", arguments={"text": request}))
            finally:
                current_request.reset(token)
            assert result.ok, (request, result)
        assert len(await stored(memory)) == 2
