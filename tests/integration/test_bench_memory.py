"""`jarvis bench memory` runs end to end with the real embedding model and writes its JSON results."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.servers import run_cli


def test_bench_memory_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "memory.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARVIS_")} | {"JARVIS_DATA_DIR": str(tmp_path)}
    args = ("--sizes", "200,1000", "--queries", "20", "--ingest", "10", "--base", "50", "--output", str(output))
    done = run_cli("bench", "memory", *args, env=env)
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())
    assert set(results["retrieval"]) == {"200", "1000"}
    for row in results["retrieval"].values():
        for key in ("search", "search_exact_float32", "search_after_put"):
            assert row[key]["samples"] == 20
            assert 0 < row[key]["p50_ms"] <= row[key]["p95_ms"] <= row[key]["max_ms"]
        # The fast path (int8 scan, float32 rescoring) returns the hits of the exact float32 scan.
        assert row["same_hits_as_exact"] == 1.0
        assert row["speedup_p50_vs_exact"] > 0
    assert results["ingestion"]["items"] == 10 and results["ingestion"]["items_per_second"] > 0
    assert len(results["load_average"]) == 3
