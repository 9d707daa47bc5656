"""`lineage bench engine` on a tiny company: a stage table, then one JSON line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import _register, app


def test_bench_engine_prints_stages_and_a_json_last_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The allocator setting is for a whole benchmark process, not for the test session.
    monkeypatch.setattr("backend.cli.bench.keep_freed_memory", lambda: False)
    _register()
    out = tmp_path / "pkg"
    result = CliRunner().invoke(
        app, ["bench", "engine", "--distributors", "3000", "--orders", "12000", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    summary = json.loads(lines[-1])
    assert {"total_seconds", "peak_rss_mb", "distributors", "orders"} <= set(summary)
    assert (summary["distributors"], summary["orders"]) == (3000, 12000)
    assert any(line.startswith("merkle root") for line in lines)
    assert (out / "manifest.json").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["payoutRoot"] == summary["payout_root"]
