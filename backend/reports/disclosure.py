"""The income disclosure statement of a year (docs/compensation.md#income-disclosure).

The statement is written by the engine into the package of the year's last period
(``results/disclosure.json``), so it is anchored with that period's results hash: once that
period is approved this reads it from the package, byte for byte, and names the period and its
anchor transaction. Until then the year's statement is provisional: the same figures built by
``ledger.disclosure`` from the year-to-date income the latest approved period of the year
carries out (``results/income_ytd.tbl``) over its participants (``results/distributors.tbl``),
never recomputed from the database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.core.days import EPOCH
from backend.core.errors import NotFound
from backend.periods.models import LOCKED, Period
from backend.periods.review import package_file
from backend.periods.service import manifest_of
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report
from ledger.disclosure import IncomeYTD, statement
from ledger.package import json_bytes, read_package_table
from ledger.plan import load_plan

STATEMENT = "results/disclosure.json"
INCOME = "results/income_ytd.tbl"
#: The years a visitor may ask for (a bad year is a 404, never a query over all time).
FIRST_YEAR, LAST_YEAR = 2000, 2200


@dataclass(frozen=True)
class Disclosure:
    """A year's statement, its canonical bytes and their SHA-256, the period it comes from and,
    once that period is anchored, the anchoring transaction. ``provisional``: not the year's
    last period, so not anchored as the year's statement."""

    year: int
    statement: dict[str, Any]
    data: bytes
    sha256: str
    period_id: int
    period_status: str
    anchor_tx: str | None
    provisional: bool


def _year_periods(session: Session, year: int) -> list[Period]:
    """The year's approved (or later) periods, the last-ending first: a period belongs to the
    year of its last day, as withholding and the engine's year-to-date figures count it."""
    first, last = day_of_year(year, 1, 1), day_of_year(year, 12, 31)
    query = (
        select(Period)
        .where(col(Period.end_day) >= first)
        .where(col(Period.end_day) <= last)
        .where(col(Period.status).in_([s.value for s in LOCKED]))
        .order_by(col(Period.end_day).desc())
    )
    return list(session.exec(query))


def day_of_year(year: int, month: int, day: int) -> int:
    return (date(year, month, day) - EPOCH).days


def disclosure(session: Session, settings: Settings, year: int) -> Disclosure:
    """The statement of ``year`` (404 when no approved period of the year has one)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound(f"there is no income disclosure for {year}", code="no_disclosure")
    for period in _year_periods(session, year):
        files = manifest_of(period).get("files")
        if not isinstance(files, dict):
            continue
        if STATEMENT in files:
            data = package_file(settings, period, STATEMENT)
            return _found(year, period, data, provisional=False)
        if INCOME in files:
            return _found(year, period, _provisional(settings, period), provisional=True)
        break  # the latest period predates the disclosure (format 2): nothing to show
    raise NotFound(
        f"there is no income disclosure for {year}: no approved period of the year carries "
        "the year's income",
        code="no_disclosure",
    )


def _found(year: int, period: Period, data: bytes, *, provisional: bool) -> Disclosure:
    return Disclosure(
        year=year,
        statement=json.loads(data),
        data=data,
        sha256="0x" + hashlib.sha256(data).hexdigest(),
        period_id=period.id,
        period_status=str(period.status),
        anchor_tx=period.anchor_tx,
        provisional=provisional,
    )


def _provisional(settings: Settings, period: Period) -> bytes:
    """The year-to-date statement from the period's own package (plan, carry-out, ranks)."""
    plan = load_plan(package_file(settings, period, "plan.toml"), source="plan.toml")
    income = read_package_table(package_file(settings, period, INCOME), file=INCOME)
    people = read_package_table(
        package_file(settings, period, "results/distributors.tbl"),
        file="results/distributors.tbl",
    )
    figures = statement(
        plan,
        period_id=period.id,
        end_day=period.end_day,
        ids=people["id"],
        ytd=IncomeYTD.from_columns(**income),
        rank=people["achieved_rank"],
        provisional=True,
    )
    return json_bytes(figures)


# -- the staff report: the statement's rank bands for the year the dates end in ---------------

NO_STATEMENT = N_("No approved period of this year carries the year's income yet.")
PROVISIONAL = N_(
    "Provisional: the year's last period is not approved yet; these are the year-to-date "
    "figures of the latest approved period of the year."
)
COMPANY_WIDE = N_(
    "The income disclosure covers every participant of the company, as published on its "
    "public page; a team's figures are not shown apart."
)
NONE, ALL = "-", "*"
#: The bands that are not one of the plan's rank names (those are shown as the plan spells them).
BAND_LABELS = {NONE: N_("No rank"), ALL: N_("All participants")}


def by_band(q: Asked) -> Report:
    """The year's statement (the year of the dates' end) per rank band, zero earners included."""
    columns = [
        Column("rank", N_("Rank"), Kind.label, labels=BAND_LABELS),
        Column("count", N_("Participants")),
        Column("zero", N_("Earned nothing")),
        Column("zero_share", N_("Share who earned nothing"), Kind.pct),
        Column("median", N_("Median"), Kind.money),
        Column("mean", N_("Mean"), Kind.money),
        Column("p90", N_("90th percentile"), Kind.money),
        Column("max", N_("Highest"), Kind.money),
    ]
    report = Report(
        name="payouts-disclosure",
        title=N_("Income disclosure by rank band"),
        columns=columns,
        rows=[],
        chart=Chart("bar", "rank", ("median", "mean", "p90")),
        scope="company",
        periods=[],
        notes=[COMPANY_WIDE],
    )
    try:
        found = disclosure(q.session, q.settings, q.window.end.year)
    except NotFound:
        report.notes.append(NO_STATEMENT)
        return report
    s = found.statement
    report.periods = [found.period_id]
    report.currency, report.exponent = s["currency"]["code"], int(s["currency"]["exponent"])
    for band in [*s["bands"], {"name": ALL, "earnings": s["earnings"]}]:
        e = band["earnings"]
        name = band["name"] or NONE
        report.rows.append(
            [
                name,
                e["count"],
                e["zero"],
                e["zero_share"],
                e["median"],
                e["mean"],
                e["p90"],
                e["max"],
            ]
        )
    if found.provisional:
        report.notes.append(PROVISIONAL)
    return report
