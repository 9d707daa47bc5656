"""The one exception tree of ``ledger/``.

Every error the engine raises on purpose derives from :class:`LedgerError`, so a caller (the
CLI, the backend) can catch the whole family in one place and turn it into a message.

```
LedgerError
└── PlacementError                  auto-placement and manual placement (ledger/placement.py)
    ├── GenealogyError              rows given to PlacementTree.from_rows do not form one tree
    ├── UnknownDistributorError     an enroller or parent that is not placed
    ├── AlreadyPlacedError          a distributor id that is already in the tree
    ├── PositionError               a position beyond the tree's width, or negative
    ├── PositionOccupiedError       a position someone already holds
    ├── OutsideSubtreeError         a manual parent outside the enroller's subtree
    ├── MatrixFullError             breadth-first with a depth limit and no free position
    └── HoldExpiredError            a manual choice after the holding tank's hold ended
```
"""

from __future__ import annotations

__all__ = [
    "AlreadyPlacedError",
    "GenealogyError",
    "HoldExpiredError",
    "LedgerError",
    "MatrixFullError",
    "OutsideSubtreeError",
    "PlacementError",
    "PositionError",
    "PositionOccupiedError",
    "UnknownDistributorError",
]


class LedgerError(Exception):
    """Base of every error ``ledger/`` raises on purpose."""


# --- placement (ledger/placement.py) ---------------------------------------------------------


class PlacementError(LedgerError):
    """A placement that cannot be made, or a genealogy that cannot be loaded."""


class GenealogyError(PlacementError):
    """Placement rows that do not form one tree under the root (cycle, orphan, duplicate)."""


class UnknownDistributorError(PlacementError):
    """An enroller or parent id that is not in the placement tree."""


class AlreadyPlacedError(PlacementError):
    """A distributor id that is already placed; placement never moves anyone."""


class PositionError(PlacementError):
    """A position that is negative or not below the tree's width."""


class PositionOccupiedError(PlacementError):
    """A (parent, position) that another distributor already holds."""


class OutsideSubtreeError(PlacementError):
    """A manual choice of parent that is neither the enroller nor below the enroller."""


class MatrixFullError(PlacementError):
    """Breadth-first placement with a depth limit found every position within it taken."""


class HoldExpiredError(PlacementError):
    """A manual placement chosen after the holding tank's hold ended."""
