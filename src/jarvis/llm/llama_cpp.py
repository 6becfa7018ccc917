"""Embedded llama.cpp engine: one GGUF model loaded once, generation in a worker thread, prompt from the
model's own chat template (so tool calls use the format the model was trained on)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import structlog
from jinja2.sandbox import ImmutableSandboxedEnvironment

from jarvis.cpu import CpuPriority, cpu_priority
from jarvis.errors import LlmError, LlmUnavailableError
from jarvis.i18n import t
from jarvis.llm.base import ChatChunk, ChatMessage, EngineHealth, GenerationParams, ToolSpec
from jarvis.llm.toolcalls import ToolCallParser, bare_call_naming, could_be_bare_call, parse_bare_call

log = structlog.get_logger(__name__)

# ChatML end markers: the template closes every turn with <|im_end|>.
CHATML_STOPS = ("<|im_end|>", "<|endoftext|>")
# Stands for the next user message when rendering the prompt prefix to warm (cut just before it).
NEXT_MESSAGE = "\u2063jarvis-next-message\u2063"
# Warming evaluates in slices so that a real request interrupts it within one slice.
WARM_SLICE_TOKENS = 32
# Background work gives the model back faster still: a slice this small takes about 0.1 s on 2 cores.
BACKGROUND_SLICE_TOKENS = 8
# A request's long prompt (a conversation not warmed yet, a long message) is read in slices too, so that a cancel or
# a timeout waits one slice (about 0.7 s on 2 cores), not the whole prompt; one pass would be 2 % faster.
FOREGROUND_SLICE_TOKENS = 64
# Decoding never waits longer than this for urgent work (a voice that hangs has its own timeout).
YIELD_MAX_SECONDS = 5.0


def _raise_exception(message: str) -> None:
    raise LlmError(f"chat template: {message}")


def _tojson(value: Any, indent: int | None = None) -> str:
    # Like Hugging Face's template renderer: no HTML escaping, keep non-ASCII characters as they are.
    return json.dumps(value, ensure_ascii=False, indent=indent)


class ChatTemplate:
    """Renders a Jinja chat template the way Hugging Face's tokenizer does."""

    def __init__(self, source: str) -> None:
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise_exception
        env.filters["tojson"] = _tojson
        self._template = env.from_string(source)

    def render(self, messages: list[ChatMessage], tools: list[ToolSpec] | None) -> str:
        rendered_messages = [_for_template(m) for m in messages]
        return self._template.render(messages=rendered_messages, tools=tools or None, add_generation_prompt=True)


def _for_template(message: ChatMessage) -> ChatMessage:
    """Templates expect tool-call arguments as objects, and content as a string."""
    out = dict(message)
    if out.get("content") is None:
        out["content"] = ""
    if out.get("tool_calls"):
        calls = []
        for call in out["tool_calls"]:
            function = dict(call.get("function", call))
            if isinstance(function.get("arguments"), str):
                try:
                    function["arguments"] = json.loads(function["arguments"])
                except json.JSONDecodeError:
                    function["arguments"] = {}
            calls.append({**call, "function": function})
        out["tool_calls"] = calls
    return out


class LlamaCppEngine:
    name = "llama_cpp"
    concurrency = 1

    def __init__(
        self,
        model_path: Path,
        *,
        context_tokens: int = 4096,
        threads: int | None = None,
        priority: CpuPriority = cpu_priority,
    ) -> None:
        self.model_path = model_path
        self.priority = priority
        self.context_tokens = context_tokens
        self.threads = threads or max(1, os.cpu_count() or 1)
        self._llm: Any = None
        self._template: ChatTemplate | None = None
        self._load_lock = asyncio.Lock()
        # The model has one context: only one thread may evaluate at a time, even after a cancelled run.
        self._context_lock = threading.Lock()
        # Bumped by every real generation (and at close): a warm-up started before gives way at its next slice.
        self._epoch = 0
        self._error: str | None = None
        self._grammars: dict[str, Any] = {}

    @property
    def model_id(self) -> str:
        return self.model_path.stem

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[Any]:
        """The underlying llama_cpp.Llama, held alone (for the benchmark's raw baseline): background work and
        warm-ups wait, as they do for a generation. Blocking: call it from a worker thread."""
        self._epoch += 1
        with self._context_lock:
            if self._llm is None:
                raise LlmUnavailableError(t("llm-not-loaded"))
            yield self._llm

    async def load(self) -> None:
        async with self._load_lock:
            if self._llm is not None:
                return
            if not self.model_path.is_file():
                self._error = t("model-missing", path=self.model_path)
                raise LlmUnavailableError(self._error)
            try:
                self._llm = await asyncio.to_thread(self._load_sync)
            except ImportError as exc:
                self._error = (
                    "llama-cpp-python n'est pas installé : lancez « make install » (ou pip install -e '.[llm]')."
                )
                raise LlmUnavailableError(self._error) from exc
            except (ValueError, RuntimeError, OSError) as exc:
                self._error = f"Impossible de charger {self.model_path} : {exc}"
                raise LlmUnavailableError(self._error) from exc
            source = self._llm.metadata.get("tokenizer.chat_template")
            if not source:
                raise LlmUnavailableError(f"{self.model_path} n'a pas de modèle de conversation (chat template).")
            self._template = ChatTemplate(source)
            self._error = None
            log.info("llm-loaded", model=str(self.model_path), threads=self.threads)

    def _load_sync(self) -> Any:
        from llama_cpp import Llama

        return Llama(
            model_path=str(self.model_path),
            n_ctx=self.context_tokens,
            n_threads=self.threads,
            n_threads_batch=self.threads,
            n_batch=512,
            verbose=False,
        )

    async def health(self) -> EngineHealth:
        if self._llm is not None:
            return EngineHealth(True, f"{self.model_id} chargé")
        return EngineHealth(False, self._error or "chargement en cours", failed=self._error is not None)

    def render_prompt(self, messages: list[ChatMessage], tools: list[ToolSpec] | None) -> str:
        if self._template is None:
            raise LlmUnavailableError(t("llm-not-loaded"))
        return self._template.render(messages, tools)

    def tokenize(self, prompt: str) -> list[int]:
        if self._llm is None:
            raise LlmUnavailableError(t("llm-not-loaded"))
        return list(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    async def warm(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None = None, *, whole: bool = False
    ) -> int:
        """Evaluate the prompt prefix of the next turn ahead of time (`messages` without the coming user message),
        so that the next request only evaluates its own few tokens. `whole`: the request's exact prompt, evaluated
        to its end, so that llama.cpp samples the first token from the logits it left (nothing to evaluate).
        Returns how many tokens were evaluated."""
        if self._llm is None:
            return 0
        if whole:
            tokens = self.tokenize(self.render_prompt(messages, tools))
        else:
            prompt = self.render_prompt([*messages, {"role": "user", "content": NEXT_MESSAGE}], tools)
            tokens = self.tokenize(prompt[: prompt.index(NEXT_MESSAGE)])
        return await asyncio.to_thread(self._warm_sync, tokens, self._epoch)

    def _warm_sync(self, tokens: list[int], epoch: int) -> int:
        with self._context_lock:
            if self._llm is None or self._epoch != epoch:
                return 0
            return self._prefill_locked(tokens, lambda: self._epoch != epoch)

    def _prefill_locked(
        self, tokens: list[int], interrupted: Callable[[], bool], slice_tokens: int = WARM_SLICE_TOKENS
    ) -> int:
        """Evaluate `tokens` into the cache in slices, reusing the cached prefix; stops early when `interrupted()`.
        The caller holds the context lock."""
        llm = self._llm
        cached = llm.longest_token_prefix(llm._input_ids.tolist(), tokens)
        # Keep one token to evaluate, so that logits are fresh if the prefix is the whole prompt.
        cached = min(cached, len(tokens) - 1)
        if cached <= 0:
            llm.reset()
            cached = 0
        llm.n_tokens = cached
        evaluated = 0
        for start in range(cached, len(tokens), slice_tokens):
            if interrupted():
                break
            piece = tokens[start : start + slice_tokens]
            llm.eval(piece)
            evaluated += len(piece)
        return evaluated

    def _grammar(self, schema: dict[str, Any]) -> Any:
        from llama_cpp.llama_grammar import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        grammar = self._grammars.get(key)
        if grammar is None:
            grammar = self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return grammar

    def _completion(self, tokens: list[int], params: GenerationParams) -> Iterator[dict[str, Any]]:
        return iter(
            self._llm.create_completion(
                tokens,
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                repeat_penalty=params.repeat_penalty,
                stop=list(CHATML_STOPS + params.stop),
                grammar=self._grammar(params.json_schema) if params.json_schema is not None else None,
                stream=True,
            )
        )

    async def chat(
        self, messages: list[ChatMessage], tools: list[ToolSpec] | None, params: GenerationParams
    ) -> AsyncIterator[ChatChunk]:
        tokens = self.tokenize(self.render_prompt(messages, tools))
        room = self.context_tokens - len(tokens)
        if room < 16:
            raise LlmError(
                f"Le prompt ({len(tokens)} jetons) dépasse le contexte du modèle ({self.context_tokens}).",
                code="llm-context-exceeded",
                status=422,
            )
        params = dataclasses.replace(params, max_tokens=min(params.max_tokens, room))
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()

        def post(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the loop is gone (shutdown): nobody is listening any more
                stop.set()

        cached = [0]

        self._epoch += 1  # stale warm-ups must not touch the cache after this generation

        def produce() -> None:
            with self._context_lock:
                stream = None
                try:
                    cached[0] = self._llm.longest_token_prefix(self._llm._input_ids.tolist(), tokens)
                    if params.background:
                        self._prefill_locked(tokens, stop.is_set, BACKGROUND_SLICE_TOKENS)
                    elif len(tokens) - cached[0] > 2 * FOREGROUND_SLICE_TOKENS:
                        # The last slice is read with the first token (a short prompt in one go, as before).
                        head = tokens[: len(tokens) - FOREGROUND_SLICE_TOKENS]
                        self._prefill_locked(head, stop.is_set, FOREGROUND_SLICE_TOKENS)
                    if stop.is_set():
                        post("end", None)
                        return
                    stream = self._completion(tokens, params)
                    for out in stream:
                        if stop.is_set():
                            break
                        choice = out["choices"][0]
                        post("chunk", choice)
                        if choice.get("finish_reason") is None:
                            # The voice is making audio the listener waits for: the next token can wait.
                            waited = self.priority.yield_to_urgent(stop.is_set, YIELD_MAX_SECONDS)
                            if waited >= YIELD_MAX_SECONDS:
                                log.warning("llm-yield-timeout", seconds=round(waited, 2))
                            if stop.is_set():  # cancelled while it waited: no token more
                                break
                    post("end", None)
                except Exception as exc:
                    post("error", exc)
                finally:
                    close = getattr(stream, "close", None)
                    if close is not None:
                        close()

        worker = asyncio.ensure_future(asyncio.to_thread(produce))
        parser = ToolCallParser()
        tool_names = {str(tool.get("function", {}).get("name")) for tool in tools or ()}
        # With tools, the start of the reply is held back while it may still be a bare JSON call.
        held: list[str] | None = [] if tool_names else None
        named = -1  # the index of the last call whose name was told (ChatChunk.calling)
        completion_tokens = 0
        finish_reason = "stop"
        try:
            while True:
                kind, value = await queue.get()
                if kind == "error":
                    raise LlmError(t("llm-failed", detail=value)) from value
                if kind == "end":
                    break
                completion_tokens += 1
                text, calls = parser.feed(value.get("text") or "")
                if value.get("finish_reason"):
                    finish_reason = value["finish_reason"]
                if held is not None and text:
                    held.append(text)
                    if could_be_bare_call("".join(held)):
                        if named < 0 and (name := bare_call_naming("".join(held))) is not None:
                            named = 0
                            yield ChatChunk(calling=name)
                        continue
                    text, held = "".join(held), None
                if text or calls:
                    yield ChatChunk(text=text, tool_calls=calls)
                if named < len(parser.calls) and (name := parser.naming()) is not None:
                    named = len(parser.calls)
                    yield ChatChunk(calling=name)
            text, calls = parser.finish()
            if held is not None:
                text = "".join(held) + text
                bare = parse_bare_call(text, tool_names) if not parser.calls else None
                if bare is not None:
                    text, calls = "", [*calls, bare]
                    parser.calls.append(bare)
            if parser.calls:
                finish_reason = "tool_calls"
            yield ChatChunk(
                text=text,
                tool_calls=calls,
                finish_reason=finish_reason,
                prompt_tokens=len(tokens),
                cached_tokens=cached[0],
                completion_tokens=completion_tokens,
            )
        finally:
            stop.set()
            # Let the thread notice the stop and release the context before the next generation starts.
            await asyncio.shield(worker)

    async def close(self) -> None:
        self._epoch += 1
        llm, self._llm = self._llm, None
        if llm is not None:
            await asyncio.to_thread(self._close_sync, llm)

    def _close_sync(self, llm: Any) -> None:
        with self._context_lock:
            llm.close()
