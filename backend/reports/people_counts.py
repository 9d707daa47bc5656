"""The people reports' counts per period, enrollment cohort and paid-as rank: for the company
from the summary the compute writes (`PeriodPeopleSummary`), for a leader's team from its run
of the period's people kept in placement order (`backend.periods.team_lines.team_people`), and
for a period computed before the summary existed by one aggregate query over the stored
standings. All say the same (tests compare them: the company, and every person's team).

A cohort is a calendar month, ``year * 12 + month - 1``; people who joined before the first
month a report covers are counted in cohort ``BEFORE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from backend.core.config import Settings
from backend.core.days import date_of
from backend.genealogy.models import Distributor
from backend.periods.models import Period, PeriodPeopleSummary, PeriodStanding
from backend.periods.team_reads import team_people
from backend.reports.framework import Scope

BEFORE = 0
MEASURES = ("people", "active", "was_active", "churned", "ranked_up")


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def period_month(period: Period) -> int:
    return month_index(date_of(period.start_day))


@dataclass
class PeopleCounts:
    """(period id, cohort, paid-as rank) -> the ``MEASURES``, for the periods asked, with the
    sums the reports read kept as they are added (a 24-month table asks for 600 of them)."""

    first_cohort: int
    cells: dict[tuple[int, int, int], list[int]] = field(default_factory=dict)
    _periods: dict[int, list[int]] = field(default_factory=dict)
    _cohorts: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    _ranks: dict[tuple[int, int], int] = field(default_factory=dict)

    def add(self, period_id: int, cohort: int, rank: int, values: list[int]) -> None:
        cohort = cohort if cohort >= self.first_cohort else BEFORE
        zero = [0] * len(MEASURES)
        for held in (
            self.cells.setdefault((period_id, cohort, rank), list(zero)),
            self._periods.setdefault(period_id, list(zero)),
            self._cohorts.setdefault((period_id, cohort), list(zero)),
        ):
            for i, value in enumerate(values):
                held[i] += int(value)
        self._ranks[period_id, rank] = self._ranks.get((period_id, rank), 0) + int(values[0])

    def total(self, period_id: int, measure: str) -> int:
        return self._periods.get(period_id, [0] * len(MEASURES))[MEASURES.index(measure)]

    def by_rank(self, period_id: int) -> dict[int, int]:
        """Paid-as rank -> people."""
        return {rank: n for (p, rank), n in self._ranks.items() if p == period_id}

    def cohort(self, period_id: int, cohort: int, measure: str) -> int:
        held = self._cohorts.get((period_id, cohort), [0] * len(MEASURES))
        return held[MEASURES.index(measure)]


def people_counts(
    session: Session, settings: Settings, scope: Scope, periods: list[Period]
) -> PeopleCounts:
    """The counts of ``periods`` (computed ones), cohorts from the first one's month."""
    first = period_month(periods[0]) if periods else 0
    counts = PeopleCounts(first)
    missing = periods
    if scope.leader is not None and scope.leader.id is not None:
        for period in periods:
            assert period.id is not None
            for cohort, rank, values in team_people(session, settings, period, scope.leader.id):
                counts.add(period.id, cohort, rank, values)
        return counts
    if periods:
        found = _from_summary(session, periods, counts)
        missing = [p for p in periods if p.id not in found]
    if missing:
        recount(session, scope, missing, counts)
    return counts


def _from_summary(session: Session, periods: list[Period], counts: PeopleCounts) -> set[int]:
    """Adds the periods' summary rows; the ids of the periods that have them."""
    summary = PeriodPeopleSummary.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(
        sa.select(
            summary.period_id, summary.cohort, summary.paid_rank, *(summary[m] for m in MEASURES)
        ).where(summary.period_id.in_([p.id for p in periods]))
    ).all()
    for period_id, cohort, rank, *values in rows:
        counts.add(int(period_id), int(cohort), int(rank), values)
    return {int(row[0]) for row in rows}


def recount(session: Session, scope: Scope, periods: list[Period], counts: PeopleCounts) -> None:
    """One aggregate query over the periods' standings (and the previous period's, for who
    was active then), the team's people only, grouped by period, cohort and paid-as rank."""
    now = PeriodStanding.__table__.alias("now")  # type: ignore[attr-defined]
    before = PeriodStanding.__table__.alias("before")  # type: ignore[attr-defined]
    person = Distributor.__table__.c  # type: ignore[attr-defined]
    last = max(period_month(p) for p in periods)
    # The month each person joined, as a CASE over the months' first instants: portable
    # between SQLite and PostgreSQL, and nobody in a period's standings joined after it.
    whens = [
        (person.enrolled_at < month_start(month + 1), month)
        for month in range(counts.first_cohort, last)
    ]
    cohort = sa.case(
        (person.enrolled_at < month_start(counts.first_cohort), BEFORE), *whens, else_=last
    ).label("cohort")
    was = before.c.active.is_(True)
    flags = (
        sa.select(
            now.c.period_id,
            cohort,
            now.c.paid_rank,
            sa.case((now.c.active.is_(True), 1), else_=0).label("active"),
            sa.case((was, 1), else_=0).label("was_active"),
            sa.case((sa.and_(was, now.c.active.is_(False)), 1), else_=0).label("churned"),
            sa.case((now.c.achieved_rank > now.c.prior_rank, 1), else_=0).label("ranked_up"),
        )
        .select_from(now)
        .join(Distributor.__table__, person.id == now.c.distributor_id)  # type: ignore[attr-defined]
        .outerjoin(
            before,
            sa.and_(
                before.c.period_id == now.c.period_id - 1,
                before.c.distributor_id == now.c.distributor_id,
            ),
        )
        .where(now.c.period_id.in_([p.id for p in periods]))
    )
    if scope.leader is not None:
        flags = flags.where(now.c.distributor_id.in_(scope.members()))
    row = flags.subquery("flags")
    query = sa.select(
        row.c.period_id,
        row.c.cohort,
        row.c.paid_rank,
        sa.func.count(),
        *(sa.func.sum(row.c[m]) for m in MEASURES[1:]),
    ).group_by(row.c.period_id, row.c.cohort, row.c.paid_rank)
    for period_id, month, rank, *values in session.execute(query):
        counts.add(int(period_id), int(month), int(rank), [int(v or 0) for v in values])
