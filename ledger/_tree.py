"""Vectorised forest primitives over dense parent arrays (index -1 = no parent).

A :class:`Forest` is built once per tree (enroller, placement) and holds the breadth-first
order split by depth, subtree sizes and preorder positions. With preorder positions every
subtree is one contiguous range, so a subtree sum of any per-node array is one ``cumsum``; the
few computations that must walk level by level (nearest qualified ancestor) loop over depths,
never over distributors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ledger.errors import CycleError

__all__ = ["Forest", "build_forest", "volume_by"]

I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Forest:
    parent: I64
    order: I64  # nodes breadth-first, children of one parent contiguous, in sibling order
    level_start: I64  # order[level_start[d]:level_start[d + 1]] are the nodes at depth d
    depth: I64
    size: I64  # subtree size, node included
    tin: I64  # preorder position; subtree of v = preorder positions [tin[v], tin[v] + size[v])

    @property
    def n(self) -> int:
        return int(self.parent.shape[0])

    @property
    def levels(self) -> int:
        return int(self.level_start.shape[0]) - 1

    def level(self, d: int) -> I64:
        return self.order[self.level_start[d] : self.level_start[d + 1]]

    def subtree_sum(self, values: NDArray[np.int64]) -> I64:
        """Sum of ``values`` over each node's subtree (node included)."""
        pre = np.zeros(self.n + 1, dtype=np.int64)
        pre[self.tin + 1] = values
        np.cumsum(pre, out=pre)
        out: I64 = pre[self.tin + self.size] - pre[self.tin]
        return out

    def subtree_any(self, mask: Mask) -> Mask:
        return self.subtree_sum(mask.astype(np.int64)) > 0

    def in_subtree(self, nodes: I64, roots: I64) -> Mask:
        """Elementwise: is ``nodes[i]`` in the subtree of ``roots[i]`` (roots[i] >= 0)?"""
        t = self.tin[nodes]
        r = self.tin[roots]
        return (t >= r) & (t < r + self.size[roots])

    def nearest_ancestor(self, mask: Mask) -> I64:
        """For each node the nearest strict ancestor ``a`` with ``mask[a]``, else -1."""
        out = np.full(self.n, -1, dtype=np.int64)
        for d in range(1, self.levels):
            nodes = self.level(d)
            up = self.parent[nodes]
            out[nodes] = np.where(mask[up], up, out[up])
        return out

    def ancestor(self, k: int) -> I64:
        """The k-th ancestor of every node (k >= 1), -1 where the tree is not that deep."""
        up = self.parent.copy()
        for _ in range(k - 1):
            up = np.where(up >= 0, self.parent[np.maximum(up, 0)], -1)
        return up


def volume_by(owner: I64, values: I64, n: int) -> I64:
    """Exact integer sums of ``values`` (volume points, counts) grouped by ``owner`` in 0..n-1.

    ``np.bincount`` adds in float64, which is exact for integers while every partial sum stays
    below 2**53; the bound is checked first, else the integer ``np.add.at`` does the work.
    Money is never summed here.
    """
    if values.shape[0] and max(-int(values.min()), int(values.max())) * values.shape[0] < 2**53:
        sums = np.bincount(owner, weights=values, minlength=n)
        return sums.astype(np.int64)
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, owner, values)
    return out


def _exclusive_cumsum(a: I64) -> I64:
    out = np.empty_like(a)
    if a.shape[0]:
        out[0] = 0
        np.cumsum(a[:-1], out=out[1:])
    return out


def build_forest(parent: I64, sibling_key: I64, *, file: str, ids: I64) -> Forest:
    """Index a forest given each node's parent (-1 = root) and a key ordering siblings.

    Raises :class:`CycleError` naming a distributor (external id from ``ids``) on a cycle.
    """
    n = int(parent.shape[0])
    # Children grouped by parent, in sibling order; roots are the group of parent -1.
    # One stable integer sort on a combined key is several times faster than lexsort.
    span = int(sibling_key.max()) - int(sibling_key.min()) + 1 if n else 1
    if n and (n + 1) * span < 2**62:
        key = (parent + 1) * span + (sibling_key - int(sibling_key.min()))
        by_parent = np.argsort(key, kind="stable")
    else:
        by_parent = np.lexsort((sibling_key, parent))
    sorted_parent = parent[by_parent]
    first_child = np.searchsorted(sorted_parent, np.arange(-1, n), side="left")
    child_count = np.diff(np.append(first_child, n))
    roots = by_parent[: child_count[0]]
    child_start = first_child[1:]
    counts = child_count[1:]

    levels = [roots]
    frontier = roots
    reached = int(roots.shape[0])
    while frontier.shape[0]:
        c = counts[frontier]
        total = int(c.sum())
        if total == 0:
            break
        ramp = np.arange(total, dtype=np.int64) - np.repeat(_exclusive_cumsum(c), c)
        frontier = by_parent[np.repeat(child_start[frontier], c) + ramp]
        levels.append(frontier)
        reached += total
        if reached > n:  # cannot happen in a forest; guards against a bad parent array
            break
    if reached != n:
        seen = np.zeros(n, dtype=np.bool_)
        for lv in levels:
            seen[lv] = True
        start = int(np.flatnonzero(~seen)[0])
        node, path = start, set()
        while node not in path:  # only on the error path: walk until the loop closes
            path.add(node)
            node = int(parent[node])
        raise CycleError(
            file=file,
            record=f"distributor {int(ids[node])}",
            reason="is their own ancestor (cycle in the genealogy)",
        )
    order = np.concatenate(levels).astype(np.int64)
    level_start = np.zeros(len(levels) + 1, dtype=np.int64)
    level_start[1:] = np.cumsum([lv.shape[0] for lv in levels])
    depth = np.empty(n, dtype=np.int64)
    for d, lv in enumerate(levels):
        depth[lv] = d

    size = np.ones(n, dtype=np.int64)
    for lv in reversed(levels[1:]):
        np.add.at(size, parent[lv], size[lv])

    tin = np.empty(n, dtype=np.int64)
    tin[roots] = _exclusive_cumsum(size[roots])
    for lv in levels[1:]:
        s = size[lv]
        excl = _exclusive_cumsum(s)
        p = parent[lv]
        new_group = np.ones(lv.shape[0], dtype=np.bool_)
        new_group[1:] = p[1:] != p[:-1]
        group_first = np.maximum.accumulate(np.where(new_group, np.arange(lv.shape[0]), 0))
        tin[lv] = tin[p] + 1 + excl - excl[group_first]
    return Forest(
        parent=parent, order=order, level_start=level_start, depth=depth, size=size, tin=tin
    )
