"""Enrollment and placement.

Every placement writes, in one transaction: the `placement` row (chain status pending), the
distributor's materialised path, and a `place` intent in the outbox for the chain writer.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import ChainStatus, DistributorStatus, Role
from backend.core.security import hash_password
from backend.genealogy import enrollment_requests
from backend.genealogy.access import can_see, is_distributor, own_distributor
from backend.genealogy.models import (
    Distributor,
    DistributorCreate,
    EnrollmentRequest,
    GenealogyState,
    HoldingTankEntry,
    Placement,
    PlacementPublic,
)
from backend.genealogy.tree_cache import PlacementSlot, PlacementTreeCache, Spot
from backend.genealogy.tree_path import child_path, segment
from backend.genealogy.wallets import check_payable
from backend.services import outbox
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


class Enrollment(NamedTuple):
    distributor: Distributor
    placement: PlacementPublic | None  # None while the distributor waits in a holding tank
    created: bool = True  # False: a retry with the same Idempotency-Key, the first result


def enroll(
    session: Session,
    data: DistributorCreate,
    *,
    actor: User,
    settings: Settings,
    trees: PlacementTreeCache,
    now: datetime,
) -> Distributor:
    return enroll_one(session, data, actor=actor, settings=settings, trees=trees, now=now)[0]


def enroll_one(
    session: Session,
    data: DistributorCreate,
    *,
    actor: User,
    settings: Settings,
    trees: PlacementTreeCache,
    now: datetime,
    idempotency_key: str | None = None,
) -> Enrollment:
    """Enroll one distributor; returns the placement row too, so the caller can answer
    without reading it back. With an `idempotency_key` already used by this account for the
    same person, the first enrollment comes back and nothing is written."""
    digest = None
    if idempotency_key is not None:
        digest = enrollment_requests.request_hash([data], batch=False)
        done = enrollment_requests.earlier(session, actor, idempotency_key, digest)
        if done is not None:
            return _replayed(session, done)
    try:
        sponsor_id, to_tank = _check_admission(session, data, actor=actor, settings=settings)
        # Hashed before any lock is taken: argon2 takes tens of milliseconds.
        hashed_password = _login_hash(data)
        if to_tank:
            claimed = _claim(session, actor, idempotency_key, digest, now=now)
            distributor = _write_admission(
                session, data, sponsor_id, to_tank, hashed_password, settings=settings, now=now
            )
            _record(session, claimed, [distributor])
            session.commit()
            return Enrollment(distributor, None)
        # Only the writes are serialised across requests; the reads that validate stay
        # outside. The lock comes before the first write: SQLite has one writer at a time, so
        # concurrent enrollments queue on this lock instead of sleeping in SQLite's busy
        # handler, and every placement path takes the placement lock first, then the
        # database's write lock.
        with trees.locked(session) as slot:
            claimed = _claim(session, actor, idempotency_key, digest, now=now)
            distributor = _write_admission(
                session, data, sponsor_id, to_tank, hashed_password, settings=settings, now=now
            )
            placement = _auto_place(
                session, slot, distributor, sponsor_id, settings, leg=data.leg, now=now
            )
            _record(session, claimed, [distributor])
            session.commit()
    except (IntegrityError, AppError):
        # A twin with the same key may have committed since the check above: then its
        # e-mail or wallet is taken, or the key's row is, and its result is the answer.
        done = _after_a_twin(session, actor, idempotency_key, digest)
        if done is None:
            raise
        return _replayed(session, done)
    return Enrollment(distributor, placement)


def enroll_many(
    session: Session,
    items: list[DistributorCreate],
    *,
    actor: User,
    settings: Settings,
    trees: PlacementTreeCache,
    now: datetime,
) -> list[Distributor]:
    """Enroll a list in one transaction, in order: all of them or none (imports, bulk sign-up
    days). An error names the item by its index."""
    return enroll_batch(session, items, actor=actor, settings=settings, trees=trees, now=now)[0]


def enroll_batch(
    session: Session,
    items: list[DistributorCreate],
    *,
    actor: User,
    settings: Settings,
    trees: PlacementTreeCache,
    now: datetime,
    idempotency_key: str | None = None,
) -> tuple[list[Distributor], bool]:
    """`enroll_many` with an optional `Idempotency-Key`: the distributors, and whether they
    were enrolled now (False: a retry of the same batch, answered with the first result)."""
    digest = None
    if idempotency_key is not None:
        digest = enrollment_requests.request_hash(items, batch=True)
        done = enrollment_requests.earlier(session, actor, idempotency_key, digest)
        if done is not None:
            return _distributors(session, done), False
    enrolled: list[Distributor] = []
    try:
        with trees.locked(session) as slot:
            claimed = _claim(session, actor, idempotency_key, digest, now=now)
            for index, data in enumerate(items):
                try:
                    distributor, sponsor_id, to_tank = _admit(
                        session, data, actor=actor, settings=settings, now=now
                    )
                    if not to_tank:
                        _auto_place(
                            session, slot, distributor, sponsor_id, settings, leg=data.leg, now=now
                        )
                except AppError as exc:
                    exc.message = f"item {index}: {exc.message}"
                    exc.details = {"index": index, "details": exc.details}
                    raise
                enrolled.append(distributor)
            _record(session, claimed, enrolled)
            session.commit()
    except (IntegrityError, AppError):
        done = _after_a_twin(session, actor, idempotency_key, digest)
        if done is None:
            raise
        return _distributors(session, done), False
    return enrolled, True


def _claim(
    session: Session, actor: User, key: str | None, digest: str | None, *, now: datetime
) -> EnrollmentRequest | None:
    if key is None or digest is None:
        return None
    return enrollment_requests.claim(session, actor, key, digest, now=now)


def _record(
    session: Session, claimed: EnrollmentRequest | None, enrolled: list[Distributor]
) -> None:
    if claimed is not None:
        enrollment_requests.record(session, claimed, [d.id for d in enrolled if d.id is not None])


def _after_a_twin(
    session: Session, actor: User, key: str | None, digest: str | None
) -> list[int] | None:
    """After a refusal: the ids a concurrent request with the same key enrolled meanwhile,
    if there is one (else None, and the caller re-raises)."""
    session.rollback()
    if key is None or digest is None:
        return None
    return enrollment_requests.earlier(session, actor, key, digest)


def _replayed(session: Session, ids: list[int]) -> Enrollment:
    distributor = get_distributor(session, ids[0])
    placement = session.get(Placement, ids[0])
    return Enrollment(
        distributor, PlacementPublic.model_validate(placement) if placement else None, False
    )


def _distributors(session: Session, ids: list[int]) -> list[Distributor]:
    found = {d.id: d for d in session.exec(select(Distributor).where(col(Distributor.id).in_(ids)))}
    return [found[i] for i in ids]


def _admit(
    session: Session, data: DistributorCreate, *, actor: User, settings: Settings, now: datetime
) -> tuple[Distributor, int, bool]:
    """Validate, then write the distributor (and login, and tank entry): everything but the
    placement. Returns the distributor, the sponsor's id and whether they wait in the tank."""
    sponsor_id, to_tank = _check_admission(session, data, actor=actor, settings=settings)
    distributor = _write_admission(
        session, data, sponsor_id, to_tank, _login_hash(data), settings=settings, now=now
    )
    return distributor, sponsor_id, to_tank


def _check_admission(
    session: Session, data: DistributorCreate, *, actor: User, settings: Settings
) -> tuple[int, bool]:
    """The reads and checks of an enrollment, no writes: the sponsor's id and whether the
    new distributor waits in the holding tank."""
    sponsor = _resolve_sponsor(session, data, actor=actor, settings=settings)
    to_tank = data.holding_tank if data.holding_tank is not None else settings.holding_tank_days > 0
    if to_tank and settings.holding_tank_days == 0:
        raise Invalid("the holding tank is disabled (holding_tank_days = 0)")
    if to_tank and data.leg is not None:
        raise Invalid("leg applies to automatic placement, not to the holding tank")
    if data.password is not None and data.email is None:
        raise Invalid("a login (password) needs an email")
    check_payable(data.wallet, settings)
    check_unique_contacts(session, email=data.email, wallet=data.wallet, login=data.password)
    assert sponsor.id is not None
    return sponsor.id, to_tank


def _login_hash(data: DistributorCreate) -> str | None:
    if data.password is None or data.email is None:
        return None
    return hash_password(data.password)


def _write_admission(
    session: Session,
    data: DistributorCreate,
    sponsor_id: int,
    to_tank: bool,
    hashed_password: str | None,
    *,
    settings: Settings,
    now: datetime,
) -> Distributor:
    """The distributor row (flushed, so it has its id), their login and their tank entry."""
    distributor = Distributor(
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        phone=data.phone,
        country=data.country,
        wallet=data.wallet,
        sponsor_id=sponsor_id,
        referral_code=new_referral_code(),
        search_name=search_text(data.first_name, data.last_name, data.email),
        enrolled_at=now,
        status_changed_at=now,
    )
    session.add(distributor)
    session.flush()
    assert distributor.id is not None
    if hashed_password is not None and data.email is not None:
        session.add(
            User(
                email=data.email,
                full_name=f"{data.first_name} {data.last_name}",
                role=Role.distributor,
                hashed_password=hashed_password,
                distributor_id=distributor.id,
            )
        )
    if to_tank:
        session.add(
            HoldingTankEntry(
                distributor_id=distributor.id,
                sponsor_id=sponsor_id,
                entered_at=now,
                expires_at=now + timedelta(days=settings.holding_tank_days),
            )
        )
    return distributor


def _auto_place(
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
        spot = locate(slot.tree, sponsor_id, settings, leg=leg)
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


def locate(tree: PlacementTree, sponsor_id: int, settings: Settings, *, leg: int | None) -> Spot:
    if settings.placement_strategy == "weaker-leg":
        # Leg volumes belong to the period engine (issue 5); until a period feeds them in,
        # every leg weighs the same and weaker-leg takes the leftmost.
        return tree.locate(
            enroller_id=sponsor_id, strategy=settings.placement_strategy, leg_volumes={}
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
    intent, written with prepared Core statements rather than the unit of work: this is the
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
    outbox.enqueue_now(
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


def _resolve_sponsor(
    session: Session, data: DistributorCreate, *, actor: User | None, settings: Settings
) -> Distributor:
    if data.sponsor_id is not None and data.referral_code is not None:
        raise Invalid("give sponsor_id or referral_code, not both")
    if data.referral_code is not None:
        found = session.exec(
            select(Distributor).where(Distributor.referral_code == data.referral_code.upper())
        ).first()
        if found is None:
            raise NotFound(f"no distributor has referral code {data.referral_code!r}")
        sponsor = found
    else:
        sponsor_id = data.sponsor_id
        if sponsor_id is None:
            sponsor_id = (
                own_distributor(session, actor).id
                if actor is not None and is_distributor(actor)
                else settings.default_sponsor_id
            )
        assert sponsor_id is not None
        sponsor = get_distributor(session, sponsor_id, what="sponsor")
    if actor is not None and not can_see(session, actor, sponsor):
        raise Forbidden(
            "distributors enroll under themselves or their downline", code="out_of_scope"
        )
    if sponsor.status == DistributorStatus.terminated:
        raise Conflict(f"sponsor {sponsor.id} is terminated")
    if sponsor.tree_path is None:
        raise Conflict(f"sponsor {sponsor.id} is still in a holding tank")
    return sponsor


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
