"""The feed of a distributor's downline events: who joined, who ranked up (a highest rank above
the one carried into the period), who went inactive; newest first.

The downline is one placement-path range (``backend.genealogy.tree_path``), and every query
is bounded whatever its size:

- a small downline (fewer than ``SMALL`` people, found by a probe that reads at most that many
  index entries) is read through the path index, joined to each event table by person;
- a large one is read the other way round: each event table newest first by its key (the
  distributor and status-change ids grow with time; rank ups have their own partial index),
  keeping the rows whose path falls in the range. A large downline holds a large share of the
  company, so ten matches come after a few rows; joins and status changes look back over the
  last ``WINDOW`` rows at most, so a team that stopped growing long ago costs no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, col

from backend.core.days import day_start
from backend.core.model_base import DistributorStatus
from backend.genealogy.models import Distributor, StatusChangeRecord
from backend.genealogy.tree_path import subtree_end
from backend.periods.models import Period, PeriodStanding, StandingKind, StandingRun
from backend.periods.standings import ladder_of

SMALL = 2_000
WINDOW = 50_000
LIMIT = 10

Kind = Literal["joined", "ranked_up", "inactive"]


@dataclass(frozen=True)
class FeedEvent:
    kind: Kind
    distributor_id: int
    name: str
    at: datetime
    rank: str | None = None  # ranked up: the rank's name in the period's plan
    period_id: int | None = None
    estimate: bool = False  # a rank up seen in the open period's preview


def downline_feed(session: Session, distributor_id: int, *, limit: int = LIMIT) -> list[FeedEvent]:
    me = session.get(Distributor, distributor_id)
    if me is None or me.tree_path is None:
        return []  # nobody placed: no downline yet
    low, high = me.tree_path, subtree_end(me.tree_path)
    probe = (
        sa.select(col(Distributor.id))
        .where(col(Distributor.tree_path) > low, col(Distributor.tree_path) < high)
        .limit(SMALL)
    )
    size = session.execute(sa.select(sa.func.count()).select_from(probe.subquery())).scalar_one()
    if size == 0:
        return []
    small = size < SMALL
    path = col(Distributor.tree_path)
    if not small:
        # Wrapped so the planner walks the event table's key instead of the path index.
        path = sa.func.coalesce(path, sa.literal(b"", sa.LargeBinary()))  # type: ignore[assignment]
    in_range = sa.and_(path > low, path < high)
    events = _joined(session, in_range, small, limit)
    events += _inactive(session, in_range, small, limit)
    events += _ranked_up(session, in_range, small, limit)
    events.sort(key=lambda e: (e.at, e.kind, e.distributor_id), reverse=True)
    return events[:limit]


def _name(first: str, last: str) -> str:
    return f"{first} {last}".strip()


def _floor(session: Session, table_id: Any) -> int:
    newest = session.execute(sa.select(sa.func.max(table_id))).scalar_one()
    return int(newest or 0) - WINDOW


def _joined(session: Session, in_range: Any, small: bool, limit: int) -> list[FeedEvent]:
    d = Distributor
    query = sa.select(col(d.id), col(d.first_name), col(d.last_name), col(d.enrolled_at))
    query = query.where(in_range)
    return _newest(session, query, "joined", col(d.enrolled_at), col(d.id), small, limit)


def _inactive(session: Session, in_range: Any, small: bool, limit: int) -> list[FeedEvent]:
    d, c = Distributor, StatusChangeRecord
    query = (
        sa.select(col(c.distributor_id), col(d.first_name), col(d.last_name), col(c.at))
        .join(d, col(d.id) == col(c.distributor_id))
        .where(in_range)
        .where(col(c.new_status) == DistributorStatus.inactive.value)
    )
    return _newest(session, query, "inactive", col(c.at), col(c.id), small, limit)


def _newest(
    session: Session, query: Any, kind: Kind, at: Any, key: Any, small: bool, limit: int
) -> list[FeedEvent]:
    """The newest `limit` rows of (distributor id, first, last name, time) as events: a small
    downline sorts by time; a large one reads only the table's last `WINDOW` keys, newest
    key first."""
    if small:
        query = query.order_by(at.desc(), key.desc())
    else:
        query = query.where(key > _floor(session, key)).order_by(key.desc())
    return [
        FeedEvent(kind, did, _name(first, last), when)
        for did, first, last, when in session.execute(query.limit(limit))
    ]


def _ranked_up(session: Session, in_range: Any, small: bool, limit: int) -> list[FeedEvent]:
    d, s = Distributor, PeriodStanding
    query = (
        sa.select(
            col(s.distributor_id),
            col(s.period_id),
            col(s.achieved_rank),
            col(d.first_name),
            col(d.last_name),
        )
        .join(d, col(d.id) == col(s.distributor_id))
        .where(in_range)
        .where(col(s.achieved_rank) > col(s.prior_rank))  # the partial index's own condition
        .order_by(col(s.period_id).desc(), col(s.distributor_id).desc())
        .limit(limit)
    )
    rows = session.execute(query).all()
    runs: dict[int, tuple[StandingRun | None, Period | None]] = {}
    events = []
    for did, period_id, rank, first, last in rows:
        if period_id not in runs:
            runs[period_id] = (session.get(StandingRun, period_id), session.get(Period, period_id))
        run, period = runs[period_id]
        if run is None or period is None or run.computed_at is None:
            continue
        rungs = ladder_of(run)
        name = rungs[rank - 1].name if 0 < rank <= len(rungs) else str(rank)
        estimate = run.kind == StandingKind.preview
        # A computed period's rank up is dated its last day; a preview's when it was seen.
        last_moment = day_start(period.end_day + 1) - timedelta(seconds=1)
        at = run.computed_at if estimate else min(run.computed_at, last_moment)
        who = _name(first, last)
        events.append(FeedEvent("ranked_up", did, who, at, name, period_id, estimate))
    return events
