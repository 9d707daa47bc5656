"""Does training pay off? A course's people by enrollment cohort (the month they joined), those
who completed it against those who did not: how many are active, have ordered, still order 90
days after joining, and what they bought.

Definitions (the admin's report page says them in words):

- *active*: active in the latest closed period (approved onwards), as its computed standings
  record it (the plan's definition: the package's ``results/distributors.tbl``); counted among
  the people who had joined by that period's last day.
- *first order*: at least one paid order (paid, not cancelled or returned).
- *90-day retention*: a paid order on or after the 90th day after joining; counted among the
  people who joined at least 90 days ago.
- *sales*: paid orders' amounts, per currency (no conversion: the rates of each order's day
  are not at hand here), in minor units.

A rate is ``count`` of ``n``; groups smaller than :data:`SMALL` are not a trend, and the page
says so. A few queries per report, aggregated here, none per person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from backend.core.days import date_of
from backend.core.errors import NotFound
from backend.core.model_base import OrderStatus
from backend.genealogy.models import Distributor
from backend.orders.models import Order
from backend.periods.models import LOCKED, Period, PeriodStanding
from backend.training.models import TrainingAssignment, TrainingCourse

__all__ = ["RETENTION_DAYS", "SMALL", "Cohort", "Group", "Rate", "Report", "report"]

SMALL = 20  # a rate over fewer people is shown greyed out: not a trend
RETENTION_DAYS = 90
PAID = (OrderStatus.paid, OrderStatus.shipped)


@dataclass(frozen=True)
class Rate:
    count: int
    n: int

    @property
    def pct(self) -> int | None:
        return None if self.n == 0 else round(100 * self.count / self.n)

    @property
    def small(self) -> bool:
        return self.n < SMALL


@dataclass
class Group:
    """Completers or non-completers of one cohort (or of all cohorts)."""

    people: int = 0
    active: int = 0
    active_n: int = 0
    ordered: int = 0
    retained: int = 0
    retained_n: int = 0
    sales: dict[str, int] = field(default_factory=dict)  # currency -> total, minor units

    def rate_active(self) -> Rate:
        return Rate(self.active, self.active_n)

    def rate_ordered(self) -> Rate:
        return Rate(self.ordered, self.people)

    def rate_retained(self) -> Rate:
        return Rate(self.retained, self.retained_n)

    def sales_per_person(self) -> list[tuple[str, int]]:
        """Each currency's sales divided by the group's people (rounded down), by currency."""
        if not self.people:
            return []
        return [(cur, total // self.people) for cur, total in sorted(self.sales.items())]


@dataclass
class Cohort:
    month: date  # the first day of the month the people joined
    completed: Group = field(default_factory=Group)
    not_completed: Group = field(default_factory=Group)


@dataclass(frozen=True)
class Report:
    slug: str
    period_id: int | None  # the closed period activity is read from (None: none closed yet)
    period_end: date | None
    cohorts: list[Cohort]
    total: Cohort
    today: date


@dataclass(frozen=True)
class _Person:
    enrolled: datetime
    completed: bool


def _people(session: Session, course_id: int) -> dict[int, _Person]:
    rows = session.exec(
        select(
            TrainingAssignment.distributor_id,
            Distributor.enrolled_at,
            TrainingAssignment.completed_at,
        )
        .join(Distributor, col(Distributor.id) == TrainingAssignment.distributor_id)
        .where(TrainingAssignment.course_id == course_id)
    ).all()
    return {did: _Person(enrolled, done is not None) for did, enrolled, done in rows}


def _latest_closed(session: Session) -> Period | None:
    return session.exec(
        select(Period).where(col(Period.status).in_(LOCKED)).order_by(col(Period.id).desc())
    ).first()


def _active(session: Session, period_id: int, course_id: int) -> set[int]:
    assigned = select(TrainingAssignment.distributor_id).where(
        TrainingAssignment.course_id == course_id
    )
    return set(
        session.exec(
            select(PeriodStanding.distributor_id).where(
                PeriodStanding.period_id == period_id,
                col(PeriodStanding.active),
                col(PeriodStanding.distributor_id).in_(assigned),
            )
        )
    )


def _orders(
    session: Session, course_id: int
) -> tuple[dict[int, dict[str, int]], dict[int, datetime]]:
    """Per person: paid sales by currency, and their last paid order's time."""
    assigned = select(TrainingAssignment.distributor_id).where(
        TrainingAssignment.course_id == course_id
    )
    rows = session.exec(
        select(
            Order.distributor_id,
            Order.currency,
            sa.func.sum(Order.total_amount),
            sa.func.max(Order.paid_at),
        )
        .where(
            col(Order.distributor_id).in_(assigned),
            col(Order.paid_at).is_not(None),
            col(Order.status).in_(PAID),
        )
        .group_by(col(Order.distributor_id), col(Order.currency))
    ).all()
    sales: dict[int, dict[str, int]] = defaultdict(dict)
    last: dict[int, datetime] = {}
    for did, currency, total, paid_at in rows:
        sales[did][currency] = int(total)
        if paid_at is not None and (did not in last or paid_at > last[did]):
            last[did] = paid_at
    return sales, last


def _add(
    group: Group,
    did: int,
    person: _Person,
    *,
    active: set[int],
    period_end: date | None,
    sales: dict[int, dict[str, int]],
    last_paid: dict[int, datetime],
    today: date,
) -> None:
    group.people += 1
    if period_end is not None and person.enrolled.date() <= period_end:
        group.active_n += 1
        group.active += did in active
    if did in sales:
        group.ordered += 1
        for currency, total in sales[did].items():
            group.sales[currency] = group.sales.get(currency, 0) + total
    if person.enrolled.date() + timedelta(days=RETENTION_DAYS) <= today:
        group.retained_n += 1
        paid = last_paid.get(did)
        group.retained += paid is not None and paid >= person.enrolled + timedelta(
            days=RETENTION_DAYS
        )


def report(session: Session, slug: str, *, today: date) -> Report:
    course = session.exec(select(TrainingCourse).where(TrainingCourse.slug == slug)).first()
    if course is None or course.id is None:
        raise NotFound(f"no course {slug!r}", code="course_not_found")
    people = _people(session, course.id)
    period = _latest_closed(session)
    period_end = date_of(period.end_day) if period is not None else None
    active = _active(session, period.id, course.id) if period is not None and period.id else set()
    sales, last_paid = _orders(session, course.id)
    cohorts: dict[date, Cohort] = {}
    total = Cohort(month=today.replace(day=1))
    for did, person in sorted(people.items(), key=lambda item: item[1].enrolled):
        month = person.enrolled.date().replace(day=1)
        cohort = cohorts.setdefault(month, Cohort(month=month))
        for target in (cohort, total):
            group = target.completed if person.completed else target.not_completed
            _add(
                group,
                did,
                person,
                active=active,
                period_end=period_end,
                sales=sales,
                last_paid=last_paid,
                today=today,
            )
    return Report(
        slug=slug,
        period_id=period.id if period is not None else None,
        period_end=period_end,
        cohorts=[cohorts[m] for m in sorted(cohorts, reverse=True)],
        total=total,
        today=today,
    )
