"""In-memory hybrid index over memory items: embedding similarity plus BM25 keyword scores, weighted by
importance and recency. The database stays the source of truth; the index is rebuilt from it at start-up.

Why in memory rather than SQLite FTS5: the same index works with encrypted text (FTS would store every word in
clear), on PostgreSQL, and answers in a few milliseconds at 100k items.

How a search stays fast and exact at 100k items: scanning a float32 matrix (100k x 384 = 150 MB) costs a memory-bound
matrix-vector product, made worse by BLAS threads fighting the other engines for the two cores. So the index also
keeps every vector quantised to int8 with a per-row scale (38 MB) and scans that with one SIMD kernel on one core
(numkong). Each approximate cosine comes with a guaranteed error bound (Cauchy-Schwarz on the quantisation residuals
of the row and of the query), which turns into lower and upper bounds of the final score; only the items whose upper
bound reaches the k-th best lower bound are rescored in float32. The hits (order, scores, cosines) are therefore those
of the exact float32 search, which `search(..., exact=True)` still runs for comparison. Keyword scores come from
per-term postings arrays (slots and term frequencies), so BM25 only touches the items that share a query word."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import numkong
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
# Slack added to the quantisation error bound for float32 rounding (cosines are exact to about 1e-6).
_ROUNDING_SLACK = 1e-4
# New rows are quantised this many at a time (one vectorised pass), or at the next search.
QUANTISE_BATCH = 256
# How many times `limit` items get their guaranteed score computed to prune the others (see search()).
SAMPLE = 4

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


class _Postings:
    """The slots holding one term and the term's frequency in each, as arrays that grow by doubling; a removal moves
    the last pair into the hole, a batch of removals compacts them in one pass (BM25 sums do not care about order)."""

    __slots__ = ("size", "slots", "tfs")

    def __init__(self) -> None:
        self.slots: NDArray[np.intp] = np.empty(4, dtype=np.intp)
        self.tfs: NDArray[np.float32] = np.empty(4, dtype=np.float32)
        self.size = 0

    def add(self, slot: int, tf: int) -> None:
        if self.size == len(self.slots):
            self.slots = np.concatenate([self.slots, np.empty_like(self.slots)])
            self.tfs = np.concatenate([self.tfs, np.empty_like(self.tfs)])
        self.slots[self.size] = slot
        self.tfs[self.size] = tf
        self.size += 1

    def discard(self, slots: NDArray[np.intp]) -> None:
        held = self.slots[: self.size]
        if len(slots) == 1:  # one item: move the last pair into its place
            found = np.flatnonzero(held == slots[0])
            if found.size:
                last = self.size - 1
                self.slots[found[0]], self.tfs[found[0]] = self.slots[last], self.tfs[last]
                self.size = last
            return
        keep = ~np.isin(held, slots, kind="table")
        kept = int(np.count_nonzero(keep))
        if kept < self.size:
            self.slots[:kept] = held[keep]
            self.tfs[:kept] = self.tfs[: self.size][keep]
            self.size = kept

    def arrays(self) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
        return self.slots[: self.size], self.tfs[: self.size]


def quantise(vectors: NDArray[np.float32]) -> tuple[NDArray[np.int8], NDArray[np.float32], NDArray[np.float32]]:
    """int8 codes of each row with their scale (row ~= scale * codes) and the norm of what the codes miss."""
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    peak = np.abs(vectors).max(axis=1)
    scale = np.where(peak > 0.0, peak / 127.0, 1.0).astype(np.float32)
    codes = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    residual = vectors - scale[:, None] * codes.astype(np.float32)
    return codes, scale, np.linalg.norm(residual, axis=1).astype(np.float32)


@dataclass
class HybridIndex:
    language: str = "fr"
    capacity: int = 1024
    _ids: list[str | None] = field(default_factory=list)
    _slot: dict[str, int] = field(default_factory=dict)
    _free: list[int] = field(default_factory=list)
    _terms: list[Counter[str]] = field(default_factory=list)
    _postings: dict[str, _Postings] = field(default_factory=dict)
    _stale: list[int] = field(default_factory=list)  # slots whose quantised copy is out of date
    _total_length: int = 0

    def __post_init__(self) -> None:
        self._vectors = np.zeros((self.capacity, DIM), dtype=np.float32)
        # The quantised copy scanned by every search: row ~= _scale * _codes, and for any unit query q,
        # |q . row - _scale * (q . _codes)| <= _residual (plus the query's own quantisation, see search()).
        self._codes = np.zeros((self.capacity, DIM), dtype=np.int8)
        self._scale = np.zeros(self.capacity, dtype=np.float32)
        self._code_norm = np.zeros(self.capacity, dtype=np.float32)  # || _scale * _codes ||
        self._residual = np.zeros(self.capacity, dtype=np.float32)
        self._dots = np.zeros(self.capacity, dtype=np.float32)  # output buffer of the int8 scan
        self._alive = np.zeros(self.capacity, dtype=bool)
        self._weight = np.zeros(self.capacity, dtype=np.float32)
        self._updated = np.zeros(self.capacity, dtype=np.float64)  # POSIX seconds
        self._length = np.zeros(self.capacity, dtype=np.float32)

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, memory_id: object) -> bool:
        return memory_id in self._slot

    _ROW_ARRAYS = (
        "_vectors",
        "_codes",
        "_scale",
        "_code_norm",
        "_residual",
        "_alive",
        "_weight",
        "_updated",
        "_length",
    )

    def _grow(self) -> None:
        self.capacity *= 2
        for name in self._ROW_ARRAYS:
            old = getattr(self, name)
            new = np.zeros((self.capacity, *old.shape[1:]), dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self._dots = np.zeros(self.capacity, dtype=np.float32)

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
        for term, tf in counts.items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = _Postings()
            postings.add(slot, tf)
        length = sum(counts.values())
        self._total_length += length
        self._length[slot] = length
        self._vectors[slot] = entry.vector
        # Quantised in batches (start-up loads 100k items), the last ones at the next search.
        self._stale.append(slot)
        if len(self._stale) >= QUANTISE_BATCH:
            self._requantise()
        self._alive[slot] = True
        self._weight[slot] = IMPORTANCE.get(entry.retention, 0.9)
        self._updated[slot] = entry.updated_at.timestamp()

    def remove(self, memory_id: str) -> None:
        self.remove_many([memory_id])

    def remove_many(self, memory_ids: Iterable[str]) -> None:
        """Remove items (unknown ids are ignored); each term's postings are compacted once for the whole batch."""
        by_term: dict[str, list[int]] = {}
        for memory_id in memory_ids:
            slot = self._slot.pop(memory_id, None)
            if slot is None:
                continue
            for term in self._terms[slot]:
                by_term.setdefault(term, []).append(slot)
            self._total_length -= int(self._length[slot])
            self._terms[slot] = Counter()
            self._ids[slot] = None
            self._alive[slot] = False
            self._vectors[slot] = 0.0
            self._codes[slot] = 0
            self._scale[slot] = self._code_norm[slot] = self._residual[slot] = 0.0
            self._free.append(slot)
        for term, slots in by_term.items():
            postings = self._postings.get(term)
            if postings is not None:
                postings.discard(np.array(slots, dtype=np.intp))
                if not postings.size:
                    del self._postings[term]

    def _requantise(self) -> None:
        if not self._stale:
            return
        slots = np.unique(np.array(self._stale, dtype=np.intp))
        self._stale.clear()
        codes, scale, residual = quantise(self._vectors[slots])
        self._codes[slots] = codes
        self._scale[slots] = scale
        self._code_norm[slots] = scale * np.linalg.norm(codes.astype(np.float32), axis=1)
        self._residual[slots] = residual

    def _keyword_scores(self, query: str, used: int) -> NDArray[np.float32]:
        """BM25 of every slot for the query (zero where no term is shared)."""
        scores = np.zeros(used, dtype=np.float32)
        count = len(self._slot)
        average = max(self._total_length / max(count, 1), 1.0)
        for term in set(terms(query, self.language)):
            postings = self._postings.get(term)
            if postings is None:
                continue
            slots, tfs = postings.arrays()
            idf = math.log(1 + (count - len(slots) + 0.5) / (len(slots) + 0.5))
            norm = tfs + BM25_K1 * (1 - BM25_B + BM25_B * self._length[slots] / average)
            scores[slots] += idf * tfs * (BM25_K1 + 1) / norm
        return scores

    def _cosine_bounds(self, vector: NDArray[np.float32], used: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Lower and upper bounds of every slot's cosine with the query, from one int8 scan.

        With row = s*c + r (codes c, scale s) and query = t*d + e (codes d, scale t):
        q . row = s*t*(c . d) + s*(c . e) + (q . r), and |s*(c . e)| <= ||s*c|| ||e||, |q . r| <= ||q|| ||r||."""
        self._requantise()
        peak = float(np.abs(vector).max())
        query_scale = peak / 127.0 if peak > 0.0 else 1.0
        query_codes = np.clip(np.rint(vector / query_scale), -127, 127).astype(np.int8)
        query_residual = float(np.linalg.norm(vector - query_scale * query_codes.astype(np.float32)))
        approx = self._dots[:used]
        # int8 dot products are exact in float32 (|c . d| <= 384 * 127 * 127 < 2**24).
        numkong.cdist(query_codes[None, :], self._codes[:used], metric="dot", out=approx.reshape(1, used))
        approx *= self._scale[:used]
        approx *= query_scale
        bound = self._code_norm[:used] * query_residual
        bound += self._residual[:used] * float(np.linalg.norm(vector)) + _ROUNDING_SLACK
        return approx - bound, np.add(approx, bound, out=approx)

    def _prior(self, slots: NDArray[np.intp], now: datetime) -> NDArray[np.float64]:
        """Importance times recency of the given slots: what multiplies their relevance."""
        age_days = np.maximum(now.timestamp() - self._updated[slots], 0.0) / 86400.0
        recency = 0.8 + 0.2 * np.exp2(-age_days / RECENCY_HALF_LIFE_DAYS)
        prior: NDArray[np.float64] = self._weight[slots] * recency
        return prior

    @staticmethod
    def _relevance(cosine: NDArray[np.float32], keyword: NDArray[np.float32]) -> NDArray[np.float32]:
        semantic = np.clip((cosine - COSINE_FLOOR) / COSINE_SPAN, 0.0, 1.0)
        relevance: NDArray[np.float32] = 0.6 * semantic + 0.4 * keyword
        return relevance

    def search(
        self, query: str, vector: NDArray[np.float32], now: datetime, limit: int = 5, *, exact: bool = False
    ) -> list[Hit]:
        """The most relevant items, best first; unrelated items (neither similar nor sharing words) are left out.

        `exact=True` scores every item from the float32 vectors; the default scans the int8 copy and rescores in
        float32 only the items that can still make the top `limit`: both give the same hits."""
        used = len(self._ids)
        if not self._slot or limit <= 0:
            return []
        vector = np.asarray(vector, dtype=np.float32)
        keyword = self._keyword_scores(query, used)
        if keyword.any():
            keyword /= max(float(keyword.max()), 3.0)  # a single weak shared word stays a weak signal
        alive = self._alive[:used]
        if exact:
            candidates = np.flatnonzero(alive)
            cosine = (self._vectors[:used] @ vector)[candidates]
        else:
            low, high = self._cosine_bounds(vector, used)
            # An item can only score if its best possible cosine clears the floor or it shares a word.
            candidates = np.flatnonzero(alive & ((high > COSINE_FLOOR) | (keyword > 0.0)))
            if candidates.size > limit:
                shared = keyword[candidates]
                # Best possible scores: upper cosines, recency at its best (1; no exp over every candidate).
                best_possible = self._relevance(high[candidates], shared) * self._weight[candidates]
                # Guaranteed scores (lower cosines, true recency) of the likeliest few: `limit` items score at least
                # the limit-th of them, so an item whose best possible score falls below it cannot make the top.
                sample = SAMPLE * limit
                likely = (
                    np.argpartition(best_possible, -sample)[-sample:]
                    if candidates.size > sample
                    else np.arange(candidates.size)
                )
                guaranteed = self._relevance(low[candidates[likely]], shared[likely]) * self._prior(
                    candidates[likely], now
                )
                candidates = candidates[best_possible >= np.partition(guaranteed, -limit)[-limit]]
            cosine = self._vectors[candidates] @ vector
        final = self._relevance(cosine, keyword[candidates]) * self._prior(candidates, now)
        scored = np.flatnonzero(final > 0.0)
        if scored.size > limit:
            scored = scored[final[scored] >= np.partition(final[scored], -limit)[-limit]]
        # Best first; equal scores in slot order, so that both ways of searching pick the same items.
        best = scored[np.lexsort((candidates[scored], -final[scored]))[:limit]]
        return [
            Hit(
                id=str(self._ids[candidates[i]]),
                score=float(final[i]),
                cosine=float(cosine[i]),
                keyword=float(keyword[candidates[i]]),
            )
            for i in (int(i) for i in best)
        ]
