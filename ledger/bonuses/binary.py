"""Binary bonus (docs/compensation.md#binary) on the placement tree (0 = left, 1 = right).

Per distributor: ``TL = new CV of the left subtree + carry_left``, likewise ``TR``.
- *Earns* when active, paid-as rank >= ``payee_min_rank``, a positive rate for the rank, and
  (``require_sponsored_legs``) an active personally enrolled distributor in each leg.
- ``pay-leg``: base = weak leg ``min(TL, TR)`` (points), rate = pct(rank); the weak-leg volume
  is taken off both legs. ``cycles``: ``n = min(weak // A, strong // B)`` (the strong leg, the
  larger one, ties: left, takes B); base = n, rate = value per cycle x 10**6 (unit 1);
  ``n*A`` and ``n*B`` are taken off.
- The rank's period cap (``cap_by_rank``) turns the excess into breakage.
- Inactive with ``flush_inactive``: both carries go to 0 and the line records what the weak leg
  would have paid as breakage (amount 0). Otherwise a non-earner keeps its legs as carry.
- ``carry_ceiling`` caps the strong leg's carry-out (the strong leg as above: the larger of
  ``TL`` and ``TR``, the left on a tie); its volume above the ceiling is flushed (volume, not
  money). The weak leg's carry is never capped.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from ledger.context import Context
from ledger.lines import PPM, LineBlock, round_amount
from ledger.plan import BONUS_TYPES, pct_to_ppm, rank_table

__all__ = ["BinaryOutcome", "binary"]

I64 = NDArray[np.int64]


class BinaryOutcome:
    def __init__(
        self, lines: LineBlock, left: I64, right: I64, carry_left: I64, carry_right: I64
    ) -> None:
        self.lines = lines
        self.left = left  # TL: new left-leg CV plus carry-in
        self.right = right
        self.carry_left = carry_left
        self.carry_right = carry_right


def _child_at(ctx: Context, position: int) -> I64:
    tree = ctx.placement_tree
    out = np.full(ctx.n, -1, dtype=np.int64)
    kids = np.flatnonzero((tree.parent >= 0) & (ctx.d.position == position))
    out[tree.parent[kids]] = kids
    return out


def binary(ctx: Context) -> BinaryOutcome:
    b = ctx.plan.binary
    assert b is not None
    tree = ctx.placement_tree
    n = ctx.n
    group_cv = tree.subtree_sum(ctx.cv)
    left_child, right_child = _child_at(ctx, 0), _child_at(ctx, 1)
    new_left = np.where(left_child >= 0, group_cv[np.maximum(left_child, 0)], 0)
    new_right = np.where(right_child >= 0, group_cv[np.maximum(right_child, 0)], 0)
    tl = new_left + ctx.d.carry_left
    tr = new_right + ctx.d.carry_right

    rank_rate = np.asarray(
        [pct_to_ppm(p) for p in rank_table(ctx.plan, b.pct_by_rank, default=Decimal(0))],
        dtype=np.int64,
    )
    no_cap = np.iinfo(np.int64).max
    rank_cap = np.asarray(rank_table(ctx.plan, b.cap_by_rank, default=no_cap), dtype=np.int64)
    if not b.cap_by_rank:
        rank_cap[:] = no_cap

    earns = ctx.active & (ctx.paid_rank >= ctx.rank_of(b.payee_min_rank))
    if b.mode == "pay-leg":
        earns &= rank_rate[ctx.paid_rank] > 0
    if b.require_sponsored_legs:
        enrolled = np.flatnonzero(ctx.active & (ctx.d.enroller >= 0))
        sponsor = ctx.d.enroller[enrolled]
        has = []
        for child in (left_child, right_child):
            leg = child[sponsor]
            inside = np.zeros(enrolled.shape[0], dtype=np.bool_)
            ok = leg >= 0
            inside[ok] = tree.in_subtree(enrolled[ok], leg[ok])
            flag = np.zeros(n, dtype=np.bool_)
            flag[sponsor[inside]] = True
            has.append(flag)
        earns &= has[0] & has[1]
    flushed = ~ctx.active if b.flush_inactive else np.zeros(n, dtype=np.bool_)

    weak = np.minimum(tl, tr)
    left_weak = tl < tr  # so the strong leg is the larger one, the left on a tie
    if b.mode == "pay-leg":
        base = weak
        rate = rank_rate[ctx.paid_rank]
        unit: int | Fraction = ctx.unit
        take_left = take_right = np.where(earns, weak, 0)
    else:
        assert b.cycle is not None
        strong = np.maximum(tl, tr)
        base = np.minimum(weak // b.cycle.weak, strong // b.cycle.strong)
        rate = np.full(n, b.cycle.value * PPM, dtype=np.int64)
        unit = 1
        use_weak, use_strong = base * b.cycle.weak, base * b.cycle.strong
        take_left = np.where(earns, np.where(left_weak, use_weak, use_strong), 0)
        take_right = np.where(earns, np.where(left_weak, use_strong, use_weak), 0)

    carry_left = np.where(flushed, 0, tl - take_left)
    carry_right = np.where(flushed, 0, tr - take_right)
    if b.carry_ceiling is not None:
        carry_left = np.where(left_weak, carry_left, np.minimum(carry_left, b.carry_ceiling))
        carry_right = np.where(left_weak, np.minimum(carry_right, b.carry_ceiling), carry_right)

    if b.mode == "pay-leg":
        # What a flushed distributor's weak leg would have paid at the lowest paying rate.
        paying = rank_rate[rank_rate > 0]
        rate = np.where(earns, rate, int(paying.min()) if paying.shape[0] else 0)
    line = np.flatnonzero((earns | flushed) & (base > 0) & (rate > 0))
    gross, residual = round_amount(base[line], rate[line], unit=unit, mode=ctx.mode)
    amount = np.where(earns[line], np.minimum(gross, rank_cap[ctx.paid_rank[line]]), 0)
    lines = LineBlock(
        bonus=BONUS_TYPES.index("binary") + 1,
        source=line,
        level=np.zeros_like(line),
        payee=line.copy(),
        base=base[line],
        rate=rate[line],
        gross=gross,
        amount=amount,
        residual=residual,
    )
    return BinaryOutcome(lines, tl, tr, carry_left, carry_right)
