"""The bridge to `ledger.placement`: one in-memory `PlacementTree` per app, kept in step with the
database, and the lock that serialises placements.

The tree is a cache of the `placement` table. Every placement transaction first locks the
single `genealogy_state` row (SELECT ... FOR UPDATE; on SQLite the database's one writer does
the same job), whose `placement_seq` counts the placements written so far. If other workers
placed since this one last looked, the tree catches up with exactly those rows (`seq` greater
than what it has seen); then the caller locates, writes its row numbered with the next `seq`,
commits, and the tree takes the new node. The unique (parent, position) constraint remains the
last word.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session, col, select

from backend.genealogy.models import GenealogyState, Placement
from ledger.placement import Placement as Spot
from ledger.placement import PlacementTree

__all__ = ["PlacementSlot", "PlacementTreeCache", "Spot"]


# Prepared Core statements: the placement path runs them once per enrollment, and building an
# ORM statement (or flushing a loaded `GenealogyState`) costs several times more than running it.
_STATE = GenealogyState.metadata.tables["genealogy_state"]
_LOCK_SEQ = sa.select(_STATE.c.placement_seq).where(_STATE.c.id == 1).with_for_update()
_SET_SEQ = _STATE.update().where(_STATE.c.id == 1).values(placement_seq=sa.bindparam("seq"))


class PlacementSlot:
    """What a caller holds while placing: the current tree and the sequence numbers to stamp."""

    def __init__(self, tree: PlacementTree, seq: int, session: Session) -> None:
        self.tree = tree
        self._session = session
        self.seq = seq
        self.changed_tree = False

    def next_seq(self) -> int:
        self.seq += 1
        self._session.connection().execute(_SET_SEQ, {"seq": self.seq})
        return self.seq

    def record(self, *, node_id: int, parent_id: int, position: int) -> None:
        """Apply a placement written in this transaction to the tree at once (a batch in one
        transaction sees its own rows); if the transaction fails the tree is rebuilt."""
        self.changed_tree = True
        self.tree.add(node_id=node_id, parent_id=parent_id, position=position)


class PlacementTreeCache:
    def __init__(self, *, width: int, root_id: int) -> None:
        self.width = width
        self.root_id = root_id
        self._tree: PlacementTree | None = None
        self._seen_seq = 0
        self._lock = threading.Lock()

    @contextmanager
    def locked(self, session: Session) -> Iterator[PlacementSlot]:
        """Hold the placement lock for the caller's whole transaction; the caller commits
        inside the block. If anything goes wrong after a placement reached the tree, the tree
        is rebuilt next time; a failure before that (a refused spot, a duplicate wallet)
        leaves it as it is, still equal to the database."""
        with self._lock:
            stored_seq = session.connection().execute(_LOCK_SEQ).scalar_one_or_none()
            if stored_seq is None:
                raise RuntimeError("genealogy_state is missing: run the bootstrap (migrate + seed)")
            slot = PlacementSlot(self._current(session, stored_seq), stored_seq, session)
            try:
                yield slot
            except BaseException:
                if slot.changed_tree:
                    self._tree = None
                raise
            self._seen_seq = slot.seq

    def forget(self) -> None:
        self._tree = None

    def _current(self, session: Session, stored_seq: int) -> PlacementTree:
        if self._tree is None or stored_seq < self._seen_seq:
            self._tree = self._load(session)
        elif stored_seq > self._seen_seq:
            newer = session.exec(
                select(Placement.distributor_id, Placement.parent_id, Placement.position)
                .where(col(Placement.seq) > self._seen_seq)
                .order_by(col(Placement.seq))
            )
            self._tree.extend(
                (node, parent, None if parent is None else position)
                for node, parent, position in newer
            )
        self._seen_seq = stored_seq
        return self._tree

    def _load(self, session: Session) -> PlacementTree:
        rows = session.exec(
            select(Placement.distributor_id, Placement.parent_id, Placement.position)
        )
        return PlacementTree.from_rows(
            (
                (node, parent, None if parent is None else position)
                for node, parent, position in rows
            ),
            width=self.width,
            root_id=self.root_id,
        )
