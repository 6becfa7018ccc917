"""In-memory hybrid index over memory items: embedding similarity plus BM25 keyword scores, weighted by
importance and recency. The database stays the source of truth; the index is rebuilt from it at start-up.

Why in memory rather than SQLite FTS5: the same index works with encrypted text (FTS would store every word in
clear), on PostgreSQL, and answers in a few milliseconds at 100k items (one matrix-vector product)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import numpy as np
import snowballstemmer
from numpy.typing import NDArray

DIM = 384
# Weight of a memory by retention class: what the user marked important comes first on a tie.
IMPORTANCE = {"permanent": 1.0, "important": 1.0, "normal": 0.9, "temporary": 0.8, "auto_delete": 0.75}
RECENCY_HALF_LIFE_DAYS = 180.0
# multilingual-e5 similarities sit in a narrow band: below this, a memory is unrelated to the query.
COSINE_FLOOR = 0.80
COSINE_SPAN = 0.15
BM25_K1 = 1.2
BM25_B = 0.75

_STOPWORD_LIST = """
    a au aux avec ce ces cette c d de des du elle en et est etre il ils j je l la le les leur lui m ma me mes moi
    mon n ne nos notre nous on ou par pas pour qu que qui s sa se ses son sur t ta te tes toi ton tu un une vos
    votre vous y suis es sont ai as avons avez ont fait dit tout tres plus
    an and are as at be by for from i in is it me my of on or our that the this to was we what you your
"""
_STOPWORDS = frozenset(_STOPWORD_LIST.split())
_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=4)
def _stemmer(language: str) -> snowballstemmer.Stemmer:
    name = {"fr": "french", "en": "english"}.get(language, "french")
    return snowballstemmer.stemmer(name)


def fold(text: str) -> str:
    """Lower case without accents: "Léa" and "lea" are the same word to the index."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def _stem(word: str, language: str) -> str:
    return str(_stemmer(language).stemWord(word))


# Words of one topic share a marker term, so that "où j'habite ?" finds "l'utilisateur a déménagé à Lyon".
# Matched as prefixes of accent-free words (also used to spot facts that replace one another).
TOPICS: dict[str, tuple[str, ...]] = {
    "home": ("habit", "demenag", "vit", "vis", "install", "resid", "domicil", "adress", "live", "moved", "lives"),
    "work": ("travaill", "emploi", "metier", "bosse", "boulot", "profession", "work", "job"),
    "name": ("appel", "prenom", "nom", "called", "name"),
    "age": ("ans", "age", "years", "old", "anniversaire", "birthday", "ne", "born"),
    "health": ("allerg", "malad", "medic", "sante", "regime", "vegetar", "vegan", "health"),
}


@lru_cache(maxsize=65536)
def topic_of(word: str) -> str | None:
    """The topic of an accent-free, lower-case word, if it names one."""
    for topic, stems in TOPICS.items():
        if word.startswith(stems) and (len(word) > 2 or word in stems):
            return topic
    return None


def terms(text: str, language: str = "fr") -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(fold(text)):
        if word in _STOPWORDS or len(word) < 2:
            continue
        out.append(_stem(word, language))
        topic = topic_of(word)
        if topic is not None:
            out.append(f"@{topic}")
    return out


@dataclass(frozen=True)
class Entry:
    id: str
    text: str
    vector: NDArray[np.float32]
    retention: str
    updated_at: datetime


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    cosine: float
    keyword: float


@dataclass
class HybridIndex:
    language: str = "fr"
    capacity: int = 1024
    _ids: list[str | None] = field(default_factory=list)
    _slot: dict[str, int] = field(default_factory=dict)
    _free: list[int] = field(default_factory=list)
    _terms: list[Counter[str]] = field(default_factory=list)
    _postings: dict[str, set[int]] = field(default_factory=dict)
    # Per term: its slots and term frequencies as arrays, rebuilt when the term's postings change.
    _arrays: dict[str, tuple[NDArray[np.intp], NDArray[np.float32]]] = field(default_factory=dict)
    _total_length: int = 0

    def __post_init__(self) -> None:
        self._vectors = np.zeros((self.capacity, DIM), dtype=np.float32)
        self._alive = np.zeros(self.capacity, dtype=bool)
        self._weight = np.zeros(self.capacity, dtype=np.float32)
        self._updated = np.zeros(self.capacity, dtype=np.float64)  # POSIX seconds
        self._length = np.zeros(self.capacity, dtype=np.float32)

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, memory_id: object) -> bool:
        return memory_id in self._slot

    def _grow(self) -> None:
        self.capacity *= 2
        for name in ("_vectors", "_alive", "_weight", "_updated", "_length"):
            old = getattr(self, name)
            new = np.zeros((self.capacity, *old.shape[1:]), dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def put(self, entry: Entry) -> None:
        """Add an item, or replace the item with the same id."""
        self.remove(entry.id)
        if self._free:
            slot = self._free.pop()
        else:
            slot = len(self._ids)
            if slot >= self.capacity:
                self._grow()
            self._ids.append(None)
            self._terms.append(Counter())
        counts = Counter(terms(entry.text, self.language))
        self._ids[slot] = entry.id
        self._slot[entry.id] = slot
        self._terms[slot] = counts
        for term in counts:
            self._postings.setdefault(term, set()).add(slot)
            self._arrays.pop(term, None)
        length = sum(counts.values())
        self._total_length += length
        self._length[slot] = length
        self._vectors[slot] = entry.vector
        self._alive[slot] = True
        self._weight[slot] = IMPORTANCE.get(entry.retention, 0.9)
        self._updated[slot] = entry.updated_at.timestamp()

    def remove(self, memory_id: str) -> None:
        slot = self._slot.pop(memory_id, None)
        if slot is None:
            return
        for term in self._terms[slot]:
            self._arrays.pop(term, None)
            postings = self._postings.get(term)
            if postings is not None:
                postings.discard(slot)
                if not postings:
                    del self._postings[term]
        self._total_length -= int(self._length[slot])
        self._terms[slot] = Counter()
        self._ids[slot] = None
        self._alive[slot] = False
        self._vectors[slot] = 0.0
        self._free.append(slot)

    def _term_arrays(self, term: str) -> tuple[NDArray[np.intp], NDArray[np.float32]] | None:
        arrays = self._arrays.get(term)
        if arrays is None:
            postings = self._postings.get(term)
            if not postings:
                return None
            slots = np.fromiter(postings, dtype=np.intp, count=len(postings))
            tfs = np.array([self._terms[s][term] for s in slots], dtype=np.float32)
            arrays = self._arrays[term] = (slots, tfs)
        return arrays

    def _keyword_scores(self, query: str, used: int) -> NDArray[np.float32]:
        """BM25 of every slot for the query (zero where no term is shared)."""
        scores = np.zeros(used, dtype=np.float32)
        count = len(self._slot)
        average = max(self._total_length / max(count, 1), 1.0)
        for term in set(terms(query, self.language)):
            arrays = self._term_arrays(term)
            if arrays is None:
                continue
            slots, tfs = arrays
            idf = math.log(1 + (count - len(slots) + 0.5) / (len(slots) + 0.5))
            norm = tfs + BM25_K1 * (1 - BM25_B + BM25_B * self._length[slots] / average)
            scores[slots] += idf * tfs * (BM25_K1 + 1) / norm
        return scores

    def search(self, query: str, vector: NDArray[np.float32], now: datetime, limit: int = 5) -> list[Hit]:
        """The most relevant items, best first; unrelated items (neither similar nor sharing words) are left out."""
        used = len(self._ids)
        if not self._slot:
            return []
        cosine = self._vectors[:used] @ vector
        semantic = np.clip((cosine - COSINE_FLOOR) / COSINE_SPAN, 0.0, 1.0)
        keyword = self._keyword_scores(query, used)
        if keyword.any():
            keyword /= max(float(keyword.max()), 3.0)  # a single weak shared word stays a weak signal
        relevance = 0.6 * semantic + 0.4 * keyword
        relevance[~self._alive[:used]] = 0.0
        candidates = np.flatnonzero(relevance > 0.0)
        if candidates.size == 0:
            return []
        age_days = np.maximum(now.timestamp() - self._updated[candidates], 0.0) / 86400.0
        recency = 0.8 + 0.2 * np.exp2(-age_days / RECENCY_HALF_LIFE_DAYS)
        final = relevance[candidates] * self._weight[candidates] * recency
        best = np.argpartition(-final, limit)[:limit] if final.size > limit else np.arange(final.size)
        best = best[np.argsort(-final[best])]
        return [
            Hit(
                id=str(self._ids[slot]),
                score=float(final[i]),
                cosine=float(cosine[slot]),
                keyword=float(keyword[slot]),
            )
            for i, slot in ((int(i), int(candidates[i])) for i in best)
        ]
