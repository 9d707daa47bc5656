"""Structure: people by status, by paid-as and highest rank, by depth, by country, and growth
per period; for a leader, their team. Ranks come from the period's stored standings."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select

from backend.core.days import day_start
from backend.core.model_base import DistributorStatus
from backend.genealogy.models import Distributor
from backend.periods.models import PeriodStanding, StandingKind
from backend.periods.standings import ladder_of, run_of
from backend.reports.framework import (
    N_,
    Asked,
    Chart,
    Column,
    Kind,
    Report,
    period_label,
)

STATUS_LABELS = {
    DistributorStatus.active.value: N_("active"),
    DistributorStatus.inactive.value: N_("inactive"),
    DistributorStatus.terminated.value: N_("terminated"),
}
NOT_GIVEN = N_("not given")
NO_RANK = N_("no rank")


def by_status(q: Asked) -> Report:
    session, scope = q.session, q.scope
    query = scope.people(select(Distributor.status, func.count()).group_by(col(Distributor.status)))
    counts = {str(status): int(n) for status, n in session.exec(query)}
    rows = [[status, counts.get(status, 0)] for status in STATUS_LABELS]
    rows.append(["total", sum(counts.values())])
    labels = STATUS_LABELS | {"total": N_("everyone")}
    return Report(
        name="structure-status",
        title=N_("People by status"),
        columns=[
            Column("status", N_("Status"), Kind.label, labels),
            Column("people", N_("People")),
        ],
        rows=rows,
        chart=Chart("pie", "status", ("people",)),
        scope=scope.name,
        periods=[],
        notes=[N_("As of now, whatever the dates chosen.")],
    )


def by_rank(q: Asked) -> Report:
    session, scope, period_window = q.session, q.scope, q.window
    """Paid-as and highest rank in the last computed period of the window."""
    last = period_window.computed[-1] if period_window.computed else None
    run = run_of(session, last.id) if last is not None else None
    rows: list[list[object]] = []
    notes: list[str] = []
    if last is None or run is None or run.kind != StandingKind.computed:
        notes.append(N_("No computed period in the dates chosen."))
    else:
        names = ["none"] + [rung.name for rung in ladder_of(run)]
        counts: dict[str, list[int]] = {name: [0, 0] for name in names}
        paid, highest = col(PeriodStanding.paid_rank), col(PeriodStanding.achieved_rank)
        query = scope.only(  # one pass over the period's standings for both counts
            PeriodStanding.distributor_id,
            select(paid, highest, func.count())
            .where(PeriodStanding.period_id == last.id)
            .group_by(paid, highest),
        )
        for paid_as, achieved, n in session.exec(query):
            for rank, slot in ((int(paid_as), 0), (int(achieved), 1)):
                if 0 <= rank < len(names):
                    counts[names[rank]][slot] += int(n)
        rows = [[name, *counts[name]] for name in names]
    return Report(
        name="structure-ranks",
        title=N_("People by paid-as and highest rank"),
        columns=[
            Column("rank", N_("Rank"), Kind.label, {"none": NO_RANK}),
            Column("paid_as", N_("Paid as")),
            Column("highest", N_("Highest rank")),
        ],
        rows=rows,
        chart=Chart("bar", "rank", ("paid_as", "highest")),
        scope=scope.name,
        periods=[last.id] if last is not None else [],
        notes=notes or [N_("In the last computed period of the dates chosen.")],
    )


def by_depth(q: Asked) -> Report:
    session, scope = q.session, q.scope
    query = scope.people(
        select(Distributor.tree_depth, func.count())
        .where(col(Distributor.tree_depth).is_not(None))
        .group_by(col(Distributor.tree_depth))
        .order_by(col(Distributor.tree_depth))
    )
    base = scope.base_depth
    rows: list[list[object]] = [[int(depth) - base, int(n)] for depth, n in session.exec(query)]
    return Report(
        name="structure-depth",
        title=N_("People by depth"),
        columns=[Column("depth", N_("Levels below the top")), Column("people", N_("People"))],
        rows=rows,
        chart=Chart("bar", "depth", ("people",)),
        scope=scope.name,
        periods=[],
        notes=[N_("As of now, in the placement tree; people not placed yet are left out.")],
    )


def by_country(q: Asked) -> Report:
    session, scope = q.session, q.scope
    query = scope.people(
        select(Distributor.country, func.count()).group_by(col(Distributor.country))
    )
    found = [(country or "", int(n)) for country, n in session.exec(query)]
    found.sort(key=lambda item: (-item[1], item[0]))
    return Report(
        name="structure-countries",
        title=N_("People by country"),
        columns=[
            Column("country", N_("Country"), Kind.label, {"": NOT_GIVEN}),
            Column("people", N_("People")),
        ],
        rows=[[country, n] for country, n in found],
        chart=Chart("bar", "country", ("people",)),
        scope=scope.name,
        periods=[],
        notes=[N_("As of now; the country is what each person gave, if anything.")],
    )


def growth(q: Asked) -> Report:
    session, scope, period_window = q.session, q.scope, q.window
    """Who joined in each period, and how many there were at its end: one pass over the
    scope's people, counted per span between the periods' bounds."""
    bounds = sorted(
        {day_start(p.start_day) for p in period_window.all}
        | {day_start(p.end_day + 1) for p in period_window.all}
    )
    enrolled = col(Distributor.enrolled_at)
    span = sa.case(
        *((enrolled < bound, n) for n, bound in enumerate(bounds)), else_=len(bounds)
    ).label("span")
    counted = dict(session.exec(scope.people(select(span, func.count()).group_by(span))).all())
    # counted[n]: enrolled before bounds[n] and on or after bounds[n - 1].
    before = [0]
    for n in range(len(bounds)):
        before.append(before[-1] + int(counted.get(n, 0)))
    rows: list[list[object]] = []
    for period in period_window.all:
        start = bounds.index(day_start(period.start_day))
        end = bounds.index(day_start(period.end_day + 1))
        # Enrolled before the end, less those before the start.
        rows.append([period_label(period), before[end + 1] - before[start + 1], before[end + 1]])
    return Report(
        name="structure-growth",
        title=N_("Growth per period"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("joined", N_("Joined")),
            Column("total", N_("People at the end")),
        ],
        rows=rows,
        chart=Chart("line", "period", ("joined", "total")),
        scope=scope.name,
        periods=[p.id for p in period_window.all],
    )
