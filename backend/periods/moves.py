"""Each person's change of GV and of earnings from the period before (`PeriodMove`), written by
the compute after the period's standings and payees, so the largest rises and falls (the team
turnover's top movers, the payouts' largest changes) are read from the ends of an index instead
of joining two periods' every row on each request. The database makes the rows from the two
periods' stored rows (a full join: those with a value in only one of them count 0 in the
other); only changes that are not 0 are kept."""

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


def moves_of(period_id: int, measure: Measure) -> sa.Select[Any]:
    """The period's rows of ``measure`` as a select: the period's values against the period
    before it, people with a value in either, changes of 0 left out."""
    model, name = MEASURED[measure]
    table: sa.Table = model.__table__

    def values(period: int, alias: str) -> sa.Subquery:
        value = table.c[name]
        return (
            sa.select(table.c.distributor_id, value.label("value"))
            .where(table.c.period_id == period, value != 0)
            .subquery(alias)
        )

    now, before = values(period_id, "now"), values(period_id - 1, "before")
    was, is_ = func.coalesce(before.c.value, 0), func.coalesce(now.c.value, 0)
    return (
        sa.select(
            sa.literal(period_id),
            sa.literal(int(measure)),
            func.coalesce(now.c.distributor_id, before.c.distributor_id),
            was,
            is_,
            is_ - was,
        )
        .select_from(now.join(before, now.c.distributor_id == before.c.distributor_id, full=True))
        .where(is_ != was)
    )


def store_moves(session: Session, period_id: int) -> None:
    """Insert the period's rows from its standings and payees (already written in this write
    unit) and the previous period's; the caller deleted the old ones and commits."""
    for measure in Measure:
        session.execute(sa.insert(PeriodMove).from_select(COLUMNS, moves_of(period_id, measure)))
