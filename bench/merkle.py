"""Payout Merkle tree build time: 1,000,000 leaves in at most 3 s (issue: foundation).

Usage: uv run python bench/merkle.py [--leaves N]
Prints a table, then one JSON line. Leaves come as columns, as the engine hands them
over; the native hasher (built by make setup) is timed three times (median reported),
then the pure-Python fallback for comparison.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

import numpy as np

from backend.cli._memory import keep_freed_memory
from ledger.merkle import PayoutTree, native_hasher_built


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaves", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(42)
    count = args.leaves
    indices = np.arange(count, dtype=np.uint32)
    accounts = np.frombuffer(rng.randbytes(20 * count), dtype=np.uint8).reshape(count, 20)
    amounts = np.array([rng.randrange(1, 10**10) for _ in range(count)], dtype=np.uint64)

    keep_freed_memory()  # as the period CLI does: see backend/cli/_memory.py
    rows = []
    hashers = [("native", True)] if native_hasher_built() else []
    hashers.append(("python", False))
    for name, native in hashers:
        runs = 3 if native else 1
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            tree = PayoutTree.from_columns(
                period_id=12, indices=indices, accounts=accounts, amounts=amounts, native=native
            )
            timings.append(time.perf_counter() - started)
        rows.append((name, timings, tree.root_hex))
    assert len({root for _, _, root in rows}) == 1, "hashers disagree"

    started = time.perf_counter()
    sample = range(0, count, max(1, count // 1000))
    for index in sample:
        tree.proof_bytes(index)
    proofs_per_second = len(sample) / (time.perf_counter() - started)

    print(f"{'leaves':>10} {'hasher':>8} {'median s':>9}  runs")
    for name, timings, _ in rows:
        runs = " ".join(f"{t:.2f}" for t in timings)
        print(f"{count:>10,} {name:>8} {statistics.median(timings):>9.2f}  {runs}")
    print(f"{proofs_per_second:,.0f} proofs/s")
    print(
        json.dumps(
            {
                "leaves": count,
                "build_seconds": round(statistics.median(rows[0][1]), 3),
                "first_build_seconds": round(rows[0][1][0], 3),
                "hasher": rows[0][0],
                "root": rows[0][2],
            }
        )
    )


if __name__ == "__main__":
    main()
