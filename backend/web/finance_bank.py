"""The finance office's bank transfers of a period: download the payment file of its open bank
lines, upload the bank's statement back; what was matched, what waits for a person, and the
attestations on chain are shown on the period's page (`_finance_bank.html`).

Both call the service the JSON API calls (`backend.bank_payouts`); a refusal comes back as the
period's page with the reason next to the button that was pressed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from backend.bank_payouts import service as bank_payouts
from backend.bank_payouts.service import MAX_STATEMENT_BYTES
from backend.core.db import SessionDep
from backend.core.errors import AppError, Invalid
from backend.web.deps import NowDep, SettingsDep
from backend.web.finance import CsrfChecked, PayoutReadsDep, refused_period_page
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id

#: What a refusal of the bank steps means; the service's own message (naming the line of the
#: file, or the missing details) follows it.
BANK_REFUSALS = {
    "period_state": N_("Bank lines are paid once the period's payout root is anchored."),
    "requisites_missing": N_(
        "The company's details a payment order needs are missing: an administrator sets them "
        "on the company details page."
    ),
    "no_bank_lines": N_("Every bank line of this period has a matched payment: no file to make."),
    "payee_missing": N_("A partner paid by bank has no payout profile for this period."),
    "orders_invalid": N_("A partner's bank details do not make a valid payment order."),
    "not_encodable": N_("A name cannot be written in Windows-1251, the bank file's encoding."),
    "no_file": N_("Choose the bank's statement file first."),
    "bank_file": N_("This file is not a bank statement in the 1C client-bank exchange format."),
    "encoding": N_("The file is not in the encoding it declares (Windows-1251 is expected)."),
    "amount": N_("The statement holds an amount that is not written like 1234.56."),
    "missing_key": N_("The statement lacks a field every statement has."),
    "truncated": N_("The statement file is cut short."),
    "statement_too_large": N_("The file is too large for a statement."),
    "statement_race": N_("Another statement was being matched at the same moment: upload again."),
}


def bank_file(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    open_reads: PayoutReadsDep,
    period_id: int,
) -> Response:
    check_id(period_id, "period")
    try:
        filename, data = bank_payouts.payment_file(session, period_id, now=now)
    except AppError as refused:
        return refused_period_page(
            request,
            session,
            settings,
            user,
            open_reads,
            period_id,
            "bank_file",
            refused,
            leads=BANK_REFUSALS,
        )
    return Response(
        content=data,
        media_type="text/plain; charset=windows-1251",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def bank_statement(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    open_reads: PayoutReadsDep,
    period_id: int,
    statement: Annotated[UploadFile | None, File()] = None,
) -> Response:
    check_id(period_id, "period")
    try:
        data = statement.file.read(MAX_STATEMENT_BYTES + 1) if statement is not None else b""
        if not data:
            raise Invalid("no file was chosen", code="no_file")
        bank_payouts.upload_statement(
            session,
            settings,
            period_id,
            data,
            filename=statement.filename if statement is not None else None,
            actor=user,
            now=now,
        )
    except AppError as refused:
        return refused_period_page(
            request,
            session,
            settings,
            user,
            open_reads,
            period_id,
            "bank_statement",
            refused,
            leads=BANK_REFUSALS,
        )
    return RedirectResponse(f"/finance/periods/{period_id}#bank", status_code=303)


def add_finance_bank_pages(router: APIRouter) -> None:
    router.add_api_route("/finance/periods/{period_id}/bank-file", bank_file, methods=["GET"])
    router.add_api_route(
        "/finance/periods/{period_id}/bank-statement",
        bank_statement,
        methods=["POST"],
        dependencies=CsrfChecked,
    )
