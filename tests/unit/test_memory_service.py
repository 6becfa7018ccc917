"""MemoryService on a real SQLite file: items, duplicates, retention, recall, profile, export/import, restart,
spoken commands. A deterministic bag-of-words Embedder for the logic, the real E5 model for French recall."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from jarvis.errors import InvalidInputError, NotFoundError
from jarvis.memory.commands import parse
from jarvis.memory.embedder import E5Embedder, Embedder
from jarvis.memory.index import DIM, fold
from jarvis.memory.items import MemoryRepository, NewMemory
from jarvis.memory.service import MemoryService
from jarvis.store.db import Database
from jarvis.store.tables import Memory

START = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


class HashEmbedder:
    """An Embedder of hashed, accent-folded words: identical word sets give cosine 1, unrelated texts ~0."""

    model_id = "test-bag-of-words"

    def __init__(self) -> None:
        self.loaded = 0
        self.embedded: list[str] = []

    async def load(self) -> None:
        self.loaded += 1

    def _vector(self, text: str) -> NDArray[np.float32]:
        vector = np.zeros(DIM, dtype=np.float32)
        for word in re.findall(r"\w+", fold(text)):
            digest = hashlib.sha256(word.encode()).digest()
            vector[int.from_bytes(digest[:4], "little") % DIM] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    async def query(self, text: str) -> NDArray[np.float32]:
        return self._vector(text)

    async def passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.embedded.extend(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@asynccontextmanager
async def opened(
    path: Path, clock: Clock | None = None, embedder: Embedder | None = None, **options: float
) -> AsyncIterator[MemoryService]:
    """A started MemoryService over the SQLite file at `path` (migrated), closed afterwards."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    service = MemoryService(
        MemoryRepository(db),
        embedder if embedder is not None else HashEmbedder(),
        clock=clock if clock is not None else Clock(),
        **options,  # type: ignore[arg-type]
    )
    try:
        await service.start()
        yield service
    finally:
        await db.close()


async def stored(service: MemoryService) -> list[Memory]:
    """What the database holds, read back with a fresh query."""
    return await service.repo.all()


# -- items ------------------------------------------------------------------------------------------------------


async def test_add_stores_and_indexes(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        row, created = await service.add(NewMemory("  L'utilisateur   habite à Lyon. ", subject=" Paul  Martin "))
        assert created
        assert row.text == "L'utilisateur habite à Lyon."
        assert row.subject == "Paul Martin"
        assert row.kind == "fact" and row.retention == "normal"
        assert row.created_at == row.updated_at == START
        assert row.expires_at == START + timedelta(days=365)
        assert row.embedding_model == HashEmbedder.model_id
        assert row.embedding is not None and len(row.embedding) == DIM * 4
        rows = await stored(service)
        assert [(r.id, r.text) for r in rows] == [(row.id, "L'utilisateur habite à Lyon.")]
        assert service.get(row.id) is not None
        assert len(service) == 1
        found = await service.search("Lyon")
        assert [f.memory.id for f in found] == [row.id]


async def test_duplicate_refreshes_instead_of_adding(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        first, created = await service.add(NewMemory("Sa fille s'appelle Léa.", retention="temporary"))
        assert created
        clock.advance(days=20)
        again, created = await service.add(NewMemory("sa fille s'appelle Lea", retention="temporary"))
        assert not created
        assert again.id == first.id
        assert again.text == "Sa fille s'appelle Léa."
        assert again.created_at == START
        assert again.updated_at == clock.now
        assert again.expires_at == clock.now + timedelta(days=30)
        rows = await stored(service)
        assert len(rows) == 1 and rows[0].updated_at == clock.now
        assert rows[0].expires_at == clock.now + timedelta(days=30)
        # A different fact is a new memory.
        _, created = await service.add(NewMemory("Son fils s'appelle Tom."))
        assert created
        assert len(await stored(service)) == 2


async def test_concurrent_adds_of_the_same_fact_store_one(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        results = await asyncio.gather(*(service.add(NewMemory("Sa fille s'appelle Léa.")) for _ in range(3)))
        assert sorted(created for _, created in results) == [False, False, True]
        assert len({row.id for row, _ in results}) == 1
        assert len(await stored(service)) == 1


async def test_update_re_embeds_and_reindexes(tmp_path: Path) -> None:
    clock = Clock()
    embedder = HashEmbedder()
    async with opened(tmp_path / "m.db", clock, embedder) as service:
        row, _ = await service.add(NewMemory("L'utilisateur habite à Lyon."))
        old_vector = row.embedding
        clock.advance(days=1)
        updated = await service.update(row.id, text="L'utilisateur habite à Marseille.", kind="event", subject="Paul")
        assert updated.id == row.id
        assert updated.text == "L'utilisateur habite à Marseille."
        assert updated.kind == "event" and updated.subject == "Paul"
        assert updated.embedding != old_vector
        assert updated.embedding == (await embedder.passages([updated.text]))[0].tobytes()
        assert updated.updated_at == clock.now
        assert [f.memory.id for f in await service.search("Marseille")] == [row.id]
        assert await service.search("Lyon") == []
        # Retention change recomputes the expiry; permanent never expires.
        updated = await service.update(row.id, retention="permanent")
        assert updated.expires_at is None
        (back,) = await stored(service)
        assert (back.text, back.kind, back.retention, back.expires_at) == (
            "L'utilisateur habite à Marseille.",
            "event",
            "permanent",
            None,
        )


async def test_update_with_bad_values_writes_nothing(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        row, _ = await service.add(NewMemory("L'utilisateur habite à Lyon."))
        for values, code in (
            ({"text": "   "}, "memory-empty"),
            ({"kind": "rumour"}, "memory-bad-kind"),
            ({"retention": "forever"}, "memory-bad-retention"),
            ({"text": "x" * 1001}, "memory-too-long"),
        ):
            with pytest.raises(InvalidInputError) as info:
                await service.update(row.id, **values)
            assert info.value.code == code
        (back,) = await stored(service)
        assert (back.text, back.kind, back.retention) == ("L'utilisateur habite à Lyon.", "fact", "normal")
        with pytest.raises(NotFoundError) as missing:
            await service.update("0" * 32, text="Autre chose.")
        assert missing.value.code == "memory-not-found"


async def test_replace_keeps_the_id_with_new_text(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        row, _ = await service.add(NewMemory("L'utilisateur habite à Lyon.", retention="important", subject="Paul"))
        clock.advance(days=3)
        new = await service.replace(row.id, NewMemory("L'utilisateur habite à Paris.", kind="fact"))
        assert new.id == row.id
        assert new.text == "L'utilisateur habite à Paris."
        assert new.subject == "Paul"  # kept when the new statement names nobody
        assert new.retention == "important"
        assert new.updated_at == clock.now
        assert new.expires_at == clock.now + timedelta(days=730)
        assert len(service) == 1
        assert [f.memory.text for f in await service.search("Paris")] == ["L'utilisateur habite à Paris."]
        assert await service.search("Lyon") == []
        (back,) = await stored(service)
        assert back.text == "L'utilisateur habite à Paris."
        with pytest.raises(NotFoundError):
            await service.replace("f" * 32, NewMemory("Rien."))


async def test_delete(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        keep, _ = await service.add(NewMemory("Sa fille s'appelle Léa."))
        gone, _ = await service.add(NewMemory("L'utilisateur habite à Lyon."))
        await service.delete(gone.id)
        assert service.get(gone.id) is None
        assert await service.search("Lyon") == []
        assert [r.id for r in await stored(service)] == [keep.id]
        for unknown in (gone.id, "does-not-exist"):
            with pytest.raises(NotFoundError) as info:
                await service.delete(unknown)
            assert info.value.code == "memory-not-found"
            assert info.value.status == 404
        assert [r.id for r in await stored(service)] == [keep.id]


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (NewMemory(""), "memory-empty"),
        (NewMemory(" \n\t "), "memory-empty"),
        (NewMemory("x" * 1001), "memory-too-long"),
        (NewMemory("Texte correct.", kind="rumour"), "memory-bad-kind"),
        (NewMemory("Texte correct.", retention="forever"), "memory-bad-retention"),
    ],
)
async def test_bad_items_are_refused(tmp_path: Path, item: NewMemory, code: str) -> None:
    async with opened(tmp_path / "m.db") as service:
        with pytest.raises(InvalidInputError) as info:
            await service.add(item)
        assert info.value.code == code
        assert info.value.status == 422
        assert info.value.message
        assert await stored(service) == []
        assert len(service) == 0


async def test_longest_text_is_accepted(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        row, _ = await service.add(NewMemory("x" * 1000))
        assert len(row.text) == 1000


async def test_search_rejects_an_empty_query(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        with pytest.raises(InvalidInputError) as info:
            await service.search("   ")
        assert info.value.code == "memory-empty-query"


async def test_items_listing(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        a, _ = await service.add(NewMemory("Sa fille s'appelle Léa.", subject="Léa"))
        clock.advance(minutes=1)
        b, _ = await service.add(NewMemory("L'utilisateur aime le thé.", kind="preference"))
        clock.advance(minutes=1)
        c, _ = await service.add(NewMemory("Le plombier passe jeudi.", kind="event"))
        assert [r.id for r in service.items()] == [c.id, b.id, a.id]
        assert [r.id for r in service.items(kind="preference")] == [b.id]
        assert [r.id for r in service.items(subject="LÉA")] == [a.id]
        assert [r.id for r in service.items(limit=1, offset=1)] == [b.id]


# -- retention --------------------------------------------------------------------------------------------------


async def test_retention_expiry(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        ids = {}
        for retention, text in (
            ("permanent", "Son groupe sanguin est O+."),
            ("important", "Sa fille s'appelle Léa."),
            ("normal", "L'utilisateur aime le thé vert."),
            ("temporary", "Le plombier passe jeudi."),
            ("auto_delete", "Le code wifi invité est 4321."),
        ):
            row, _ = await service.add(NewMemory(text, retention=retention))
            ids[retention] = row.id

        async def alive() -> set[str]:
            in_db = {r.retention for r in await stored(service)}
            in_service = {r.retention for r in service.items()}
            assert in_db == in_service
            return in_db

        clock.advance(days=7, seconds=-1)
        assert await service.purge_expired() == 0
        clock.advance(seconds=1)  # exactly 7 days
        assert await service.purge_expired() == 1
        assert await alive() == {"permanent", "important", "normal", "temporary"}
        assert service.get(ids["auto_delete"]) is None
        assert await service.search("code wifi") == []

        clock.advance(days=23, seconds=-1)
        assert await service.purge_expired() == 0
        clock.advance(seconds=1)  # 30 days
        assert await service.purge_expired() == 1
        assert await alive() == {"permanent", "important", "normal"}

        clock.advance(days=335)  # 365 days
        assert await service.purge_expired() == 1
        assert await alive() == {"permanent", "important"}
        clock.advance(days=365)  # 730 days
        assert await service.purge_expired() == 1
        assert await alive() == {"permanent"}
        clock.advance(days=365 * 50)
        assert await service.purge_expired() == 0
        assert await alive() == {"permanent"}


async def test_a_refresh_postpones_the_expiry(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        row, _ = await service.add(NewMemory("Le plombier passe jeudi.", retention="temporary"))
        clock.advance(days=25)
        await service.add(NewMemory("Le plombier passe jeudi.", retention="temporary"))  # said again
        clock.advance(days=25)  # 50 days after creation, 25 after the refresh
        assert await service.purge_expired() == 0
        assert service.get(row.id) is not None
        clock.advance(days=5)
        assert await service.purge_expired() == 1
        assert await stored(service) == []


async def test_retention_loop_purges_in_the_background(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        await service.add(NewMemory("Le code wifi invité est 4321.", retention="auto_delete"))
        await service.add(NewMemory("Sa fille s'appelle Léa.", retention="permanent"))
        task = asyncio.create_task(service.run_retention(0.01))
        try:
            await asyncio.sleep(0.05)
            assert len(service) == 2
            clock.advance(days=8)
            for _ in range(500):
                if len(service) == 1:
                    break
                await asyncio.sleep(0.01)
            assert [r.text for r in service.items()] == ["Sa fille s'appelle Léa."]
            assert [r.text for r in await stored(service)] == ["Sa fille s'appelle Léa."]
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


# -- recall -----------------------------------------------------------------------------------------------------


async def test_recall_marks_last_used(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock, recall_limit=2, min_score=0.0) as service:
        lyon, _ = await service.add(NewMemory("L'utilisateur habite à Lyon."))
        lea, _ = await service.add(NewMemory("Sa fille s'appelle Léa."))
        clock.advance(hours=2)
        recalled = await service.recall("L'utilisateur habite à Lyon.")
        assert [m.id for m in recalled] == [lyon.id]
        by_id = {r.id: r for r in await stored(service)}
        assert by_id[lyon.id].last_used_at == clock.now
        assert by_id[lea.id].last_used_at is None
        assert service.get(lyon.id) is not None
        assert service.get(lyon.id).last_used_at == clock.now  # type: ignore[union-attr]


async def test_recall_of_nothing(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        assert await service.recall("Où j'habite ?") == []  # empty memory
        await service.add(NewMemory("L'utilisateur habite à Lyon."))
        assert await service.recall("   ") == []
        assert await service.recall("Quel temps fera-t-il demain ?") == []
        assert all(r.last_used_at is None for r in await stored(service))


async def test_recall_respects_min_score_and_limit(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db", recall_limit=2) as service:
        for text in ("Lyon est jolie.", "Lyon est grande.", "Lyon est ancienne.", "Sa fille s'appelle Léa."):
            await service.add(NewMemory(text))
        # Only one shared keyword and unrelated vectors: below the default min_score.
        assert await service.recall("Lyon") == []
        assert [m.text for m in await service.recall("Lyon est jolie.")] == ["Lyon est jolie."]
        service.min_score = 0.0
        recalled = await service.recall("Lyon")
        assert len(recalled) == 2
        assert all("Lyon" in m.text for m in recalled)


# -- profile ----------------------------------------------------------------------------------------------------


async def test_profile_set_and_clear(tmp_path: Path) -> None:
    clock = Clock()
    seen: list[dict[str, str]] = []
    async with opened(tmp_path / "m.db", clock) as service:
        service.on_profile_change(seen.append)
        assert seen == [{}]
        profile = await service.set_profile({"name": "  Paul  ", "city": "Lyon", "preferences": "thé   vert"})
        assert profile == {"name": "Paul", "city": "Lyon", "preferences": "thé vert"}
        assert seen[-1] == profile
        assert await service.repo.profile() == profile
        profile = await service.set_profile({"city": None, "preferences": "", "household": "Paul et Léa"})
        assert profile == {"name": "Paul", "household": "Paul et Léa"}
        assert await service.repo.profile() == profile
        assert service.profile == profile
        assert seen[-1] == profile


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"name": "Marie", "age": "40"}, "profile-bad-key"),
        ({"age": "40"}, "profile-bad-key"),
        ({"name": "Marie", "notes": "x" * 1001}, "memory-too-long"),
    ],
)
async def test_bad_profile_writes_nothing(tmp_path: Path, values: dict[str, str | None], code: str) -> None:
    async with opened(tmp_path / "m.db") as service:
        await service.set_profile({"name": "Paul"})
        with pytest.raises(InvalidInputError) as info:
            await service.set_profile(values)
        assert info.value.code == code
        assert await service.repo.profile() == {"name": "Paul"}
        assert service.profile == {"name": "Paul"}


# -- export / import / restart ----------------------------------------------------------------------------------


async def fill(service: MemoryService, clock: Clock) -> None:
    for text, kind, retention, subject in (
        ("L'utilisateur habite à Lyon.", "fact", "important", ""),
        ("Sa fille s'appelle Léa.", "fact", "permanent", "Léa"),
        ("L'utilisateur préfère le thé au café.", "preference", "normal", ""),
        ("Le plombier passe jeudi ; « urgent » !", "event", "temporary", ""),
    ):
        await service.add(NewMemory(text, kind=kind, retention=retention, subject=subject))
        clock.advance(minutes=5)


async def test_export_import_round_trip(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "a.db", clock) as source:
        await fill(source, clock)
        exported = list(source.export_lines())
    assert len(exported) == 4
    first = json.loads(exported[0])
    assert first["text"] == "L'utilisateur habite à Lyon."
    assert "«" in exported[3]  # ensure_ascii=False: readable French
    assert set(first) >= {"id", "text", "kind", "subject", "retention", "created_at", "updated_at", "expires_at"}

    clock.advance(days=1)
    async with opened(tmp_path / "b.db", clock) as target:
        assert await target.import_lines(["", *exported, "  "]) == 4
        assert list(target.export_lines()) == exported
        # Importing the same export again adds nothing.
        assert await target.import_lines(exported) == 0
        assert len(await stored(target)) == 4
        assert (await target.search("thé café"))[0].memory.text == "L'utilisateur préfère le thé au café."
    # And it is all in the file.
    async with opened(tmp_path / "b.db", clock) as reopened:
        assert list(reopened.export_lines()) == exported


async def test_export_import_round_trip_keeps_last_used(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "a.db", clock, min_score=0.0) as source:
        await fill(source, clock)
        assert await source.recall("L'utilisateur habite à Lyon.")
        exported = list(source.export_lines())
    assert json.loads(exported[0])["last_used_at"] is not None
    async with opened(tmp_path / "b.db", clock) as target:
        await target.import_lines(exported)
        assert list(target.export_lines()) == exported


async def test_import_without_ids_and_dates(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        lines = [
            json.dumps({"text": "Son chat s'appelle Minou."}),
            json.dumps({"text": "Le code du portail est 1234.", "kind": "note", "retention": "auto_delete"}),
            json.dumps({"text": "Ancien souvenir.", "updated_at": "2026-01-01T00:00:00+01:00", "extra": 1}),
        ]
        assert await service.import_lines(lines) == 3
        rows = {r.text: r for r in await stored(service)}
        assert rows["Son chat s'appelle Minou."].created_at == START
        assert rows["Son chat s'appelle Minou."].kind == "fact"
        assert rows["Le code du portail est 1234."].expires_at == START + timedelta(days=7)
        assert rows["Ancien souvenir."].updated_at == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
        assert all(len(r.id) == 32 for r in rows.values())


@pytest.mark.parametrize(
    "bad",
    [
        "{not json",
        json.dumps({"kind": "fact"}),  # no text
        json.dumps({"text": "   "}),
        json.dumps({"text": "x" * 1001}),
        json.dumps({"text": "Ok.", "kind": "rumour"}),
        json.dumps({"text": "Ok.", "retention": "forever"}),
        json.dumps({"text": "Ok.", "id": "x" * 33}),
        json.dumps({"text": "Ok.", "created_at": "hier"}),
        json.dumps(["a list"]),
    ],
)
async def test_import_with_one_bad_line_imports_nothing(tmp_path: Path, bad: str) -> None:
    async with opened(tmp_path / "m.db") as service:
        existing, _ = await service.add(NewMemory("Sa fille s'appelle Léa."))
        lines = [json.dumps({"text": "Son chat s'appelle Minou."}), bad, json.dumps({"text": "Il aime le jazz."})]
        with pytest.raises(InvalidInputError) as info:
            await service.import_lines(lines)
        assert info.value.code == "memory-import-invalid"
        assert "2" in info.value.message  # the line number
        assert [r.id for r in await stored(service)] == [existing.id]
        assert len(service) == 1


REPEATED_ID = [
    json.dumps({"id": "a" * 32, "text": "Son chat s'appelle Minou."}),
    json.dumps({"id": "a" * 32, "text": "Son chien s'appelle Rex."}),
]


async def test_import_with_a_repeated_id_is_refused_cleanly(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        with pytest.raises(InvalidInputError) as info:
            await service.import_lines(REPEATED_ID)
        assert info.value.code == "memory-import-invalid"


async def test_import_with_a_repeated_id_writes_nothing(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        with pytest.raises(InvalidInputError):
            await service.import_lines(REPEATED_ID)
        assert await stored(service) == []
        assert len(service) == 0
        assert await service.import_lines(REPEATED_ID[:1]) == 1


async def test_restart_reloads_everything(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        await fill(service, clock)
        await service.set_profile({"name": "Paul", "city": "Lyon"})
        removed, _ = await service.add(NewMemory("Son chat s'appelle Minou."))
        await service.delete(removed.id)
        before = list(service.export_lines())
        found_before = [(f.memory.id, round(f.hit.score, 5)) for f in await service.search("Lyon habite")]
    embedder = HashEmbedder()
    async with opened(tmp_path / "m.db", clock, embedder) as restarted:
        assert list(restarted.export_lines()) == before
        assert restarted.profile == {"name": "Paul", "city": "Lyon"}
        assert [(f.memory.id, round(f.hit.score, 5)) for f in await restarted.search("Lyon habite")] == found_before
        assert await restarted.search("chat Minou") == []
        assert embedder.embedded == []  # stored vectors of the same model are reused


async def test_start_embeds_rows_of_another_model(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        await service.add(NewMemory("L'utilisateur habite à Lyon."))

    class OtherModel(HashEmbedder):
        model_id = "another-model"

    embedder = OtherModel()
    async with opened(tmp_path / "m.db", embedder=embedder) as restarted:
        assert embedder.embedded == ["L'utilisateur habite à Lyon."]
        (row,) = await stored(restarted)
        assert row.embedding_model == "another-model"
        assert [f.memory.text for f in await restarted.search("Lyon")] == ["L'utilisateur habite à Lyon."]


async def test_start_re_embeds_a_damaged_vector(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db") as service:
        row = Memory(
            id="d" * 32,
            text="Son chat s'appelle Minou.",
            kind="fact",
            subject="",
            retention="normal",
            created_at=START,
            updated_at=START,
            embedding=b"\x00" * 10,
            embedding_model=HashEmbedder.model_id,
        )
        await service.repo.add_many([row])
    embedder = HashEmbedder()
    async with opened(tmp_path / "m.db", embedder=embedder) as restarted:
        assert embedder.embedded == ["Son chat s'appelle Minou."]
        (back,) = await stored(restarted)
        assert back.embedding is not None and len(back.embedding) == DIM * 4
        assert [f.memory.id for f in await restarted.search("Son chat s'appelle Minou.")] == ["d" * 32]


# -- spoken commands --------------------------------------------------------------------------------------------


async def test_handle_remember_forget_recall_all(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        assert await service.handle(parse("Qu'est-ce que tu sais sur moi ?"), None, None) == (  # type: ignore[arg-type]
            "Je ne sais encore rien sur vous. Dites-moi par exemple « souviens-toi que … »."
        )
        remember = parse("Jarvis, souviens-toi que ma fille s'appelle Léa.")
        assert remember is not None
        assert await service.handle(remember, None, "m1") == "C'est noté, je m'en souviendrai."
        (row,) = await stored(service)
        assert row.text == "Sa fille s'appelle Léa."
        assert row.kind == "note" and row.retention == "normal"
        assert row.source_message_id == "m1"
        assert await service.handle(remember, None, None) == "Je le savais déjà, c'est bien noté."
        assert len(await stored(service)) == 1

        clock.advance(minutes=1)
        code = parse("Retiens que le code du portail est 1234.")
        assert code is not None
        await service.handle(code, None, None)
        await service.set_profile({"name": "Paul", "city": "Lyon"})
        recall_all = parse("Qu'est-ce que tu sais sur moi ?")
        assert recall_all is not None
        said = await service.handle(recall_all, None, None)
        assert said == (
            "Vous vous appelez Paul. Vous habitez à Lyon. "
            "Je me souviens de ceci : le code du portail est 1234 ; sa fille s'appelle Léa."
        )

        forget = parse("Oublie que le code du portail est 1234.")
        assert forget is not None
        assert await service.handle(forget, None, None) == "C'est oublié : « Le code du portail est 1234. »."
        assert [r.text for r in await stored(service)] == ["Sa fille s'appelle Léa."]
        assert await service.handle(forget, None, None) == "Je n'ai rien en mémoire à ce sujet."
        assert [r.text for r in await stored(service)] == ["Sa fille s'appelle Léa."]


async def test_handle_in_english(tmp_path: Path) -> None:
    async with opened(tmp_path / "m.db", language="en") as service:  # type: ignore[arg-type]
        command = parse("Remember that I live in Paris.")
        assert command is not None
        assert await service.handle(command, None, None) == "Noted, I will remember that."
        (row,) = await stored(service)
        assert row.text == "The user lives in Paris."
        recall_all = parse("What do you know about me?")
        assert recall_all is not None
        assert await service.handle(recall_all, None, None) == "I remember this: the user lives in Paris."


async def test_recall_all_says_how_many_more(tmp_path: Path) -> None:
    clock = Clock()
    async with opened(tmp_path / "m.db", clock) as service:
        for i in range(10):
            await service.add(NewMemory(f"Souvenir {i} sur le sujet {i * 7}."))
            clock.advance(minutes=1)
        said = service.describe("fr")
        assert said.startswith("Je me souviens de ceci : souvenir 9 sur le sujet 63 ;")
        assert said.endswith("Et de 2 autres choses, que vous pouvez voir dans la liste des souvenirs.")


# -- the real embedding model -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    """One real model for the class (it loads lazily and is not bound to an event loop)."""
    return E5Embedder()


@pytest.mark.slow
class TestFrenchRecallWithE5:
    FACTS = (
        "L'utilisateur habite à Lyon.",
        "Sa fille s'appelle Léa.",
        "L'utilisateur est allergique aux noix.",
        "L'utilisateur travaille comme infirmier à l'hôpital.",
        "L'utilisateur préfère le thé vert au café.",
        "Son chien s'appelle Rex.",
    )

    @asynccontextmanager
    async def service(self, tmp_path: Path, e5: E5Embedder) -> AsyncIterator[MemoryService]:
        await e5.load()
        async with opened(tmp_path / "e5.db", embedder=e5) as service:
            # One batch through the model (an import) is much quicker than one add per fact.
            assert await service.import_lines([json.dumps({"text": fact}) for fact in self.FACTS]) == len(self.FACTS)
            yield service

    async def test_questions_recall_the_fact_first(self, tmp_path: Path, e5: E5Embedder) -> None:
        questions = {
            "Dans quelle ville j'habite ?": "L'utilisateur habite à Lyon.",
            "Comment s'appelle ma fille ?": "Sa fille s'appelle Léa.",
            "Je suis allergique à quoi ?": "L'utilisateur est allergique aux noix.",
            "Qu'est-ce que je bois le matin, du thé ou du café ?": "L'utilisateur préfère le thé vert au café.",
            "Comment s'appelle mon chien ?": "Son chien s'appelle Rex.",
            "J'habite où déjà ?": "L'utilisateur habite à Lyon.",
        }
        async with self.service(tmp_path, e5) as service:
            wrong = {}
            for question, expected in questions.items():
                recalled = [m.text for m in await service.recall(question)]
                if not recalled or recalled[0] != expected:
                    wrong[question] = recalled
            assert wrong == {}

    async def test_indirect_question_ranks_the_fact_first(self, tmp_path: Path, e5: E5Embedder) -> None:
        async with self.service(tmp_path, e5) as service:
            found = await service.search("Est-ce que je peux manger un gâteau aux noix ?")
            assert found[0].memory.text == "L'utilisateur est allergique aux noix."
            assert found[0].hit.keyword > 0 and found[0].hit.cosine > 0.8

    async def test_unrelated_messages_recall_nothing(self, tmp_path: Path, e5: E5Embedder) -> None:
        async with self.service(tmp_path, e5) as service:
            for message in ("Quelle est la capitale du Japon ?", "Mets un minuteur de dix minutes.", "Bonjour !"):
                assert await service.recall(message) == [], message
            assert all(r.last_used_at is None for r in await stored(service))

    async def test_paraphrase_is_a_duplicate(self, tmp_path: Path, e5: E5Embedder) -> None:
        async with self.service(tmp_path, e5) as service:
            _, created = await service.add(NewMemory("L'utilisateur habite à Lyon"))
            assert not created
            assert len(await stored(service)) == len(self.FACTS)

    async def test_spoken_forget_removes_the_right_fact(self, tmp_path: Path, e5: E5Embedder) -> None:
        async with self.service(tmp_path, e5) as service:
            command = parse("Jarvis, oublie que j'habite à Lyon.")
            assert command is not None
            assert await service.handle(command, None, None) == "C'est oublié : « L'utilisateur habite à Lyon. »."
            texts = sorted(r.text for r in await stored(service))
            assert texts == sorted(f for f in self.FACTS if f != "L'utilisateur habite à Lyon.")
            assert await service.recall("Dans quelle ville j'habite ?") == []
