"""Retention by enrollment cohort over 24 months: the company's from the compute's per-period
summary (`PeriodPeopleSummary`) against the same counts by one aggregate query over every
stored standing (what a leader's team reads, and the recount the tests compare with).

    uv run python bench/people.py [--distributors 100000] [--months 24] [--runs 20]

A SQLite file under var/bench/: `--distributors` people joined evenly over `--months` monthly
periods from January 2024, each period's standings holding everyone joined by its end, active
at random (two in three) and paid as a random rank of five; the summary rows are the recount's
(the tests prove them equal to what the compute writes). Times the `people-retention` report
as the reports' API builds it from the summary (p95 of `--runs`), and the recount of the same
counts over the standings (p95 of `--recount-runs`), and checks the two agree. Prints a table;
the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import downline  # noqa: E402  (p95)
import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from backend.bootstrap import migrate  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.days import date_of, day_of  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.genealogy.models import Distributor  # noqa: E402
from backend.periods.models import (  # noqa: E402
    Period,
    PeriodPeopleSummary,
    PeriodStanding,
    PeriodStatus,
)
from backend.reports import cohorts, framework, people_counts  # noqa: E402

DIR = Path(__file__).resolve().parents[1] / "var" / "bench"
CHUNK = 20_000
FIRST = 2024 * 12  # January 2024 as a month index


def month_day(index: int) -> int:
    return day_of(datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC))


def build(path: Path, n: int, months: int, seed: int) -> None:
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    rng = np.random.default_rng(seed)
    joined = np.sort(rng.integers(month_day(FIRST), month_day(FIRST + months), n))
    with engine.begin() as conn:
        conn.execute(sa.delete(Distributor))
        for start in range(0, n, CHUNK):
            conn.execute(
                insert(Distributor),
                [
                    {
                        "id": i + 1,
                        "first_name": "D",
                        "last_name": str(i + 1),
                        "referral_code": f"R{i + 1}",
                        "search_name": f"d {i + 1}",
                        "enrolled_at": datetime.fromtimestamp(int(day) * 86400 + 3600, UTC),
                    }
                    for i, day in zip(
                        range(start, min(start + CHUNK, n)),
                        joined[start : start + CHUNK].tolist(),
                        strict=True,
                    )
                ],
            )
        for number in range(1, months + 1):
            start, end = month_day(FIRST + number - 1), month_day(FIRST + number) - 1
            conn.execute(
                insert(Period),
                [
                    {
                        "id": number,
                        "start_day": start,
                        "end_day": end,
                        "status": PeriodStatus.approved.value,
                        "manifest": "{}",
                    }
                ],
            )
            members = int(np.searchsorted(joined, end, side="right"))
            active = rng.random(members) < 2 / 3
            paid = rng.integers(0, 6, members)
            for at in range(0, members, CHUNK):
                stop = min(at + CHUNK, members)
                conn.execute(
                    insert(PeriodStanding),
                    [
                        {
                            "period_id": number,
                            "distributor_id": i + 1,
                            "pv": 0,
                            "cv": 0,
                            "gv": 0,
                            "left_volume": 0,
                            "right_volume": 0,
                            "active": bool(active[i]),
                            "paid_rank": int(paid[i]),
                            "achieved_rank": int(paid[i]),
                            "earned": 0,
                        }
                        for i in range(at, stop)
                    ],
                )
    with Session(engine) as session:
        periods = list(session.exec(sa.select(Period).order_by(Period.id)).scalars())
        for period in periods:
            counted = people_counts.PeopleCounts(FIRST)  # nobody joined before
            people_counts.recount(session, framework.Scope(), [period], counted)
            session.execute(
                insert(PeriodPeopleSummary),
                [
                    {"period_id": p, "cohort": c, "paid_rank": r}
                    | dict(zip(people_counts.MEASURES, values, strict=True))
                    for (p, c, r), values in counted.cells.items()
                ],
            )
        session.commit()
    engine.dispose()


def timed(path: Path, settings: Settings, runs: int, summary: bool) -> tuple[float, Any]:
    """p95 (ms) of the retention report (``summary``) or of the recount of its counts, and
    what the last run found (the report's rows, or the counts)."""
    engine = make_engine(f"sqlite:///{path}")
    samples: list[float] = []
    found: Any = None
    try:
        for _ in range(runs):
            with Session(engine) as session:
                periods = list(session.exec(sa.select(Period).order_by(Period.id)).scalars())
                window = framework.Window(
                    date_of(periods[0].start_day), date_of(periods[-1].end_day), periods
                )
                asked = framework.Asked(session, settings, framework.Scope(), window)
                started = time.perf_counter()
                if summary:
                    found = (
                        cohorts.retention(asked).rows,
                        people_counts.people_counts(session, asked.scope, periods).cells,
                    )
                else:
                    counted = people_counts.PeopleCounts(people_counts.period_month(periods[0]))
                    people_counts.recount(session, asked.scope, periods, counted)
                    found = counted.cells
                samples.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return downline.p95(samples) * 1000, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--distributors", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--recount-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    DIR.mkdir(parents=True, exist_ok=True)
    path = DIR / f"people-{args.distributors}-{args.months}.db"
    started = time.perf_counter()
    build(path, args.distributors, args.months, args.seed)
    built = time.perf_counter() - started
    settings = Settings(data_dir=DIR / "people")
    fast, (fast_rows, summed) = timed(path, settings, args.runs, summary=True)
    slow, counted = timed(path, settings, args.recount_runs, summary=False)
    assert summed == counted, "the summary and the recount disagree"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        standings = int(
            conn.execute(sa.select(sa.func.count()).select_from(PeriodStanding)).one()[0]
        )
    engine.dispose()
    print(
        f"SQLite, {args.distributors:,} distributors, {args.months} monthly periods, "
        f"{standings:,} standings (built in {built:.0f} s); people-retention, ms"
    )
    print(f"  {'report, from the summary':<34} p95 of {args.runs:>2}: {fast:9.1f}")
    print(f"  {'its counts, recounted (standings)':<34} p95 of {args.recount_runs:>2}: {slow:9.1f}")
    print(
        json.dumps(
            {
                "bench": "people",
                "database": "sqlite",
                "distributors": args.distributors,
                "months": args.months,
                "standings": standings,
                "retention_report_p95_ms": round(fast, 1),
                "recount_p95_ms": round(slow, 1),
                "cohorts": len(fast_rows),
            }
        )
    )


if __name__ == "__main__":
    main()
