"""HybridIndex: put/replace/remove, growth, BM25 + cosine scoring, folding, weighting by importance and recency."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from numpy.typing import NDArray

from jarvis.bench.memory import QUESTIONS, facts
from jarvis.memory.index import BM25_B, BM25_K1, DIM, IMPORTANCE, Entry, HybridIndex, fold, quantise, terms

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def unit(*weights: tuple[int, float]) -> NDArray[np.float32]:
    """A normalised vector with the given (axis, weight) components."""
    vector = np.zeros(DIM, dtype=np.float32)
    for axis, weight in weights:
        vector[axis] = weight
    norm = float(np.linalg.norm(vector))
    assert norm > 0
    return vector / norm


def axis(i: int) -> NDArray[np.float32]:
    return unit((i, 1.0))


def entry(
    memory_id: str,
    text: str,
    vector: NDArray[np.float32],
    retention: str = "normal",
    updated_at: datetime = NOW,
) -> Entry:
    return Entry(memory_id, text, vector, retention, updated_at)


def ids(index: HybridIndex, query: str, vector: NDArray[np.float32], limit: int = 5) -> list[str]:
    return [hit.id for hit in index.search(query, vector, NOW, limit=limit)]


def test_fold_and_terms() -> None:
    assert fold("Léa À L'École") == "lea a l'ecole"
    # Stop words go, accents and plurals fold to the same stems.
    assert terms("Les écoles") == terms("ecole") == ["ecol"]
    assert terms("Léa aime les fraises") == terms("lea aime la fraise")
    # Words of a topic also give the topic's marker: "habite" and "déménagé" meet on "@home".
    assert terms("L'utilisateur habite à Lyon.") == ["utilis", "habit", "@home", "lyon"]
    assert "@home" in terms("J'ai déménagé l'an dernier")
    assert terms("the cats", "en") == terms("cat", "en")


def test_empty_index_finds_nothing() -> None:
    index = HybridIndex()
    assert len(index) == 0
    assert index.search("Lyon", axis(0), NOW) == []


def test_put_replace_remove() -> None:
    index = HybridIndex()
    index.put(entry("a", "L'utilisateur habite à Lyon.", axis(0)))
    index.put(entry("b", "Sa fille s'appelle Léa.", axis(1)))
    assert len(index) == 2
    assert "a" in index and "b" in index and "c" not in index
    assert ids(index, "Lyon", axis(0)) == ["a"]

    # Replacing "a" drops its old words and vector.
    index.put(entry("a", "L'utilisateur habite à Paris.", axis(2)))
    assert len(index) == 2
    assert ids(index, "Lyon", axis(0)) == []
    assert ids(index, "Paris", axis(2)) == ["a"]

    index.remove("a")
    assert len(index) == 1
    assert "a" not in index
    assert ids(index, "Paris", axis(2)) == []
    index.remove("a")  # removing twice is harmless
    index.remove("never-there")
    assert ids(index, "Léa", axis(1)) == ["b"]


def test_removed_items_never_come_back() -> None:
    index = HybridIndex()
    index.put(entry("old", "Son chat s'appelle Minou.", axis(3)))
    index.put(entry("keep", "Sa fille s'appelle Léa.", axis(1)))
    index.remove("old")
    # Its slot is reused by a different item: the old words and vector must not lead to the new item.
    index.put(entry("new", "Le code du portail est 1234.", axis(4)))
    assert ids(index, "chat Minou", axis(3)) == []
    assert ids(index, "code portail", axis(4)) == ["new"]
    for _ in range(3):
        index.put(entry("other", "Son chien s'appelle Rex.", axis(5)))
        index.remove("other")
    assert ids(index, "chien Rex", axis(5)) == []
    assert ids(index, "chat Minou", axis(3)) == []
    assert len(index) == 2


def test_growth_past_capacity_keeps_every_item() -> None:
    index = HybridIndex(capacity=2)
    for i in range(9):
        index.put(entry(f"m{i}", f"Souvenir numéro mot{i}x.", axis(i), updated_at=NOW - timedelta(days=i)))
    assert index.capacity >= 9
    assert len(index) == 9
    for i in range(9):
        hits = index.search(f"mot{i}x", axis(i), NOW)
        assert hits[0].id == f"m{i}"
        assert hits[0].cosine == pytest.approx(1.0)
    # Removals after growth still work.
    index.remove("m0")
    assert ids(index, "mot0x", axis(0)) == []


def test_keyword_and_cosine_both_contribute() -> None:
    index = HybridIndex()
    query_vector = axis(0)
    # Same meaning, no shared word.
    index.put(entry("semantic", "Grande maison au bord du Rhône.", unit((0, 0.95), (1, 0.31))))
    # Shared words, unrelated vector.
    index.put(entry("keyword", "L'utilisateur habite à Lyon.", axis(2)))
    # Both.
    index.put(entry("both", "Lyon est la ville où il habite.", unit((0, 0.97), (3, 0.24))))
    hits = index.search("habite Lyon", query_vector, NOW)
    by_id = {hit.id: hit for hit in hits}
    assert set(by_id) == {"semantic", "keyword", "both"}
    assert hits[0].id == "both"
    assert by_id["semantic"].keyword == 0.0
    assert by_id["semantic"].cosine > 0.9
    assert by_id["keyword"].keyword > 0.0
    assert by_id["keyword"].cosine == pytest.approx(0.0)
    assert by_id["both"].keyword > 0 and by_id["both"].cosine > 0.9
    assert by_id["both"].score > max(by_id["semantic"].score, by_id["keyword"].score)


def test_cosine_below_the_floor_counts_for_nothing() -> None:
    index = HybridIndex()
    # cos = 0.7 with the query: below COSINE_FLOOR, and no shared word.
    index.put(entry("near", "Quelque chose d'autre.", unit((0, 0.7), (1, 0.714))))
    assert ids(index, "Lyon", axis(0)) == []


def test_accents_and_plurals_are_folded() -> None:
    index = HybridIndex()
    index.put(entry("lea", "Léa adore les fraises et les écoles.", axis(1)))
    hits = index.search("lea fraise ecole", axis(50), NOW)
    assert [hit.id for hit in hits] == ["lea"]
    assert hits[0].keyword > 0


def test_unrelated_items_are_left_out() -> None:
    index = HybridIndex()
    index.put(entry("city", "L'utilisateur habite à Lyon.", axis(0)))
    index.put(entry("daughter", "Sa fille s'appelle Léa.", axis(1)))
    index.put(entry("cat", "Son chat s'appelle Minou.", axis(2)))
    hits = index.search("Dans quelle ville habite-t-il ?", unit((0, 0.96), (9, 0.28)), NOW)
    assert [hit.id for hit in hits] == ["city"]
    # Stop words alone never relate anything.
    assert ids(index, "le la les de à", axis(40)) == []


def test_limit() -> None:
    index = HybridIndex()
    for i in range(10):
        index.put(entry(f"m{i}", f"Lyon fait {i}.", axis(i)))
    hits = index.search("Lyon", axis(100), NOW, limit=3)
    assert len(hits) == 3
    assert all(hit.keyword > 0 for hit in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_importance_orders_equal_matches() -> None:
    index = HybridIndex()
    vector = axis(0)
    text = "L'utilisateur habite à Lyon."
    for retention in ("auto_delete", "temporary", "normal", "important"):
        index.put(entry(retention, text, vector, retention))
    hits = index.search("habite Lyon", vector, NOW)
    assert [hit.id for hit in hits] == ["important", "normal", "temporary", "auto_delete"]
    assert hits[0].score > hits[1].score > hits[2].score > hits[3].score


def test_recency_orders_equal_matches() -> None:
    index = HybridIndex()
    vector = axis(0)
    text = "L'utilisateur habite à Lyon."
    index.put(entry("two-years", text, vector, updated_at=NOW - timedelta(days=730)))
    index.put(entry("today", text, vector, updated_at=NOW))
    index.put(entry("half-year", text, vector, updated_at=NOW - timedelta(days=180)))
    hits = index.search("Lyon", vector, NOW)
    assert [hit.id for hit in hits] == ["today", "half-year", "two-years"]
    # Half-life of 180 days on the 20 % recency part.
    assert hits[1].score / hits[0].score == pytest.approx(0.9, rel=1e-3)
    # A future timestamp counts as now.
    index.put(entry("future", text, vector, updated_at=NOW + timedelta(days=10)))
    scores = {h.id: h.score for h in index.search("Lyon", vector, NOW)}
    assert scores["future"] == pytest.approx(scores["today"])


def test_relevance_beats_importance() -> None:
    index = HybridIndex()
    index.put(entry("weak", "Il fait beau à Lyon.", unit((0, 0.85), (1, 0.53)), "permanent"))
    index.put(entry("strong", "L'utilisateur habite à Lyon.", axis(0), "auto_delete"))
    assert ids(index, "habite Lyon", axis(0)) == ["strong", "weak"]


def reference_keyword_scores(texts: dict[str, str], query: str) -> dict[str, float]:
    """BM25 computed from scratch over the live items, normalised as the index does."""
    counts = {memory_id: Counter(terms(text)) for memory_id, text in texts.items()}
    count = len(counts)
    average = max(sum(sum(c.values()) for c in counts.values()) / max(count, 1), 1.0)
    scores = dict.fromkeys(counts, 0.0)
    for term in set(terms(query)):
        having = [memory_id for memory_id, c in counts.items() if term in c]
        if not having:
            continue
        idf = math.log(1 + (count - len(having) + 0.5) / (len(having) + 0.5))
        for memory_id in having:
            tf = counts[memory_id][term]
            length = sum(counts[memory_id].values())
            scores[memory_id] += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * length / average))
    top = max(scores.values(), default=0.0)
    return {memory_id: score / max(top, 3.0) for memory_id, score in scores.items() if score > 0}


def test_keyword_scores_match_bm25_through_puts_and_removes() -> None:
    """Random puts, replacements and removals (slots reused, postings changed): the index's keyword scores always
    equal a from-scratch BM25 over what is alive."""
    words = ["Lyon", "Paris", "chat", "chiens", "fille", "thé", "café", "jardin", "vélo", "piscine", "école"]
    rng = random.Random(20261122)
    index = HybridIndex(capacity=4)
    texts: dict[str, str] = {}
    for step in range(400):
        memory_id = f"m{rng.randrange(12)}"
        if rng.random() < 0.3:
            index.remove(memory_id)
            texts.pop(memory_id, None)
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
            index.put(entry(memory_id, text, axis(1 + rng.randrange(50))))
            texts[memory_id] = text
        if step % 10 == 0:
            assert len(index) == len(texts)
            for _ in range(3):
                query = " ".join(rng.sample(words, rng.randint(1, 3)))
                expected = reference_keyword_scores(texts, query)
                hits = index.search(query, axis(0), NOW, limit=50)  # orthogonal: keywords alone
                assert {hit.id: hit.keyword for hit in hits} == pytest.approx(expected, rel=1e-4, abs=1e-6)


def clustered(rng: np.random.Generator, count: int, bases: int = 40) -> NDArray[np.float32]:
    """Unit vectors like e5's: all within a narrow cone (cosines around the floor), in clusters of near copies."""
    common = rng.normal(size=DIM)
    common /= np.linalg.norm(common)
    spread = rng.normal(size=(bases, DIM))
    spread /= np.linalg.norm(spread, axis=1, keepdims=True)
    centres = 0.9 * common + 0.45 * spread
    vectors = centres[np.arange(count) % bases] + rng.normal(0.0, 0.012, size=(count, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def near(rng: np.random.Generator, vectors: NDArray[np.float32], count: int) -> NDArray[np.float32]:
    """Queries in the same cone: noisy copies of some of the vectors."""
    picked = vectors[rng.integers(0, len(vectors), size=count)] + rng.normal(0.0, 0.02, size=(count, DIM))
    return (picked / np.linalg.norm(picked, axis=1, keepdims=True)).astype(np.float32)


def test_quantised_rows_and_cosine_bounds_hold() -> None:
    rng = np.random.default_rng(5)
    vectors = clustered(rng, 300)
    codes, scale, residual = quantise(vectors)
    assert codes.dtype == np.int8 and np.abs(codes.astype(np.int32)).max() == 127
    rebuilt = scale[:, None] * codes.astype(np.float32)
    assert np.linalg.norm(vectors - rebuilt, axis=1) == pytest.approx(residual, abs=1e-6)
    assert residual.max() < 0.02  # int8 keeps each row to about 1 % of its length

    index = HybridIndex()
    for i, vector in enumerate(vectors):
        index.put(entry(f"m{i}", f"souvenir {i}", vector))
    for query in [*near(rng, vectors, 20), axis(3), unit((0, 1.0), (1, -2.0))]:
        exact = vectors @ query
        low, high = index._cosine_bounds(query, len(vectors))
        assert np.all(low <= exact) and np.all(exact <= high)
        # Close to exact: the bounds are only a few hundredths wide.
        assert float(np.max(high - low)) < 0.05
        assert (low + high) / 2 == pytest.approx(exact, abs=0.01)


def test_quantised_search_gives_the_exact_search_hits() -> None:
    """On e5-like vectors crowded around the cosine floor, with shared words, mixed retention and age, slots reused:
    the int8 scan plus float32 rescoring returns exactly the hits of the float32 scan of every item."""
    rng = np.random.default_rng(11)
    vectors = clustered(rng, 3000)
    texts = facts(3000)
    retentions = list(IMPORTANCE)
    index = HybridIndex(capacity=64)
    for i in range(3000):
        age = timedelta(days=int(rng.integers(0, 900)))
        index.put(entry(f"m{i}", texts[i], vectors[i], retentions[i % len(retentions)], NOW - age))
    for i in range(0, 3000, 7):  # removals, then new items in the freed slots
        index.remove(f"m{i}")
    for i in range(0, 3000, 14):
        index.put(entry(f"n{i}", texts[(i * 31) % 3000], vectors[(i * 17) % 3000], "normal", NOW))
    queries = near(rng, vectors, 30)
    for n, query in enumerate(queries):
        text = QUESTIONS[n % len(QUESTIONS)] if n % 3 else "rien en commun"
        for limit in (1, 5, 15):
            fast = index.search(text, query, NOW, limit=limit)
            exact = index.search(text, query, NOW, limit=limit, exact=True)
            assert [h.id for h in fast] == [h.id for h in exact]
            assert len(fast) == limit
            for a, b in zip(fast, exact, strict=True):
                assert a.score == pytest.approx(b.score, rel=1e-5)  # float32 rounding of the cosine
                assert a.cosine == pytest.approx(b.cosine, abs=1e-6)
                assert a.keyword == b.keyword
    # A query far from every item (cosines far below the floor) and sharing no word finds nothing either way.
    assert index.search("zzz", -queries[0], NOW) == index.search("zzz", -queries[0], NOW, exact=True) == []


def test_equal_scores_come_in_insertion_order_both_ways() -> None:
    index = HybridIndex()
    for i in range(8):
        index.put(entry(f"m{i}", "L'utilisateur habite à Lyon.", axis(0)))
    for exact in (False, True):
        assert [h.id for h in index.search("Lyon", axis(0), NOW, limit=3, exact=exact)] == ["m0", "m1", "m2"]


def test_zero_vector_and_zero_limit() -> None:
    index = HybridIndex()
    index.put(entry("zero", "Sa fille s'appelle Léa.", np.zeros(DIM, dtype=np.float32)))
    index.put(entry("lyon", "L'utilisateur habite à Lyon.", axis(0)))
    # The zero vector is similar to nothing but still found by its words.
    assert ids(index, "fille Léa", axis(0)) == ["lyon", "zero"]
    assert ids(index, "Léa", np.zeros(DIM, dtype=np.float32)) == ["zero"]
    assert index.search("Lyon", axis(0), NOW, limit=0) == []


def test_remove_many_at_once() -> None:
    texts = {f"m{i}": f"Souvenir {i} : Lyon, le chat et le jardin numéro{i}x." for i in range(40)}
    index = HybridIndex(capacity=8)
    for i, (memory_id, text) in enumerate(texts.items()):
        index.put(entry(memory_id, text, axis(i)))
    gone = [f"m{i}" for i in range(0, 40, 3)]
    index.remove_many([*gone, "m0", "never-there"])  # duplicates and unknown ids are ignored
    for memory_id in gone:
        del texts[memory_id]
    assert len(index) == len(texts) == 26
    assert all(memory_id not in index for memory_id in gone)
    hits = index.search("Lyon chat jardin", axis(200), NOW, limit=50)
    assert {hit.id: hit.keyword for hit in hits} == pytest.approx(reference_keyword_scores(texts, "Lyon chat jardin"))
    assert ids(index, "numéro3x", axis(3)) == []
    assert ids(index, "numéro4x", axis(4)) == ["m4"]
    # Freed slots take new items, found by their own words and vectors only.
    index.put(entry("new", "Le code du portail est 1234.", axis(0)))
    assert ids(index, "portail", axis(0)) == ["new"]
    assert ids(index, "numéro0x", axis(300)) == []
