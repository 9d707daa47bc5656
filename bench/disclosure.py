"""The income disclosure's cost in the year's last period: the year-to-date carry and the
statement over every participant (sort-based nearest-rank figures, per rank band), timed apart
from the engine run, best of ``--runs``.

    uv run python bench/disclosure.py [--distributors 1000000] [--runs 3]

Synthetic figures: a fifth of the participants earn (log-normal amounts), a third buy, six rank
bands. Prints a table; the last line is JSON. Both are numpy sorts and scatters, linear (the
sorts n log n) in the participants; no target of the issue's names them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ledger.disclosure import carry_income, empty_income_ytd, statement  # noqa: E402
from ledger.plan import load_plan  # noqa: E402

PLAN = (ROOT / "ledger" / "plans" / "binary_hybrid.toml").read_bytes()
DEC_31 = (date(2026, 12, 31) - date(1970, 1, 1)).days


def best(runs: int, work: object) -> float:
    assert callable(work)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.distributors
    rng = np.random.default_rng(15)
    ids = np.arange(1, n + 1, dtype=np.int64)
    earns = rng.random(n) < 0.2
    earned = np.where(earns, rng.lognormal(10, 2, n).astype(np.int64), 0)
    bought = np.where(rng.random(n) < 0.33, rng.integers(1, 50_000, n), 0).astype(np.int64)
    active = (bought > 10_000).astype(np.int64)
    rank = rng.integers(0, 6, n).astype(np.int64)
    plan = load_plan(PLAN, source="binary_hybrid.toml")
    carried = carry_income(
        empty_income_ytd(), ids=ids, end_day=DEC_31 - 31, earned=earned, bought=bought,
        active=active,
    )  # fmt: skip
    carry_s = best(
        args.runs,
        lambda: carry_income(
            carried, ids=ids, end_day=DEC_31, earned=earned, bought=bought, active=active
        ),
    )
    ytd = carry_income(
        carried, ids=ids, end_day=DEC_31, earned=earned, bought=bought, active=active
    )
    statement_s = best(
        args.runs,
        lambda: statement(plan, period_id=12, end_day=DEC_31, ids=ids, ytd=ytd, rank=rank),
    )
    s = statement(plan, period_id=12, end_day=DEC_31, ids=ids, ytd=ytd, rank=rank)
    print(f"{'participants':>14} {'carry (s)':>10} {'statement (s)':>14} {'at zero':>10}")
    print(f"{n:>14,} {carry_s:>10.3f} {statement_s:>14.3f} {s['earnings']['zero_share']:>9}%")
    result = {
        "bench": "disclosure",
        "distributors": n,
        "carry_s": round(carry_s, 3),
        "statement_s": round(statement_s, 3),
        "zero_share": s["earnings"]["zero_share"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
