"""Run steps 1-4: volumes, activity, roll-ups, ranks. Shared, read-only, by every bonus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ledger._tree import Forest, build_forest, volume_by
from ledger.inputs import KIND_RETAIL, Dense
from ledger.plan import Plan, pct_to_ppm, rank_index

__all__ = ["Context", "build_context"]

I64 = NDArray[np.int64]
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
    unit: int  # minor units per point
    start_day: int
    mode: Literal["half-even", "floor"]

    @property
    def n(self) -> int:
        return int(self.d.ids.shape[0])

    def tree(self, name: Literal["enroller", "placement"]) -> Forest:
        return self.enroller_tree if name == "enroller" else self.placement_tree

    def rank_of(self, name: str) -> int:
        return rank_index(self.plan, name)


def _per_owner(owner: I64, values: I64, n: int) -> I64:
    return volume_by(owner, values, n)


def _children_sum(tree: Forest, values: I64) -> I64:
    has_parent = tree.parent >= 0
    return _per_owner(tree.parent[has_parent], values[has_parent], tree.n)


def _ranks(plan: Plan, tree: Forest, pv: I64, gv: I64) -> I64:
    """Paid-as rank: the highest rung of the ladder whose rules, and all below, hold."""
    n = tree.n
    has_parent = tree.parent >= 0
    qualified = [np.ones(n, dtype=np.bool_)]  # rank 0 (none) always holds
    for rank in plan.ranks.rank:
        q = qualified[-1] & (pv >= rank.min_pv)
        if rank.min_gv:
            if rank.max_leg_pct is not None:
                leg_cap = rank.min_gv * pct_to_ppm(rank.max_leg_pct) // 1_000_000
                counted = pv + _children_sum(tree, np.minimum(gv, leg_cap))
            else:
                counted = gv
            q &= counted >= rank.min_gv
        if rank.leg_count:
            holds = tree.subtree_any(qualified[rank_index(plan, rank.leg_rank or "")])
            legs = _per_owner(tree.parent[has_parent], holds[has_parent].astype(np.int64), n)
            q &= legs >= rank.leg_count
        qualified.append(q)
    paid = np.zeros(n, dtype=np.int64)
    for r, q in enumerate(qualified[1:], start=1):
        paid[q] = r
    return paid


def build_context(plan: Plan, d: Dense, *, start_day: int) -> Context:
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
        unit=plan.currency.minor_per_point,
        start_day=start_day,
        mode=plan.rounding.mode,
    )
