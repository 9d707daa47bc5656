"""One chain writer per database: a second writer, in another process, refuses to start with a
clear message, on SQLite and PostgreSQL; the lock goes with its holder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from backend.worker.lease import WriterAlreadyRunning, single_writer

ROOT = Path(__file__).resolve().parents[2]

# Another process tries to take the lock on the same database and reports what happened.
PROBE = """
import sys
from backend.core.db import make_engine
from backend.worker.lease import WriterAlreadyRunning, single_writer
engine = make_engine(sys.argv[1])
try:
    with single_writer(engine):
        print("acquired")
except WriterAlreadyRunning as exc:
    print("refused:", exc)
"""

HOLD = 'print("acquired", flush=True); import time; time.sleep(60)'

HOLD = 'print("acquired", flush=True); import time; time.sleep(60)'


def probe(url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, url], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_second_writer_on_the_same_database_refuses_to_start(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with single_writer(engine):
        answer = probe(url)
        assert answer.startswith("refused: another chain writer is already running"), answer
        assert "lineage worker" in answer
        with pytest.raises(WriterAlreadyRunning):  # and in the same process too
            with single_writer(engine):
                pass
    assert probe(url) == "acquired"  # released with its holder


def test_a_killed_writer_leaves_no_stale_lock(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    holding = PROBE.replace('print("acquired")', HOLD)
    with subprocess.Popen(
        [sys.executable, "-c", holding, url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "acquired"
            assert probe(url).startswith("refused:")
        finally:
            holder.kill()
            holder.wait()
    assert probe(url) == "acquired"
