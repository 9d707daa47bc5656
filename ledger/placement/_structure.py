"""The placement tree as a data structure: it grows by leaves, answers queries, keeps indexes.

Every insert keeps current the indexes that let the strategies (:mod:`ledger.placement._tree`)
answer without scanning a subtree.

Nodes are held by a dense internal index (0 = root, :data:`~ledger.placement._types.FREE` for
"none"); ids are translated at the edges.

The indexes
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
    * Rebuild from rows: :mod:`ledger.placement._rebuild`, vectorised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Self

from ledger.errors import (
    AlreadyPlacedError,
    GenealogyError,
    PlacementError,
    PositionError,
    PositionOccupiedError,
    UnknownDistributorError,
)
from ledger.placement._rebuild import Column, Rebuilt, rebuild
from ledger.placement._types import FREE, POSITION_LIMIT, ROOT_ID, Placement, PlacementRow

__all__ = ["TreeStructure"]


class TreeStructure:
    """The tree and its indexes without the strategies: build, add, extend and query.

    :class:`~ledger.placement.PlacementTree` adds the strategies that read the indexes.
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
        self._parent: list[int] = [FREE]
        self._pos: list[int] = [FREE]
        self._depth: list[int] = [0]
        self._jump: list[int] = [0]
        self._free_row: list[int] = [FREE] * width
        # fixed width: slots[v * width + p] = child index or FREE
        self._slots: list[int] = list(self._free_row)
        self._open_level: list[int] = [0]
        # leg -> (head per node, tail per chain head)
        self._chains: dict[int, tuple[list[int], list[int]]] = {}
        if width:
            for leg in sorted({0, width - 1}):
                self._chains[leg] = ([0], [0])
        # unlimited width: child by parent * POSITION_LIMIT + position; next position per node
        self._child: dict[int, int] = {}
        self._next_pos: list[int] = [0] if not width else []

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[PlacementRow], *, width: int, root_id: int = ROOT_ID) -> Self:
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
        ids: Column,
        parent_ids: Column,
        positions: Column,
        width: int,
        root_id: int = ROOT_ID,
    ) -> Self:
        """Rebuild from columns of every distributor but the root (e.g. fetched as arrays).

        Same checks as :meth:`from_rows`. Linear numpy passes plus O(log n) rounds of pointer
        jumping, so a million rows take about a second.
        """
        tree = cls(width=width, root_id=root_id)
        built = rebuild(
            ids=ids,
            parent_ids=parent_ids,
            positions=positions,
            width=width,
            root_id=root_id,
            legs=tuple(tree._chains),
        )
        if built is not None:
            tree._load(built)
        return tree

    def _load(self, built: Rebuilt) -> None:
        self._ids = built.ids
        self._index = built.index
        self._parent = built.parent
        self._pos = built.pos
        self._depth = built.depth
        self._jump = built.jump
        self._slots = built.slots
        self._open_level = built.open_level
        self._chains = built.chains
        self._child = built.child
        self._next_pos = built.next_pos

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
            return None if c == FREE else self._ids[c]
        held = self._child.get(p * POSITION_LIMIT + position) if position >= 0 else None
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

    # --- internals -----------------------------------------------------------------------------

    def _node(self, node_id: int, role: str) -> int:
        v = self._index.get(node_id)
        if v is None:
            raise UnknownDistributorError(f"{role} {node_id} is not in the placement tree")
        return v

    def _check_position(self, p: int, position: int) -> None:
        w = self._width
        if position < 0 or position >= (w or POSITION_LIMIT):
            limit = f"below the width {w}" if w else f"in 0..{POSITION_LIMIT - 1}"
            raise PositionError(f"position {position} must be {limit}")
        if w:
            held = self._slots[p * w + position]
            if held == FREE:
                return
        else:
            held_at = self._child.get(p * POSITION_LIMIT + position)
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
            return [(pos, c) for pos, c in enumerate(row) if c != FREE]
        child, base = self._child, v * POSITION_LIMIT
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
            self._child[p * POSITION_LIMIT + position] = v
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
        while u != FREE:
            base = u * w
            row = slots[base : base + w]
            if FREE in row:
                level = depth[u]
            else:
                level = min(open_level[c] for c in row)
            if level == open_level[u]:
                break
            open_level[u] = level
            u = parent[u]
