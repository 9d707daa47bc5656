"""Retail profit, fast start, unilevel, forced matrix and matching (docs/compensation.md#bonuses).

Bases and rates per line (``gross = round(base * rate * unit / 10**6)``):
- retail: base = retail minus wholesale price of the seller's retail sales in one currency
  (money; a sale below wholesale counts 0), rate = 100 %, unit = that currency's rate to the
  payout currency (1 in the payout currency), payee = source = the seller, one line per currency;
- fast start: base = CV of the source's orders dated in their first ``days`` days, level k;
- unilevel: base = the source's CV (less fast-start CV when ``exclude_from_unilevel``);
- matrix: base = the source's CV, on the placement tree, levels 1..depth;
- matrix completion: base 1, rate = the bonus in minor units (unit 1, times 10**6), paid the first
  period in which all ``w + w^2 + ... + w^d`` positions below a qualified payee are filled;
- matching: base = the source's earnings (money, unit 1) in the matched bonus types, before the
  per-payee and global caps (run order: matching precedes caps), generation k on its tree.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ledger._tree import volume_by
from ledger.bonuses._upline import upline_lines
from ledger.context import Context
from ledger.inputs import KIND_FEE, KIND_RETAIL
from ledger.lines import PPM, LineBlock, round_amount
from ledger.plan import BONUS_TYPES, pct_to_ppm

__all__ = ["fast_start", "fast_start_cv", "matching", "matrix", "retail", "unilevel"]

I64 = NDArray[np.int64]


def _code(name: str) -> int:
    return BONUS_TYPES.index(name) + 1


def _per_owner(owner: I64, values: I64, n: int) -> I64:
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, owner, values)  # money (retail profit): integer adds only
    return out


def retail(ctx: Context) -> LineBlock:
    """One line per seller and currency of their retail sales: the profit in that currency is
    the base, converted to the payout currency at the period's rate with one rounding."""
    o = ctx.d.orders
    sale = np.flatnonzero(o.kind == KIND_RETAIL)
    profit = np.maximum(o.retail_price[sale] - o.wholesale_price[sale], 0)
    seller, currency = ctx.d.order_owner[sale], o.currency[sale]
    blocks = []
    for code in np.unique(currency).tolist():
        mine = currency == code
        per_seller = _per_owner(seller[mine], profit[mine], ctx.n)
        sellers = np.flatnonzero(per_seller > 0)
        base = per_seller[sellers]
        rate = np.full_like(sellers, PPM)
        gross, residual = round_amount(base, rate, unit=ctx.factor[int(code)], mode=ctx.mode)
        blocks.append(
            LineBlock(
                bonus=_code("retail"),
                source=sellers,
                level=np.zeros_like(sellers),
                payee=sellers.copy(),
                base=base,
                rate=rate,
                gross=gross,
                amount=gross.copy(),
                residual=residual,
                currency=np.full_like(sellers, int(code)),
            )
        )
    if not blocks:
        empty = np.zeros(0, dtype=np.int64)
        return LineBlock(_code("retail"), empty, empty, empty, empty, empty, empty, empty)

    def joined(name: str) -> I64:
        return np.concatenate([getattr(b, name) for b in blocks])

    return LineBlock(
        bonus=_code("retail"),
        source=joined("source"),
        level=joined("level"),
        payee=joined("payee"),
        base=joined("base"),
        rate=joined("rate"),
        gross=joined("gross"),
        amount=joined("amount"),
        residual=sum(b.residual for b in blocks),
        currency=joined("currency"),
    ).canonical()


def fast_start_cv(ctx: Context) -> I64:
    """CV per distributor from orders in their first ``fast_start.days`` days."""
    fs = ctx.plan.fast_start
    if fs is None:
        return np.zeros(ctx.n, dtype=np.int64)
    o, d = ctx.d.orders, ctx.d
    # Only someone who joined less than `days` days before the period end can have such
    # orders: look at their order lines only (a few percent of all lines).
    recent = d.joined_day > ctx.start_day - fs.days
    lines = np.flatnonzero(recent[d.order_owner] & (o.kind != KIND_FEE))
    owner, day = d.order_owner[lines], o.day[lines]
    joined = d.joined_day[owner]
    early = (day >= joined) & (day < joined + fs.days)
    return volume_by(owner[early], o.cv[lines][early], ctx.n)


def _basic(ctx: Context, payee_active: bool) -> NDArray[np.bool_]:
    return ctx.active if payee_active else np.ones(ctx.n, dtype=np.bool_)


def fast_start(ctx: Context, early_cv: I64) -> LineBlock:
    fs = ctx.plan.fast_start
    assert fs is not None
    sources = np.flatnonzero(early_cv > 0)
    return upline_lines(
        bonus=_code("fast_start"),
        tree=ctx.tree(fs.tree),
        sources=sources,
        base=early_cv[sources],
        rates=[pct_to_ppm(p) for p in fs.pct],
        level_min_rank=[],
        basic=_basic(ctx, fs.payee_active),
        paid_rank=ctx.paid_rank,
        unqualified=fs.unqualified,
        variant="standard",
        unit=ctx.unit,
        mode=ctx.mode,
    )


def unilevel(ctx: Context, early_cv: I64) -> LineBlock:
    u = ctx.plan.unilevel
    assert u is not None
    cv = ctx.cv
    fs = ctx.plan.fast_start
    if fs is not None and fs.exclude_from_unilevel:
        cv = cv - early_cv
    sources = np.flatnonzero(cv > 0)
    return upline_lines(
        bonus=_code("unilevel"),
        tree=ctx.tree(u.tree),
        sources=sources,
        base=cv[sources],
        rates=[pct_to_ppm(p) for p in u.pct],
        level_min_rank=[ctx.rank_of(r) for r in u.level_min_rank],
        basic=_basic(ctx, u.payee_active),
        paid_rank=ctx.paid_rank,
        unqualified=u.unqualified,
        variant=u.variant,
        unit=ctx.unit,
        mode=ctx.mode,
    )


def matrix(ctx: Context) -> tuple[LineBlock, LineBlock, I64]:
    """Matrix level lines, completion lines, and the matrix-done state after this period."""
    m = ctx.plan.matrix
    assert m is not None
    tree = ctx.placement_tree
    sources = np.flatnonzero(ctx.cv > 0)
    basic = _basic(ctx, m.payee_active)
    levels = upline_lines(
        bonus=_code("matrix"),
        tree=tree,
        sources=sources,
        base=ctx.cv[sources],
        rates=[pct_to_ppm(p) for p in m.pct],
        level_min_rank=[],
        basic=basic,
        paid_rank=ctx.paid_rank,
        unqualified=m.unqualified,
        variant="standard",
        unit=ctx.unit,
        mode=ctx.mode,
    )
    done = ctx.d.matrix_done.copy()
    empty = np.zeros(0, dtype=np.int64)
    completion = LineBlock(
        _code("matrix_completion"), empty, empty, empty, empty, empty, empty, empty
    )
    if m.completion_bonus > 0:
        below = np.zeros(ctx.n, dtype=np.int64)
        for k in range(1, m.depth + 1):
            up = tree.ancestor(k)
            below += volume_by(up[up >= 0], np.ones(int((up >= 0).sum()), np.int64), ctx.n)
        full = sum(m.width**k for k in range(1, m.depth + 1))
        earners = np.flatnonzero((below >= full) & (done == 0) & basic)
        done[earners] = 1
        value = np.full_like(earners, m.completion_bonus * PPM)
        ones = np.ones_like(earners)
        gross, residual = round_amount(ones, value, unit=1, mode=ctx.mode)
        completion = LineBlock(
            _code("matrix_completion"),
            earners,
            np.zeros_like(earners),
            earners.copy(),
            ones,
            value,
            gross,
            gross.copy(),
            residual,
        )
    return levels, completion, done


def matching(ctx: Context, matched: list[LineBlock]) -> LineBlock:
    m = ctx.plan.matching
    assert m is not None
    earnings = np.zeros(ctx.n, dtype=np.int64)
    for block in matched:
        paid = block.payee >= 0
        np.add.at(earnings, block.payee[paid], block.amount[paid])
    sources = np.flatnonzero(earnings > 0)
    return upline_lines(
        bonus=_code("matching"),
        tree=ctx.tree(m.tree),
        sources=sources,
        base=earnings[sources],
        rates=[pct_to_ppm(p) for p in m.pct],
        level_min_rank=[ctx.rank_of(r) for r in m.level_min_rank],
        basic=_basic(ctx, m.payee_active),
        paid_rank=ctx.paid_rank,
        unqualified=m.unqualified,
        variant="standard",
        unit=1,
        mode=ctx.mode,
    )
