"""The one exception tree of ``ledger/``.

Every error the engine raises on purpose derives from :class:`LedgerError`, so a caller (the
CLI, the backend) can catch the whole family in one place and turn it into a message.

```
LedgerError
└── PlacementError                  auto-placement and manual placement (ledger/placement/)
    ├── GenealogyError              rows given to PlacementTree.from_rows do not form one tree
    ├── UnknownDistributorError     an enroller or parent that is not placed
    ├── AlreadyPlacedError          a distributor id that is already in the tree
    ├── PositionError               a position beyond the tree's width, or negative
    ├── PositionOccupiedError       a position someone already holds
    ├── OutsideSubtreeError         a manual parent outside the enroller's subtree
    ├── MatrixFullError             breadth-first with a depth limit and no free position
    └── HoldExpiredError            a manual choice after the holding tank's hold ended
├── PlanError                       a plan file that does not validate (names file, field, reason)
├── InputError                      period inputs the engine refuses (names file, record, reason)
│   ├── UnknownReferenceError       an order, state row or genealogy row naming an unknown id
│   ├── CycleError                  a genealogy in which someone is their own ancestor
│   └── NegativeVolumeError         a negative volume, price or amount
├── PackageError                    a period package that is malformed or incomplete
└── MerkleError                     payout leaves or proofs that are malformed (ledger/merkle.py)
```
"""

from __future__ import annotations

__all__ = [
    "AlreadyPlacedError",
    "CycleError",
    "GenealogyError",
    "HoldExpiredError",
    "InputError",
    "LedgerError",
    "MerkleError",
    "MatrixFullError",
    "NegativeVolumeError",
    "OutsideSubtreeError",
    "PackageError",
    "PlacementError",
    "PlanError",
    "PositionError",
    "PositionOccupiedError",
    "UnknownDistributorError",
    "UnknownReferenceError",
]


class LedgerError(Exception):
    """Base of every error ``ledger/`` raises on purpose."""


# --- placement (ledger/placement/) -----------------------------------------------------------


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


# --- plans, period runs and packages (ledger/plan, ledger/engine, ledger/package) -------------


class PlanError(LedgerError):
    """A plan that does not validate. ``str()`` reads ``file: field: reason``."""

    def __init__(self, *, file: str, field: str, reason: str) -> None:
        self.file = file
        self.field = field
        self.reason = reason
        super().__init__(f"{file}: {field}: {reason}")


class InputError(LedgerError):
    """Period inputs the engine refuses. ``str()`` reads ``file: record: reason``."""

    def __init__(self, *, file: str, record: str, reason: str) -> None:
        self.file = file
        self.record = record
        self.reason = reason
        super().__init__(f"{file}: {record}: {reason}")


class UnknownReferenceError(InputError):
    """An order, return, state row or genealogy row that names a distributor not in the input."""


class CycleError(InputError):
    """A genealogy (enroller or placement) in which a distributor is their own ancestor."""


class NegativeVolumeError(InputError):
    """A negative volume, price or amount where only non-negative ones make sense."""


class PackageError(LedgerError):
    """A period package that is malformed, incomplete or of an unknown format version."""


# --- payout Merkle trees (ledger/merkle.py) ---------------------------------------------------


class MerkleError(LedgerError):
    """Payout leaves that cannot form a tree (bad field, duplicate index), or an unknown line."""
