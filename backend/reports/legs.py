"""Legs of a person: each of their first-level legs in the placement tree (the person placed
directly below them, and everyone below that one) with its size, how many were active in the
last computed period of the dates chosen, its GV (the PV of everyone in the leg, from the
periods' standings) and its sales (the packages' counted lines, converted as the sales reports
convert them), over the periods chosen. Staff ask about anyone (the top of the tree when
nobody is named); a leader about themselves or anyone in their team."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select

from backend.genealogy.models import Distributor
from backend.genealogy.tree_path import subtree_end
from backend.periods.member_sales import ensure_member_sales
from backend.periods.models import Period, PeriodMemberSales, PeriodStanding
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


def _leg_sales(q: Asked, period: Period, top: bytes) -> int:
    """The leg's sales in the period: its buyers' summed rows per currency, each converted once
    (as a team's sales convert)."""
    sold_table: sa.Table = PeriodMemberSales.__table__  # type: ignore[attr-defined]
    person_table: sa.Table = Distributor.__table__  # type: ignore[attr-defined]
    sold, person = sold_table.c, person_table.c
    query = (
        sa.select(sold.currency, func.sum(sold.charged))
        .select_from(sold_table.join(person_table, person.id == sold.distributor_id))
        .where(sold.period_id == period.id)
        .where(person.tree_path >= top, person.tree_path < subtree_end(top))
        .group_by(sold.currency)
    )
    rows = ((None, code, amount) for code, amount in q.session.execute(query))
    return converted_sums(q.settings, period, rows).get(None, 0)


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
        for period in periods:
            ensure_member_sales(q.session, q.settings, period)
        last = periods[-1].id if periods else None
        for top_id, first, last_name, top in tops:
            assert top is not None  # selected inside a placed person's range
            leg = select(col(Distributor.id)).where(*_in_leg(top))
            size = q.session.exec(
                select(func.count()).select_from(Distributor).where(*_in_leg(top))
            ).one()
            active = 0
            gv = 0
            if periods:
                active = q.session.exec(
                    select(func.count())
                    .select_from(PeriodStanding)
                    .where(PeriodStanding.period_id == last)
                    .where(col(PeriodStanding.active))
                    .where(col(PeriodStanding.distributor_id).in_(leg))
                ).one()
                gv = q.session.exec(
                    select(func.coalesce(func.sum(PeriodStanding.pv), 0))
                    .where(col(PeriodStanding.period_id).in_([p.id for p in periods]))
                    .where(col(PeriodStanding.distributor_id).in_(leg))
                ).one()
            sales = sum(_leg_sales(q, period, top) for period in periods)
            rows.append([top_id, f"{first} {last_name}", int(size), int(active), int(gv), sales])
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
