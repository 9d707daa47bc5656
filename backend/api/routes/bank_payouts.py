"""A period's bank lines: the payment file for the company's bank, the bank's statement
uploaded back, and what was matched, what waits for a person and what is attested on chain."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from backend.api.deps import Authorized, CurrentUser, IdPath, NowDep, SettingsDep
from backend.bank_payouts import service as bank_payouts
from backend.bank_payouts.models import BankPaymentsPublic, StatementUploadPublic
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES

router = APIRouter(tags=["periods"], dependencies=[Authorized], responses=ERROR_RESPONSES)

BANK_FILE_TYPE = "text/plain; charset=windows-1251"


def attachment(filename: str) -> str:
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


@router.get(
    "/api/periods/{period_id}/bank-file",
    summary="The payment file (1C client-bank exchange, Windows-1251) of the open bank lines",
    response_class=Response,
    responses={200: {"content": {BANK_FILE_TYPE: {}}, "description": "The file."}},
)
def bank_file(session: SessionDep, now: NowDep, period_id: IdPath) -> Response:
    """One payment order per bank line no payment has matched yet, with the company's details
    as payer. 409 with the list of the company's missing details, or when no line is open."""
    filename, data = bank_payouts.payment_file(session, period_id, now=now)
    return Response(
        content=data,
        media_type=BANK_FILE_TYPE,
        headers={"Content-Disposition": attachment(filename)},
    )


async def statement_body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/api/periods/{period_id}/bank-statement",
    response_model=StatementUploadPublic,
    summary="Upload the bank's statement: match its payments, attest the matched lines on chain",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The statement file exactly as the bank gives it.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def bank_statement(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    now: NowDep,
    period_id: IdPath,
    data: Annotated[bytes, Depends(statement_body)],
) -> StatementUploadPublic:
    """The body is the file. A file that is not a statement (malformed, another encoding than
    it declares) is refused with the line at fault (422) and nothing is stored; the same file
    again answers its first upload with `new` false and attests nothing new."""
    return bank_payouts.upload_statement(
        session, settings, period_id, data, filename=None, actor=user, now=now
    )


@router.get(
    "/api/periods/{period_id}/bank-payments",
    response_model=BankPaymentsPublic,
    summary="The period's bank lines, the statements' payments, the attestations",
)
def bank_payments(session: SessionDep, period_id: IdPath) -> BankPaymentsPublic:
    return bank_payouts.payments_public(session, period_id)
