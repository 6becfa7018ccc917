"""Memories as Parquet: the JSON Lines export turned into a typed table and back, for people who analyse their
data with pandas, DuckDB or a spreadsheet. The server speaks JSON Lines only (it checks every line on import);
this conversion happens on the user's side (`jarvis memory export --format parquet`, `jarvis memory import`).

Needs the optional `pyarrow` package (`pip install 'jarvis[parquet]'`)."""

from __future__ import annotations

import io
import json
from datetime import datetime
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
    """A Parquet file written by `jsonl_to_parquet` (or any table with those columns) as the JSON Lines the
    server imports. Unknown columns are ignored; a file that is not Parquet is refused."""
    if not data.startswith(MAGIC):
        raise InvalidInputError("Ce fichier n'est pas au format Parquet.", code="memory-import-invalid")
    pa, pq = _pyarrow()
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInputError(f"Fichier Parquet illisible : {exc}", code="memory-import-invalid") from exc
    if "text" not in table.column_names:
        raise InvalidInputError("Le fichier Parquet n'a pas de colonne « text ».", code="memory-import-invalid")
    lines = []
    for row in table.to_pylist():
        record = {name: row.get(name) for name in TEXT_COLUMNS if row.get(name) is not None}
        for name in TIME_COLUMNS:
            moment = row.get(name)
            if isinstance(moment, datetime):
                record[name] = moment.isoformat()
        lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)
