"""Level-by-level upline payment, shared by fast start, unilevel, matrix and matching.

For each source with a positive base and each level k = 1..L the line goes to the k-th upline:
- ``unqualified = "rollup"`` (dynamic compression): uplines that fail ``basic`` (e.g. inactive)
  are skipped for this period, so the k-th upline is the k-th *qualified* ancestor;
- ``unqualified = "breakage"``: the k-th ancestor as it stands; if unqualified, its share is
  breakage (the line names it, amount 0).
A payee also needs ``paid_rank >= level_min_rank[k]``. ``variant = "standard"``: a payee not
entitled that deep still uses up the level (breakage). ``"generous"``: the level goes to the
next upline entitled to it, and the walk continues above that payee.
Lines come out in canonical order: by source, then level.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ledger._tree import Forest
from ledger.lines import LineBlock, round_amount

__all__ = ["upline_lines"]

I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]


def upline_lines(
    *,
    bonus: int,
    tree: Forest,
    sources: I64,
    base: I64,
    rates: list[int],
    level_min_rank: list[int],
    basic: Mask,
    paid_rank: I64,
    unqualified: Literal["rollup", "breakage"],
    variant: Literal["standard", "generous"],
    unit: int | Fraction,
    mode: Literal["half-even", "floor"],
) -> LineBlock:
    levels = len(rates)
    s = sources.shape[0]
    step = tree.nearest_ancestor(basic) if unqualified == "rollup" else tree.parent
    payees = np.full((levels, s), -1, dtype=np.int64)
    paid = np.zeros((levels, s), dtype=np.bool_)
    nearest_entitled: dict[int, I64] = {}
    cur = step[sources] if s else np.zeros(0, dtype=np.int64)
    for k in range(levels):
        min_rank = level_min_rank[k] if k < len(level_min_rank) else 0
        entitled = basic & (paid_rank >= min_rank)
        alive = cur >= 0
        safe = np.maximum(cur, 0)
        if variant == "generous":
            if min_rank not in nearest_entitled:
                nearest_entitled[min_rank] = tree.nearest_ancestor(entitled)
            cur = np.where(alive & ~entitled[safe], nearest_entitled[min_rank][safe], cur)
            alive = cur >= 0
            safe = np.maximum(cur, 0)
        payees[k] = cur
        paid[k] = alive & entitled[safe]
        cur = np.where(alive, step[safe], -1)
    # Lines in canonical order, source-major: (s0, level 1..L), (s1, level 1..L), ...
    flat_base = np.repeat(base, levels)
    flat_rate = np.tile(np.asarray(rates, dtype=np.int64), s)
    gross, residual = round_amount(flat_base, flat_rate, unit=unit, mode=mode)
    return LineBlock(
        bonus=bonus,
        source=np.repeat(sources, levels),
        level=np.tile(np.arange(1, levels + 1, dtype=np.int64), s),
        payee=payees.T.reshape(-1),
        base=flat_base,
        rate=flat_rate,
        gross=gross,
        amount=np.where(paid.T.reshape(-1), gross, 0),
        residual=residual,
    )
