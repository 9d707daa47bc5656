"""The vocabulary of placement: constants, strategy names, answers and stored rows.

Also the two values the tree's dense arrays share between modules: :data:`FREE` and
:data:`POSITION_LIMIT`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import NamedTuple

from ledger.errors import PlacementError

__all__ = [
    "FREE",
    "LEFT",
    "POSITION_LIMIT",
    "RIGHT",
    "ROOT_ID",
    "UNLIMITED",
    "LegVolumes",
    "Overflow",
    "Placement",
    "PlacementRow",
    "Strategy",
    "parse_strategy",
]

ROOT_ID = 1
"""The company's root distributor: the one node without a parent."""
LEFT = 0
"""Position of the left leg in a binary tree."""
RIGHT = 1
"""Position of the right leg in a binary tree."""
UNLIMITED = 0
"""Width of a tree with no limit on children per node."""
FREE = -1
"""An empty slot in the dense arrays; also the root's parent and position there."""
POSITION_LIMIT = 1 << 32  # positions in an unlimited tree stay below this (uint32 on chain)


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


def parse_strategy(value: Strategy | str) -> Strategy:
    """The :class:`Strategy` spelled ``value``; :class:`~ledger.errors.PlacementError` if none."""
    try:
        return Strategy(value)
    except ValueError:
        known = ", ".join(s.value for s in Strategy)
        raise PlacementError(f"unknown placement strategy {value!r}; one of {known}") from None
