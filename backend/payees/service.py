"""Recording and reading payout profiles (see `backend.payees.models`).

Who may: a distributor their own profile only (not their downline's: these are personal and
bank data), staff (admin, finance; the auditor reads) anyone's; the role table
(`backend.api.policy`, `backend.web.policy`) says which role may call what.

A refusal is an `Invalid` (422, the details alone are wrong) or a `Conflict` (409, the details
clash with the stored record: the token rail without a registered wallet), both with
``details={"fields": [{"field", "code", "message"}, ...]}`` so a form puts each message next to
its field; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.db import begin_write
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import Role
from backend.genealogy.access import own_distributor
from backend.genealogy.models import Distributor
from backend.payees.checks import FieldError, check, check_rail, normalized
from backend.payees.models import PayeeDetails, PayeeProfile, PayoutRail
from backend.training import service as training
from backend.training.models import Task


def _errors(errors: list[FieldError]) -> dict[str, object]:
    return {"fields": [{"field": e.field, "code": e.code, "message": e.message} for e in errors]}


def ensure_own_or_staff(session: Session, actor: User, distributor_id: int) -> Distributor:
    """The distributor whose profile is asked for: a distributor account may ask only for its
    own; staff for anyone's (their roles are the policy tables' business)."""
    if actor.role == Role.distributor:
        me = own_distributor(session, actor)
        if me.id != distributor_id:
            raise Forbidden(
                "a distributor sees and changes only their own payout profile",
                code="out_of_scope",
            )
        return me
    target = session.get(Distributor, distributor_id)
    if target is None:
        raise NotFound(f"distributor {distributor_id} not found")
    return target


def record(
    session: Session, distributor_id: int, fields: PayeeDetails, *, actor: User, now: datetime
) -> PayeeProfile:
    """Append a checked profile and commit; a refusal writes nothing. Recording the bank rail
    is the training task `payout_set_up` done (as registering a wallet is)."""
    ensure_own_or_staff(session, actor, distributor_id)
    details = normalized(fields)
    problems = check(details)
    if problems:
        raise Invalid(
            "; ".join(p.message for p in problems), code="payee_invalid", details=_errors(problems)
        )
    # One writer per distributor from here: their row locked (SQLite: the write lock), so the
    # rows' order is the order they were recorded in and `effective_at` never goes back.
    begin_write(session)
    distributor = session.exec(
        select(Distributor)
        .where(col(Distributor.id) == distributor_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    refused = check_rail(details.rail, wallet=distributor.wallet)
    if refused is not None:
        raise Conflict(refused.message, code=refused.code, details=_errors([refused]))
    last = current(session, distributor_id)
    # `now` was read when the request began; a request that began earlier but waited for the
    # lock must not be dated before the row it follows.
    effective_at = max(now, last.effective_at) if last is not None else now
    row = PayeeProfile(
        distributor_id=distributor_id,
        tax_status=details.tax_status.value,
        rail=details.rail.value,
        inn=details.inn,
        bank_account=details.bank_account,
        bik=details.bik,
        corr_account=details.corr_account,
        bank_name=details.bank_name,
        effective_at=effective_at,
        created_by=actor.id,
    )
    session.add(row)
    if details.rail == PayoutRail.bank:
        training.record_fact(session, distributor_id, Task.payout_set_up, now=now)
    session.commit()
    session.refresh(row)
    return row


def current(session: Session, distributor_id: int) -> PayeeProfile | None:
    """The distributor's latest profile (the one in force from now on), if any."""
    query = (
        select(PayeeProfile)
        .where(col(PayeeProfile.distributor_id) == distributor_id)
        .order_by(col(PayeeProfile.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def history(session: Session, distributor_id: int) -> list[PayeeProfile]:
    """Every profile the distributor has had, newest first."""
    query = (
        select(PayeeProfile)
        .where(col(PayeeProfile.distributor_id) == distributor_id)
        .order_by(col(PayeeProfile.id).desc())
    )
    return list(session.exec(query))


def in_force(
    session: Session, at: datetime, *, distributor_ids: Collection[int] | None = None
) -> dict[int, PayeeProfile]:
    """Each distributor's profile in force at ``at`` (the latest row effective by then), by
    distributor id; a distributor with none is absent."""
    filters = [col(PayeeProfile.effective_at) <= at]
    if distributor_ids is not None:
        filters.append(col(PayeeProfile.distributor_id).in_(list(distributor_ids)))
    ids = (
        select(
            col(PayeeProfile.distributor_id).label("did"),
            func.max(PayeeProfile.id).label("last_id"),
        )
        .where(*filters)
        .group_by(col(PayeeProfile.distributor_id))
        .subquery()
    )
    rows = session.exec(select(PayeeProfile).join(ids, col(PayeeProfile.id) == ids.c.last_id))
    return {row.distributor_id: row for row in rows}
