"""Legs of a person: each of their first-level legs in the placement tree (the person placed
directly below them, and everyone below that one) with its size, how many were active in the
last computed period of the dates chosen, its GV (the PV of everyone in the leg) and its sales
(converted as the sales reports convert them) over the periods chosen: the leg's size as placed
now, the rest as each period placed it (the row of the leg's top in the period's subtree sums,
`PeriodTeam` and `PeriodMemberSales.team_charged`). Staff ask about anyone (the top of the tree when
nobody is named); a leader about themselves or anyone in their team."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select

from backend.genealogy.models import Distributor
from backend.genealogy.tree_path import SEGMENT, subtree_end
from backend.periods.member_sales import ensure_member_sales
from backend.periods.models import Period, PeriodMemberSales, PeriodTeam
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report
from backend.reports.package import converted_sums

NO_PERSON = N_("Nobody is placed yet.")


def person_of(q: Asked) -> Distributor | None:
    if q.person is not None:
        return q.person
    if q.scope.leader is not None:
        return q.scope.leader
    return q.session.exec(
        select(Distributor)
        .where(col(Distributor.tree_depth) == 0)
        .order_by(col(Distributor.id))
        .limit(1)
    ).first()


def _in_leg(top: bytes) -> list[sa.ColumnElement[bool]]:
    path = col(Distributor.tree_path)
    return [path >= top, path < subtree_end(top)]


def _per_leg(
    q: Asked, person: bytes, tops: dict[int, bytes], periods: list[Period]
) -> dict[int, list[int]]:
    """[people, active in the last period, GV over the periods, sales over the periods] per
    first-level leg (by its top's id; ``tops``: their paths) below the person at ``person``:
    the people placed there now counted by the database grouped by the leg's path; the rest
    each period's row of the leg's top (`PeriodTeam`, `PeriodMemberSales.team_charged`)."""
    path = col(Distributor.tree_path)
    leg = func.substr(path, 1, len(person) + SEGMENT).label("leg")
    found = {top_id: [0, 0, 0, 0] for top_id in tops}
    top_at = {top: top_id for top_id, top in tops.items()}
    counted = select(leg, func.count()).where(path > person, path < subtree_end(person))
    for key, n in q.session.exec(counted.group_by(leg)):
        if bytes(key) in top_at:
            found[top_at[bytes(key)]][0] = int(n)
    if not periods or not tops:
        return found
    team = PeriodTeam
    for period_id, top_id, pv, active in q.session.exec(
        select(team.period_id, team.distributor_id, team.pv, team.active).where(
            col(team.period_id).in_([p.id for p in periods]),
            col(team.distributor_id).in_(list(tops)),
        )
    ):
        found[int(top_id)][2] += int(pv)
        if period_id == periods[-1].id:
            found[int(top_id)][1] = int(active)
    sold = PeriodMemberSales
    for period in periods:
        ensure_member_sales(q.session, q.settings, period)
        rows = q.session.exec(
            select(sold.distributor_id, sold.currency, sold.team_charged).where(
                sold.period_id == period.id, col(sold.distributor_id).in_(list(tops))
            )
        )
        for top_id, amount in converted_sums(q.settings, period, rows).items():
            found[int(top_id)][3] += amount
    return found


def by_leg(q: Asked) -> Report:
    person = person_of(q)
    periods = q.window.computed
    rows: list[list[object]] = []
    if person is not None and person.tree_path is not None and person.tree_depth is not None:
        tops = q.session.exec(
            select(
                Distributor.id,
                Distributor.first_name,
                Distributor.last_name,
                col(Distributor.tree_path),
            )
            .where(col(Distributor.tree_depth) == person.tree_depth + 1)
            .where(*_in_leg(person.tree_path))
            .order_by(col(Distributor.tree_path))
        ).all()
        paths = {int(top_id or 0): bytes(top or b"") for top_id, _, _, top in tops}
        legs = _per_leg(q, person.tree_path, paths, periods)
        for top_id, first, last_name, _ in tops:
            size, active, gv, sales = legs[int(top_id or 0)]
            rows.append([top_id, f"{first} {last_name}", size, active, gv, sales])
    currency = periods[-1].currency if periods else None
    exponent = periods[-1].exponent if periods else None
    notes = [
        N_(
            "Each leg: the person placed directly below, and everyone below them. GV and "
            "sales over the periods chosen; active in the last of them."
        )
    ]
    return Report(
        name="structure-legs",
        title=N_("Legs of a person"),
        columns=[
            Column("id", N_("ID")),
            Column("leg", N_("Leg"), Kind.text),
            Column("people", N_("People")),
            Column("active", N_("Active people")),
            Column("gv", N_("GV")),
            Column("sales", N_("Sales"), Kind.money),
        ],
        rows=rows,
        chart=Chart("bar", "leg", ("gv",)),
        scope=q.scope.name if person is None else f"person:{person.id}",
        periods=[p.id for p in periods],
        currency=currency,
        exponent=exponent,
        notes=notes if person is not None else [NO_PERSON],
    )
