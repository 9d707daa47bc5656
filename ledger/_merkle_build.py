"""How a payout tree's bytes are produced: the ABI encoding of the leaves, then the hashing, in
the native batch hasher (two threads) or in Python. Internal to ledger/merkle.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from sha3 import keccak_256

from ledger import _native

__all__ = ["build_native", "build_python", "encode_leaves", "hash_pair"]

_PARALLEL_LEAVES = 4096


def hash_pair(a: bytes, b: bytes) -> bytes:
    """An inner node: keccak of the two children, smaller first."""
    digest: bytes = keccak_256(a + b if a < b else b + a).digest()
    return digest


def encode_leaves(
    period_ids: npt.NDArray[np.uint64],
    indices: npt.NDArray[np.uint32],
    accounts: npt.NDArray[np.uint8],
    amounts: Sequence[int] | npt.NDArray[np.uint64],
) -> npt.NDArray[np.uint8]:
    """The 128-byte `abi.encode` of every leaf, one row each."""
    count = indices.size
    encoded = np.zeros((count, 128), dtype=np.uint8)
    encoded[:, 24:32] = period_ids.astype(">u8").view(np.uint8).reshape(count, 8)
    encoded[:, 60:64] = indices.astype(">u4").view(np.uint8).reshape(count, 4)
    encoded[:, 76:96] = accounts
    if isinstance(amounts, np.ndarray):
        encoded[:, 120:128] = amounts.astype(">u8").view(np.uint8).reshape(count, 8)
    elif max(amounts) < 2**64:
        encoded[:, 120:128] = np.array(amounts, dtype=">u8").view(np.uint8).reshape(count, 8)
    else:
        for row, amount in enumerate(amounts):
            encoded[row, 96:128] = np.frombuffer(amount.to_bytes(32, "big"), dtype=np.uint8)
    return encoded


def build_native(
    encoded: npt.NDArray[np.uint8], count: int
) -> tuple[bytes, npt.NDArray[np.uint32]]:
    library = _native.LIBRARY
    assert library is not None
    # ctypes releases the GIL during a foreign call, so above a few thousand leaves two threads
    # hash the two halves of the leaves, then the two subtrees under the root, side by side.
    parallel = count >= _PARALLEL_LEAVES
    leaf_hashes = np.empty(32 * count, dtype=np.uint8)
    source, target = encoded.ctypes.data, leaf_hashes.ctypes.data
    if parallel:
        half = count // 2
        _side_by_side(
            lambda: library.lineage_hash_leaves(source, half, target),
            lambda: library.lineage_hash_leaves(
                source + 128 * half, count - half, target + 32 * half
            ),
        )
    else:
        library.lineage_hash_leaves(source, count, target)
    tree = np.empty(32 * (2 * count - 1), dtype=np.uint8)
    tree_index = np.empty(count, dtype=np.uint32)
    nodes = tree.ctypes.data
    if library.lineage_place_leaves(target, count, nodes, tree_index.ctypes.data) != 0:
        raise MemoryError("not enough memory for the payout tree")
    if parallel:
        _side_by_side(
            lambda: library.lineage_hash_subtree(nodes, count, 1),
            lambda: library.lineage_hash_subtree(nodes, count, 2),
        )
        tree[0:32] = np.frombuffer(
            hash_pair(tree[32:64].tobytes(), tree[64:96].tobytes()), dtype=np.uint8
        )
    else:
        library.lineage_hash_subtree(nodes, count, 0)
    return tree.tobytes(), tree_index


def _side_by_side(first: Callable[[], object], second: Callable[[], object]) -> None:
    """Runs `first` in a helper thread and `second` here; re-raises the helper's error."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            first()
        except BaseException as exc:  # handed to the calling thread below
            failure.append(exc)

    helper = threading.Thread(target=run, name="merkle-hasher")
    helper.start()
    try:
        second()
    finally:
        helper.join()
    if failure:
        raise failure[0]


def build_python(
    encoded: npt.NDArray[np.uint8], count: int
) -> tuple[bytes, npt.NDArray[np.uint32]]:
    rows = memoryview(encoded.tobytes())
    hashes = [
        keccak_256(keccak_256(rows[128 * i : 128 * i + 128]).digest()).digest()
        for i in range(count)
    ]
    order = sorted(range(count), key=hashes.__getitem__)
    size = 2 * count - 1
    nodes: list[bytes] = [b""] * size
    tree_index = np.empty(count, dtype=np.uint32)
    for rank, position in enumerate(order):
        nodes[size - 1 - rank] = hashes[position]
        tree_index[position] = size - 1 - rank
    for node in range(count - 2, -1, -1):
        nodes[node] = hash_pair(nodes[2 * node + 1], nodes[2 * node + 2])
    return b"".join(nodes), tree_index
