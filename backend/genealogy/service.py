"""Placement and distributor records: the root, locating a spot, writing a placement.

Every placement writes, in one transaction: the `placement` row (chain status pending), the
distributor's materialised path, and a `place` job in the chain-job queue for the chain writer.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from backend import chain_jobs
from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.errors import Conflict, NotFound
from backend.core.model_base import ChainStatus
from backend.genealogy import queries
from backend.genealogy.models import (
    Distributor,
    GenealogyState,
    Placement,
    PlacementPublic,
)
from backend.genealogy.tree_cache import PlacementSlot, Spot
from backend.genealogy.tree_path import child_path, segment
from ledger.errors import PlacementError
from ledger.placement import PlacementTree

_REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_referral_code() -> str:
    return "".join(secrets.choice(_REFERRAL_ALPHABET) for _ in range(8))


def search_text(first_name: str, last_name: str, email: str | None) -> str:
    return " ".join(part for part in (first_name, last_name, email or "") if part).lower()


def create_root(session: Session, *, now: datetime) -> Distributor:
    """The company's root distributor (id 1), placed at the top; bootstrap calls this once."""
    root = Distributor(
        first_name="Company",
        last_name="Root",
        referral_code=new_referral_code(),
        search_name="company root",
        enrolled_at=now,
        status_changed_at=now,
    )
    session.add(root)
    session.flush()
    assert root.id is not None
    root.tree_path = segment(root.id)
    root.tree_depth = 0
    session.add(
        Placement(distributor_id=root.id, position=0, strategy="root", placed_at=now, seq=1)
    )
    session.add(GenealogyState(id=1, placement_seq=1))
    chain_jobs.enqueue(session, chain_jobs.PlaceJob(id=root.id, sponsor=0, parent=0, position=0))
    return root


def auto_place(
    session: Session,
    slot: PlacementSlot,
    distributor: Distributor,
    sponsor_id: int,
    settings: Settings,
    *,
    leg: int | None,
    now: datetime,
) -> PlacementPublic:
    try:
        spot = locate(session, slot.tree, sponsor_id, settings, leg=leg)
    except PlacementError as exc:
        raise Conflict(str(exc), code="placement_refused") from exc
    return write_placement(
        session,
        slot,
        distributor,
        sponsor_id,
        spot.parent_id,
        spot.position,
        strategy=settings.placement_strategy,
        now=now,
    )


def locate(
    session: Session, tree: PlacementTree, sponsor_id: int, settings: Settings, *, leg: int | None
) -> Spot:
    if settings.placement_strategy == "weaker-leg":
        # Each leg's volume is read only if the strategy asks for it (a lazy mapping).
        return tree.locate(
            enroller_id=sponsor_id,
            strategy=settings.placement_strategy,
            leg_volumes=lambda position: queries.leg_volume(session, sponsor_id, position),
        )
    # The ledger's placement engine names the sponsor `enroller`, as its period inputs do.
    return tree.locate(enroller_id=sponsor_id, strategy=settings.placement_strategy, leg=leg)


def write_placement(
    session: Session,
    slot: PlacementSlot,
    distributor: Distributor,
    sponsor_id: int,
    parent_id: int,
    position: int,
    *,
    strategy: str,
    now: datetime,
) -> PlacementPublic:
    """The placement row, the distributor's path and depth, the next `seq` and the chain
    job, written with prepared Core statements rather than the unit of work: this is the
    hot part of every enrollment, and it writes four rows but reads only the parent's path."""
    connection = session.connection()
    parent = connection.execute(_PARENT_PATH, {"parent_id": parent_id}).one_or_none()
    if parent is None:
        raise NotFound(f"distributor {parent_id} not found")
    assert distributor.id is not None and parent.tree_path is not None
    tree_path = child_path(parent.tree_path, distributor.id)
    tree_depth = (parent.tree_depth or 0) + 1
    connection.execute(
        _SET_PATH, {"target_id": distributor.id, "tree_path": tree_path, "tree_depth": tree_depth}
    )
    # The row has them now; the session must not write them a second time.
    set_committed_value(distributor, "tree_path", tree_path)
    set_committed_value(distributor, "tree_depth", tree_depth)
    placement = PlacementPublic(
        distributor_id=distributor.id,
        sponsor_id=sponsor_id,
        parent_id=parent_id,
        position=position,
        strategy=strategy,
        chain_status=ChainStatus.pending,
        block_number=None,
        tx_hash=None,
        placed_at=now,
        confirmed_at=None,
    )
    connection.execute(_INSERT_PLACEMENT, {**placement.model_dump(), "seq": slot.next_seq()})
    slot.record(node_id=distributor.id, parent_id=parent_id, position=position)
    chain_jobs.enqueue_now(
        session,
        chain_jobs.PlaceJob(
            id=distributor.id, sponsor=sponsor_id, parent=parent_id, position=position
        ),
    )
    return placement


_DISTRIBUTOR = Distributor.metadata.tables["distributor"]
_PARENT_PATH = sa.select(_DISTRIBUTOR.c.tree_path, _DISTRIBUTOR.c.tree_depth).where(
    _DISTRIBUTOR.c.id == sa.bindparam("parent_id")
)
_SET_PATH = (
    _DISTRIBUTOR.update()
    .where(_DISTRIBUTOR.c.id == sa.bindparam("target_id"))
    .values(tree_path=sa.bindparam("tree_path"), tree_depth=sa.bindparam("tree_depth"))
)
_INSERT_PLACEMENT = Placement.metadata.tables["placement"].insert()


def check_unique_contacts(
    session: Session, *, email: str | None, wallet: str | None, login: str | None
) -> None:
    if (
        wallet is not None
        and session.exec(select(Distributor.id).where(Distributor.wallet == wallet)).first()
        is not None
    ):
        raise Conflict("this wallet belongs to another distributor")
    if (
        login is not None
        and email is not None
        and session.exec(select(User.id).where(User.email == email)).first() is not None
    ):
        raise Conflict("an account with this email exists")


def get_distributor(
    session: Session, distributor_id: int, *, what: str = "distributor"
) -> Distributor:
    distributor = session.get(Distributor, distributor_id)
    if distributor is None:
        raise NotFound(f"{what} {distributor_id} not found")
    return distributor
