"""Payouts: commissions by bonus type per period, payout as a share of sales, breakage, top
earners and the largest changes from the previous period. The company's figures are the
package's totals (``results/totals.json``, ``results/compliance.json``); a leader's team is
summed from the period's stored lines and payees (``period_line``, ``period_payee``), which
compute wrote from the same package."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from backend.periods.models import Measure, Period, PeriodPayee
from backend.periods.statements import names_of
from backend.periods.team_reads import team_payouts
from backend.reports.framework import (
    N_,
    Asked,
    Chart,
    Column,
    Kind,
    Report,
    largest_moves,
    period_label,
)
from backend.reports.package import compliance, team_sold, totals
from ledger.engine import pct_string
from ledger.plan import BONUS_TYPES

TOP = 20
#: Past this many candidates, top earners over several periods sum every payee instead.
CANDIDATES = 10_000
NO_PERIOD = N_("No computed period in the dates chosen.")
BONUS_TITLES = {
    "retail": N_("Retail"),
    "fast_start": N_("Fast start"),
    "unilevel": N_("Unilevel"),
    "binary": N_("Binary"),
    "matrix": N_("Matrix"),
    "matrix_completion": N_("Matrix completion"),
    "stairstep": N_("Stairstep"),
    "generation": N_("Generation"),
    "matching": N_("Matching"),
}


def _currency(periods: list[Period]) -> tuple[str | None, int | None]:
    return (periods[-1].currency, periods[-1].exponent) if periods else (None, None)


def _team_lines(q: Asked, period: Period) -> dict[str, dict[str, int]]:
    """Per bonus: gross, amount and breakage of the lines paying the team's people (their run
    of the period's per-payee sums kept in placement order, `backend.periods.team_lines`)."""
    assert q.scope.leader is not None and q.scope.leader.id is not None
    found = team_payouts(q.session, q.settings, period, q.scope.leader.id)
    return {
        BONUS_TYPES[bonus - 1]: {"gross": gross, "amount": amount, "breakage": gross - amount}
        for bonus, (gross, amount) in found.items()
    }


def _bonuses(q: Asked, period: Period) -> dict[str, dict[str, int]]:
    if q.scope.leader is None:
        found: dict[str, Any] = totals(q.settings, period)["bonuses"]
        return {name: {k: int(v) for k, v in row.items()} for name, row in found.items()}
    return _team_lines(q, period)


def by_bonus(q: Asked) -> Report:
    periods = q.window.computed
    per_period = [(p, _bonuses(q, p)) for p in periods]
    seen = [
        b for b in BONUS_TYPES if any(found.get(b, {}).get("amount") for _, found in per_period)
    ]
    rows: list[list[object]] = []
    for period, found in per_period:
        amounts = [found.get(b, {}).get("amount", 0) for b in seen]
        rows.append([period_label(period), *amounts, sum(amounts)])
    currency, exponent = _currency(periods)
    return Report(
        name="payouts-bonuses",
        title=N_("Commissions by bonus type"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            *(Column(b, BONUS_TITLES[b], Kind.money) for b in seen),
            Column("total", N_("Total"), Kind.money),
        ],
        rows=rows,
        chart=Chart("stacked", "period", tuple(seen)),
        scope=q.scope.name,
        periods=[p.id for p in periods],
        currency=currency,
        exponent=exponent,
        notes=[N_("What the lines pay, after caps; breakage is its own report.")]
        if periods
        else [NO_PERIOD],
    )


def share_of_sales(q: Asked) -> Report:
    periods = q.window.computed
    rows: list[list[object]] = []
    for period in periods:
        if q.scope.leader is None:
            share = compliance(q.settings, period)["payout_pct_of_sales"]
            sales, paid = int(share["sales"]), int(share["payout"])
            pct, cap = str(share["overall"]), share.get("cap_pct")
        else:
            sales = team_sold(q.session, q.settings, period, q.scope).sales.converted()
            paid = sum(row["amount"] for row in _team_lines(q, period).values())
            pct, cap = pct_string(paid, sales), None
        rows.append([period_label(period), sales, paid, pct, cap])
    currency, exponent = _currency(periods)
    notes = [N_("Sales converted at each period's dated exchange rates.")]
    if q.scope.leader is not None:
        notes.append(N_("The team's own purchases against what its people were paid."))
    return Report(
        name="payouts-share",
        title=N_("Payout as a share of sales"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("sales", N_("Sales"), Kind.money),
            Column("payout", N_("Paid in commissions"), Kind.money),
            Column("pct", N_("Share of sales"), Kind.pct),
            Column("cap_pct", N_("The plan's ceiling"), Kind.pct),
        ],
        rows=rows,
        chart=Chart("line", "period", ("pct",)),
        scope=q.scope.name,
        periods=[p.id for p in periods],
        currency=currency,
        exponent=exponent,
        notes=notes if periods else [NO_PERIOD],
    )


def breakage(q: Asked) -> Report:
    periods = q.window.computed
    rows: list[list[object]] = []
    for period in periods:
        found = _bonuses(q, period)
        gross = sum(row["gross"] for row in found.values())
        paid = sum(row["amount"] for row in found.values())
        kept = sum(row["breakage"] for row in found.values())
        rows.append([period_label(period), gross, paid, kept, pct_string(kept, gross)])
    currency, exponent = _currency(periods)
    return Report(
        name="payouts-breakage",
        title=N_("Breakage"),
        columns=[
            Column("period", N_("Period"), Kind.text),
            Column("gross", N_("Before caps"), Kind.money),
            Column("paid", N_("Paid"), Kind.money),
            Column("breakage", N_("Breakage"), Kind.money),
            Column("pct", N_("Breakage share"), Kind.pct),
        ],
        rows=rows,
        chart=Chart("stacked", "period", ("paid", "breakage")),
        scope=q.scope.name,
        periods=[p.id for p in periods],
        currency=currency,
        exponent=exponent,
        notes=[N_("What the plan's caps and rules kept back from the lines.")]
        if periods
        else [NO_PERIOD],
    )


def _largest_earned(q: Asked, period_id: int, limit: int) -> list[tuple[int, int]]:
    """The scope's ``limit`` largest positive earnings of the period, largest first: the
    period's index by earnings read from its end."""
    earned = col(PeriodPayee.earned)
    query = q.scope.only(
        PeriodPayee.distributor_id,
        select(PeriodPayee.distributor_id, earned)
        .where(PeriodPayee.period_id == period_id, earned > 0)
        .order_by(earned.desc(), col(PeriodPayee.distributor_id))
        .limit(limit),
    )
    return [(int(i), int(e)) for i, e in q.session.exec(query)]


def _earned_by(q: Asked, periods: list[int], ids: list[int] | None) -> list[tuple[int, int]]:
    """Each payee's earnings summed over ``periods`` (only ``ids``'s when given), positive
    ones, largest first, then by id."""
    total = func.sum(PeriodPayee.earned)
    query = select(PeriodPayee.distributor_id, total).where(col(PeriodPayee.period_id).in_(periods))
    if ids is not None:
        query = query.where(col(PeriodPayee.distributor_id).in_(ids))
    query = (
        q.scope.only(PeriodPayee.distributor_id, query)
        .group_by(col(PeriodPayee.distributor_id))
        .having(total > 0)
        .order_by(total.desc(), col(PeriodPayee.distributor_id))
    )
    return [(int(i), int(e)) for i, e in q.session.exec(query)]


def largest_earners(q: Asked, periods: list[int], limit: int) -> list[tuple[int, int]]:
    """The scope's ``limit`` largest earners summed over ``periods`` without summing every
    payee: the candidates are each period's ``depth`` largest (an index read per period);
    anyone else earned at most the smallest of those in each period whose list was full, so
    when the last one chosen is above that sum the answer is exact, else ``depth`` grows (at
    last every payee is summed)."""
    if len(periods) == 1:
        return _largest_earned(q, periods[0], limit)
    depth = limit * 5
    while depth * len(periods) <= CANDIDATES:
        candidates: set[int] = set()
        bound, full = 0, False
        for period_id in periods:
            found = _largest_earned(q, period_id, depth)
            candidates.update(i for i, _ in found)
            if len(found) == depth:  # someone else may have earned up to its smallest
                bound, full = bound + found[-1][1], True
        chosen = _earned_by(q, periods, sorted(candidates))[:limit]
        if not full or (len(chosen) == limit and chosen[-1][1] > bound):
            return chosen
        depth *= 8
    return _earned_by(q, periods, None)[:limit]


def top_earners(q: Asked) -> Report:
    periods = q.window.computed
    rows: list[list[object]] = []
    if periods:
        found = largest_earners(q, [p.id for p in periods if p.id is not None], TOP)
        names = names_of(q.session, {i for i, _ in found})
        rows = [[i, names.get(i, ""), earned] for i, earned in found]
    currency, exponent = _currency(periods)
    return Report(
        name="payouts-top",
        title=N_("Top earners"),
        columns=[
            Column("id", N_("ID")),
            Column("name", N_("Name"), Kind.text),
            Column("earned", N_("Earned"), Kind.money),
        ],
        rows=rows,
        chart=Chart("bar", "name", ("earned",)),
        scope=q.scope.name,
        periods=[p.id for p in periods],
        currency=currency,
        exponent=exponent,
        notes=[N_("Earned over the periods chosen, before tax and held balances.")]
        if periods
        else [NO_PERIOD],
    )


def changes(q: Asked) -> Report:
    """The last computed period of the window against the one before it."""
    periods = q.window.computed
    rows: list[list[object]] = []
    last = periods[-1] if periods else None
    if last is not None:
        # The largest by size are among the largest rises and the largest falls.
        moved = sorted(
            (
                move
                for rising in (True, False)
                for move in largest_moves(
                    q, q.scope, last.id, Measure.earned, rising=rising, limit=TOP
                )
            ),
            key=lambda m: (-abs(m[2] - m[1]), m[0]),
        )[:TOP]
        names = names_of(q.session, {m[0] for m in moved})
        rows = [[i, names.get(i, ""), b, a, a - b] for i, b, a in moved]
    currency, exponent = _currency(periods)
    return Report(
        name="payouts-changes",
        title=N_("Largest changes from the previous period"),
        columns=[
            Column("id", N_("ID")),
            Column("name", N_("Name"), Kind.text),
            Column("previous", N_("Previous period"), Kind.money),
            Column("earned", N_("This period"), Kind.money),
            Column("change", N_("Change"), Kind.money),
        ],
        rows=rows,
        chart=Chart("bar", "name", ("change",)),
        scope=q.scope.name,
        periods=[last.id] if last is not None else [],
        currency=currency,
        exponent=exponent,
        notes=[N_("The last period of the dates chosen against the period before it.")]
        if last is not None
        else [NO_PERIOD],
    )
