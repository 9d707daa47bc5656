"""A period's money as people and the API read it: the payout currency, payout % of sales
against the plan's ceiling, and each line's base with its unit and the rate it was converted at.

Compute stores a small summary of the run (``period.compliance``, JSON) next to the period so
that listing periods and statements never re-reads the package: the payout share from
``results/compliance.json``, the base unit of each bonus type under the period's plan, and the
conversions from ``results/totals.json``.
"""

from __future__ import annotations

import json
from typing import Any

from backend.core.errors import Conflict
from backend.periods.models import (
    PayoutShare,
    Period,
    PeriodLine,
    PeriodLinePublic,
    SalesInCurrency,
)
from ledger.engine import PeriodResult
from ledger.money import ISO_CURRENCIES, alpha_code
from ledger.plan import BONUS_TYPES, Plan


def _base_units(plan: Plan) -> dict[str, str]:
    """What a line's ``base`` counts, per bonus type, under ``plan``."""
    cycles = plan.binary is not None and plan.binary.mode == "cycles"
    units = dict.fromkeys(BONUS_TYPES, "points")
    units.update(
        {
            "binary": "cycles" if cycles else "points",
            "matrix_completion": "count",
            "matching": plan.currency.code,
            "retail": plan.currency.code,  # or the line's own currency (its `currency` column)
        }
    )
    return units


def summary(plan: Plan, result: PeriodResult) -> str:
    """The JSON kept in ``period.compliance`` after a compute."""
    share = result.compliance["payout_pct_of_sales"]
    return json.dumps(
        {
            "payout_share": share,
            "base_units": _base_units(plan),
            "conversions": result.totals.get("conversions", {}),
        },
        sort_keys=True,
    )


def _summary(period: Period) -> dict[str, Any] | None:
    if period.compliance is None:
        return None
    data: dict[str, Any] = json.loads(period.compliance)
    return data


def payout_share(period: Period) -> PayoutShare | None:
    data = _summary(period)
    if data is None:
        return None
    share = data["payout_share"]
    return PayoutShare(
        currency=share["currency"],
        exponent=share["exponent"],
        sales=share["sales"],
        payout=share["payout"],
        pct=share["overall"],
        cap_pct=share["cap_pct"],
        within_cap=share["within_cap"],
        by_bonus=share["by_bonus"],
        sales_by_currency={
            code: SalesInCurrency(**row, exponent=_exponent(code, share))
            for code, row in share["sales_by_currency"].items()
        },
    )


def _exponent(code: str, share: dict[str, Any]) -> int:
    if code in ISO_CURRENCIES:
        return ISO_CURRENCIES[code][1]
    return int(share["exponent"])


def refuse_over_ceiling(period: Period) -> None:
    """409 when the computed period pays more of its sales than the plan's ceiling allows."""
    share = payout_share(period)
    if share is None or share.within_cap:
        return
    raise Conflict(
        f"period {period.id} pays {share.pct} % of its sales ({share.payout} of {share.sales} "
        f"minor units of {share.currency}), above the plan's ceiling of {share.cap_pct} %; "
        "it cannot be approved: correct the plan or the period's inputs and compute again",
        code="payout_over_ceiling",
        details={
            "pct": share.pct,
            "cap_pct": share.cap_pct,
            "payout": share.payout,
            "sales": share.sales,
            "currency": share.currency,
            "exponent": share.exponent,
        },
    )


def line_public(line: PeriodLine, period: Period) -> PeriodLinePublic:
    bonus = BONUS_TYPES[line.bonus - 1]
    data = _summary(period) or {}
    currency, exponent = period.currency or "", period.exponent or 0
    unit = data.get("base_units", {}).get(bonus, "points")
    base_exponent = 0
    conversion = None
    if line.currency:
        unit = alpha_code(line.currency)
        base_exponent = ISO_CURRENCIES[unit][1]
        conversion = data.get("conversions", {}).get(unit)
    elif unit == currency:
        base_exponent = exponent
    return PeriodLinePublic(
        line_no=line.line_no,
        bonus=bonus,
        source=line.source,
        level=line.level,
        payee=line.payee,
        base=line.base,
        base_unit=unit,
        base_exponent=base_exponent,
        rate=line.rate,
        conversion=conversion,
        gross=line.gross,
        amount=line.amount,
        breakage=line.breakage,
        currency=currency,
        exponent=exponent,
    )
