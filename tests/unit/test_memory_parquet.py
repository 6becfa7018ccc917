"""Memories as Parquet: a JSON Lines export becomes a typed table and comes back the same; other files are
refused clearly."""

from __future__ import annotations

import io
import json

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from jarvis.errors import InvalidInputError
from jarvis.memory.parquet import MAGIC, jsonl_to_parquet, parquet_to_jsonl

EXPORT = (
    json.dumps(
        {
            "id": "a1",
            "text": "L'utilisateur habite à Lyon.",
            "kind": "fact",
            "subject": "user",
            "retention": "normal",
            "created_at": "2026-11-20T08:00:00+00:00",
            "updated_at": "2026-11-21T09:30:00.123456+00:00",
            "last_used_at": None,
            "expires_at": "2027-11-21T09:30:00.123456+00:00",
        },
        ensure_ascii=False,
    )
    + "\n"
    + json.dumps(
        {
            "id": "b2",
            "text": "Sa fille s'appelle Léa.",
            "kind": "fact",
            "subject": "Léa",
            "retention": "permanent",
            "created_at": "2026-11-22T10:00:00+00:00",
            "updated_at": "2026-11-22T10:00:00+00:00",
            "last_used_at": "2026-11-22T11:00:00+00:00",
            "expires_at": None,
        },
        ensure_ascii=False,
    )
    + "\n"
)


def test_round_trip_keeps_every_field() -> None:
    data = jsonl_to_parquet(EXPORT)
    assert data.startswith(MAGIC)
    back = [json.loads(line) for line in parquet_to_jsonl(data).splitlines()]
    original = [json.loads(line) for line in EXPORT.splitlines()]
    for got, want in zip(back, original, strict=True):
        assert got == {key: value for key, value in want.items() if value is not None}


def test_the_table_is_typed() -> None:
    table = pq.read_table(io.BytesIO(jsonl_to_parquet(EXPORT)))
    assert table.num_rows == 2
    assert table.schema.field("text").type == pa.string()
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert table.column("subject").to_pylist() == ["user", "Léa"]


def test_an_empty_export_makes_an_empty_table() -> None:
    assert parquet_to_jsonl(jsonl_to_parquet("")) == ""


@pytest.mark.parametrize("data", [b"", b"{}\n", b"PAR1 but not really parquet"])
def test_other_files_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parquet_to_jsonl(data)
    assert caught.value.code == "memory-import-invalid"


def test_a_table_without_text_is_refused() -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"id": ["x"]}), out)
    with pytest.raises(InvalidInputError, match="text"):
        parquet_to_jsonl(out.getvalue())


def test_tables_from_other_tools_are_read_as_utc() -> None:
    """As pandas writes them: nanosecond timestamps without a time zone; or dates kept as ISO text."""
    out = io.BytesIO()
    table = pa.table(
        {
            "text": ["Il aime le jazz.", "Elle joue du piano."],
            "created_at": pa.array([1_763_800_000_123_456_789, 1_763_900_000_000_000_000], pa.timestamp("ns")),
            "updated_at": ["2026-11-22T10:00:00", "2026-11-22T11:00:00+01:00"],
            "notes": ["ignored", "ignored"],
        }
    )
    pq.write_table(table, out)
    back = [json.loads(line) for line in parquet_to_jsonl(out.getvalue()).splitlines()]
    assert back[0]["text"] == "Il aime le jazz." and "notes" not in back[0]
    assert back[0]["created_at"] == "2025-11-22T08:26:40.123456+00:00"
    assert back[0]["updated_at"] == "2026-11-22T10:00:00+00:00"
    assert back[1]["updated_at"] == "2026-11-22T10:00:00+00:00"


def test_values_of_the_wrong_type_are_refused() -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"text": ["x"], "created_at": ["pas une date"]}), out)
    with pytest.raises(InvalidInputError) as caught:
        parquet_to_jsonl(out.getvalue())
    assert caught.value.code == "memory-import-invalid"
