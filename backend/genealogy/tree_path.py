"""Materialised placement paths: 4 big-endian bytes per id, root first, self last.

Byte-wise order of paths is the tree's pre-order (siblings by id), so a whole downline is one
contiguous index range `[path, successor(path))`, on PostgreSQL (bytea) and SQLite (blob) alike.
"""

from __future__ import annotations

SEGMENT = 4
MAX_ID = 2 ** (8 * SEGMENT) - 1


def segment(node_id: int) -> bytes:
    if not 0 < node_id <= MAX_ID:
        raise ValueError(f"distributor id {node_id} does not fit a path segment")
    return node_id.to_bytes(SEGMENT, "big")


def child_path(parent_path: bytes, node_id: int) -> bytes:
    return parent_path + segment(node_id)


def path_ids(path: bytes) -> list[int]:
    return [int.from_bytes(path[i : i + SEGMENT], "big") for i in range(0, len(path), SEGMENT)]


def depth_of(path: bytes) -> int:
    return len(path) // SEGMENT - 1


def subtree_end(path: bytes) -> bytes:
    """The smallest path greater than every path under `path` (exclusive upper bound)."""
    # Every descendant is `path + more`; `path` plus one, read as a big-endian number of the
    # same length, is greater than all of them and than nothing outside the subtree.
    return (int.from_bytes(path, "big") + 1).to_bytes(len(path), "big")


def is_within(path: bytes, top: bytes) -> bool:
    return path.startswith(top) and (len(path) - len(top)) % SEGMENT == 0
