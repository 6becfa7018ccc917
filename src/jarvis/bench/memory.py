"""`jarvis bench memory`: recall latency at 1k / 10k / 100k items and the ingestion rate, with the real embedding
model and a real database file.

Embedding 100k texts would take about ten minutes, so the large indexes reuse the real embeddings of a base set of
generated French facts with a little noise added (same distribution of similarities, different vectors); the
texts themselves are all distinct, so keyword search works on a realistic vocabulary. Query embeddings are real.

Each query is searched twice in turn: the index's fast path (int8 scan, float32 rescoring) and the exact float32 scan
of every item, so the baseline is measured under the same load; the JSON tells how often both give the same hits."""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from jarvis.memory.embedder import E5Embedder
from jarvis.memory.index import Entry, HybridIndex
from jarvis.memory.items import MemoryRepository, NewMemory
from jarvis.memory.service import MemoryService
from jarvis.store.db import Database

Progress = Callable[[str], None]

_PEOPLE = ["Sa fille", "Son fils", "Sa femme", "Son mari", "Sa mère", "Son père", "Son frère", "Sa sœur", "Son ami"]
_NAMES = ["Léa", "Hugo", "Camille", "Louis", "Chloé", "Jules", "Inès", "Arthur", "Manon", "Gabriel", "Zoé", "Paul"]
_CITIES = ["Lyon", "Paris", "Nantes", "Lille", "Bordeaux", "Grenoble", "Rennes", "Nice", "Dijon", "Brest"]
_LIKES = ["le thé vert", "le café serré", "le jazz", "la randonnée", "les échecs", "la cuisine italienne", "le vélo",
          "les romans policiers", "le jardinage", "la natation", "le chocolat noir", "les films d'horreur"]  # fmt: skip
_DAYS = ["le lundi", "le mardi", "le mercredi", "le jeudi", "le vendredi", "le samedi", "le dimanche"]
_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre"]
QUESTIONS = [
    "Comment s'appelle ma fille ?", "Dans quelle ville habite mon frère ?", "Qu'est-ce que j'aime boire le matin ?",
    "Quand est l'anniversaire de ma mère ?", "Quel sport je fais le week-end ?", "Où travaille mon mari ?",
    "Quelle musique j'écoute ?", "Est-ce que je suis allergique à quelque chose ?", "Quel jour je vais à la piscine ?",
    "Comment s'appelle le chien ?",
]  # fmt: skip


def facts(count: int, seed: int = 7) -> list[str]:
    """`count` distinct French facts about a household, as memory extraction writes them."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        kind = rng.randrange(5)
        n = len(out)
        if kind == 0:
            text = f"{rng.choice(_PEOPLE)} s'appelle {rng.choice(_NAMES)} et habite à {rng.choice(_CITIES)}."
        elif kind == 1:
            text = f"L'utilisateur aime {rng.choice(_LIKES)}, surtout {rng.choice(_DAYS)}."
        elif kind == 2:
            text = f"L'anniversaire de {rng.choice(_NAMES)} est le {rng.randint(1, 28)} {rng.choice(_MONTHS)}."
        elif kind == 3:
            text = f"{rng.choice(_PEOPLE)} travaille à {rng.choice(_CITIES)} depuis {rng.randint(2, 30)} ans."
        else:
            text = f"L'utilisateur va à la piscine {rng.choice(_DAYS)} avec {rng.choice(_NAMES)}."
        text = text if text not in seen else f"{text[:-1]} (note {n})."
        seen.add(text)
        out.append(text)
    return out


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "samples": len(ordered),
    }


async def _ingestion(embedder: E5Embedder, count: int, progress: Progress) -> dict[str, Any]:
    """Items per second through MemoryService.add: embedding, duplicate check, committed insert, index."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.migrate()
        try:
            service = MemoryService(MemoryRepository(db), embedder)
            await service.start()
            texts = facts(count, seed=11)
            started = time.perf_counter()
            for i, text in enumerate(texts):
                await service.add(NewMemory(text))
                if i % 25 == 0:
                    progress(f"ingestion {i}/{count}")
            seconds = time.perf_counter() - started
        finally:
            await db.close()
    return {"items": count, "seconds": round(seconds, 3), "items_per_second": round(count / seconds, 1)}


async def run_memory_bench(
    sizes: tuple[int, ...], queries: int, ingest: int, base: int, progress: Progress
) -> dict[str, Any]:
    embedder = E5Embedder()
    await embedder.load()
    texts = facts(max(sizes))
    progress(f"plongements réels de {base} souvenirs")
    started = time.perf_counter()
    base_vectors = await embedder.passages(texts[:base])
    passage_seconds = (time.perf_counter() - started) / base
    query_texts = [QUESTIONS[i % len(QUESTIONS)] for i in range(queries)]
    query_times: list[float] = []
    query_vectors = []
    for text in query_texts:
        t0 = time.perf_counter()
        query_vectors.append(await embedder.query(text))
        query_times.append(time.perf_counter() - t0)

    rng = np.random.default_rng(3)
    now = datetime.now(UTC)
    results: dict[str, Any] = {
        "embedding": {"query": _stats(query_times), "passage_ms_each": round(passage_seconds * 1000, 2)},
        "retrieval": {},
    }
    for size in sizes:
        progress(f"index de {size} souvenirs")
        index = HybridIndex()
        noise = rng.normal(0.0, 0.015, size=(size, base_vectors.shape[1])).astype(np.float32)
        vectors = base_vectors[np.arange(size) % base] + noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        retentions = ("permanent", "important", "normal", "temporary")
        for i in range(size):
            index.put(Entry(f"m{i}", texts[i], vectors[i], retentions[i % 4], now))
        # What recall asks for: recall_limit (3) plus the spare hits that expired items may take.
        limit = 8
        search_times: list[float] = []
        exact_times: list[float] = []
        same = 0
        for text, vector in zip(query_texts, query_vectors, strict=True):
            # The exact float32 scan of every item, timed in the same run and interleaved, as the baseline.
            t0 = time.perf_counter()
            exact = index.search(text, vector, now, limit=limit, exact=True)
            exact_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            hits = index.search(text, vector, now, limit=limit)
            search_times.append(time.perf_counter() - t0)
            same += [h.id for h in hits] == [h.id for h in exact]
        # A search right after a new memory was learnt (its words' postings and its vector just changed).
        after_put: list[float] = []
        for n, (text, vector) in enumerate(zip(query_texts, query_vectors, strict=True)):
            index.put(Entry(f"new{n % 10}", texts[n % size], vectors[(n * 7) % size], "normal", now))
            t0 = time.perf_counter()
            index.search(text, vector, now, limit=limit)
            after_put.append(time.perf_counter() - t0)
        search = _stats(search_times)
        exact_stats = _stats(exact_times)
        results["retrieval"][str(size)] = {
            "search": search,
            "search_exact_float32": exact_stats,
            "speedup_p50_vs_exact": round(exact_stats["p50_ms"] / max(search["p50_ms"], 1e-3), 2),
            "same_hits_as_exact": round(same / len(query_texts), 4),
            "search_after_put": _stats(after_put),
            "load_average_1min": round(os.getloadavg()[0], 2),
            # What a turn waits for: the query's embedding plus the search.
            "recall_p50_ms": round(results["embedding"]["query"]["p50_ms"] + search["p50_ms"], 3),
            "recall_p95_ms": round(results["embedding"]["query"]["p95_ms"] + search["p95_ms"], 3),
        }
        progress(f"index de {size} souvenirs : p50 {search['p50_ms']} ms, p95 {search['p95_ms']} ms")
    results["ingestion"] = await _ingestion(embedder, ingest, progress)
    results["target"] = {"search_p95_ms_at_100k": 15.0}
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews the figures
    return results
