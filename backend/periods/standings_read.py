"""Reading the standings: each distributor's figures in the latest period that has any.

A thin reader over `PeriodStanding`/`StandingRun` for the pages that show figures beside
people (the genealogy tree, its level table). The latest period with a standings run is the
one shown: while a period is open that is its preview (an estimate the worker refreshes), after
its compute the computed figures. One query for the run, one for the ids asked about.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from backend.periods.models import PeriodStanding, StandingKind, StandingRun

#: Ids per ``IN (...)``: keeps every statement well under SQLite's bound-parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class Figures:
    """One distributor's figures in one period; volumes in the plan's points, ranks 0 (none)
    or the rung's 1-based place in the plan's ladder."""

    pv: int
    gv: int
    left_volume: int
    right_volume: int
    active: bool
    paid_rank: int
    achieved_rank: int
    kind: StandingKind
    period_id: int
    computed_at: datetime


def latest_run(session: Session) -> StandingRun | None:
    """The standings run of the latest period that has one (None before any)."""
    return session.exec(
        select(StandingRun).order_by(col(StandingRun.period_id).desc()).limit(1)
    ).first()


def figures_of(session: Session, distributor_ids: Collection[int]) -> dict[int, Figures]:
    """Figures of these distributors in the latest period with standings; a distributor
    without a row there (joined later, or no run yet) is absent from the answer."""
    run = latest_run(session)
    wanted = sorted(set(distributor_ids))
    if run is None or not wanted:
        return {}
    found: dict[int, Figures] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.exec(
            select(PeriodStanding).where(
                PeriodStanding.period_id == run.period_id,
                col(PeriodStanding.distributor_id).in_(wanted[start : start + CHUNK]),
            )
        )
        for row in rows:
            found[row.distributor_id] = Figures(
                pv=row.pv,
                gv=row.gv,
                left_volume=row.left_volume,
                right_volume=row.right_volume,
                active=row.active,
                paid_rank=row.paid_rank,
                achieved_rank=row.achieved_rank,
                kind=run.kind,
                period_id=run.period_id,
                computed_at=run.computed_at,
            )
    return found
