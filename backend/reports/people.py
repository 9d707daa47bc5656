"""People KPIs per period: new distributors and retail customers; the active rate, with the
plan's definition of active as each period ran (its package's ``plan.toml``); churn (active the
period before, not active in this one; and terminations); rank advancement (new highest ranks,
and paid-as rank counts). Activity and ranks come from the stored standings, counted by
`backend.reports.people_counts`; retention by cohort is `backend.reports.cohorts`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from backend.core.days import day_start
from backend.core.model_base import DistributorStatus
from backend.genealogy.models import Distributor, StatusChangeRecord
from backend.orders.models import RetailCustomer
from backend.periods.models import Period, StandingKind
from backend.periods.review import package_file
from backend.periods.standings import ladder_of, run_of
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report, period_label
from backend.reports.people_counts import PeopleCounts, people_counts
from ledger.engine import pct_string
from ledger.plan import load_plan

NO_PERIOD = N_("No computed period in the dates chosen.")
ACTIVE = N_(
    "Active: own volume (PV) in the period at least the minimum of the plan the period ran "
    "with, shown for each period."
)
NO_RANK = N_("no rank")


def _joined(q: Asked, period: Period, model: Any, since: Any, owner: Any) -> int:
    """How many ``model`` rows of the scope's people have ``since`` inside the period."""
    start, end = day_start(period.start_day), day_start(period.end_day + 1)
    query = select(func.count()).select_from(model).where(since >= start).where(since < end)
    # People by their own placement path; anything else by whose it is.
    query = q.scope.people(query) if model is Distributor else q.scope.only(owner, query)
    return int(q.session.exec(query).one())


def new_people(q: Asked) -> Report:
    """Who enrolled, and which retail customers were added, in each period (computed or not)."""
    rows: list[list[object]] = []
    for period in q.window.all:
        joined = _joined(q, period, Distributor, col(Distributor.enrolled_at), Distributor.id)
        customers = _joined(
            q,
            period,
            RetailCustomer,
            col(RetailCustomer.created_at),
            RetailCustomer.distributor_id,
        )
        rows.append([period_label(period), joined, customers])
    return Report(
        name="people-new",
        title=N_("New distributors and customers"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("distributors", N_("New distributors")),
            Column("customers", N_("New retail customers")),
        ],
        rows=rows,
        chart=Chart("bar", "period", ("distributors", "customers")),
        scope=q.scope.name,
        periods=[p.id for p in q.window.all],
        notes=[N_("By the day each joined; a leader's customers are their team's.")],
    )


def _counts(q: Asked) -> PeopleCounts:
    return people_counts(q.session, q.settings, q.scope, q.window.computed)


def active_min_pv(q: Asked, period: Period) -> int:
    """The plan's definition of active as the period ran: its ``[activity] min_pv``."""
    return int(load_plan(package_file(q.settings, period, "plan.toml")).activity.min_pv)


def active_rate(q: Asked) -> Report:
    counts = _counts(q)
    rows: list[list[object]] = []
    for period in q.window.computed:
        people = counts.total(period.id, "people")
        active = counts.total(period.id, "active")
        rows.append(
            [
                period_label(period),
                active_min_pv(q, period),
                people,
                active,
                pct_string(active, people),
            ]
        )
    return Report(
        name="people-active",
        title=N_("Active rate per period"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("min_pv", N_("Active from own PV")),
            Column("people", N_("People")),
            Column("active", N_("Active people")),
            Column("active_rate", N_("Active rate"), Kind.pct),
        ],
        rows=rows,
        chart=Chart("bar", "period", ("people", "active")),
        scope=q.scope.name,
        periods=[p.id for p in q.window.computed],
        notes=[ACTIVE] if rows else [NO_PERIOD],
    )


def churn(q: Asked) -> Report:
    counts = _counts(q)
    rows: list[list[object]] = []
    for period in q.window.computed:
        was = counts.total(period.id, "was_active")
        churned = counts.total(period.id, "churned")
        terminated = q.scope.only(
            StatusChangeRecord.distributor_id,
            select(func.count())
            .select_from(StatusChangeRecord)
            .where(StatusChangeRecord.new_status == DistributorStatus.terminated)
            .where(col(StatusChangeRecord.at) >= day_start(period.start_day))
            .where(col(StatusChangeRecord.at) < day_start(period.end_day + 1)),
        )
        rows.append(
            [
                period_label(period),
                was,
                churned,
                pct_string(churned, was),
                int(q.session.exec(terminated).one()),
            ]
        )
    return Report(
        name="people-churn",
        title=N_("Churn per period"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("was_active", N_("Active the period before")),
            Column("churned", N_("Not active any more")),
            Column("churn_rate", N_("Churn rate"), Kind.pct),
            Column("terminated", N_("Terminated")),
        ],
        rows=rows,
        chart=Chart("bar", "period", ("churned", "terminated")),
        scope=q.scope.name,
        periods=[p.id for p in q.window.computed],
        notes=[ACTIVE, N_("Terminated: contracts ended by the company in the period.")]
        if rows
        else [NO_PERIOD],
    )


def rank_advancement(q: Asked) -> Report:
    """New highest ranks per period, and how many were paid as each rank of the ladder (the
    last computed period's ladder names the columns)."""
    computed = q.window.computed
    run = run_of(q.session, computed[-1].id) if computed else None
    rungs = ladder_of(run) if run is not None and run.kind == StandingKind.computed else []
    counts = _counts(q)
    rows: list[list[object]] = []
    for period in computed:
        paid = counts.by_rank(period.id)
        rows.append(
            [
                period_label(period),
                counts.total(period.id, "ranked_up"),
                paid.get(0, 0),
                *(paid.get(rung.number, 0) for rung in rungs),
            ]
        )
    ranks = [Column(f"paid_{rung.number}", rung.name) for rung in rungs]
    return Report(
        name="people-ranks",
        title=N_("Rank advancement per period"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("ranked_up", N_("Reached a new highest rank")),
            Column("paid_0", NO_RANK),
            *ranks,
        ],
        rows=rows,
        chart=Chart("stacked", "period", tuple(c.key for c in ranks)),
        scope=q.scope.name,
        periods=[p.id for p in computed],
        notes=[N_("Paid-as ranks: how many people were paid as each rank of the plan.")]
        if rows
        else [NO_PERIOD],
    )
