"""Run steps 1-4: volumes, activity, roll-ups, ranks. Shared, read-only, by every bonus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ledger._tree import Forest, build_forest, volume_by
from ledger.errors import InputError
from ledger.inputs import KIND_RETAIL, Dense
from ledger.money import Conversion, Rate, RateMissingError, alpha_code, conversion, exponent_of
from ledger.plan import Plan, pct_to_ppm, rank_index

__all__ = ["Context", "build_context", "counted_gv", "legs_holding"]

I64 = NDArray[np.int64]
_EPOCH = date(1970, 1, 1)
Mask = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Context:
    plan: Plan
    d: Dense
    enroller_tree: Forest
    placement_tree: Forest
    pv: I64
    cv: I64
    retail_pv: I64
    gv: I64  # group PV on the rank tree
    active: Mask
    paid_rank: I64
    achieved_rank: I64
    unit: Fraction  # payout minor units per point, this period
    factor: dict[int, Fraction]  # payout minor units per minor unit, by order currency (0 = 1)
    conversions: dict[str, Conversion]  # every conversion the period used, by source currency
    start_day: int
    mode: Literal["half-even", "floor"]

    @property
    def n(self) -> int:
        return int(self.d.ids.shape[0])

    def tree(self, name: Literal["enroller", "placement"]) -> Forest:
        return self.enroller_tree if name == "enroller" else self.placement_tree

    def rank_of(self, name: str) -> int:
        return rank_index(self.plan, name)

    def global_cap_amount(self) -> int | None:
        """``floor(total CV x global_pct x point value)`` in payout minor units (None: no cap)."""
        pct = self.plan.caps.global_pct
        if pct is None:
            return None
        exact = int(self.cv.sum()) * pct_to_ppm(pct) * self.unit / 1_000_000
        return exact.numerator // exact.denominator


def _per_owner(owner: I64, values: I64, n: int) -> I64:
    return volume_by(owner, values, n)


def _children_sum(tree: Forest, values: I64) -> I64:
    has_parent = tree.parent >= 0
    return _per_owner(tree.parent[has_parent], values[has_parent], tree.n)


def counted_gv(plan: Plan, rung: int, tree: Forest, pv: I64, gv: I64) -> I64:
    """GV as rung ``rung`` (1-based) of the ladder counts it: own PV plus each leg's (child
    subtree's) GV capped at ``max_leg_pct`` of the rung's ``min_gv``; plain GV without a cap."""
    rank = plan.ranks.rank[rung - 1]
    if rank.max_leg_pct is None:
        return gv
    leg_cap = rank.min_gv * pct_to_ppm(rank.max_leg_pct) // 1_000_000
    return pv + _children_sum(tree, np.minimum(gv, leg_cap))


def legs_holding(tree: Forest, holds: Mask) -> I64:
    """How many of each node's legs (child subtrees) hold at least one node of ``holds``."""
    has_parent = tree.parent >= 0
    inside = tree.subtree_any(holds)
    return _per_owner(tree.parent[has_parent], inside[has_parent].astype(np.int64), tree.n)


def _ranks(plan: Plan, tree: Forest, pv: I64, gv: I64) -> I64:
    """Paid-as rank: the highest rung of the ladder whose rules, and all below, hold."""
    n = tree.n
    qualified = [np.ones(n, dtype=np.bool_)]  # rank 0 (none) always holds
    for rung, rank in enumerate(plan.ranks.rank, start=1):
        q = qualified[-1] & (pv >= rank.min_pv)
        if rank.min_gv:
            q &= counted_gv(plan, rung, tree, pv, gv) >= rank.min_gv
        if rank.leg_count:
            legs = legs_holding(tree, qualified[rank_index(plan, rank.leg_rank or "")])
            q &= legs >= rank.leg_count
        qualified.append(q)
    paid = np.zeros(n, dtype=np.int64)
    for r, q in enumerate(qualified[1:], start=1):
        paid[q] = r
    return paid


def period_conversion(plan: Plan, code: str, *, end_day: int, rates: Sequence[Rate]) -> Conversion:
    """How ``code`` converts into the plan's payout currency in a period ending on ``end_day``
    (the latest rates dated on or before it): what the engine converts order lines with, and
    what reports converting a part of a period's sales use."""
    c = plan.currency
    on = _EPOCH + timedelta(days=end_day)
    try:
        return conversion(rates, code, c.code, peg=c.peg, on=on)
    except RateMissingError as exc:
        raise InputError(
            file="rates.json",
            record=f"{exc.source}/{exc.target}",
            reason=f"no exchange rate dated on or before {on.isoformat()}: the period needs it",
        ) from None


def _conversions(
    plan: Plan, d: Dense, *, end_day: int, rates: tuple[Rate, ...]
) -> tuple[Fraction, dict[int, Fraction], dict[str, Conversion]]:
    """The point value and each order currency in payout minor units, at the period's rates
    (the latest dated on or before its last day)."""
    c = plan.currency
    used: dict[str, Conversion] = {}

    def minor_factor(code: str) -> Fraction:
        conv = period_conversion(plan, code, end_day=end_day, rates=rates)
        if conv.rates:
            used[code] = conv
        return conv.minor_factor(exponent_of(code), c.decimals)

    unit = Fraction(c.minor_per_point)
    if c.point_currency is not None:
        unit *= minor_factor(c.point_currency)
    factor = {0: Fraction(1)}
    for numeric in np.unique(d.orders.currency).tolist():
        if numeric:
            factor[int(numeric)] = minor_factor(alpha_code(int(numeric)))
    return unit, factor, used


def build_context(
    plan: Plan, d: Dense, *, start_day: int, end_day: int, rates: tuple[Rate, ...] = ()
) -> Context:
    n = int(d.ids.shape[0])
    enroller_tree = build_forest(d.enroller, d.ids, file="distributors.csv", ids=d.ids)
    placement_tree = build_forest(d.parent, d.position, file="distributors.csv", ids=d.ids)
    o = d.orders
    # Fee lines carry zero PV and CV (densify refuses anything else), so all lines add up.
    pv = _per_owner(d.order_owner, o.pv, n)
    cv = _per_owner(d.order_owner, o.cv, n)
    retail = o.kind == KIND_RETAIL
    retail_pv = _per_owner(d.order_owner[retail], o.pv[retail], n)
    rank_tree = enroller_tree if plan.ranks.tree == "enroller" else placement_tree
    gv = rank_tree.subtree_sum(pv)
    active = pv >= plan.activity.min_pv
    paid = _ranks(plan, rank_tree, pv, gv)
    unit, factor, used = _conversions(plan, d, end_day=end_day, rates=rates)
    return Context(
        plan=plan,
        d=d,
        enroller_tree=enroller_tree,
        placement_tree=placement_tree,
        pv=pv,
        cv=cv,
        retail_pv=retail_pv,
        gv=gv,
        active=active,
        paid_rank=paid,
        achieved_rank=np.maximum(paid, d.achieved_rank),
        unit=unit,
        factor=factor,
        conversions=used,
        start_day=start_day,
        mode=plan.rounding.mode,
    )
