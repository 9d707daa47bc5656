"""Auto-placement of new distributors (COMPENSATION.md, "Placement strategies").

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

How each insert stays cheap (no scan of a subtree per insert)
    * Outer positions: every node belongs to exactly one *chain* per leg L, the maximal path that
      steps down through position L. For each maintained leg we keep ``head[node]`` (top of the
      node's chain) and ``tail[head]`` (its bottom, whose slot L is free by definition). The
      outermost position of leg L below x is ``(tail[head[x]], L)``: O(1). Adding a node at
      position L under p extends p's chain (p was its tail, since the slot was free); any other
      position starts a new chain: O(1) per maintained leg. Legs 0 and w-1 are kept from the
      start; a middle leg (matrix, explicit ``leg=``) is built on first use in O(n), then kept.
    * Breadth-first: ``open_level[v]`` is the smallest depth of a node in v's subtree that has a
      free slot. The answer for enroller x sits at depth ``open_level[x]``; descend from x taking
      the leftmost child whose ``open_level`` equals it: O(w * (open_level[x] - depth[x])), and
      that difference is at most log_w(subtree size) + 1 because every level above it is full.
      After an insert, ``open_level`` is recomputed upwards (O(w) per node) only while it
      changes. A node's value only rises, and rises at most log_w(its subtree size) + 1 times,
      so the total over all inserts is O(w n log n): amortised O(w log n) per insert; with an
      outer chain (the common case) it stops at the parent.
    * Subtree membership (manual choices): one skew-binary jump pointer per node (Myers 1983)
      answers the ancestor at a given depth in O(log n), set in O(1) when a node is added.
    * Rebuild: :meth:`PlacementTree.from_rows` / :meth:`PlacementTree.from_arrays` take rows
      in any order and work in numpy: a lookup table (or a sort, for sparse ids) for the dense
      index, one scatter for the slots, pointer jumping for depths, cycles, jump pointers and
      chain heads (O(n log n) in about 20 vectorised rounds, whatever the depth), and
      ``open_level`` relaxed upwards in as many rounds as its largest gap (~log_w n). A million
      shuffled rows rebuild in about 2 s, most of it turning numpy columns into Python lists.

Use from a service
    One :class:`PlacementTree` per process, rebuilt with :meth:`PlacementTree.from_rows` on
    start. It is not thread-safe: serialise placements. :meth:`PlacementTree.locate` computes a
    placement without changing the tree, so a database-backed caller can locate, insert the row
    (a unique constraint on (parent, position) catches another process that was faster), then
    :meth:`PlacementTree.add` after commit; on a conflict, :meth:`PlacementTree.extend` with the
    rows written since (any order; rows already known are skipped) and locate again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ledger.errors import (
    AlreadyPlacedError,
    GenealogyError,
    HoldExpiredError,
    MatrixFullError,
    OutsideSubtreeError,
    PlacementError,
    PositionError,
    PositionOccupiedError,
    UnknownDistributorError,
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

ROOT_ID = 1
"""The company's root distributor: the one node without a parent."""
LEFT = 0
"""Position of the left leg in a binary tree."""
RIGHT = 1
"""Position of the right leg in a binary tree."""
UNLIMITED = 0
"""Width of a tree with no limit on children per node."""

_FREE = -1
_POSITION_LIMIT = 1 << 32  # positions in an unlimited tree stay below this (uint32 on chain)


# --- vectorised rebuild -------------------------------------------------------------------------

_Index = npt.NDArray[np.int64]


def _dense_index(all_ids: _Index, parent_col: _Index, node_col: _Index) -> _Index:
    """Dense index (position in ``all_ids``) of each parent id; duplicates and orphans refused.

    Database ids are usually a dense serial: then one lookup table does it, without sorting.
    """
    n = len(all_ids)
    low, high = int(all_ids.min()), int(all_ids.max())
    if high - low < 4 * n + 1024:
        table = np.full(high - low + 1, -1, dtype=np.int64)
        table[all_ids - low] = np.arange(n, dtype=np.int64)
        if not np.array_equal(table[all_ids - low], np.arange(n, dtype=np.int64)):
            twice = all_ids[table[all_ids - low] != np.arange(n)]
            raise GenealogyError(f"distributor {int(twice.min())} appears twice")
        inside = (parent_col >= low) & (parent_col <= high)
        found = np.full(len(parent_col), -1, dtype=np.int64)
        found[inside] = table[parent_col[inside] - low]
    else:
        by_id = np.argsort(all_ids, kind="stable")
        sorted_ids = all_ids[by_id]
        twice = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
        if len(twice):
            raise GenealogyError(f"distributor {int(sorted_ids[twice[0]])} appears twice")
        at = np.minimum(np.searchsorted(sorted_ids, parent_col), n - 1)
        found = np.where(sorted_ids[at] == parent_col, by_id[at], -1)
    unknown = np.flatnonzero(found < 0)
    if len(unknown):
        first = int(unknown[0])
        raise GenealogyError(
            f"distributor {int(node_col[first])} is placed under "
            f"{int(parent_col[first])}, who is not in the tree"
        )
    return found


def _depths(parent: _Index, ids: _Index, root_id: int) -> tuple[_Index, list[_Index]]:
    """Depth of every node by pointer jumping, and the 2^k-th ancestors on the way.

    ``parent[0] == 0`` (the root). A node that never reaches the root within log2(n) + 1 rounds
    sits on, or hangs below, a cycle.
    """
    n = len(parent)
    ancestor = parent
    depth = np.ones(n, dtype=np.int64)
    depth[0] = 0
    lifts = [ancestor]
    for _ in range(n.bit_length() + 1):
        if not ancestor.any():
            return depth, lifts
        depth += depth[ancestor]
        ancestor = ancestor[ancestor]
        lifts.append(ancestor)
    stray = int(ids[ancestor != 0].min())
    raise GenealogyError(
        f"distributor {stray} is not below the root {root_id}: the rows hold a cycle"
    )


def _jump_depths(max_depth: int) -> _Index:
    """Depth of the skew-binary jump target for each depth (it depends on nothing else)."""
    target = [0] * (max_depth + 1)
    for d in range(2, max_depth + 1):
        p = d - 1
        jp = target[p]
        target[d] = target[jp] if p - jp == jp - target[jp] else p
    return np.array(target, dtype=np.int64)


def _jumps(depth: _Index, lifts: list[_Index]) -> _Index:
    """Each node's jump pointer: its ancestor at the jump depth, by binary lifting."""
    climb = depth - _jump_depths(int(depth.max()))[depth]
    node = np.arange(len(depth), dtype=np.int64)
    for bit, ancestor in enumerate(lifts):
        step = (climb >> bit) & 1 == 1
        if not step.any():
            if not (climb >> bit).any():
                break
            continue
        node[step] = ancestor[node[step]]
    return node


def _chain_arrays(
    grid: _Index, parent: _Index, position: _Index, leg: int
) -> tuple[list[int], list[int]]:
    """``head`` per node and ``tail`` per head of the chains through position ``leg``."""
    n = len(parent)
    node = np.arange(n, dtype=np.int64)
    head = np.where(position == leg, parent, node)
    while True:
        higher = head[head]
        if np.array_equal(higher, head):
            break
        head = higher
    tail = node.copy()
    ends = np.flatnonzero(grid[:, leg] == _FREE)  # exactly one per chain: its bottom
    tail[head[ends]] = ends
    return head.tolist(), tail.tolist()


def _open_levels(grid: _Index, depth: _Index) -> _Index:
    """Smallest depth with a free slot in each subtree, by relaxing upwards until stable.

    ``open_level - depth`` is at most log_w(subtree size) + 1, so few rounds are needed.
    """
    full = np.flatnonzero((grid != _FREE).all(axis=1))
    below = grid[full]
    gap = np.zeros(len(depth), dtype=np.int64)
    gap[full] = len(depth)  # unknown yet: larger than any real answer
    while True:
        relaxed = gap[below].min(axis=1) + 1
        if np.array_equal(relaxed, gap[full]):
            break
        gap[full] = relaxed
    return depth + gap


class Strategy(StrEnum):
    """Placement strategies, spelled as in plan files."""

    OUTER_LEFT = "outer-left"
    OUTER_RIGHT = "outer-right"
    WEAKER_LEG = "weaker-leg"
    BREADTH_FIRST = "breadth-first"
    HOLDING_TANK = "holding-tank"


class Overflow(StrEnum):
    """What breadth-first does when the levels within ``max_depth`` are full."""

    ERROR = "error"
    """Raise :class:`~ledger.errors.MatrixFullError`."""
    SPILL = "spill"
    """Go on below level d: the first free position of the next levels."""


class Placement(NamedTuple):
    """Where a distributor sits: ``(parent_id, position)``."""

    parent_id: int
    position: int


PlacementRow = tuple[int, int | None, int | None]
"""``(id, parent_id, position)`` as stored; the root's row is ``(root_id, None, None)``."""

LegVolumes = Mapping[int, int] | Sequence[int] | Callable[[int], int]
"""The enroller's volume per leg position: a mapping (missing = 0), a sequence or a callable."""


@dataclass(frozen=True, slots=True)
class HoldingTank:
    """The holding-tank rule: the enroller places by hand within ``days``, then ``fallback``.

    Datetimes are passed in (use timezone-aware UTC); the hold ends ``days`` after enrolment,
    and a moment equal to the end is already expired.
    """

    days: int
    fallback: Strategy

    def __post_init__(self) -> None:
        if self.days < 0:
            raise PlacementError(f"holding tank days must be >= 0, got {self.days}")
        if _strategy(self.fallback) is Strategy.HOLDING_TANK:
            raise PlacementError("the holding tank's fallback must be an automatic strategy")

    def expires_at(self, *, enrolled_at: datetime) -> datetime:
        """The moment the manual choice ends and ``fallback`` applies."""
        return enrolled_at + timedelta(days=self.days)

    def is_expired(self, *, enrolled_at: datetime, now: datetime) -> bool:
        """Whether the hold of someone enrolled at ``enrolled_at`` has ended at ``now``."""
        return now >= self.expires_at(enrolled_at=enrolled_at)

    def cutoff(self, *, now: datetime) -> datetime:
        """Everyone enrolled at or before this moment is expired at ``now`` (for a SQL sweep)."""
        return now - timedelta(days=self.days)

    def check_open(self, *, enrolled_at: datetime, now: datetime) -> None:
        """Raise :class:`~ledger.errors.HoldExpiredError` when a manual choice comes too late."""
        if self.is_expired(enrolled_at=enrolled_at, now=now):
            expired = self.expires_at(enrolled_at=enrolled_at).isoformat()
            raise HoldExpiredError(
                f"the hold ended at {expired}; the {self.fallback} strategy applies"
            )


def _strategy(value: Strategy | str) -> Strategy:
    try:
        return Strategy(value)
    except ValueError:
        known = ", ".join(s.value for s in Strategy)
        raise PlacementError(f"unknown placement strategy {value!r}; one of {known}") from None


def _volume(volumes: LegVolumes, leg: int) -> int:
    if isinstance(volumes, Mapping):
        return int(volumes.get(leg, 0))
    if callable(volumes):
        return int(volumes(leg))
    return int(volumes[leg]) if leg < len(volumes) else 0


class PlacementTree:
    """The placement tree in memory, with the indexes that make each placement cheap.

    Nodes are held by a dense internal index (0 = root); ids are translated at the edges.
    """

    __slots__ = (
        "_width",
        "_root_id",
        "_index",
        "_ids",
        "_parent",
        "_pos",
        "_depth",
        "_jump",
        "_slots",
        "_open_level",
        "_chains",
        "_child",
        "_next_pos",
        "_free_row",
    )

    def __init__(self, *, width: int, root_id: int = ROOT_ID) -> None:
        """An empty company: just the root distributor ``root_id``."""
        if width < 0:
            raise PlacementError(f"tree width must be >= 0 (0 = unlimited), got {width}")
        self._width = width
        self._root_id = root_id
        self._index: dict[int, int] = {root_id: 0}
        self._ids: list[int] = [root_id]
        self._parent: list[int] = [_FREE]
        self._pos: list[int] = [_FREE]
        self._depth: list[int] = [0]
        self._jump: list[int] = [0]
        self._free_row: list[int] = [_FREE] * width
        # fixed width: slots[v * width + p] = child index or _FREE
        self._slots: list[int] = list(self._free_row)
        self._open_level: list[int] = [0]
        # leg -> (head per node, tail per chain head)
        self._chains: dict[int, tuple[list[int], list[int]]] = {}
        if width:
            for leg in sorted({0, width - 1}):
                self._chains[leg] = ([0], [0])
        # unlimited width: child by parent * _POSITION_LIMIT + position; next position per node
        self._child: dict[int, int] = {}
        self._next_pos: list[int] = [0] if not width else []

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def from_rows(
        cls, rows: Iterable[PlacementRow], *, width: int, root_id: int = ROOT_ID
    ) -> PlacementTree:
        """Rebuild from stored rows ``(id, parent_id, position)`` in any order.

        The root's row ``(root_id, None, None)`` may be included or left out. Raises
        :class:`~ledger.errors.GenealogyError` when the rows are not one tree under the root:
        a second parentless node, a duplicate id, an unknown parent, a position beyond the width
        or taken twice, or a cycle.
        """
        table = rows if isinstance(rows, Sequence) else list(rows)
        node_ids = list(map(itemgetter(0), table))
        parent_ids = list(map(itemgetter(1), table))
        positions = list(map(itemgetter(2), table))
        del table
        if None in parent_ids:
            at = parent_ids.index(None)
            if node_ids[at] != root_id or positions[at] is not None:
                raise GenealogyError(
                    f"distributor {node_ids[at]} has no parent; only the root {root_id} has none"
                )
            del node_ids[at], parent_ids[at], positions[at]
            if None in parent_ids:
                orphan = node_ids[parent_ids.index(None)]
                raise GenealogyError(
                    f"distributor {orphan} has no parent; only the root {root_id} has none"
                )
        if None in positions:
            unplaced = node_ids[positions.index(None)]
            raise GenealogyError(f"distributor {unplaced} has a parent but no position")
        return cls.from_arrays(
            ids=node_ids,
            parent_ids=parent_ids,
            positions=positions,
            width=width,
            root_id=root_id,
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        ids: Sequence[int] | npt.NDArray[np.integer[Any]],
        parent_ids: Sequence[int] | npt.NDArray[np.integer[Any]],
        positions: Sequence[int] | npt.NDArray[np.integer[Any]],
        width: int,
        root_id: int = ROOT_ID,
    ) -> PlacementTree:
        """Rebuild from columns of every distributor but the root (e.g. fetched as arrays).

        Same checks as :meth:`from_rows`. Linear numpy passes plus O(log n) rounds of pointer
        jumping, so a million rows take about a second.
        """
        tree = cls(width=width, root_id=root_id)
        node_col = np.asarray(ids, dtype=np.int64)
        parent_col = np.asarray(parent_ids, dtype=np.int64)
        pos_col = np.asarray(positions, dtype=np.int64)
        if not node_col.shape == parent_col.shape == pos_col.shape or node_col.ndim != 1:
            raise GenealogyError("ids, parent_ids and positions must be columns of one length")
        n = len(node_col) + 1
        if n == 1:
            return tree
        all_ids = np.concatenate([np.array([root_id], dtype=np.int64), node_col])

        # dense index: the root is 0, the others keep their order
        parent = np.zeros(n, dtype=np.int64)
        parent[1:] = _dense_index(all_ids, parent_col, node_col)

        w = width
        limit = w if w else _POSITION_LIMIT
        beyond = np.flatnonzero((pos_col < 0) | (pos_col >= limit))
        if len(beyond):
            first = int(beyond[0])
            raise GenealogyError(
                f"distributor {int(node_col[first])} is at position {int(pos_col[first])}, "
                + (f"beyond the width {w}" if w else "not a position")
            )
        keys = parent[1:] * limit + pos_col
        children = np.arange(1, n, dtype=np.int64)
        if w:
            slots = np.full(n * w, _FREE, dtype=np.int64)
            slots[keys] = children
            lost = np.flatnonzero(slots[keys] != children)  # a later row took the same slot
        else:
            by_key = np.argsort(keys, kind="stable")
            lost = by_key[1:][keys[by_key][1:] == keys[by_key][:-1]]
        if len(lost):
            one = int(lost[0])
            other = (
                int(slots[keys[one]]) - 1
                if w
                else int(by_key[np.searchsorted(keys[by_key], keys[one])])
            )
            raise GenealogyError(
                f"position {int(pos_col[one])} under {int(parent_col[one])} is held by both "
                f"{int(node_col[other])} and {int(node_col[one])}"
            )

        depth, lifts = _depths(parent, all_ids, root_id)
        jump = _jumps(depth, lifts)
        del lifts

        tree._ids = all_ids.tolist()
        tree._index = dict(zip(tree._ids, range(n), strict=True))
        tree._parent = parent.tolist()
        tree._parent[0] = _FREE
        position = np.full(n, _FREE, dtype=np.int64)
        position[1:] = pos_col
        tree._pos = position.tolist()
        tree._depth = depth.tolist()
        tree._jump = jump.tolist()
        if not w:
            tree._child = dict(zip(keys.tolist(), children.tolist(), strict=True))
            next_pos = np.zeros(n, dtype=np.int64)
            np.maximum.at(next_pos, parent[1:], pos_col + 1)
            tree._next_pos = next_pos.tolist()
            return tree

        grid = slots.reshape(n, w)
        tree._slots = slots.tolist()
        for leg in tree._chains:
            tree._chains[leg] = _chain_arrays(grid, parent, position, leg)
        tree._open_level = _open_levels(grid, depth).tolist()
        return tree

    def add(self, *, node_id: int, parent_id: int, position: int) -> Placement:
        """Record a placement (made here or read from the database); nobody ever moves."""
        if node_id in self._index:
            raise AlreadyPlacedError(f"distributor {node_id} is already placed")
        p = self._node(parent_id, "parent")
        self._check_position(p, position)
        self._append(node_id, p, position)
        return Placement(parent_id, position)

    def extend(self, rows: Iterable[PlacementRow]) -> int:
        """Catch up with stored rows in any order; rows already in the tree are skipped.

        Returns how many were added. A row that contradicts the tree, or whose parent never
        appears, raises :class:`~ledger.errors.GenealogyError`.
        """
        waiting: dict[int, list[tuple[int, int]]] = {}
        added = 0
        for node_id, parent_id, position in rows:
            if parent_id is None or position is None:
                if node_id == self._root_id and parent_id is None and position is None:
                    continue
                raise GenealogyError(f"distributor {node_id} has no parent or no position")
            known = self._index.get(node_id)
            if known is not None:
                if known == 0 or self.placement_of(node_id) != (parent_id, position):
                    raise GenealogyError(
                        f"distributor {node_id} is already placed elsewhere; nobody moves"
                    )
                continue
            if parent_id not in self._index:
                waiting.setdefault(parent_id, []).append((node_id, position))
                continue
            ready = [(node_id, parent_id, position)]
            while ready:
                child, parent, pos = ready.pop()
                if child in self._index and self.placement_of(child) == (parent, pos):
                    continue  # the same row twice while its parent was awaited
                try:
                    self.add(node_id=child, parent_id=parent, position=pos)
                except (AlreadyPlacedError, PositionError, PositionOccupiedError) as exc:
                    raise GenealogyError(str(exc)) from exc
                added += 1
                ready.extend((c, child, q) for c, q in waiting.pop(child, ()))
        if waiting:
            parent_id = min(waiting)
            raise GenealogyError(
                f"distributor {waiting[parent_id][0][0]} is placed under {parent_id}, "
                "who is not in the tree"
            )
        return added

    # --- queries -------------------------------------------------------------------------------

    @property
    def width(self) -> int:
        """Children per node: 2 = binary, w = matrix, 0 = unlimited."""
        return self._width

    @property
    def root_id(self) -> int:
        """The company's root distributor."""
        return self._root_id

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._index

    def placement_of(self, node_id: int) -> Placement | None:
        """``(parent_id, position)`` of a distributor; ``None`` for the root."""
        v = self._node(node_id, "distributor")
        if v == 0:
            return None
        return Placement(self._ids[self._parent[v]], self._pos[v])

    def depth_of(self, node_id: int) -> int:
        """Levels below the root (the root is at 0)."""
        return self._depth[self._node(node_id, "distributor")]

    def child_at(self, parent_id: int, position: int) -> int | None:
        """Who holds ``position`` under ``parent_id``, if anyone."""
        p = self._node(parent_id, "parent")
        w = self._width
        if w:
            if not 0 <= position < w:
                return None
            c = self._slots[p * w + position]
            return None if c == _FREE else self._ids[c]
        held = self._child.get(p * _POSITION_LIMIT + position) if position >= 0 else None
        return None if held is None else self._ids[held]

    def children(self, parent_id: int) -> list[tuple[int, int]]:
        """``(position, child_id)`` of everyone directly under ``parent_id``, by position."""
        return [
            (pos, self._ids[c]) for pos, c in self._child_items(self._node(parent_id, "parent"))
        ]

    def is_in_subtree(self, node_id: int, *, top_id: int) -> bool:
        """Whether ``node_id`` is ``top_id`` or below it. O(log n)."""
        return self._under(self._node(node_id, "distributor"), self._node(top_id, "distributor"))

    def rows(self) -> Iterator[PlacementRow]:
        """Every node as ``(id, parent_id, position)``: top-down, root first, by position."""
        ids, parent, positions = self._ids, self._parent, self._pos
        order = [0]
        for v in order:
            order.extend(c for _, c in self._child_items(v))
        yield self._root_id, None, None
        for v in order[1:]:
            yield ids[v], ids[parent[v]], positions[v]

    # --- placing -------------------------------------------------------------------------------

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
        chosen = _strategy(strategy)
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

    # --- internals -----------------------------------------------------------------------------

    def _node(self, node_id: int, role: str) -> int:
        v = self._index.get(node_id)
        if v is None:
            raise UnknownDistributorError(f"{role} {node_id} is not in the placement tree")
        return v

    def _check_position(self, p: int, position: int) -> None:
        w = self._width
        if position < 0 or position >= (w or _POSITION_LIMIT):
            limit = f"below the width {w}" if w else f"in 0..{_POSITION_LIMIT - 1}"
            raise PositionError(f"position {position} must be {limit}")
        if w:
            held = self._slots[p * w + position]
            if held == _FREE:
                return
        else:
            held_at = self._child.get(p * _POSITION_LIMIT + position)
            if held_at is None:
                return
            held = held_at
        raise PositionOccupiedError(
            f"position {position} under {self._ids[p]} is held by {self._ids[held]}"
        )

    def _child_items(self, v: int) -> list[tuple[int, int]]:
        w = self._width
        if w:
            row = self._slots[v * w : v * w + w]
            return [(pos, c) for pos, c in enumerate(row) if c != _FREE]
        child, base = self._child, v * _POSITION_LIMIT
        return [(pos, child[base + pos]) for pos in range(self._next_pos[v]) if base + pos in child]

    def _under(self, v: int, top: int) -> bool:
        depth, jump, parent = self._depth, self._jump, self._parent
        target = depth[top]
        if depth[v] < target:
            return False
        while depth[v] > target:
            j = jump[v]
            v = j if depth[j] >= target else parent[v]
        return v == top

    def _chain(self, leg: int) -> tuple[list[int], list[int]]:
        chain = self._chains.get(leg)
        if chain is not None:
            return chain
        # a middle leg asked for the first time: one linear pass, kept up to date afterwards
        w = self._width
        grid = np.array(self._slots, dtype=np.int64).reshape(-1, w)
        parent = np.array(self._parent, dtype=np.int64)
        parent[0] = 0
        chain = _chain_arrays(grid, parent, np.array(self._pos, dtype=np.int64), leg)
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
        return Placement(self._ids[v], slots[base : base + w].index(_FREE))

    def _append(self, node_id: int, p: int, position: int) -> None:
        """Add a leaf at a position already checked to be free; keep every index current."""
        v = len(self._ids)
        self._index[node_id] = v
        self._ids.append(node_id)
        self._parent.append(p)
        self._pos.append(position)
        depth, jump = self._depth, self._jump
        depth.append(depth[p] + 1)
        jp = jump[p]
        jump.append(jump[jp] if depth[p] - depth[jp] == depth[jp] - depth[jump[jp]] else p)

        w = self._width
        if not w:
            self._child[p * _POSITION_LIMIT + position] = v
            self._next_pos.append(0)
            if position >= self._next_pos[p]:
                self._next_pos[p] = position + 1
            return

        slots = self._slots
        slots.extend(self._free_row)
        slots[p * w + position] = v
        for leg, (head, tail) in self._chains.items():
            h = head[p] if position == leg else v
            head.append(h)
            tail.append(v)
            tail[h] = v

        # the new leaf has every slot free; walk up only while the smallest open level changes
        open_level, parent = self._open_level, self._parent
        open_level.append(depth[v])
        u = p
        while u != _FREE:
            base = u * w
            row = slots[base : base + w]
            if _FREE in row:
                level = depth[u]
            else:
                level = min(open_level[c] for c in row)
            if level == open_level[u]:
                break
            open_level[u] = level
            u = parent[u]
