"""Optional native batch hashing for payout trees (see keccak_batch.c).

`make setup` compiles `libkeccak_batch.so` next to this file. When it is absent, or fails the
self-check below, `LIBRARY` is None and ledger/merkle.py hashes in Python with safe-pysha3:
slower, same bytes.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

from sha3 import keccak_256

__all__ = ["LIBRARY", "SOURCE", "SHARED_OBJECT"]

SOURCE = Path(__file__).with_name("keccak_batch.c")
SHARED_OBJECT = Path(__file__).with_name("libkeccak_batch.so")


_FUNCTIONS = (
    "lineage_little_endian",
    "lineage_keccak256",
    "lineage_hash_leaves",
    "lineage_build_tree",
    "lineage_place_leaves",
    "lineage_hash_subtree",
)


def _load() -> ctypes.CDLL | None:
    if not SHARED_OBJECT.exists():
        return None
    try:
        library = ctypes.CDLL(str(SHARED_OBJECT))
    except OSError:
        return None
    pointer, size = ctypes.c_void_p, ctypes.c_size_t
    missing = [name for name in _FUNCTIONS if not hasattr(library, name)]
    if missing:  # a library built from an older keccak_batch.c: make setup rebuilds it
        return None
    library.lineage_little_endian.restype = ctypes.c_int
    library.lineage_keccak256.argtypes = [pointer, size, pointer]
    library.lineage_keccak256.restype = ctypes.c_int
    library.lineage_hash_leaves.argtypes = [pointer, size, pointer]
    library.lineage_hash_leaves.restype = None
    library.lineage_build_tree.argtypes = [pointer, size, pointer, pointer]
    library.lineage_build_tree.restype = ctypes.c_int
    library.lineage_place_leaves.argtypes = [pointer, size, pointer, pointer]
    library.lineage_place_leaves.restype = ctypes.c_int
    library.lineage_hash_subtree.argtypes = [pointer, size, size]
    library.lineage_hash_subtree.restype = None
    if library.lineage_little_endian() != 1:
        return None
    for message in (b"", b"lineage", bytes(range(64)), bytes(range(128)), b"\xff" * 135):
        out = ctypes.create_string_buffer(32)
        library.lineage_keccak256(message, len(message), out)
        if out.raw != keccak_256(message).digest():
            return None
    return library


LIBRARY = _load()
