"""The holding-tank rule: how long an enroller may place a new distributor by hand.

Only the rule lives here; the tree validates the manual choice
(:meth:`~ledger.placement.PlacementTree.check_manual`). The clock is passed in, never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ledger.errors import HoldExpiredError, PlacementError
from ledger.placement._types import Strategy, parse_strategy

__all__ = ["HoldingTank"]


@dataclass(frozen=True, slots=True)
class HoldingTank:
    """The holding-tank rule: the enroller places by hand within ``days``, then ``fallback``.

    Datetimes are passed in (use timezone-aware UTC); the hold ends ``days`` after enrolment,
    and a moment equal to the end is already expired.
    """

    days: int
    fallback: Strategy

    def __post_init__(self) -> None:
        if self.days < 0:
            raise PlacementError(f"holding tank days must be >= 0, got {self.days}")
        if parse_strategy(self.fallback) is Strategy.HOLDING_TANK:
            raise PlacementError("the holding tank's fallback must be an automatic strategy")

    def expires_at(self, *, enrolled_at: datetime) -> datetime:
        """The moment the manual choice ends and ``fallback`` applies."""
        return enrolled_at + timedelta(days=self.days)

    def is_expired(self, *, enrolled_at: datetime, now: datetime) -> bool:
        """Whether the hold of someone enrolled at ``enrolled_at`` has ended at ``now``."""
        return now >= self.expires_at(enrolled_at=enrolled_at)

    def cutoff(self, *, now: datetime) -> datetime:
        """Everyone enrolled at or before this moment is expired at ``now`` (for a SQL sweep)."""
        return now - timedelta(days=self.days)

    def check_open(self, *, enrolled_at: datetime, now: datetime) -> None:
        """Raise :class:`~ledger.errors.HoldExpiredError` when a manual choice comes too late."""
        if self.is_expired(enrolled_at=enrolled_at, now=now):
            expired = self.expires_at(enrolled_at=enrolled_at).isoformat()
            raise HoldExpiredError(
                f"the hold ended at {expired}; the {self.fallback} strategy applies"
            )
