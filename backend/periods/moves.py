"""Each person's change of GV and of earnings from the period before (`PeriodMove`), written by
the compute after the period's standings and payees, so the largest rises and falls (the team
turnover's top movers, the payouts' largest changes) are read from the ends of an index instead
of joining two periods' every row on each request. The database makes the rows from the two
periods' stored rows (those with a value in only one of them count 0 in the other); only
changes that are not 0 are kept."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session

from backend.periods.models import Measure, PeriodMove, PeriodPayee, PeriodStanding

#: Where each measure is stored per period and person.
MEASURED: dict[Measure, tuple[Any, str]] = {
    Measure.gv: (PeriodStanding, "gv"),
    Measure.earned: (PeriodPayee, "earned"),
}
COLUMNS = ["period_id", "measure", "distributor_id", "previous", "latest", "change"]


def moves_of(period_id: int, measure: Measure) -> sa.CompoundSelect[Any]:
    """The period's rows of ``measure`` as a select: the period's values against the period
    before it, changes of 0 left out. Two halves, each a walk of one period's rows looking the
    other period's up by its key (a full join of two subqueries is a nested scan on SQLite):
    those with a value now, then those who had one before and have none now."""
    model, name = MEASURED[measure]
    table: sa.Table = model.__table__
    now, before = table.alias("now"), table.alias("before")

    def other(mine: Any, theirs: Any, period: int) -> Any:
        return sa.and_(
            theirs.c.period_id == period, theirs.c.distributor_id == mine.c.distributor_id
        )

    was = func.coalesce(before.c[name], 0)
    changed = (
        sa.select(
            sa.literal(period_id),
            sa.literal(int(measure)),
            now.c.distributor_id,
            was,
            now.c[name],
            now.c[name] - was,
        )
        .select_from(now.outerjoin(before, other(now, before, period_id - 1)))
        .where(now.c.period_id == period_id, now.c[name] != 0, now.c[name] != was)
    )
    gone = (
        sa.select(
            sa.literal(period_id),
            sa.literal(int(measure)),
            before.c.distributor_id,
            before.c[name],
            sa.literal(0),
            -before.c[name],
        )
        .select_from(before.outerjoin(now, other(before, now, period_id)))
        .where(
            before.c.period_id == period_id - 1,
            before.c[name] != 0,
            func.coalesce(now.c[name], 0) == 0,
        )
    )
    return sa.union_all(changed, gone)


def store_moves(session: Session, period_id: int) -> None:
    """Insert the period's rows from its standings and payees (already written in this write
    unit) and the previous period's; the caller deleted the old ones and commits."""
    for measure in Measure:
        session.execute(sa.insert(PeriodMove).from_select(COLUMNS, moves_of(period_id, measure)))
