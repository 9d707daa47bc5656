"""Totals and the compliance report (docs/compensation.md#compliance), as JSON-able dicts.

Percentages are exact decimal strings with four decimals, rounded down (``"12.3456"``).
Income statistics use the nearest-rank method on integer earnings, so they are integers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger.context import Context
from ledger.inputs import KIND_FEE, KIND_OWN, KIND_RETAIL
from ledger.lines import PPM, LineBlock
from ledger.money import alpha_code, convert_minor
from ledger.plan import BONUS_TYPES, pct_to_ppm

__all__ = ["compliance", "own_purchases", "pct_string", "threshold_flags", "totals"]

I64 = NDArray[np.int64]


def pct_string(num: int, den: int) -> str:
    if den <= 0:
        return "0.0000"
    scaled = num * 1_000_000 // den
    return f"{scaled // 10_000}.{scaled % 10_000:04d}"


def _stats(values: I64) -> dict[str, int]:
    n = int(values.shape[0])
    if n == 0:
        return {
            "count": 0,
            "zero": 0,
            "mean": 0,
            "median": 0,
            "p10": 0,
            "p25": 0,
            "p75": 0,
            "p90": 0,
            "p99": 0,
            "max": 0,
        }
    s = np.sort(values)

    def at(p: int) -> int:
        return int(s[max((p * n + 99) // 100 - 1, 0)])

    return {
        "count": n,
        "zero": int((values == 0).sum()),
        "mean": int(values.sum()) // n,
        "median": at(50),
        "p10": at(10),
        "p25": at(25),
        "p75": at(75),
        "p90": at(90),
        "p99": at(99),
        "max": int(s[-1]),
    }


def charged(ctx: Context) -> I64:
    """What each order line was charged, in minor units of its currency: a sale to a retail
    customer at its ``retail_price``; the distributor's own purchase and a fee, both paid by the
    distributor, at its ``wholesale_price`` (docs/period-inputs.md, ``orders.csv``)."""
    o = ctx.d.orders
    return np.where(o.kind == KIND_RETAIL, o.retail_price, o.wholesale_price)


def converted(ctx: Context, amounts: I64, where: NDArray[np.bool_]) -> int:
    """The selected order lines' amounts in payout minor units: summed per currency, then each
    sum converted once at the period's rate (the plan's rounding mode)."""
    o = ctx.d.orders
    total = 0
    for code, factor in sorted(ctx.factor.items()):
        in_code = int(np.sum(amounts, where=where & (o.currency == code)))
        if in_code:
            total += convert_minor(in_code, factor, mode=ctx.mode)
    return total


def sales(ctx: Context) -> int:
    """Product sales in payout minor units: own orders at wholesale, retail orders at retail."""
    o = ctx.d.orders
    return converted(ctx, charged(ctx), (o.kind == KIND_OWN) | (o.kind == KIND_RETAIL))


def own_purchases(ctx: Context) -> I64:
    """Each distributor's own purchases in payout minor units: their own orders at wholesale,
    summed per currency and each sum converted once at the period's rate."""
    o, owner = ctx.d.orders, ctx.d.order_owner
    bought = np.zeros(ctx.n, dtype=np.int64)
    own = o.kind == KIND_OWN
    for code, factor in sorted(ctx.factor.items()):
        mine = own & (o.currency == code)
        if not mine.any():
            continue
        in_code = np.zeros(ctx.n, dtype=np.int64)
        np.add.at(in_code, owner[mine], o.wholesale_price[mine])
        if factor == 1:
            bought += in_code
            continue
        for i in np.flatnonzero(in_code).tolist():
            bought[i] += convert_minor(int(in_code[i]), factor, mode=ctx.mode)
    return bought


def sales_by_currency(ctx: Context) -> dict[str, dict[str, Any]]:
    """Product sales per order currency, as charged and converted, with the rate used."""
    o = ctx.d.orders
    product = (o.kind == KIND_OWN) | (o.kind == KIND_RETAIL)
    amounts = charged(ctx)
    out: dict[str, dict[str, Any]] = {}
    for code, factor in sorted(ctx.factor.items()):
        mine = product & (o.currency == code)
        if not mine.any():
            continue
        name = ctx.plan.currency.code if code == 0 else alpha_code(code)
        in_code = int(np.sum(amounts, where=mine))
        conv = ctx.conversions.get(name)
        out[name] = {
            "amount": in_code,
            "converted": convert_minor(in_code, factor, mode=ctx.mode),
            "rate": None if conv is None else conv.describe(),
        }
    return out


def totals(
    ctx: Context,
    blocks: list[LineBlock],
    *,
    payout: I64,
    cap_factor: tuple[int, int],
    cap_allowed: int | None,
    leaf_count: int,
    root: str,
    total_sales: int,
) -> dict[str, Any]:
    by_bonus: dict[str, dict[str, int]] = {}
    residual = 0
    for b in blocks:
        name = BONUS_TYPES[b.bonus - 1]
        gross, amount = int(b.gross.sum()), int(b.amount.sum())
        by_bonus[name] = {
            "lines": len(b),
            "gross": gross,
            "amount": amount,
            "breakage": gross - amount,
        }
        residual += b.residual
    paid = sum(v["amount"] for v in by_bonus.values())
    return {
        "bonuses": by_bonus,
        "amount": paid,
        "breakage": sum(v["breakage"] for v in by_bonus.values()),
        "rounding_residual": ("-" if residual < 0 else "")
        + f"{abs(residual) // 1_000_000}.{abs(residual) % 1_000_000:06d}",
        "global_cap": {
            "allowed": cap_allowed,
            "factor": f"{cap_factor[0] // cap_factor[1]}.{cap_factor[0] % cap_factor[1]:09d}",
        },
        "distributors": ctx.n,
        "active": int(ctx.active.sum()),
        "order_lines": int(ctx.d.orders.order_id.shape[0]),
        "total_pv": int(ctx.pv.sum()),
        "total_cv": int(ctx.cv.sum()),
        "sales": total_sales,
        "payout": int(payout.sum()),
        "payees": leaf_count,
        "payout_root": root,
    }


def threshold_flags(ctx: Context) -> NDArray[np.bool_]:
    """Distributors whose PV lands exactly on a qualification threshold (activity, rank PV)."""
    levels = {ctx.plan.activity.min_pv} | {r.min_pv for r in ctx.plan.ranks.rank}
    levels.discard(0)
    if not levels:
        return np.zeros(ctx.n, dtype=np.bool_)
    return np.isin(ctx.pv, np.asarray(sorted(levels), dtype=np.int64))


def compliance(
    ctx: Context,
    blocks: list[LineBlock],
    *,
    earned: I64,
    flagged: NDArray[np.bool_],
    total_sales: int,
) -> dict[str, Any]:
    o = ctx.d.orders
    fee = o.kind == KIND_FEE
    per_bonus = {
        BONUS_TYPES[b.bonus - 1]: pct_string(int(b.amount.sum()), total_sales) for b in blocks
    }
    paid = sum(int(b.amount.sum()) for b in blocks)
    cap = ctx.plan.caps.global_pct
    cap_money = ctx.global_cap_amount()
    ceiling = ctx.plan.caps.max_pct_of_sales
    payees = np.flatnonzero(earned > 0)
    with_pv = ctx.pv[payees] > 0
    retail_share = np.zeros(payees.shape[0], dtype=np.int64)
    retail_share[with_pv] = ctx.retail_pv[payees][with_pv] * 10_000 // ctx.pv[payees][with_pv]
    per_rank = {}
    for r in range(len(ctx.plan.ranks.rank) + 1):
        name = "none" if r == 0 else ctx.plan.ranks.rank[r - 1].name
        per_rank[name] = _stats(earned[ctx.paid_rank == r])
    return {
        "product_volume_only": {
            "fee_lines": int(fee.sum()),
            "fee_revenue": converted(ctx, charged(ctx), fee),
            "fee_cv": int(o.cv[fee].sum()),
            "bonus_from_fees": 0,
        },
        "payout_pct_of_sales": {
            "by_bonus": per_bonus,
            "overall": pct_string(paid, total_sales),
            "currency": ctx.plan.currency.code,
            "exponent": ctx.plan.currency.decimals,
            "payout": paid,
            "sales": total_sales,
            "sales_by_currency": sales_by_currency(ctx),
            "cap_pct": None if ceiling is None else pct_string(pct_to_ppm(ceiling), PPM),
            "within_cap": ceiling is None or paid * PPM <= total_sales * pct_to_ppm(ceiling),
        },
        "payout_pct_of_cv_cap": {
            "cap_pct": None if cap is None else pct_string(pct_to_ppm(cap), 1_000_000),
            "cap_amount": cap_money,
            "capped_amount": sum(
                int(b.amount.sum())
                for b in blocks
                if BONUS_TYPES[b.bonus - 1] in ctx.plan.caps.global_bonuses
            ),
        },
        "retail_share": {
            "total_pv": int(ctx.pv.sum()),
            "retail_pv": int(ctx.retail_pv.sum()),
            "overall": pct_string(int(ctx.retail_pv.sum()), int(ctx.pv.sum())),
            "payees_basis_points": _stats(retail_share),
        },
        "threshold_purchases": {"distributors": int(flagged.sum())},
        "income_disclosure": {"all": _stats(earned), "by_paid_rank": per_rank},
    }
