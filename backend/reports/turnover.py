"""Team turnover: a team's PV, GV and sales per period with the change from the period before,
and its members' figures in the last period against the one before (the largest rises and
falls). The company's PV and activity sum the period's stored standings (`PeriodStanding`,
written by the compute from ``results/distributors.tbl``) and its sales are the package's
total; a team's are its head's rows of the period's subtree sums (`PeriodTeam`,
``PeriodMemberSales.team_charged``); a member's sales their own rows of `PeriodMemberSales`.
A team is the leader's (a leader sees theirs, or a member's inside it), or for staff any
person's, or the company."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select

from backend.periods.member_sales import ensure_member_sales
from backend.periods.models import (
    Measure,
    Period,
    PeriodMemberSales,
    PeriodStanding,
    PeriodTeam,
)
from backend.periods.statements import names_of
from backend.reports.framework import (
    N_,
    Asked,
    Chart,
    Column,
    Kind,
    Report,
    Scope,
    largest_moves,
    period_label,
)
from backend.reports.package import compliance, converted_sums, member_sales
from ledger.engine import pct_string

MOVERS = 10  # rises, and as many falls
LARGEST = 100  # the members' page: the largest by GV
NO_PERIOD = N_("No computed period in the dates chosen.")


def team_of(q: Asked) -> Scope:
    """The person's team when one is asked about, else whom the caller sees."""
    return Scope(q.person) if q.person is not None else q.scope


def change_pct(now: int, before: int) -> str | None:
    """The change as a signed percentage of ``before`` (None when there is nothing before)."""
    if before <= 0:
        return None
    text = pct_string(abs(now - before), before)
    return f"-{text}" if now < before else text


@dataclass(frozen=True)
class Turnover:
    period: Period
    active: int
    pv: int
    gv: int | None  # the team head's GV; the company has no head
    sales: int


def _standing_totals(q: Asked, team: Scope, period: Period) -> tuple[int, int]:
    active = func.sum(sa.case((col(PeriodStanding.active), 1), else_=0))
    query = team.only(
        PeriodStanding.distributor_id,
        select(func.coalesce(func.sum(PeriodStanding.pv), 0), func.coalesce(active, 0)).where(
            PeriodStanding.period_id == period.id
        ),
    )
    pv, count = q.session.exec(query).one()
    return int(pv), int(count)


def turnover_of(q: Asked, team: Scope, period: Period) -> Turnover:
    """A team's figures are its head's rows of the period's subtree sums (`PeriodTeam`,
    ``team_charged``); the company's, every standing's and the package's total."""
    if team.leader is None:
        pv, active = _standing_totals(q, team, period)
        sales = int(compliance(q.settings, period)["payout_pct_of_sales"]["sales"])
        return Turnover(period, active, pv, None, sales)
    head_id = team.leader.id
    ensure_member_sales(q.session, q.settings, period)
    subtree = q.session.get(PeriodTeam, (period.id, head_id))
    head = q.session.get(PeriodStanding, (period.id, head_id))
    sold = PeriodMemberSales
    rows = q.session.exec(
        select(sold.distributor_id, sold.currency, sold.team_charged).where(
            sold.period_id == period.id, sold.distributor_id == head_id
        )
    )
    return Turnover(
        period,
        subtree.active if subtree is not None else 0,
        subtree.pv if subtree is not None else 0,
        head.gv if head is not None else 0,
        converted_sums(q.settings, period, rows).get(head_id, 0),
    )


def _currency(periods: list[Period]) -> tuple[str | None, int | None]:
    return (periods[-1].currency, periods[-1].exponent) if periods else (None, None)


def by_period(q: Asked) -> Report:
    team = team_of(q)
    periods = q.window.computed
    rows: list[list[object]] = []
    before: Turnover | None = None
    for period in periods:
        now = turnover_of(q, team, period)
        rows.append(
            [
                period_label(period),
                now.active,
                now.pv,
                now.gv,
                now.sales,
                None if before is None else change_pct(now.pv, before.pv),
                None if before is None else change_pct(now.sales, before.sales),
            ]
        )
        before = now
    currency, exponent = _currency(periods)
    notes = [
        N_("PV and GV in points, from each period's standings; GV is the team head's own."),
        N_("Each change is against the period before it in the dates chosen."),
    ]
    return Report(
        name="turnover-periods",
        title=N_("Team turnover by period"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("active", N_("Active people")),
            Column("pv", N_("PV")),
            Column("gv", N_("GV")),
            Column("sales", N_("Sales"), Kind.money),
            Column("pv_change", N_("PV change"), Kind.pct),
            Column("sales_change", N_("Sales change"), Kind.pct),
        ],
        rows=rows,
        chart=Chart("line", "period", ("pv", "gv")),
        scope=team.name,
        periods=[p.id for p in periods],
        currency=currency,
        exponent=exponent,
        notes=notes if periods else [NO_PERIOD],
    )


@dataclass(frozen=True)
class Member:
    id: int
    pv: tuple[int, int]  # (previous period, this period)
    gv: tuple[int, int]
    sales: tuple[int, int]

    @property
    def change(self) -> int:
        return self.gv[1] - self.gv[0]


def _figures(q: Asked, period_id: int, ids: list[int]) -> dict[int, tuple[int, int]]:
    """(PV, GV) of ``ids`` in the period."""
    query = select(PeriodStanding.distributor_id, PeriodStanding.pv, PeriodStanding.gv).where(
        PeriodStanding.period_id == period_id, col(PeriodStanding.distributor_id).in_(ids)
    )
    return {int(i): (int(pv), int(gv)) for i, pv, gv in q.session.exec(query)}


def _members(q: Asked, team: Scope, ids: list[int]) -> list[Member]:
    """``ids`` with both periods' figures: the last period of the window and the one before."""
    last = q.window.computed[-1]
    previous = q.session.get(Period, last.id - 1)
    now, before = _figures(q, last.id, ids), _figures(q, last.id - 1, ids)
    sold_now = member_sales(q.session, q.settings, last, team, ids)
    sold_before = (
        member_sales(q.session, q.settings, previous, team, ids)
        if previous is not None and previous.manifest is not None
        else None
    )
    by_now = sold_now.grouped(sold_now.distributor)
    by_before = sold_before.grouped(sold_before.distributor) if sold_before is not None else {}
    found = []
    for i in ids:
        pv_now, gv_now = now.get(i, (0, 0))
        pv_before, gv_before = before.get(i, (0, 0))
        found.append(
            Member(
                i, (pv_before, pv_now), (gv_before, gv_now), (by_before.get(i, 0), by_now.get(i, 0))
            )
        )
    return found


def _largest_gv(q: Asked, team: Scope, last_id: int, limit: int) -> list[int]:
    """The ``limit`` members with the largest GV in the last period; when fewer have any, then
    those who had GV in the period before and none in it, the largest fall first."""
    standing = PeriodStanding.__table__.c  # type: ignore[attr-defined]
    chosen = [
        int(i)
        for i in q.session.execute(
            team.only(
                standing.distributor_id,
                sa.select(standing.distributor_id)
                .where(standing.period_id == last_id, standing.gv > 0)
                .order_by(standing.gv.desc(), standing.distributor_id)
                .limit(limit),
            )
        ).scalars()
    ]
    if len(chosen) == limit:
        return chosen
    lost = largest_moves(
        q, team, last_id, Measure.gv, rising=False, limit=limit - len(chosen), gone=True
    )
    return chosen + [i for i, _, _ in lost]


def movers(q: Asked) -> Report:
    """The largest rises and falls of GV, the last period of the window against the one
    before it: rises first, largest first, then falls, largest first."""
    chosen: list[Member] = []
    if q.window.computed:
        team = team_of(q)
        last_id = q.window.computed[-1].id
        ids = [
            i
            for rising in (True, False)
            for i, _, _ in largest_moves(q, team, last_id, Measure.gv, rising=rising, limit=MOVERS)
        ]
        chosen = _members(q, team, ids)
    return _members_report(
        q,
        "turnover-movers",
        N_("Top movers"),
        chosen,
        N_(
            "The largest rises of GV, then the largest falls: the last period of the "
            "dates chosen against the period before it."
        ),
    )


def by_member(q: Asked) -> Report:
    """Each member's figures, the largest GV in the last period of the window first."""
    found: list[Member] = []
    if q.window.computed:
        team = team_of(q)
        found = _members(q, team, _largest_gv(q, team, q.window.computed[-1].id, LARGEST))
    return _members_report(
        q,
        "turnover-members",
        N_("Team turnover by member"),
        found,
        N_(
            "The hundred largest by GV in the last period of the dates chosen, against the "
            "period before it; when fewer had GV, then those who lost theirs."
        ),
    )


def _members_report(q: Asked, name: str, title: str, chosen: list[Member], note: str) -> Report:
    periods = q.window.computed
    team = team_of(q)
    names = names_of(q.session, {m.id for m in chosen})
    rows: list[list[object]] = [
        [
            m.id,
            names.get(m.id, ""),
            m.pv[0],
            m.pv[1],
            m.gv[0],
            m.gv[1],
            m.change,
            m.sales[0],
            m.sales[1],
        ]
        for m in chosen
    ]
    currency, exponent = _currency(periods)
    return Report(
        name=name,
        title=title,
        columns=[
            Column("id", N_("ID")),
            Column("name", N_("Name"), Kind.text),
            Column("pv_before", N_("PV, previous period")),
            Column("pv", N_("PV, this period")),
            Column("gv_before", N_("GV, previous period")),
            Column("gv", N_("GV, this period")),
            Column("gv_change", N_("GV change")),
            Column("sales_before", N_("Sales, previous period"), Kind.money),
            Column("sales", N_("Sales, this period"), Kind.money),
        ],
        rows=rows,
        chart=Chart("bar", "name", ("gv_change",)),
        scope=team.name,
        periods=[periods[-1].id] if periods else [],
        currency=currency,
        exponent=exponent,
        notes=[note] if periods else [NO_PERIOD],
    )
