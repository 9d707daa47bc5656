"""Compliance flags per person, read from a period's stored package: who breaks which rule,
with the numbers. The engine's own per-person figures are read, never recomputed:
``results/distributors.tbl`` (PV, retail PV, ``threshold``, ``earned``; own purchases' PV is PV
less retail PV), the fees each person paid (the period's per-buyer summary of the counted
lines, `PeriodMemberSales`), ``results/lines.tbl`` (what each bonus
paid whom, read only when the plan caps a bonus per payee) and ``plan.toml`` (the thresholds
and caps as run). The company's limits that are not the plan's (the minimum retail share of a
payee, what counts as normal consumption) are settings (`Settings.compliance_*`).

Rules, in the order the report lists them (docs/compensation.md#flags-by-person):
  - ``fee_only``: paid a fee (enrolment, membership) in the period and bought no product:
    joining for the fee, which the product-volume-only rule keeps out of every bonus;
  - ``payee_cap``: what one bonus type paid them reached the plan's per-payee cap
    (``[caps] per_payee``), so the lines were cut to it;
  - ``retail_share``: a payee (earned > 0) with PV whose retail share of it,
    ``floor(retail PV x 10,000 / PV)`` basis points as the engine counts it, is below the minimum;
  - ``threshold``: PV landing exactly on a qualification threshold (the engine's ``threshold``);
  - ``consumption``: own purchases (not retail, not fees) above the normal consumption limit,
    ``compliance_consumption_times`` times the plan's activity ``min_pv``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session, select

from backend.core.config import Settings
from backend.periods.member_sales import ensure_member_sales
from backend.periods.models import Period, PeriodMemberSales
from backend.periods.review import package_file
from backend.reports.framework import N_
from backend.reports.package import converted_sums
from ledger.engine import pct_string
from ledger.package import read_package_table
from ledger.plan import BONUS_TYPES, Plan, load_plan
from ledger.standing import dense_index

I64 = NDArray[np.int64]
RULES = {
    "fee_only": N_("Paid a fee without buying product"),
    "payee_cap": N_("Pay reached the plan's per-payee cap"),
    "retail_share": N_("Retail share of a payee below the minimum"),
    "threshold": N_("Volume exactly on a qualification threshold"),
    "consumption": N_("Own purchases above normal consumption"),
}
UNITS = {"points": N_("points"), "pct": N_("per cent"), "money": N_("payout currency")}


@dataclass(frozen=True)
class Flag:
    """One rule one person breaks in one period. ``value`` and ``limit`` are exact decimal
    strings in ``unit`` (points, per cent, or major units of the payout currency)."""

    period: int
    distributor: int
    rule: str
    value: str
    limit: str | None
    unit: str
    pv: int
    retail_share: str | None  # per cent, four decimals, rounded down (the engine's)
    own_pv: int
    fees: int  # minor units of the payout currency
    earned: int  # minor units of the payout currency


def _major(minor: int, exponent: int) -> str:
    return str(Decimal(minor).scaleb(-exponent))


def _per_person(ids: I64, who: I64, amounts: I64) -> I64:
    """Σ of ``amounts`` per entry of ``ids`` (sorted, unique), by the owner ``who`` of each."""
    out = np.zeros(ids.shape[0], dtype=np.int64)
    at = np.searchsorted(ids, who)
    np.add.at(out, at, amounts)
    return out


@dataclass(frozen=True)
class _Period:
    """A period's package tables, as the rules read them (one entry per distributor)."""

    plan: Plan
    exponent: int
    ids: I64
    pv: I64
    retail_pv: I64
    threshold: NDArray[np.bool_]
    earned: I64
    own_pv: I64
    fees: I64  # converted to the payout currency, minor units


def _read(session: Session, settings: Settings, period: Period) -> _Period:
    plan = load_plan(package_file(settings, period, "plan.toml"))
    name = "results/distributors.tbl"
    people: dict[str, Any] = read_package_table(package_file(settings, period, name), file=name)
    ids = np.asarray(people["id"], dtype=np.int64)
    if ids.shape[0] > 1 and not bool((ids[1:] > ids[:-1]).all()):
        raise ValueError(f"period {period.id}: {name} is not in id order")
    pv = np.asarray(people["pv"], dtype=np.int64)
    retail_pv = np.asarray(people["retail_pv"], dtype=np.int64)
    # PV is own purchases' PV plus retail sales' PV (the engine's definition): own = PV - retail.
    own_pv = pv - retail_pv
    fees = np.zeros(ids.shape[0], dtype=np.int64)
    # Each person's fees per currency (the per-buyer summary), each sum converted once.
    ensure_member_sales(session, settings, period)
    table = PeriodMemberSales
    charged = session.exec(
        select(table.distributor_id, table.currency, table.fees).where(
            table.period_id == period.id, table.fees > 0
        )
    ).all()
    converted = converted_sums(settings, period, charged)
    if converted:
        who = np.asarray(sorted(converted), dtype=np.int64)
        at = dense_index(ids, who)
        fees[at[at >= 0]] = [converted[int(i)] for i in who[at >= 0].tolist()]
    return _Period(
        plan,
        plan.currency.decimals,
        ids,
        pv,
        retail_pv,
        np.asarray(people["threshold"], dtype=np.int64).astype(np.bool_),
        np.asarray(people["earned"], dtype=np.int64),
        own_pv,
        fees,
    )


def _capped(settings: Settings, period: Period, p: _Period) -> Iterator[tuple[int, str, str]]:
    """(person's index, the pay as gross before the cut, the cap) per payee and capped bonus
    whose lines the per-payee cap cut (Σ amount = the cap < Σ gross)."""
    caps = p.plan.caps.per_payee
    if not caps:
        return
    name = "results/lines.tbl"
    lines: dict[str, Any] = read_package_table(package_file(settings, period, name), file=name)
    bonus = np.asarray(lines["bonus"], dtype=np.int64)
    payee = np.asarray(lines["payee"], dtype=np.int64)
    for bonus_name, cap in sorted(caps.items()):
        mine = bonus == BONUS_TYPES.index(bonus_name) + 1
        if not mine.any():
            continue
        gross = _per_person(p.ids, payee[mine], np.asarray(lines["gross"], dtype=np.int64)[mine])
        paid = _per_person(p.ids, payee[mine], np.asarray(lines["amount"], dtype=np.int64)[mine])
        for i in np.flatnonzero((gross > paid) & (paid == cap)).tolist():
            yield i, _major(int(gross[i]), p.exponent), _major(int(cap), p.exponent)


def period_flags(
    session: Session, settings: Settings, period: Period, rule: str = ""
) -> Iterator[Flag]:
    """The period's flags (only ``rule``'s when given), by rule then distributor, made as they
    are read: a page stops after its first rows without building the rest."""
    p = _read(session, settings, period)

    def flag(i: int, name: str, value: str, limit: str | None, unit: str) -> Flag:
        pv = int(p.pv[i])
        return Flag(
            period=period.id,
            distributor=int(p.ids[i]),
            rule=name,
            value=value,
            limit=limit,
            unit=unit,
            pv=pv,
            retail_share=pct_string(int(p.retail_pv[i]), pv) if pv else None,
            own_pv=int(p.own_pv[i]),
            fees=int(p.fees[i]),
            earned=int(p.earned[i]),
        )

    if rule in ("", "fee_only"):
        for i in np.flatnonzero((p.fees > 0) & (p.own_pv == 0) & (p.pv == 0)).tolist():
            yield flag(i, "fee_only", _major(int(p.fees[i]), p.exponent), None, "money")
    if rule in ("", "payee_cap"):
        for i, gross, cap in _capped(settings, period, p):
            yield flag(i, "payee_cap", gross, cap, "money")
    if rule in ("", "retail_share"):
        minimum = settings.compliance_retail_min_pct * 100  # basis points
        limit = pct_string(minimum, 10_000)
        payee = (p.earned > 0) & (p.pv > 0)
        share = np.zeros(p.ids.shape[0], dtype=np.int64)
        share[payee] = p.retail_pv[payee] * 10_000 // p.pv[payee]
        for i in np.flatnonzero(payee & (share < minimum)).tolist():
            value = pct_string(int(p.retail_pv[i]), int(p.pv[i]))
            yield flag(i, "retail_share", value, limit, "pct")
    if rule in ("", "threshold"):
        for i in np.flatnonzero(p.threshold).tolist():
            yield flag(i, "threshold", str(int(p.pv[i])), str(int(p.pv[i])), "points")
    if rule in ("", "consumption"):
        most = settings.compliance_consumption_times * p.plan.activity.min_pv
        if most > 0:
            for i in np.flatnonzero(p.own_pv > most).tolist():
                yield flag(i, "consumption", str(int(p.own_pv[i])), str(most), "points")
