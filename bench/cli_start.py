"""`lineage` start-up time: `--help` and `merkle root` on 10 leaves in under 0.5 s (issue 10).

Usage: .venv/bin/python bench/cli_start.py [--runs N] [--lineage PATH]
Runs each command N times (default 11) as a fresh process, as a user's shell does, after one
untimed warm-up run (the first run after an install reads the files from disk and writes the
bytecode cache). Prints a table of wall seconds (median, p90, min), then one JSON line with the
medians. Wall time includes the interpreter's own start (~20 ms).

The commands run with Python's bytecode cache on, as in a user's shell, even when this
process has PYTHONDONTWRITEBYTECODE set (some sandboxes and CI images set it, and uv installs
packages without .pyc files): without a cache every start compiles every module it imports
from source. `--no-bytecode-cache` measures that case instead (an empty PYTHONPYCACHEPREFIX
that nothing is written to).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Ten payout lines, as `lineage merkle root` reads them: [periodId, index, account, amount].
LEAVES = [[1, i, "0x" + f"{i + 1:040x}", 100 + i] for i in range(10)]


def commands(lineage: str, leaves: Path) -> list[tuple[str, list[str]]]:
    return [
        ("lineage --help", [lineage, "--help"]),
        ("lineage merkle root (10 leaves)", [lineage, "merkle", "root", str(leaves)]),
        ("lineage merkle --help", [lineage, "merkle", "--help"]),
        ("lineage period --help", [lineage, "period", "--help"]),
        ("lineage audit --help", [lineage, "audit", "--help"]),
        ("lineage run --help", [lineage, "run", "--help"]),
    ]


def wall_seconds(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - started


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--lineage",
        default=str(Path(sys.executable).parent / "lineage"),
        help="the lineage executable (default: the one beside this Python)",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="compile every module from source at every start",
    )
    args = parser.parse_args()
    env = dict(os.environ)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lineage-cli-start-") as tmp:
        if args.no_bytecode_cache:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "no-pycache")  # stays empty
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        leaves = Path(tmp) / "LEAVES.json"
        leaves.write_text(json.dumps(LEAVES), encoding="utf-8")
        for name, argv in commands(args.lineage, leaves):
            wall_seconds(argv, env)  # warm-up: disk cache and .pyc files
            timings = [wall_seconds(argv, env) for _ in range(args.runs)]
            rows.append((name, timings))

    cache = "off" if args.no_bytecode_cache else "on"
    print(
        f"{'command':<34} {'median s':>9} {'p90 s':>7} {'min s':>7}  "
        f"runs={args.runs}, bytecode cache {cache}"
    )
    for name, timings in rows:
        print(
            f"{name:<34} {statistics.median(timings):>9.3f} {p90(timings):>7.3f} "
            f"{min(timings):>7.3f}"
        )
    print(
        json.dumps(
            {
                "runs": args.runs,
                "bytecode_cache": not args.no_bytecode_cache,
                "median_seconds": {
                    name: round(statistics.median(timings), 3) for name, timings in rows
                },
            }
        )
    )


if __name__ == "__main__":
    main()
