"""Auto-placement of new distributors (docs/compensation.md#placement).

A new distributor is placed under their enroller's subtree by one of the plan's strategies; the
answer is a :class:`Placement` ``(parent_id, position)``. Placement never moves anyone: the tree
only grows by leaves.

The tree
    Integer ids. The company's root distributor (``ROOT_ID`` = 1 unless told otherwise) is always
    in the tree, has no parent and no position. Positions count from 0 under each parent. The
    width comes from the deployed tree: 2 = binary (position 0 = left, 1 = right), w = matrix
    (positions 0..w-1), 0 = unlimited. In an unlimited tree every strategy puts the new
    distributor directly under the enroller at the next position (one past the highest position
    taken there, which is the child count while positions are dense).

Strategies (width w > 0)
    ``outer-left`` / ``outer-right``
        Follow position 0 (resp. w-1) down from the enroller to the first node whose slot at that
        position is free. ``leg=`` lets the enroller choose the leg (any position 0..w-1) instead of
        the strategy's default, e.g. an enroller's stored left/right preference.
    ``weaker-leg``
        The leg with the least volume among the enroller's w legs (ties: the leftmost), then its
        outermost position as above. Volumes are passed in (``leg_volumes``), never read.
    ``breadth-first``
        The first free position level by level, left to right, in the enroller's subtree (forced
        matrix w x d; binary when w = 2). With ``max_depth=d`` only levels 1..d below the enroller
        count: when they are full, ``overflow=Overflow.ERROR`` (the default) raises
        :class:`MatrixFullError`, ``overflow=Overflow.SPILL`` continues at level d+1 and below,
        i.e. ordinary breadth-first (d then bounds pay levels, not the tree).
    ``holding-tank``
        Chosen by the enroller, not computed: :meth:`PlacementTree.check_manual` validates a
        manual choice (parent known and in the enroller's subtree, position within the width and
        free), :class:`HoldingTank` says when the hold ends (the clock is passed in); after that
        the caller places with the tank's ``fallback`` strategy.

How it is built
    ``_types``: constants, strategy names, answers. ``_holding_tank``: the hold rule.
    ``_structure``: the tree and the indexes every insert keeps current, so that no placement
    scans a subtree (how, and at what cost, is told there). ``_rebuild``: the tree from its
    rows, in numpy. ``_tree``: :class:`PlacementTree`, the strategies over the structure.

Use from a service
    One :class:`PlacementTree` per process, rebuilt with :meth:`PlacementTree.from_rows` on
    start. It is not thread-safe: serialise placements. :meth:`PlacementTree.locate` computes a
    placement without changing the tree, so a database-backed caller can locate, insert the row
    (a unique constraint on (parent, position) catches another process that was faster), then
    :meth:`PlacementTree.add` after commit; on a conflict, :meth:`PlacementTree.extend` with the
    rows written since (any order; rows already known are skipped) and locate again.
"""

from __future__ import annotations

from ledger.placement._holding_tank import HoldingTank
from ledger.placement._tree import PlacementTree
from ledger.placement._types import (
    LEFT,
    RIGHT,
    ROOT_ID,
    UNLIMITED,
    LegVolumes,
    Overflow,
    Placement,
    PlacementRow,
    Strategy,
)

__all__ = [
    "LEFT",
    "RIGHT",
    "ROOT_ID",
    "UNLIMITED",
    "HoldingTank",
    "LegVolumes",
    "Overflow",
    "Placement",
    "PlacementRow",
    "PlacementTree",
    "Strategy",
]
