"""The sales plan against actual: an admin sets a period's plan (sales in the payout currency
new periods run with, new distributors, active count; each change in the admin log as
``sales_plan_set``), and the report sets each period's actual figures beside it: sales as the
package states them, people who joined in the period, people active in its standings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.admin_log.models import AdminAction
from backend.catalog.models import MAX_MONEY
from backend.core.days import day_start
from backend.core.errors import Invalid, NotFound
from backend.core.model_base import now_utc
from backend.genealogy.models import Distributor
from backend.periods.models import Period, PeriodStanding
from backend.periods.sales_plan import SalesPlan
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report, period_label
from backend.reports.package import compliance
from ledger.engine import pct_string

MAX_PEOPLE = 10**9


@dataclass(frozen=True)
class PlanFigures:
    sales: int  # minor units of ``currency``
    currency: str
    exponent: int
    new_distributors: int
    active: int


def set_plan(
    session: Session,
    period_id: int,
    figures: PlanFigures,
    *,
    actor: User,
    now: datetime | None = None,
) -> SalesPlan:
    """Set (or replace) the period's plan and log it, in one transaction."""
    problems = {
        name: "range"
        for name, value, limit in (
            ("sales", figures.sales, MAX_MONEY),
            ("new_distributors", figures.new_distributors, MAX_PEOPLE),
            ("active", figures.active, MAX_PEOPLE),
        )
        if not 0 <= value <= limit
    }
    if problems:
        raise Invalid("the plan's figures are out of range", code="plan_range", details=problems)
    if session.get(Period, period_id) is None:
        raise NotFound(f"there is no period {period_id}", code="period_not_found")
    at = now or now_utc()
    plan = session.get(SalesPlan, period_id)
    old = None if plan is None else _logged(plan)
    assert actor.id is not None
    if plan is None:
        plan = SalesPlan(period_id=period_id, set_by=actor.id, set_at=at, **_values(figures))
    else:
        plan.sqlmodel_update(_values(figures))
    plan.set_by, plan.set_at = actor.id, at
    session.add(plan)
    admin_log.append(
        session,
        AdminAction.sales_plan_set,
        f"period:{period_id}",
        actor_id=actor.id,
        now=at,
        old=old,
        new=_logged(plan),
    )
    session.commit()
    session.refresh(plan)
    return plan


def _values(figures: PlanFigures) -> dict[str, Any]:
    return {
        "sales": figures.sales,
        "currency": figures.currency,
        "exponent": figures.exponent,
        "new_distributors": figures.new_distributors,
        "active": figures.active,
    }


def _logged(plan: SalesPlan) -> dict[str, object]:
    return {
        "sales": plan.sales,
        "currency": plan.currency,
        "new_distributors": plan.new_distributors,
        "active": plan.active,
    }


def plans(session: Session, period_ids: list[int]) -> dict[int, SalesPlan]:
    found = session.exec(select(SalesPlan).where(col(SalesPlan.period_id).in_(period_ids)))
    return {p.period_id: p for p in found}


def _joined(session: Session, period: Period) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Distributor)
            .where(col(Distributor.enrolled_at) >= day_start(period.start_day))
            .where(col(Distributor.enrolled_at) < day_start(period.end_day + 1))
        ).one()
    )


def _active(session: Session, period: Period) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(PeriodStanding)
            .where(PeriodStanding.period_id == period.id)
            .where(col(PeriodStanding.active))
        ).one()
    )


def _pct(actual: int | None, planned: int | None) -> str | None:
    if actual is None or not planned:
        return None
    return pct_string(actual, planned)


def against_actual(q: Asked) -> Report:
    """Every period of the window with a plan or a package; the company's only (a plan is the
    company's: a leader's team is not measured against it)."""
    rows: list[list[object]] = []
    notes = [
        N_(
            "Sales as each period's package states them; joined: people enrolled in the "
            "period; active: active in the period's standings (the plan's definition)."
        )
    ]
    periods = q.window.all
    found = plans(q.session, [p.id for p in periods]) if q.scope.leader is None else {}
    currency = periods[-1].currency if periods else None
    exponent = periods[-1].exponent if periods else None
    for period in periods:
        plan = found.get(period.id)
        if plan is None and period.manifest is None:
            continue
        computed = period.manifest is not None
        sales = (
            int(compliance(q.settings, period)["payout_pct_of_sales"]["sales"])
            if computed
            else None
        )
        active = _active(q.session, period) if computed else None
        joined = _joined(q.session, period)
        planned_sales = None
        if plan is not None:
            currency = currency or plan.currency
            exponent = exponent if exponent is not None else plan.exponent
            if plan.currency == (period.currency or plan.currency):
                planned_sales = plan.sales
            else:
                notes.append(
                    N_("A plan set in another currency than the period paid in is left out.")
                )
        rows.append(
            [
                period_label(period),
                planned_sales,
                sales,
                _pct(sales, planned_sales),
                None if plan is None else plan.new_distributors,
                joined,
                _pct(joined, None if plan is None else plan.new_distributors),
                None if plan is None else plan.active,
                active,
                _pct(active, None if plan is None else plan.active),
            ]
        )
    if q.scope.leader is not None:
        rows, notes = [], [N_("The sales plan is the company's: it is not shown for a team.")]
    return Report(
        name="sales-plan",
        title=N_("Sales plan against actual"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("sales_plan", N_("Sales, plan"), Kind.money),
            Column("sales", N_("Sales, actual"), Kind.money),
            Column("sales_pct", N_("Sales: plan met"), Kind.pct),
            Column("joined_plan", N_("New distributors, plan")),
            Column("joined", N_("New distributors, actual")),
            Column("joined_pct", N_("New distributors: plan met"), Kind.pct),
            Column("active_plan", N_("Active, plan")),
            Column("active", N_("Active, actual")),
            Column("active_pct", N_("Active: plan met"), Kind.pct),
        ],
        rows=rows,
        chart=Chart("bar", "period", ("sales_plan", "sales")),
        scope=q.scope.name,
        periods=[p.id for p in periods],
        currency=currency,
        exponent=exponent,
        notes=list(dict.fromkeys(notes)),
    )
