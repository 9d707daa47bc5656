"""The interpreter's recursion limit, which a dependency raises and the C JSON decoder trusts.

`py_ecc` (imported through `eth_utils`/`eth_keys`) sets it to 100,000 on import; CPython's C
JSON decoder then recurses that deep on a nested body and overflows the C stack (a segfault,
not an exception). This module imports nothing heavy, so the command line can use it too.
"""

from __future__ import annotations

import sys

RECURSION_LIMIT = 1000  # CPython's own default


def lower_recursion_limit(limit: int = RECURSION_LIMIT) -> None:
    """Set the limit back to `limit` if something raised it (never raises it)."""
    if sys.getrecursionlimit() > limit:
        sys.setrecursionlimit(limit)
