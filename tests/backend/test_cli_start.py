"""`lineage` starts at once: no command pays at start-up for libraries only other commands use.

Each case runs the CLI in a fresh interpreter (as the `lineage` script does) and lists the heavy
modules it imported. A heavy import added at module level in any command group shows up in
every case, since all groups are registered before the arguments are parsed. Timing itself is
measured by bench/cli_start.py, not here: a busy CI machine would make a timed test flaky.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# web3 and its eth_* stack, the web app, the database, the chain adapters, the audit reader.
HEAVY = (
    "web3",
    "eth_utils",
    "eth_account",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "sqlmodel",
    "pydantic_settings",
    "backend.audit",
    "backend.chain",
    "backend.deployment",
    "backend.periods",
    "backend.rates",
    "backend.chain_jobs",
    "backend.worker",
    "backend.accounts",
    "backend.admin_log",
    "backend.catalog",
    "backend.genealogy",
    "backend.orders",
    "backend.stock",
    "backend.main",
    "backend.dev.demo",
)


def loaded_heavy_modules(args: list[str], heavy: tuple[str, ...]) -> tuple[int, list[str]]:
    """Run `lineage ARGS` in a fresh interpreter; its exit code and the `heavy` modules (or
    their submodules) it imported."""
    script = (
        "import json, sys\n"
        "args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])\n"
        "sys.argv = ['lineage', *args]\n"
        "from backend.cli import main\n"
        "try:\n"
        "    main()\n"
        "    code = 0\n"
        "except SystemExit as exc:\n"
        "    code = exc.code or 0\n"
        "loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') "
        "for h in heavy))\n"
        "sys.stderr.write('\\nPROBE ' + json.dumps([code, loaded]) + '\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(args), json.dumps(heavy)],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("PROBE ")]
    assert lines, result.stderr
    code, loaded = json.loads(lines[-1].removeprefix("PROBE "))
    return int(code), list(loaded)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["merkle", "--help"],
        ["period", "--help"],
        ["bench", "--help"],
        ["audit", "--help"],
        ["run", "--help"],
        ["demo", "--help"],
    ],
    ids=" ".join,
)
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    code, loaded = loaded_heavy_modules(args, (*HEAVY, "numpy", "ledger.package"))
    assert code == 0
    assert loaded == []


def test_merkle_root_imports_only_the_tree(tmp_path: Path) -> None:
    leaves = tmp_path / "LEAVES.json"
    leaves.write_text(json.dumps([[1, i, "0x" + f"{i + 1:040x}", 100 + i] for i in range(10)]))
    code, loaded = loaded_heavy_modules(["merkle", "root", str(leaves)], HEAVY)
    assert code == 0
    assert loaded == []


def test_the_probe_sees_a_heavy_import() -> None:
    # The guard must be able to fail: `lineage audit` on a missing package does load the reader.
    code, loaded = loaded_heavy_modules(["audit", "/nonexistent/package"], HEAVY)
    assert code == 2
    assert "backend.audit" in loaded
    assert "web3" in loaded
