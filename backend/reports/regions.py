"""Sales by country and region: each period's counted lines (`backend.reports.package`) grouped
by where their buyer lives, as they state it now (country, and the optional ISO 3166-2 region;
"not stated" when they gave none), in the payout currency at each period's dated rates."""

from __future__ import annotations

import numpy as np
from sqlmodel import col, select

from backend.genealogy.models import Distributor
from backend.genealogy.regions import region_name
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report
from backend.reports.package import period_sales, scoped

CHUNK = 20_000
NOT_STATED = N_("not stated")
NO_PERIOD = N_("No computed period in the dates chosen.")


def _places(q: Asked, ids: list[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = q.session.exec(
            select(Distributor.id, Distributor.country, Distributor.region).where(
                col(Distributor.id).in_(ids[start : start + CHUNK])
            )
        )
        for i, country, region in rows:
            if i is not None:
                found[int(i)] = (country or "", region or "")
    return found


def by_region(q: Asked) -> Report:
    periods = q.window.computed
    summed: dict[tuple[str, str], int] = {}
    for period in periods:
        sales = scoped(q.session, q.scope, period_sales(q.settings, period))
        buyers = np.unique(sales.distributor).tolist()
        places = _places(q, [int(i) for i in buyers])
        keys = sorted(set(places.values()) | {("", "")})
        index = {key: n for n, key in enumerate(keys)}
        of_buyer = np.asarray([index[places.get(int(i), ("", ""))] for i in buyers], np.int64)
        at = np.searchsorted(np.asarray(buyers, dtype=np.int64), sales.distributor)
        for n, amount in sales.grouped(of_buyer[at] if at.shape[0] else at).items():
            summed[keys[n]] = summed.get(keys[n], 0) + amount
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
