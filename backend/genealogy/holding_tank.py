"""The holding tank: enrolled, not yet placed; the sponsor places by hand within the hold,
then the default strategy does (`place_expired`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.genealogy.access import is_distributor, own_distributor
from backend.genealogy.models import Distributor, HoldingTankEntry
from backend.genealogy.service import get_distributor, locate, write_placement
from backend.genealogy.tree_cache import PlacementTreeCache
from ledger.errors import PlacementError


def place_from_tank(
    session: Session,
    distributor_id: int,
    *,
    parent_id: int,
    position: int,
    actor: User,
    trees: PlacementTreeCache,
    now: datetime,
) -> Distributor:
    """The sponsor's manual choice for someone in their holding tank."""
    entry = _tank_entry(session, distributor_id)
    if is_distributor(actor) and own_distributor(session, actor).id != entry.sponsor_id:
        raise Forbidden("only the sponsor places from their holding tank", code="out_of_scope")
    if now >= entry.expires_at:
        raise Conflict("the hold has ended; the default strategy places this distributor")
    distributor = get_distributor(session, distributor_id)
    with trees.locked(session) as slot:
        try:
            slot.tree.check_manual(
                enroller_id=entry.sponsor_id, parent_id=parent_id, position=position
            )
        except PlacementError as exc:
            raise Conflict(str(exc), code="placement_refused") from exc
        write_placement(
            session,
            slot,
            distributor,
            entry.sponsor_id,
            parent_id,
            position,
            strategy="manual",
            now=now,
        )
        entry.placed_at = now
        session.add(entry)
        session.commit()
    return distributor


def place_expired(
    session: Session, *, settings: Settings, trees: PlacementTreeCache, now: datetime
) -> list[int]:
    """Place everyone whose hold has ended with the default strategy; returns their ids."""
    query = (
        select(HoldingTankEntry)
        .where(col(HoldingTankEntry.placed_at).is_(None), HoldingTankEntry.expires_at <= now)
        .order_by(col(HoldingTankEntry.distributor_id))
    )
    placed: list[int] = []
    with trees.locked(session) as slot:
        for entry in session.exec(query).all():
            distributor = get_distributor(session, entry.distributor_id)
            try:
                spot = locate(session, slot.tree, entry.sponsor_id, settings, leg=None)
            except PlacementError as exc:
                raise Conflict(str(exc), code="placement_refused") from exc
            write_placement(
                session,
                slot,
                distributor,
                entry.sponsor_id,
                spot.parent_id,
                spot.position,
                strategy=settings.placement_strategy,
                now=now,
            )
            entry.placed_at = now
            session.add(entry)
            placed.append(entry.distributor_id)
        session.commit()
    return placed


def holding_tank(session: Session, *, actor: User) -> list[tuple[HoldingTankEntry, Distributor]]:
    query = (
        select(HoldingTankEntry, Distributor)
        .join(Distributor, col(Distributor.id) == HoldingTankEntry.distributor_id)
        .where(col(HoldingTankEntry.placed_at).is_(None))
        .order_by(col(HoldingTankEntry.distributor_id))
    )
    if is_distributor(actor):
        query = query.where(HoldingTankEntry.sponsor_id == own_distributor(session, actor).id)
    return list(session.exec(query).all())


def _tank_entry(session: Session, distributor_id: int) -> HoldingTankEntry:
    entry = session.get(HoldingTankEntry, distributor_id)
    if entry is None or entry.placed_at is not None:
        raise NotFound(f"distributor {distributor_id} is not in a holding tank")
    return entry
