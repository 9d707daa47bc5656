"""The placement strategies: :class:`PlacementTree` locates and places over the tree structure.

Each strategy reads an index the structure keeps current (:mod:`ledger.placement._structure`):
the outer ones and weaker-leg the chain of their leg, breadth-first the open levels, a manual
(holding-tank) choice the jump pointers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ledger.errors import (
    AlreadyPlacedError,
    MatrixFullError,
    OutsideSubtreeError,
    PlacementError,
    PositionError,
)
from ledger.placement._rebuild import chain_arrays
from ledger.placement._structure import TreeStructure
from ledger.placement._types import FREE, LegVolumes, Overflow, Placement, Strategy, parse_strategy

__all__ = ["PlacementTree"]


class PlacementTree(TreeStructure):
    """The placement tree in memory, with the indexes that make each placement cheap.

    Building, adding and queries come from :class:`~ledger.placement._structure.TreeStructure`;
    this class adds the strategies.
    """

    __slots__ = ()

    def locate(
        self,
        *,
        enroller_id: int,
        strategy: Strategy | str,
        leg: int | None = None,
        leg_volumes: LegVolumes | None = None,
        max_depth: int | None = None,
        overflow: Overflow | str = Overflow.ERROR,
    ) -> Placement:
        """Where ``strategy`` puts the enroller's next distributor, without changing the tree.

        ``leg`` (outer strategies only) is the leg the enroller chose, overriding the strategy's
        default; ``leg_volumes`` (weaker-leg only) the enroller's volume per leg position;
        ``max_depth`` and ``overflow`` (breadth-first only) the matrix depth and what happens
        when it is full. In an unlimited tree every strategy answers
        ``(enroller_id, next position)``.
        """
        chosen = parse_strategy(strategy)
        x = self._node(enroller_id, "enroller")
        if chosen is Strategy.HOLDING_TANK:
            raise PlacementError(
                "holding-tank placements are chosen by the enroller: validate them with "
                "check_manual(); after HoldingTank.expires_at() locate with its fallback strategy"
            )
        if leg is not None and chosen not in (Strategy.OUTER_LEFT, Strategy.OUTER_RIGHT):
            raise PlacementError(f"leg= applies to the outer strategies, not {chosen}")
        if leg_volumes is not None and chosen is not Strategy.WEAKER_LEG:
            raise PlacementError(f"leg_volumes= applies to weaker-leg, not {chosen}")
        if max_depth is not None and chosen is not Strategy.BREADTH_FIRST:
            raise PlacementError(f"max_depth= applies to breadth-first, not {chosen}")
        if max_depth is not None and max_depth < 1:
            raise PlacementError(f"max_depth must be >= 1, got {max_depth}")
        try:
            spill = Overflow(overflow) is Overflow.SPILL
        except ValueError:
            raise PlacementError(f"unknown overflow rule {overflow!r}; error or spill") from None

        w = self._width
        if not w:
            return Placement(enroller_id, self._next_pos[x])
        if chosen is Strategy.BREADTH_FIRST:
            return self._breadth_first(x, max_depth=None if spill else max_depth)
        if chosen is Strategy.WEAKER_LEG:
            if leg_volumes is None:
                raise PlacementError("weaker-leg needs the enroller's leg_volumes")
            volumes = [_volume(leg_volumes, p) for p in range(w)]
            leg = volumes.index(min(volumes))  # ties: the leftmost
        elif leg is None:
            leg = 0 if chosen is Strategy.OUTER_LEFT else w - 1
        elif not 0 <= leg < w:
            raise PositionError(f"leg {leg} is beyond the width {w}")
        head, tail = self._chain(leg)
        return Placement(self._ids[tail[head[x]]], leg)

    def place(
        self,
        *,
        new_id: int,
        enroller_id: int,
        strategy: Strategy | str,
        leg: int | None = None,
        leg_volumes: LegVolumes | None = None,
        max_depth: int | None = None,
        overflow: Overflow | str = Overflow.ERROR,
    ) -> Placement:
        """:meth:`locate`, then add ``new_id`` there. Returns ``(parent_id, position)``."""
        if new_id in self._index:
            raise AlreadyPlacedError(f"distributor {new_id} is already placed")
        where = self.locate(
            enroller_id=enroller_id,
            strategy=strategy,
            leg=leg,
            leg_volumes=leg_volumes,
            max_depth=max_depth,
            overflow=overflow,
        )
        self._append(new_id, self._index[where.parent_id], where.position)
        return where

    def check_manual(self, *, enroller_id: int, parent_id: int, position: int) -> Placement:
        """Validate an enroller's own choice (holding tank) without changing the tree.

        The parent must be placed and be the enroller or below them; the position must be within
        the width and free.
        """
        x = self._node(enroller_id, "enroller")
        p = self._node(parent_id, "parent")
        if not self._under(p, x):
            raise OutsideSubtreeError(
                f"{parent_id} is not in the subtree of enroller {enroller_id}"
            )
        self._check_position(p, position)
        return Placement(parent_id, position)

    def place_manual(
        self, *, new_id: int, enroller_id: int, parent_id: int, position: int
    ) -> Placement:
        """:meth:`check_manual`, then add ``new_id`` there."""
        if new_id in self._index:
            raise AlreadyPlacedError(f"distributor {new_id} is already placed")
        where = self.check_manual(enroller_id=enroller_id, parent_id=parent_id, position=position)
        self._append(new_id, self._index[parent_id], position)
        return where

    def _chain(self, leg: int) -> tuple[list[int], list[int]]:
        chain = self._chains.get(leg)
        if chain is not None:
            return chain
        # a middle leg asked for the first time: one linear pass, kept up to date afterwards
        w = self._width
        grid = np.array(self._slots, dtype=np.int64).reshape(-1, w)
        parent = np.array(self._parent, dtype=np.int64)
        parent[0] = 0
        chain = chain_arrays(grid, parent, np.array(self._pos, dtype=np.int64), leg)
        self._chains[leg] = chain
        return chain

    def _breadth_first(self, x: int, *, max_depth: int | None) -> Placement:
        w, slots, open_level, depth = self._width, self._slots, self._open_level, self._depth
        target = open_level[x]
        if max_depth is not None and target - depth[x] >= max_depth:
            raise MatrixFullError(f"the {w} x {max_depth} matrix of {self._ids[x]} is full")
        v = x
        while depth[v] < target:
            base = v * w
            for c in slots[base : base + w]:
                if open_level[c] == target:
                    v = c
                    break
        base = v * w
        return Placement(self._ids[v], slots[base : base + w].index(FREE))


def _volume(volumes: LegVolumes, leg: int) -> int:
    if isinstance(volumes, Mapping):
        return int(volumes.get(leg, 0))
    if callable(volumes):
        return int(volumes(leg))
    return int(volumes[leg]) if leg < len(volumes) else 0
