"""Retention by enrollment cohort: the people who joined in a calendar month (the cohort, its
size counted in that month's period) and, for each month since (0 = their own, up to
``MONTHS``), the share of them active in that month's period, as each period's stored
standings say (a person is retained in a month when active in its period). A heat-map over a
table of the same shares. The counts come from `backend.reports.people_counts`: for the company
the compute's summary, a few rows per period, so 24 months read in one query per period."""

from __future__ import annotations

from backend.periods.models import Period
from backend.reports.framework import N_, Asked, Chart, Column, Kind, Report
from backend.reports.people_counts import people_counts, period_month
from ledger.engine import pct_string

MONTHS = 24
NO_PERIOD = N_("No computed period in the dates chosen.")


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def retention(q: Asked) -> Report:
    computed = q.window.computed
    # A month's period: the last computed period that starts in it (monthly plans have one).
    month_period: dict[int, Period] = {period_month(p): p for p in computed}
    counts = people_counts(q.session, q.settings, q.scope, computed)
    months = sorted(month_period)
    span = min(MONTHS, months[-1] - months[0]) if months else 0
    rows: list[list[object]] = []
    for cohort in months:
        size = counts.cohort(month_period[cohort].id, cohort, "people")
        if not size:
            continue
        shares: list[object] = []
        for since in range(span + 1):
            later = month_period.get(cohort + since)
            if later is None:
                shares.append(None)
                continue
            shares.append(pct_string(counts.cohort(later.id, cohort, "active"), size))
        rows.append([month_label(cohort), size, *shares])
    columns = [
        Column("cohort", N_("Joined in"), Kind.text),
        Column("size", N_("Cohort size")),
        *(Column(f"m{since}", f"+{since}", Kind.pct) for since in range(span + 1)),
    ]
    return Report(
        name="people-retention",
        title=N_("Retention by enrollment cohort"),
        columns=columns,
        rows=rows,
        chart=Chart("heatmap", "cohort", tuple(c.key for c in columns[2:])),
        scope=q.scope.name,
        periods=[p.id for p in computed],
        notes=[
            N_(
                "Each row is the people who joined in that month; each column, the months since "
                "(+0 is their own month); each cell, the share of them active in that month's "
                "period, as the plan the period ran with defines active."
            )
        ]
        if rows
        else [NO_PERIOD],
    )
