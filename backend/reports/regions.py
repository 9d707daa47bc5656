"""Sales by country and region: each period's sales per buyer (`PeriodMemberSales`) grouped by
where their buyer lives, as they state it now (country, and the optional ISO 3166-2 region;
"not stated" when they gave none), in the payout currency at each period's dated rates."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func

from backend.genealogy.models import Distributor
from backend.genealogy.regions import region_name
from backend.periods.member_sales import ensure_member_sales
from backend.periods.models import Period, PeriodMemberSales
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report
from backend.reports.package import converted_sums

NOT_STATED = N_("not stated")
NO_PERIOD = N_("No computed period in the dates chosen.")


def _by_place(q: Asked, period: Period) -> dict[tuple[str, str], int]:
    """The period's sales of the scope's buyers summed per (country, region) in SQL from the
    per-buyer summary, each place's currency sums converted once."""
    ensure_member_sales(q.session, q.settings, period)
    sold_table: sa.Table = PeriodMemberSales.__table__  # type: ignore[attr-defined]
    person_table: sa.Table = Distributor.__table__  # type: ignore[attr-defined]
    sold, person = sold_table.c, person_table.c
    country = func.coalesce(person.country, "")
    region = func.coalesce(person.region, "")
    query = q.scope.only(
        sold.distributor_id,
        sa.select(country, region, sold.currency, func.sum(sold.charged))
        .select_from(sold_table.outerjoin(person_table, person.id == sold.distributor_id))
        .where(sold.period_id == period.id)
        .group_by(country, region, sold.currency),
    )
    return converted_sums(
        q.settings,
        period,
        (((str(c), str(r)), code, amount) for c, r, code, amount in q.session.execute(query)),
    )


def by_region(q: Asked) -> Report:
    periods = q.window.computed
    summed: dict[tuple[str, str], int] = {}
    for period in periods:
        for place, amount in _by_place(q, period).items():
            summed[place] = summed.get(place, 0) + amount
    # Country by country (not given last), each one's regions by sales (not stated last).
    ranked = sorted(
        summed.items(),
        key=lambda item: (not item[0][0], item[0][0], not item[0][1], -item[1], item[0][1]),
    )
    rows: list[list[object]] = [
        [country, region, region_name(region, q.language) if region else "", amount]
        for (country, region), amount in ranked
    ]
    currency = periods[-1].currency if periods else None
    exponent = periods[-1].exponent if periods else None
    return Report(
        name="sales-regions",
        title=N_("Sales by country and region"),
        columns=[
            Column("country", N_("Country"), Kind.label, {"": N_("not given")}),
            Column("region", N_("Region"), Kind.label, {"": NOT_STATED}),
            Column("region_name", N_("Region's name"), Kind.text),
            Column("sales", N_("Sales"), Kind.money),
        ],
        rows=rows,
        chart=Chart("bar", "region", ("sales",)),
        scope=q.scope.name,
        periods=[p.id for p in periods],
        currency=currency,
        exponent=exponent,
        notes=[
            N_("In the payout currency at each period's dated exchange rates."),
            N_("Where each buyer lives as they state it now."),
        ]
        if periods
        else [NO_PERIOD],
    )
