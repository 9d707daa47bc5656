"""Enrollment: admission checks, the distributor row, then the holding tank or a placement.

One enrollment, a list of them in one transaction, or an idempotent batch (`Idempotency-Key`);
placing is `backend.genealogy.service` (the placement row, the path and the place job).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import DistributorStatus, Role
from backend.core.security import hash_password
from backend.genealogy import enrollment_requests
from backend.genealogy.access import can_see, is_distributor, own_distributor
from backend.genealogy.models import (
    Distributor,
    DistributorCreate,
    EnrollmentRequest,
    HoldingTankEntry,
    Placement,
    PlacementPublic,
)
from backend.genealogy.service import (
    auto_place,
    check_unique_contacts,
    get_distributor,
    new_referral_code,
    search_text,
)
from backend.genealogy.tree_cache import PlacementTreeCache
from backend.genealogy.wallets import check_payable
from backend.training import service as training


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
            _train(session, [distributor], now=now)
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
            placement = auto_place(
                session, slot, distributor, sponsor_id, settings, leg=data.leg, now=now
            )
            _record(session, claimed, [distributor])
            _train(session, [distributor], now=now)
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
                        auto_place(
                            session, slot, distributor, sponsor_id, settings, leg=data.leg, now=now
                        )
                except AppError as exc:
                    exc.message = f"item {index}: {exc.message}"
                    exc.details = {"index": index, "details": exc.details}
                    raise
                enrolled.append(distributor)
            _record(session, claimed, enrolled)
            _train(session, enrolled, now=now)
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


def _train(session: Session, enrolled: list[Distributor], *, now: datetime) -> None:
    """Sign-up courses and business facts (a sponsor's first enrollment, a wallet given at
    sign-up) for the whole batch in a few statements, in the enrollment's transaction."""
    training.on_enrolled(session, enrolled, now=now)


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
        region=data.region,
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
