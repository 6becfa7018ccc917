"""`jarvis bench llm`: time to first token (cold, warm) and decoding speed through Jarvis vs raw llama-cpp-python."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jarvis.config import Settings
from jarvis.engines import model_path_for
from jarvis.events import Event, LlmDelta, RunEnd
from jarvis.llm.base import ChatMessage
from jarvis.llm.llama_cpp import CHATML_STOPS, NEXT_MESSAGE, LlamaCppEngine
from jarvis.services import Services, build_services

QUESTIONS = (
    "Quelle est la capitale de l'Italie ?",
    "Comment dit-on merci en espagnol ?",
    "Donne-moi une idée de dîner rapide.",
    "Combien font douze fois douze ?",
    "Quel temps fait-il en général en Bretagne ?",
    "Peux-tu me rappeler de boire de l'eau ?",
    "Qui a écrit Les Misérables ?",
)
STORY = "Raconte-moi une longue histoire sur un phare au bord de la mer."
Progress = Callable[[str], None]


@dataclass
class Samples:
    values: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        values = sorted(self.values)
        return {
            "median": round(statistics.median(values), 4) if values else None,
            "min": round(values[0], 4) if values else None,
            "max": round(values[-1], 4) if values else None,
            "runs": [round(v, 4) for v in self.values],
        }


def _rate(stamps: list[float]) -> float | None:
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return None
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


async def _turn(services: Services, text: str, conversation_id: str | None) -> tuple[float | None, list[float], str]:
    """One turn through the whole pipeline (store, prompt, queue, engine, events): TTFT and token arrival times."""
    prepared = await services.pipeline.prepare(text, conversation_id)
    started = time.perf_counter()
    stamps: list[float] = []

    async def emit(event: Event) -> None:
        if isinstance(event, LlmDelta):
            stamps.append(time.perf_counter())
        elif isinstance(event, RunEnd) and event.status != "complete":
            raise RuntimeError(f"run ended {event.status}")

    await services.pipeline.run(prepared, emit)
    ttft = stamps[0] - started if stamps else None
    return ttft, stamps, prepared.conversation_id


async def _conversation_ttft(
    settings: Settings, runs: int, progress: Progress, label: str, *, drafted: bool = False
) -> Samples:
    """TTFT of each next question in one conversation, after the previous answer (and any warming) is done;
    `drafted`: the question was sent as a draft while being typed (the web app does) before it is asked."""
    samples = Samples()
    services = await build_services(settings)
    try:
        await services.engine.load()
        _, _, conversation = await _turn(services, "Bonjour Jarvis !", None)
        await services.settle()
        for index in range(runs):
            progress(f"{label} {index + 1}/{runs}")
            question = QUESTIONS[index % len(QUESTIONS)]
            if drafted:
                services.pipeline.warmer.prefill(question, conversation)
                await services.pipeline.warmer.wait_prefilled()
                await services.llm.wait_warm()
            ttft, _, conversation = await _turn(services, question, conversation)
            if ttft is not None:
                samples.values.append(ttft)
            await services.settle()  # the user reads the answer: what Jarvis does meanwhile is done
    finally:
        await services.close()
    return samples


async def _raw_stream(engine: LlamaCppEngine, tokens: list[int], max_tokens: int) -> list[float]:
    """The baseline: llama-cpp-python's own streaming completion on the same model object and prompt."""

    def run() -> list[float]:
        stamps = []
        with engine.exclusive() as llama:
            for _ in llama.create_completion(
                tokens, max_tokens=max_tokens, temperature=0.0, repeat_penalty=1.1, stop=list(CHATML_STOPS), stream=True
            ):
                stamps.append(time.perf_counter())
        return stamps

    return await asyncio.to_thread(run)


async def _new_token_floor(services: Services, engine: LlamaCppEngine, runs: int) -> tuple[Samples, int]:
    """The floor under a warm first token: raw llama.cpp evaluating only what a turn adds (the question and the
    template's turn markers), everything before it already in the cache. No scheduling can go below it."""
    tools = services.pipeline.tool_specs
    next_message: ChatMessage = {"role": "user", "content": NEXT_MESSAGE}
    marked = engine.render_prompt([*services.prompts.build_prefix([]), next_message], tools)
    head = engine.tokenize(marked[: marked.index(NEXT_MESSAGE)])  # what prefix warming evaluates ahead
    new_tokens = 0
    samples = Samples()
    for index in range(runs):
        question = QUESTIONS[index % len(QUESTIONS)]
        tokens = engine.tokenize(engine.render_prompt(services.prompts.build([], question), tools))
        cached = next((i for i, (a, b) in enumerate(zip(head, tokens, strict=False)) if a != b), len(head))

        def run(tokens: list[int] = tokens, cached: int = cached) -> float:
            with engine.exclusive() as llama:
                if llama.longest_token_prefix(llama._input_ids.tolist(), tokens) < cached:
                    llama.reset()
                    llama.eval(tokens[:cached])  # the prefix, once (every question shares it)
                llama.n_tokens = cached
                started = time.perf_counter()
                llama.eval(tokens[cached:])
                return time.perf_counter() - started

        samples.values.append(await asyncio.to_thread(run))
        new_tokens = len(tokens) - cached
    return samples, new_tokens


async def run_llm_bench(settings: Settings, runs: int, progress: Progress) -> dict[str, Any]:
    if settings.llm.backend != "llama_cpp":
        raise ValueError("jarvis bench llm mesure le moteur embarqué : utilisez llm.backend=llama_cpp")
    model_path = model_path_for(settings)
    cold_load, cold_ttft = Samples(), Samples()
    with tempfile.TemporaryDirectory(prefix="jarvis-bench-") as tmp:
        # A throw-away database; the models stay where `jarvis setup` put them.
        bench_settings = settings.model_copy(
            update={
                "store": settings.store.model_copy(update={"url": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"}),
                "llm": settings.llm.model_copy(update={"temperature": 0.0}),
            }
        )
        # Cold: a fresh model load, then the first question with nothing cached.
        for index in range(runs):
            progress(f"cold {index + 1}/{runs}")
            services = await build_services(bench_settings)
            try:
                started = time.perf_counter()
                await services.engine.load()
                cold_load.values.append(time.perf_counter() - started)
                ttft, _, _ = await _turn(services, QUESTIONS[index % len(QUESTIONS)], None)
                if ttft is not None:
                    cold_ttft.values.append(ttft)
            finally:
                await services.close()

        # Warm: the next message of an ongoing conversation, with and without prefix warming (the baseline is
        # llama.cpp's own prefix reuse alone).
        warm_ttft = await _conversation_ttft(bench_settings, runs, progress, "warm")
        drafted_ttft = await _conversation_ttft(bench_settings, runs, progress, "drafted", drafted=True)
        no_warming = bench_settings.model_copy(
            update={"llm": bench_settings.llm.model_copy(update={"prefix_warming": False})}
        )
        unwarmed_ttft = await _conversation_ttft(no_warming, runs, progress, "no-warming")

        # Throughput: the same long answer through Jarvis and through raw llama-cpp-python, interleaved.
        services = await build_services(bench_settings)
        try:
            engine = services.engine
            assert isinstance(engine, LlamaCppEngine)
            await engine.load()
            floor, new_tokens = await _new_token_floor(services, engine, runs)
            jarvis_rate, raw_rate, paired = Samples(), Samples(), Samples()
            max_tokens = services.params.max_tokens
            for index in range(runs):
                progress(f"throughput {index + 1}/{runs}")
                _, stamps, _ = await _turn(services, STORY, None)
                await services.settle()  # the baseline must not share the CPU with Jarvis's background work
                jarvis = _rate(stamps)
                # The same prompt as Jarvis's turn (tool definitions included): both reuse the same cached prefix.
                story = services.prompts.build([], STORY)
                tokens = engine.tokenize(engine.render_prompt(story, services.pipeline.tool_specs))
                raw = _rate(await _raw_stream(engine, tokens, max_tokens))
                jarvis_rate.values.extend([jarvis] if jarvis is not None else [])
                raw_rate.values.extend([raw] if raw is not None else [])
                if jarvis is not None and raw is not None:
                    paired.values.append(jarvis / raw)
        finally:
            await services.close()

    # The median of each run's ratio with its raw run just after: a machine that slows down or speeds up during the
    # benchmark (shared CPUs) moves both sides of a pair alike.
    ratio = statistics.median(paired.values) if paired.values else None
    results = {
        "benchmark": "llm",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "model": str(model_path),
        "threads": engine.threads,
        "runs": runs,
        "max_tokens": max_tokens,
        "cold_load_seconds": cold_load.summary(),
        "cold_ttft_seconds": cold_ttft.summary(),
        "warm_ttft_seconds": warm_ttft.summary(),
        "warm_ttft_without_prefix_warming_seconds": unwarmed_ttft.summary(),
        # The question evaluated from its draft while it was typed (WebSocket `draft`, as the web app sends).
        "warm_ttft_after_draft_seconds": drafted_ttft.summary(),
        # Raw llama.cpp evaluating only a turn's new tokens (here the last question's count) on a cached prefix.
        "new_tokens_eval_floor_seconds": floor.summary(),
        "new_tokens": new_tokens,
        "jarvis_tokens_per_second": jarvis_rate.summary(),
        "raw_llama_cpp_tokens_per_second": raw_rate.summary(),
        "throughput_ratio": round(ratio, 4) if ratio is not None else None,
        "throughput_ratio_per_run": [round(value, 4) for value in paired.values],
        "targets": {"throughput_ratio_min": 0.95, "warm_ttft_seconds_max": 0.15},
    }
    return results
