"""The bridge to `ledger.placement`: one in-memory `PlacementTree` per app, kept in step with the
database, and the lock that serialises placements.

The tree is a cache of the `placement` table. Before every placement it is checked against the
table's row count (other workers may have placed since) and rebuilt when they differ; after the
caller's transaction commits, the new row is added. The unique constraint on (parent, position)
stays the final word between processes; on PostgreSQL an advisory lock also serialises them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from backend.models import Placement
from ledger.placement import Placement as Spot
from ledger.placement import PlacementTree, Strategy

# Any constant works; it only has to be the same in every worker.
_ADVISORY_KEY = 0x4C494E45  # "LINE"

__all__ = ["PlacementTreeCache", "Spot", "Strategy"]


class PlacementTreeCache:
    def __init__(self, *, width: int, root_id: int) -> None:
        self.width = width
        self.root_id = root_id
        self._tree: PlacementTree | None = None
        self._lock = threading.Lock()

    @contextmanager
    def locked(self, session: Session) -> Iterator[PlacementTree]:
        """Hold the placement lock for the caller's whole transaction (commit included) and
        give it a tree that matches the database at this moment."""
        with self._lock:
            if session.get_bind().dialect.name == "postgresql":
                session.exec(
                    text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_ADVISORY_KEY)
                )  # type: ignore[call-overload]
            try:
                yield self._current(session)
            except BaseException:
                # Whatever the caller did to the tree may not have reached the database.
                self._tree = None
                raise

    def forget(self) -> None:
        self._tree = None

    def _current(self, session: Session) -> PlacementTree:
        stored = session.exec(select(func.count()).select_from(Placement)).one()
        if self._tree is None or len(self._tree) != stored:
            self._tree = self._load(session)
        return self._tree

    def _load(self, session: Session) -> PlacementTree:
        rows = session.exec(
            select(Placement.distributor_id, Placement.parent_id, Placement.position).order_by(
                col(Placement.distributor_id)
            )
        )
        return PlacementTree.from_rows(
            (
                (node, parent, None if parent is None else position)
                for node, parent, position in rows
            ),
            width=self.width,
            root_id=self.root_id,
        )
