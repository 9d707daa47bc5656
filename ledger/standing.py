"""What a distributor's dashboard shows beyond the engine's own per-distributor figures.

``standing_extras(plan=..., inputs=..., result=...)`` gives, per distributor in ``result.ids``
order:

- ``prior_rank``: the highest rank carried in (the previous period's achieved rank), so a rank
  up is ``result.achieved_rank > prior_rank``;
- ``new_in_team``: the people placed below them (placement tree, themselves excluded) who
  joined inside the period;
- ``top_leg`` and ``second_leg``: the GV of their two largest legs on the plan's rank tree;
- ``next_gv`` and ``next_legs``: toward the rung above their paid-as rank, GV as that rung
  counts it (each leg capped, exactly as the engine's ranks do: ``ledger.context.counted_gv``)
  and how many of their legs hold the rung's required rank (0 at the top of the ladder).

Pure and vectorised: subtree sums over preorder ranges, never a loop over distributors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ledger._tree import Forest, build_forest
from ledger.context import counted_gv, legs_holding
from ledger.engine import PeriodResult
from ledger.inputs import Genealogy, PeriodInputs
from ledger.plan import Plan, rank_index

__all__ = ["StandingExtras", "standing_extras", "team_sums"]

I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class StandingExtras:
    prior_rank: I64
    new_in_team: I64
    top_leg: I64
    second_leg: I64
    next_gv: I64
    next_legs: I64


def dense_index(ids: I64, wanted: I64) -> I64:
    """Dense index (position in the sorted ``ids``) of each wanted id; -1 for 0 or unknown."""
    if ids.shape[0] == 0:
        return np.full(wanted.shape[0], -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(ids, wanted), max(ids.shape[0] - 1, 0))
    found = (ids[pos] == wanted) & (wanted != 0)
    return np.where(found, pos, -1).astype(np.int64)


def _two_largest(tree: Forest, values: I64) -> tuple[I64, I64]:
    """Per node: the largest and the second largest of its children's ``values`` (0 if none)."""
    n = tree.n
    top, second = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    child = np.flatnonzero(tree.parent >= 0)
    if child.shape[0] == 0:
        return top, second
    parent, value = tree.parent[child], values[child]
    order = np.lexsort((-value, parent))
    parent, value = parent[order], value[order]
    first = np.ones(parent.shape[0], dtype=np.bool_)
    first[1:] = parent[1:] != parent[:-1]
    starts = np.flatnonzero(first)
    top[parent[starts]] = value[starts]
    nxt = starts + 1
    has_second = nxt < parent.shape[0]
    has_second[has_second] = parent[nxt[has_second]] == parent[starts[has_second]]
    second[parent[starts[has_second]]] = value[nxt[has_second]]
    return top, second


def standing_extras(*, plan: Plan, inputs: PeriodInputs, result: PeriodResult) -> StandingExtras:
    ids = result.ids
    n = int(ids.shape[0])
    g = inputs.genealogy
    row = dense_index(ids, g.id)  # the engine validated the genealogy: every row is found
    enroller, parent = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    position, joined = np.zeros(n, np.int64), np.zeros(n, np.int64)
    enroller[row] = dense_index(ids, g.enroller)
    parent[row] = dense_index(ids, g.parent)
    position[row] = g.position
    joined[row] = g.joined_day
    placement = build_forest(parent, position, file="distributors.csv", ids=ids)
    if plan.ranks.tree == "enroller":
        rank_tree = build_forest(enroller, ids, file="distributors.csv", ids=ids)
    else:
        rank_tree = placement

    new = ((joined >= inputs.start_day) & (joined <= inputs.end_day)).astype(np.int64)
    new_in_team = placement.subtree_sum(new) - new

    prior = np.zeros(n, dtype=np.int64)
    state = inputs.state
    carried = dense_index(ids, state.id)
    known = carried >= 0
    prior[carried[known]] = state.achieved_rank[known]

    top, second = _two_largest(rank_tree, result.gv)

    paid = result.paid_rank
    next_gv, next_legs = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for rung, rank in enumerate(plan.ranks.rank, start=1):
        below = paid == rung - 1
        if not below.any():
            continue
        counted = counted_gv(plan, rung, rank_tree, result.pv, result.gv)
        next_gv[below] = counted[below]
        if rank.leg_count:
            holds = paid >= rank_index(plan, rank.leg_rank or "")
            next_legs[below] = legs_holding(rank_tree, holds)[below]
    return StandingExtras(
        prior_rank=prior,
        new_in_team=new_in_team,
        top_leg=top,
        second_leg=second,
        next_gv=next_gv,
        next_legs=next_legs,
    )


def _placement(genealogy: Genealogy) -> tuple[I64, Forest]:
    """The distributors' ids (sorted) and their placement forest (rows in that order)."""
    ids = np.sort(genealogy.id)
    n = int(ids.shape[0])
    parent, position = np.full(n, -1, np.int64), np.zeros(n, np.int64)
    row = dense_index(ids, genealogy.id)
    parent[row] = dense_index(ids, genealogy.parent)
    position[row] = genealogy.position
    return ids, build_forest(parent, position, file="distributors.csv", ids=ids)


def placement_order(genealogy: Genealogy) -> tuple[I64, I64, I64]:
    """Each distributor's ids (sorted), their place in the placement forest's preorder and
    their subtree's size: the placement subtree of a person is the places ``[place, place +
    size)``, so anything kept in preorder has a team's part as one contiguous run."""
    ids, placement = _placement(genealogy)
    return ids, placement.tin, placement.size


def team_sums(genealogy: Genealogy, owner: I64, values: list[I64]) -> tuple[I64, list[I64]]:
    """Each distributor's ids (sorted) and, for each of ``values`` (one entry per ``owner``),
    its sum over their placement subtree, themselves included: what a team or a leg headed
    by them holds. Owners outside the genealogy are left out."""
    ids, placement = _placement(genealogy)
    n = int(ids.shape[0])
    at = dense_index(ids, owner)
    known = at >= 0
    sums = []
    for value in values:
        own = np.zeros(n, dtype=np.int64)
        np.add.at(own, at[known], value[known])
        sums.append(placement.subtree_sum(own))
    return ids, sums
