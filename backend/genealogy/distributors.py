"""Distributor records: contact data, statuses and their history (nobody is ever deleted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts import service as users
from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.errors import Conflict, Invalid
from backend.core.model_base import DistributorStatus, now_utc
from backend.genealogy.access import ensure_self, is_distributor, own_distributor
from backend.genealogy.models import (
    Distributor,
    DistributorUpdate,
    StatusChange,
    StatusChangeRecord,
)
from backend.genealogy.regions import check_region
from backend.genealogy.service import check_unique_contacts, get_distributor, search_text
from backend.genealogy.wallets import check_payable
from backend.training import service as training
from backend.training.models import Task


def update_distributor(
    session: Session,
    distributor_id: int,
    data: DistributorUpdate,
    *,
    actor: User,
    settings: Settings,
    now: datetime | None = None,
) -> Distributor:
    distributor = ensure_self(session, actor, distributor_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("first_name", "last_name"):
        if field in changes and changes[field] is None:
            raise Invalid(f"{field} cannot be removed")
    if changes.get("email") and changes["email"] != distributor.email:
        check_unique_contacts(session, email=changes["email"], wallet=None, login=None)
    if changes.get("wallet") and changes["wallet"] != distributor.wallet:
        check_payable(changes["wallet"], settings)
        check_unique_contacts(session, email=None, wallet=changes["wallet"], login=None)
    check_region(
        changes.get("region", distributor.region), changes.get("country", distributor.country)
    )
    distributor.sqlmodel_update(changes)
    distributor.search_name = search_text(
        distributor.first_name, distributor.last_name, distributor.email
    )
    session.add(distributor)
    if distributor.wallet is not None and distributor.id is not None:
        training.record_fact(session, distributor.id, Task.payout_set_up, now=now or now_utc())
    session.commit()
    return distributor


def change_status(
    session: Session, distributor_id: int, data: StatusChange, *, actor: User, now: datetime
) -> Distributor:
    distributor = get_distributor(session, distributor_id)
    if distributor.status == DistributorStatus.terminated:
        raise Conflict("a terminated distributor stays terminated")
    if distributor.sponsor_id is None:
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
    if data.status == DistributorStatus.terminated:
        # Their login closes with the record: live tokens die here, new logins are refused.
        users.end_sessions(session, distributor_id=distributor.id)
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
