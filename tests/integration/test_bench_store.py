"""`jarvis bench store` runs end to end and writes its JSON results."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.servers import run_cli


def test_bench_store_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "store.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARVIS_")} | {"JARVIS_DATA_DIR": str(tmp_path)}
    done = run_cli("bench", "store", "--messages", "50", "--timed", "5", "--output", str(output), env=env)
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())
    assert results["messages"] == 50
    for key in ("write_clear", "write_encrypted"):
        assert results[key]["median_ms"] > 0
    assert results["backup_seconds"] > 0 and results["database_bytes"] > 0
    assert not list(tmp_path.glob("*.db")), "the bench works in its own temporary directory"
