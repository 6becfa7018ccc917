"""Memories as Parquet: the JSON Lines export turned into a typed table and back, for people who analyse their
data with pandas, DuckDB or a spreadsheet. The server speaks JSON Lines only (it checks every line on import);
this conversion happens on the user's side (`jarvis memory export --format parquet`, `jarvis memory import`).

Needs the optional `pyarrow` package (`pip install 'jarvis[parquet]'`)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from jarvis.errors import InvalidInputError

# Parquet files start (and end) with these four bytes.
MAGIC = b"PAR1"
TEXT_COLUMNS = ("id", "text", "kind", "subject", "retention")
TIME_COLUMNS = ("created_at", "updated_at", "last_used_at", "expires_at")


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow  # type: ignore[import-untyped]
        import pyarrow.parquet  # type: ignore[import-untyped]
    except ImportError as exc:
        raise InvalidInputError(
            "Le format Parquet demande le paquet pyarrow : pip install 'jarvis[parquet]'.", code="parquet-unavailable"
        ) from exc
    return pyarrow, pyarrow.parquet


def _schema(pa: Any) -> Any:
    return pa.schema(
        [*(pa.field(name, pa.string()) for name in TEXT_COLUMNS)]
        + [pa.field(name, pa.timestamp("us", tz="UTC")) for name in TIME_COLUMNS]
    )


def jsonl_to_parquet(text: str) -> bytes:
    """The export's JSON Lines as one Parquet file (snappy-compressed)."""
    pa, pq = _pyarrow()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    columns: dict[str, list[Any]] = {name: [r.get(name) for r in records] for name in TEXT_COLUMNS}
    for name in TIME_COLUMNS:
        columns[name] = [datetime.fromisoformat(r[name]) if r.get(name) else None for r in records]
    table = pa.Table.from_pydict(columns, schema=_schema(pa))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def parquet_to_jsonl(data: bytes) -> str:
    """A Parquet file written by `jsonl_to_parquet` (or another table with those columns: timestamps of any
    resolution, with or without a time zone — then UTC — or ISO 8601 text) as the JSON Lines the server imports.
    Unknown columns are ignored; a file that is not Parquet, or values of the wrong type, are refused."""
    if not data.startswith(MAGIC):
        raise InvalidInputError("Ce fichier n'est pas au format Parquet.", code="memory-import-invalid")
    pa, pq = _pyarrow()
    try:
        table = pq.read_table(io.BytesIO(data))
        if "text" not in table.column_names:
            raise InvalidInputError("Le fichier Parquet n'a pas de colonne « text ».", code="memory-import-invalid")
        rows = _normalised(pa, table).to_pylist()
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        raise InvalidInputError(f"Fichier Parquet illisible : {exc}", code="memory-import-invalid") from exc
    lines = []
    for row in rows:
        record = {name: row[name] for name in TEXT_COLUMNS if row.get(name) is not None}
        for name in TIME_COLUMNS:
            moment = row.get(name)
            if isinstance(moment, datetime):
                record[name] = moment.isoformat()
        lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def _normalised(pa: Any, table: Any) -> Any:
    """The known columns as strings and UTC microsecond timestamps (text dates parsed, naive ones taken as UTC)."""
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    utc = pa.timestamp("us", tz="UTC")
    columns = {}
    for name in TEXT_COLUMNS:
        if name in table.column_names:
            columns[name] = table.column(name).cast(pa.string())
    for name in TIME_COLUMNS:
        if name not in table.column_names:
            continue
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = pa.chunked_array(
                [[_utc(datetime.fromisoformat(v)) if v else None for v in column.to_pylist()]], type=utc
            )
        elif pa.types.is_timestamp(column.type) and column.type.tz is None:
            column = pc.assume_timezone(column, "UTC")
        columns[name] = pc.cast(column, utc, safe=False)
    return pa.table(columns)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
