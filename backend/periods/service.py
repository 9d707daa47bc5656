"""Periods: the calendar from the plan, the state machine, and the append-only transition log.

States: open -> computed (repeatable) -> approved -> anchored -> paying -> paid. Every change
goes through :func:`transition`, which writes one ``period_transition`` row in the same
transaction as the state change, so the log and the state never disagree.

The plan is ``<data_dir>/plan.toml`` when that file exists, else the embedded default
(``ledger/plans/company_rub.toml``). Its ``[calendar]`` gives weekly or monthly periods from a
start date; a plan without one gets calendar months from the month the company root enrolled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, func, select

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.days import EPOCH, date_of, day_of
from backend.core.db import begin_write
from backend.core.errors import Conflict, NotFound
from backend.genealogy.models import Distributor
from backend.periods.models import (
    Period,
    PeriodPublic,
    PeriodStatus,
    PeriodTransition,
)
from backend.periods.money import payout_share
from ledger.errors import PlanError
from ledger.plan import Plan, load_plan

DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "ledger" / "plans" / "company_rub.toml"

#: The only moves the state machine allows (compute may repeat: computed -> computed).
ALLOWED: dict[PeriodStatus, frozenset[PeriodStatus]] = {
    PeriodStatus.open: frozenset({PeriodStatus.computed}),
    PeriodStatus.computed: frozenset({PeriodStatus.computed, PeriodStatus.approved}),
    PeriodStatus.approved: frozenset({PeriodStatus.anchored}),
    PeriodStatus.anchored: frozenset({PeriodStatus.paying}),
    PeriodStatus.paying: frozenset({PeriodStatus.paid}),
    PeriodStatus.paid: frozenset(),
}


def plan_path(settings: Settings) -> Path:
    custom = settings.data_dir / "plan.toml"
    return custom if custom.is_file() else DEFAULT_PLAN


def load_company_plan(settings: Settings) -> Plan:
    path = plan_path(settings)
    try:
        return load_plan(path.read_bytes(), source=str(path))
    except PlanError as exc:
        raise Conflict(f"the company plan is invalid: {exc}", code="plan_invalid") from None


@dataclass(frozen=True)
class Calendar:
    weekly: bool
    start: date

    def bounds(self, number: int) -> tuple[int, int]:
        """(start_day, end_day) of period ``number`` (1-based), end inclusive."""
        if self.weekly:
            first = self.start + timedelta(days=7 * (number - 1))
            return (first - EPOCH).days, (first - EPOCH).days + 6
        months = self.start.year * 12 + self.start.month - 1 + number - 1
        first = date(months // 12, months % 12 + 1, 1)
        following = date((months + 1) // 12, (months + 1) % 12 + 1, 1)
        return (first - EPOCH).days, (following - EPOCH).days - 1


def calendar(session: Session, plan: Plan) -> Calendar:
    if plan.calendar is not None:
        return Calendar(weekly=plan.calendar.period == "weekly", start=plan.calendar.start)
    first = session.exec(select(func.min(Distributor.enrolled_at))).one()
    if first is None:
        raise Conflict("the company has no distributors yet, so no period can start")
    begun = first.astimezone(UTC).date()
    return Calendar(weekly=False, start=begun.replace(day=1))


def get_period(session: Session, period_id: int, *, lock: bool = False) -> Period:
    """The period; with ``lock`` the caller's transaction becomes a write unit (`begin_write`)
    and the row is locked and read afresh, so the state it decides on holds until its commit."""
    query = select(Period).where(Period.id == period_id)
    if lock:
        begin_write(session)
        query = query.with_for_update().execution_options(populate_existing=True)
    period = session.exec(query).first()
    if period is None:
        raise NotFound(f"period {period_id} not found")
    return period


def list_periods(session: Session, *, offset: int, limit: int) -> tuple[list[Period], int]:
    count = session.exec(select(func.count()).select_from(Period)).one()
    rows = session.exec(select(Period).order_by(col(Period.id)).offset(offset).limit(limit))
    return list(rows), int(count)


def transitions(session: Session, period_id: int) -> list[PeriodTransition]:
    get_period(session, period_id)
    query = (
        select(PeriodTransition)
        .where(PeriodTransition.period_id == period_id)
        .order_by(col(PeriodTransition.id))
    )
    return list(session.exec(query))


def transition(
    session: Session,
    period: Period,
    to: PeriodStatus,
    *,
    actor: User | None,
    now: datetime,
    detail: str = "",
) -> None:
    """Move ``period`` to ``to`` and log it; refuses a move the state machine does not allow."""
    if to not in ALLOWED[period.status]:
        raise Conflict(
            f"period {period.id} is {period.status}; it cannot become {to}",
            code="period_state",
            details={"status": period.status.value, "wanted": to.value},
        )
    session.add(
        PeriodTransition(
            period_id=period.id,
            from_status=period.status,
            to_status=to,
            actor_id=actor.id if actor is not None else None,
            at=now,
            detail=detail[:500],
        )
    )
    period.status = to
    session.add(period)


def open_next(session: Session, settings: Settings, *, actor: User, now: datetime) -> Period:
    """Open the period after the last one; refused while its first day is still to come."""
    begin_write(session)
    cal = calendar(session, load_company_plan(settings))
    last = session.exec(select(func.max(Period.id))).one()
    number = 1 if last is None else int(last) + 1
    start_day, end_day = cal.bounds(number)
    if start_day > day_of(now):
        raise Conflict(
            f"period {number} starts on {date_of(start_day)}; it cannot be opened before then",
            code="period_not_started",
        )
    period = Period(id=number, start_day=start_day, end_day=end_day, opened_at=now)
    session.add(period)
    session.add(
        PeriodTransition(
            period_id=number,
            from_status=None,
            to_status=PeriodStatus.open,
            actor_id=actor.id,
            at=now,
            detail=f"{date_of(start_day)}..{date_of(end_day)}",
        )
    )
    session.commit()
    return period


def package_dir(settings: Settings, period_id: int) -> Path:
    return settings.data_dir / "periods" / str(period_id)


def to_public(period: Period, settings: Settings) -> PeriodPublic:
    package = package_dir(settings, period.id)
    return PeriodPublic.model_validate(
        period,
        update={
            "start_date": date_of(period.start_day).isoformat(),
            "end_date": date_of(period.end_day).isoformat(),
            "package": str(package) if period.manifest is not None else None,
            "payout_share": payout_share(period),
        },
    )


def manifest_of(period: Period) -> dict[str, object]:
    if period.manifest is None:
        raise Conflict(f"period {period.id} has not been computed", code="period_state")
    data: dict[str, object] = json.loads(period.manifest)
    return data
