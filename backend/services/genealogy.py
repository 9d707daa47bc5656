"""Enrollment, placement and the holding tank; statuses (nobody is ever deleted).

Every placement writes, in one transaction: the `placement` row (chain status pending), the
distributor's materialised path, and a `place` intent in the outbox for the chain writer.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.security import hash_password
from backend.models import (
    ChainStatus,
    Distributor,
    DistributorStatus,
    GenealogyState,
    HoldingTankEntry,
    Placement,
    Role,
    StatusChangeRecord,
    User,
)
from backend.models.distributor import DistributorCreate, DistributorUpdate, StatusChange
from backend.services import outbox
from backend.services.access import can_see, ensure_self, is_distributor, own_distributor
from backend.services.placement import PlacementSlot, PlacementTreeCache, Spot
from backend.services.tree_path import child_path, segment
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
    outbox.enqueue(
        session,
        kind=outbox.PLACE,
        payload={"id": root.id, "sponsor": 0, "parent": 0, "position": 0},
        subject_id=root.id,
    )
    return root


def enroll(
    session: Session,
    data: DistributorCreate,
    *,
    actor: User,
    settings: Settings,
    trees: PlacementTreeCache,
    now: datetime,
) -> Distributor:
    enroller = _resolve_enroller(session, data, actor=actor, settings=settings)
    to_tank = data.holding_tank if data.holding_tank is not None else settings.holding_tank_days > 0
    if to_tank and settings.holding_tank_days == 0:
        raise Invalid("the holding tank is disabled (holding_tank_days = 0)")
    if to_tank and data.leg is not None:
        raise Invalid("leg applies to automatic placement, not to the holding tank")
    if data.password is not None and data.email is None:
        raise Invalid("a login (password) needs an email")
    _check_unique_contacts(session, email=data.email, wallet=data.wallet, login=data.password)

    distributor = Distributor(
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        phone=data.phone,
        country=data.country,
        wallet=data.wallet,
        enroller_id=enroller.id,
        referral_code=new_referral_code(),
        search_name=search_text(data.first_name, data.last_name, data.email),
        enrolled_at=now,
        status_changed_at=now,
    )
    session.add(distributor)
    session.flush()
    assert distributor.id is not None and enroller.id is not None
    if data.password is not None and data.email is not None:
        session.add(
            User(
                email=data.email,
                full_name=f"{data.first_name} {data.last_name}",
                role=Role.distributor,
                hashed_password=hash_password(data.password),
                distributor_id=distributor.id,
            )
        )

    if to_tank:
        session.add(
            HoldingTankEntry(
                distributor_id=distributor.id,
                enroller_id=enroller.id,
                entered_at=now,
                expires_at=now + timedelta(days=settings.holding_tank_days),
            )
        )
        session.commit()
        return distributor

    with trees.locked(session) as slot:
        try:
            spot = _locate(slot.tree, enroller.id, settings, leg=data.leg)
        except PlacementError as exc:
            raise Conflict(str(exc), code="placement_refused") from exc
        _write_placement(
            session,
            slot,
            distributor,
            enroller.id,
            spot.parent_id,
            spot.position,
            strategy=settings.placement_strategy,
            now=now,
        )
        session.commit()
    return distributor


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
    """The enroller's manual choice for someone in their holding tank."""
    entry = _tank_entry(session, distributor_id)
    if is_distributor(actor) and actor.distributor_id != entry.enroller_id:
        raise Forbidden("only the enroller places from their holding tank", code="out_of_scope")
    if now >= entry.expires_at:
        raise Conflict("the hold has ended; the default strategy places this distributor")
    distributor = _get(session, distributor_id)
    with trees.locked(session) as slot:
        try:
            slot.tree.check_manual(
                enroller_id=entry.enroller_id, parent_id=parent_id, position=position
            )
        except PlacementError as exc:
            raise Conflict(str(exc), code="placement_refused") from exc
        _write_placement(
            session,
            slot,
            distributor,
            entry.enroller_id,
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
            distributor = _get(session, entry.distributor_id)
            try:
                spot = _locate(slot.tree, entry.enroller_id, settings, leg=None)
            except PlacementError as exc:
                raise Conflict(str(exc), code="placement_refused") from exc
            _write_placement(
                session,
                slot,
                distributor,
                entry.enroller_id,
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
        query = query.where(HoldingTankEntry.enroller_id == own_distributor(session, actor).id)
    return list(session.exec(query).all())


def update_distributor(
    session: Session, distributor_id: int, data: DistributorUpdate, *, actor: User
) -> Distributor:
    distributor = ensure_self(session, actor, distributor_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("first_name", "last_name"):
        if field in changes and changes[field] is None:
            raise Invalid(f"{field} cannot be removed")
    if changes.get("email") and changes["email"] != distributor.email:
        _check_unique_contacts(session, email=changes["email"], wallet=None, login=None)
    if changes.get("wallet") and changes["wallet"] != distributor.wallet:
        _check_unique_contacts(session, email=None, wallet=changes["wallet"], login=None)
    distributor.sqlmodel_update(changes)
    distributor.search_name = search_text(
        distributor.first_name, distributor.last_name, distributor.email
    )
    session.add(distributor)
    session.commit()
    return distributor


def change_status(
    session: Session, distributor_id: int, data: StatusChange, *, actor: User, now: datetime
) -> Distributor:
    distributor = _get(session, distributor_id)
    if distributor.status == DistributorStatus.terminated:
        raise Conflict("a terminated distributor stays terminated")
    if distributor.enroller_id is None:
        raise Conflict("the company root's status cannot change")
    if distributor.status == data.status:
        raise Conflict(f"distributor {distributor_id} is already {data.status}")
    assert distributor.id is not None
    session.add(
        StatusChangeRecord(
            distributor_id=distributor.id,
            old_status=distributor.status,
            new_status=data.status,
            reason=data.reason,
            changed_by=actor.id,
            at=now,
        )
    )
    distributor.status = data.status
    distributor.status_changed_at = now
    session.add(distributor)
    session.commit()
    return distributor


def status_history(session: Session, distributor_id: int) -> list[StatusChangeRecord]:
    query = (
        select(StatusChangeRecord)
        .where(StatusChangeRecord.distributor_id == distributor_id)
        .order_by(col(StatusChangeRecord.id))
    )
    return list(session.exec(query))


def list_distributors(
    session: Session,
    *,
    actor: User,
    q: str | None,
    status: DistributorStatus | None,
    offset: int,
    limit: int,
) -> tuple[list[Distributor], int]:
    query = select(Distributor)
    if is_distributor(actor):
        me = own_distributor(session, actor)
        query = query.where(col(Distributor.id) == me.id)
    if q:
        query = query.where(col(Distributor.search_name).contains(q.lower(), autoescape=True))
    if status is not None:
        query = query.where(Distributor.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(Distributor.id)).offset(offset).limit(limit)).all()
    return list(items), total


def _locate(tree: PlacementTree, enroller_id: int, settings: Settings, *, leg: int | None) -> Spot:
    if settings.placement_strategy == "weaker-leg":
        # Leg volumes belong to the period engine (issue 5); until a period feeds them in,
        # every leg weighs the same and weaker-leg takes the leftmost.
        return tree.locate(
            enroller_id=enroller_id, strategy=settings.placement_strategy, leg_volumes={}
        )
    return tree.locate(enroller_id=enroller_id, strategy=settings.placement_strategy, leg=leg)


def _write_placement(
    session: Session,
    slot: PlacementSlot,
    distributor: Distributor,
    sponsor_id: int,
    parent_id: int,
    position: int,
    *,
    strategy: str,
    now: datetime,
) -> None:
    parent = _get(session, parent_id)
    assert distributor.id is not None and parent.tree_path is not None
    distributor.tree_path = child_path(parent.tree_path, distributor.id)
    distributor.tree_depth = (parent.tree_depth or 0) + 1
    session.add(distributor)
    session.add(
        Placement(
            distributor_id=distributor.id,
            sponsor_id=sponsor_id,
            parent_id=parent_id,
            position=position,
            strategy=strategy,
            chain_status=ChainStatus.pending,
            placed_at=now,
            seq=slot.next_seq(),
        )
    )
    slot.record(node_id=distributor.id, parent_id=parent_id, position=position)
    outbox.enqueue(
        session,
        kind=outbox.PLACE,
        payload={
            "id": distributor.id,
            "sponsor": sponsor_id,
            "parent": parent_id,
            "position": position,
        },
        subject_id=distributor.id,
    )


def _resolve_enroller(
    session: Session, data: DistributorCreate, *, actor: User | None, settings: Settings
) -> Distributor:
    if data.enroller_id is not None and data.referral_code is not None:
        raise Invalid("give enroller_id or referral_code, not both")
    if data.referral_code is not None:
        found = session.exec(
            select(Distributor).where(Distributor.referral_code == data.referral_code.upper())
        ).first()
        if found is None:
            raise NotFound(f"no distributor has referral code {data.referral_code!r}")
        enroller = found
    else:
        enroller_id = data.enroller_id
        if enroller_id is None:
            enroller_id = (
                own_distributor(session, actor).id
                if actor is not None and is_distributor(actor)
                else settings.default_enroller_id
            )
        assert enroller_id is not None
        enroller = _get(session, enroller_id, what="enroller")
    if actor is not None and not can_see(session, actor, enroller):
        raise Forbidden(
            "distributors enroll under themselves or their downline", code="out_of_scope"
        )
    if enroller.status == DistributorStatus.terminated:
        raise Conflict(f"enroller {enroller.id} is terminated")
    if enroller.tree_path is None:
        raise Conflict(f"enroller {enroller.id} is still in a holding tank")
    return enroller


def _check_unique_contacts(
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


def _tank_entry(session: Session, distributor_id: int) -> HoldingTankEntry:
    entry = session.get(HoldingTankEntry, distributor_id)
    if entry is None or entry.placed_at is not None:
        raise NotFound(f"distributor {distributor_id} is not in a holding tank")
    return entry


def _get(session: Session, distributor_id: int, *, what: str = "distributor") -> Distributor:
    distributor = session.get(Distributor, distributor_id)
    if distributor is None:
        raise NotFound(f"{what} {distributor_id} not found")
    return distributor
