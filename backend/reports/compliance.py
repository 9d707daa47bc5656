"""Compliance, for the compliance officer (finance, admin, auditor; never a leader): per period
the package's own compliance report (``results/compliance.json``: product-volume-only, payout
against the plan's ceiling, retail share, purchases on a threshold), and the flags by person
with the rule each breaks and its numbers (`backend.reports.flags`)."""

from __future__ import annotations

from itertools import islice

from sqlmodel import Session, col, select

from backend.core.errors import Invalid
from backend.genealogy.models import Distributor
from backend.reports.flags import RULES, UNITS, Flag, period_flags
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report, period_label
from backend.reports.package import compliance

NO_PERIOD = N_("No computed period in the dates chosen.")
PAGE_FLAGS = 200  # the page's rows; the exports hold every flag
NAMES_CHUNK = 5_000  # ids per query (SQLite's bound parameters)
CAP_STATES = {
    "within": N_("Within the ceiling"),
    "over": N_("Over the ceiling"),
    "none": N_("No ceiling in the plan"),
}


def by_period(q: Asked) -> Report:
    periods = q.window.computed
    rows: list[list[object]] = []
    for period in periods:
        found = compliance(q.settings, period)
        share = found["payout_pct_of_sales"]
        fees = found["product_volume_only"]
        cap = share.get("cap_pct")
        state = "none" if cap is None else ("within" if share["within_cap"] else "over")
        rows.append(
            [
                period_label(period),
                int(share["sales"]),
                int(share["payout"]),
                str(share["overall"]),
                cap,
                state,
                int(fees["fee_lines"]),
                int(fees["fee_revenue"]),
                int(fees["bonus_from_fees"]),
                str(found["retail_share"]["overall"]),
                int(found["threshold_purchases"]["distributors"]),
            ]
        )
    last = periods[-1] if periods else None
    return Report(
        name="compliance-periods",
        title=N_("Compliance by period"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("sales", N_("Sales"), Kind.money),
            Column("payout", N_("Paid in commissions"), Kind.money),
            Column("pct", N_("Share of sales"), Kind.pct),
            Column("cap_pct", N_("The plan's ceiling"), Kind.pct),
            Column("cap_state", N_("Against the ceiling"), Kind.label, CAP_STATES),
            Column("fee_lines", N_("Fee lines")),
            Column("fee_revenue", N_("Fees"), Kind.money),
            Column("bonus_from_fees", N_("Commissions on fees"), Kind.money),
            Column("retail_share", N_("Retail share of volume"), Kind.pct),
            Column("threshold", N_("People exactly on a threshold")),
        ],
        rows=rows,
        chart=Chart("line", "period", ("pct", "cap_pct")),
        scope=q.scope.name,
        periods=[p.id for p in periods],
        currency=None if last is None else last.currency,
        exponent=None if last is None else last.exponent,
        notes=[
            N_("The period package's own compliance figures, as the engine computed them."),
            N_("Fees carry no volume: commissions on fees are always zero."),
        ]
        if periods
        else [NO_PERIOD],
    )


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    wanted = sorted(ids)
    names: dict[int, str] = {}
    for start in range(0, len(wanted), NAMES_CHUNK):
        chunk = wanted[start : start + NAMES_CHUNK]
        rows = session.exec(
            select(Distributor.id, Distributor.first_name, Distributor.last_name).where(
                col(Distributor.id).in_(chunk)
            )
        )
        names.update({int(i): f"{first} {last}" for i, first, last in rows if i is not None})
    return names


def flags(q: Asked) -> Report:
    """The window's flags, newest period first; the page's first `PAGE_FLAGS`, or all."""
    if q.filter and q.filter not in RULES:
        raise Invalid(
            f"there is no compliance rule {q.filter!r}: choose one of {', '.join(RULES)}",
            code="unknown_rule",
        )
    periods = q.window.computed
    found: list[Flag] = []
    labels: dict[int, str] = {}
    limited = None
    for period in reversed(periods):
        labels[period.id] = period_label(period)
        flagged = period_flags(q.session, q.settings, period, q.filter)
        if q.full:
            found.extend(flagged)
            continue
        found.extend(islice(flagged, PAGE_FLAGS + 1 - len(found)))
        if len(found) > PAGE_FLAGS:
            found, limited = found[:PAGE_FLAGS], PAGE_FLAGS
            break
    names = _names(q.session, {f.distributor for f in found})
    last = periods[-1] if periods else None
    rows: list[list[object]] = [
        [
            labels[f.period],
            f.distributor,
            names.get(f.distributor, ""),
            f.rule,
            f.value,
            f.limit,
            f.unit,
            f.pv,
            f.retail_share,
            f.own_pv,
            f.fees,
            f.earned,
        ]
        for f in found
    ]
    notes = [
        N_("Each flag names the rule and the numbers it compares: the figure and its limit."),
        N_("Limits not in the plan (retail share, normal consumption) are the company's settings."),
    ]
    return Report(
        name="compliance-flags",
        title=N_("Compliance flags by person"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("id", N_("ID")),
            Column("name", N_("Name"), Kind.text),
            Column("rule", N_("Rule"), Kind.label, RULES),
            Column("value", N_("Figure"), Kind.decimal),
            Column("limit", N_("Limit"), Kind.decimal),
            Column("unit", N_("Unit"), Kind.label, UNITS),
            Column("pv", N_("PV")),
            Column("retail_share", N_("Retail share of volume"), Kind.pct),
            Column("own_pv", N_("Own purchases, PV")),
            Column("fees", N_("Fees"), Kind.money),
            Column("earned", N_("Earned"), Kind.money),
        ],
        rows=rows,
        chart=Chart("bar", "name", ("earned",)),
        scope=q.scope.name,
        periods=[p.id for p in periods],
        currency=None if last is None else last.currency,
        exponent=None if last is None else last.exponent,
        notes=notes if periods else [NO_PERIOD],
        filters=RULES,
        filter=q.filter,
        limited=limited,
    )
