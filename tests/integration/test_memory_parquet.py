"""The Parquet option of the memory CLI, between two real servers: export as Parquet, import into a fresh one,
same memories; a file that is not Parquet nor JSONL is refused and nothing is written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from tests.servers import JarvisServer, run_cli

pytestmark = pytest.mark.slow


def start(data_dir: Path) -> JarvisServer:
    # Memories need the embedder only: an absent language model keeps these servers light.
    jarvis = JarvisServer(data_dir, extra_env={"JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf")})
    return jarvis.start(wait_ready=False)


def listed(server: JarvisServer) -> list[tuple[Any, ...]]:
    with server.client() as client:
        items = client.get("/api/memories").json()["memories"]
    return sorted((m["id"], m["text"], m["kind"], m["retention"], m["created_at"], m["expires_at"]) for m in items)


def test_parquet_export_then_import_into_a_fresh_server(tmp_path: Path) -> None:
    source, target = start(tmp_path / "source"), start(tmp_path / "target")
    try:
        with source.client() as client:
            for text, retention in (("Mon frère s'appelle Hugo.", "important"), ("J'aime le thé vert.", "normal")):
                response = client.post("/api/memories", json={"text": text, "retention": retention})
                assert response.status_code == 201, response.text
        out = tmp_path / "souvenirs.parquet"
        exported = run_cli("memory", "export", "-o", str(out), env={**source.env, "JARVIS_TOKEN": source.token})
        assert exported.returncode == 0, exported.stderr
        assert "2 souvenir(s)" in exported.stdout
        table = pq.read_table(out)
        assert table.num_rows == 2 and "Hugo" in " ".join(table.column("text").to_pylist())

        target_env = {**target.env, "JARVIS_TOKEN": target.token}
        junk = tmp_path / "junk.parquet"
        junk.write_bytes(b"PAR1 not a table")
        refused = run_cli("memory", "import", str(junk), env=target_env)
        assert refused.returncode == 2 and "Parquet" in refused.stderr + refused.stdout
        assert listed(target) == []

        imported = run_cli("memory", "import", str(out), env=target_env)
        assert imported.returncode == 0, imported.stderr
        assert "2 souvenir(s) importé(s)" in imported.stdout
        assert listed(target) == listed(source)
    finally:
        source.stop()
        target.stop()


def test_parquet_needs_a_file(tmp_path: Path) -> None:
    """Binary output is never written to a terminal: refused before asking any server."""
    env = {**os.environ, "JARVIS_DATA_DIR": str(tmp_path), "JARVIS_TOKEN": "unused"}
    result = run_cli("memory", "export", "--format", "parquet", env=env)
    assert result.returncode == 2 and "--output" in result.stderr + result.stdout
