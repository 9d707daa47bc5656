"""A distributor's payout profile: tax status, payout rail and bank details (issue 16)."""

from fastapi import APIRouter
from sqlmodel import Session

from backend.api.deps import Authorized, CurrentUser, IdPath, NowDep
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.payees import service as payees
from backend.payees.models import PayeeDetails, PayeeProfilePublic, PayeePublic

router = APIRouter(tags=["payees"], dependencies=[Authorized], responses=ERROR_RESPONSES)


def _public(session: Session, distributor_id: int) -> PayeePublic:
    stored = payees.history(session, distributor_id)
    rows = [PayeeProfilePublic.model_validate(row) for row in stored]
    return PayeePublic(
        distributor_id=distributor_id, current=rows[0] if rows else None, history=rows
    )


@router.get(
    "/api/distributors/{distributor_id}/payee",
    response_model=PayeePublic,
    summary="The payout profile in force and every earlier one, newest first "
    "(a distributor: only their own)",
)
def read_payee(session: SessionDep, user: CurrentUser, distributor_id: IdPath) -> PayeePublic:
    payees.ensure_own_or_staff(session, user, distributor_id)
    return _public(session, distributor_id)


@router.put(
    "/api/distributors/{distributor_id}/payee",
    response_model=PayeePublic,
    summary="Record a new payout profile, in force from now (a distributor: only their own)",
    description="The INN, BIK and accounts are checked with the Russian check-digit rules; every "
    "problem comes back at once in `error.details.fields` (`field`, `code`, `message`): 422 when "
    "the details are wrong, 409 when they clash with the record (the token rail without a "
    "registered wallet). The previous profiles stay in the history.",
)
def put_payee(
    session: SessionDep,
    user: CurrentUser,
    distributor_id: IdPath,
    data: PayeeDetails,
    now: NowDep,
) -> PayeePublic:
    payees.record(session, distributor_id, data, actor=user, now=now)
    return _public(session, distributor_id)
