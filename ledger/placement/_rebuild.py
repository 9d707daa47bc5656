"""Rebuilding a placement tree from its stored rows, in numpy.

Rows come in any order. A lookup table (or a sort, for sparse ids) gives the dense index, one
scatter fills the slots, pointer jumping gives depths, cycles, jump pointers and chain heads
(O(n log n) in about 20 vectorised rounds, whatever the depth), and ``open_level`` is relaxed
upwards in as many rounds as its largest gap (~log_w n). A million shuffled rows rebuild in
about 2 s, most of it turning numpy columns into Python lists. What the arrays mean is told in
:mod:`ledger.placement._structure`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ledger.errors import GenealogyError
from ledger.placement._types import FREE, POSITION_LIMIT

__all__ = ["Column", "Rebuilt", "chain_arrays", "rebuild"]

Column = Sequence[int] | npt.NDArray[np.integer[Any]]
"""A column of ids or positions: a sequence or a numpy integer array."""

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


def chain_arrays(
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
    ends = np.flatnonzero(grid[:, leg] == FREE)  # exactly one per chain: its bottom
    tail[head[ends]] = ends
    return head.tolist(), tail.tolist()


def _open_levels(grid: _Index, depth: _Index) -> _Index:
    """Smallest depth with a free slot in each subtree, by relaxing upwards until stable.

    ``open_level - depth`` is at most log_w(subtree size) + 1, so few rounds are needed.
    """
    full = np.flatnonzero((grid != FREE).all(axis=1))
    below = grid[full]
    gap = np.zeros(len(depth), dtype=np.int64)
    gap[full] = len(depth)  # unknown yet: larger than any real answer
    while True:
        relaxed = gap[below].min(axis=1) + 1
        if np.array_equal(relaxed, gap[full]):
            break
        gap[full] = relaxed
    return depth + gap


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """A tree's dense arrays as :class:`~ledger.placement._structure.TreeStructure` keeps them.

    A fixed-width tree has empty ``child`` and ``next_pos``; an unlimited one has empty
    ``slots`` and ``chains`` and ``open_level == [0]``, as a new tree of that width.
    """

    ids: list[int]
    index: dict[int, int]
    parent: list[int]
    pos: list[int]
    depth: list[int]
    jump: list[int]
    slots: list[int]
    open_level: list[int]
    chains: dict[int, tuple[list[int], list[int]]]
    child: dict[int, int]
    next_pos: list[int]


def rebuild(
    *,
    ids: Column,
    parent_ids: Column,
    positions: Column,
    width: int,
    root_id: int,
    legs: Iterable[int],
) -> Rebuilt | None:
    """The arrays of the tree whose non-root rows are these columns; ``None`` when empty.

    ``legs`` are the positions whose outer chains to build. Raises
    :class:`~ledger.errors.GenealogyError` when the rows are not one tree under the root.
    """
    node_col = np.asarray(ids, dtype=np.int64)
    parent_col = np.asarray(parent_ids, dtype=np.int64)
    pos_col = np.asarray(positions, dtype=np.int64)
    if not node_col.shape == parent_col.shape == pos_col.shape or node_col.ndim != 1:
        raise GenealogyError("ids, parent_ids and positions must be columns of one length")
    n = len(node_col) + 1
    if n == 1:
        return None
    all_ids = np.concatenate([np.array([root_id], dtype=np.int64), node_col])

    # dense index: the root is 0, the others keep their order
    parent = np.zeros(n, dtype=np.int64)
    parent[1:] = _dense_index(all_ids, parent_col, node_col)

    w = width
    limit = w if w else POSITION_LIMIT
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
        slots = np.full(n * w, FREE, dtype=np.int64)
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

    ids_list = all_ids.tolist()
    index = dict(zip(ids_list, range(n), strict=True))
    parent_list = parent.tolist()
    parent_list[0] = FREE
    position = np.full(n, FREE, dtype=np.int64)
    position[1:] = pos_col
    pos_list = position.tolist()
    depth_list = depth.tolist()
    jump_list = jump.tolist()
    slots_list: list[int] = []
    chains: dict[int, tuple[list[int], list[int]]] = {}
    open_level = [0]
    child: dict[int, int] = {}
    next_pos: list[int] = []
    if w:
        grid = slots.reshape(n, w)
        slots_list = slots.tolist()
        chains = {leg: chain_arrays(grid, parent, position, leg) for leg in legs}
        open_level = _open_levels(grid, depth).tolist()
    else:
        child = dict(zip(keys.tolist(), children.tolist(), strict=True))
        next_col = np.zeros(n, dtype=np.int64)
        np.maximum.at(next_col, parent[1:], pos_col + 1)
        next_pos = next_col.tolist()
    return Rebuilt(
        ids=ids_list,
        index=index,
        parent=parent_list,
        pos=pos_list,
        depth=depth_list,
        jump=jump_list,
        slots=slots_list,
        open_level=open_level,
        chains=chains,
        child=child,
        next_pos=next_pos,
    )
