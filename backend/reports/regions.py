"""Sales by country and region: each period's sales grouped by where their buyer lived when the
period was computed (country, and the optional ISO 3166-2 region, as they stated it; "not
stated" when they gave none), so a closed period's figures stay as they were when someone
moves later; in the payout currency at each period's dated rates. Read from the period's team
files (`backend.periods.team_reads.team_places`): the company's every line, or a leader's
team's run of them."""

from __future__ import annotations

from backend.genealogy.regions import region_name
from backend.periods.models import Period
from backend.periods.team_reads import team_places
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report
from backend.reports.package import converted_sums

NOT_STATED = N_("not stated")
NO_PERIOD = N_("No computed period in the dates chosen.")


def _by_place(q: Asked, period: Period) -> dict[tuple[str, str], int]:
    """The period's sales of the scope's buyers summed per (country, region) where they lived
    when it was computed (the period's team files), each place's currency sums converted
    once."""
    leader = q.scope.leader.id if q.scope.leader is not None else None
    return converted_sums(q.settings, period, team_places(q.session, q.settings, period, leader))


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
            N_("Where each buyer lived, as they stated it, when the period was computed."),
        ]
        if periods
        else [NO_PERIOD],
    )
