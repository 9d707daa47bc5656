"""Auditors: reconcile the database with the chain (placements, anchors, payouts)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from backend.api.deps import AuditReaderDep, Authorized
from backend.audit.reconcile import reconcile
from backend.audit.report import AuditInputError
from backend.core.db import SessionDep
from backend.core.errors import CHAIN_RESPONSES, ERROR_RESPONSES, Unavailable
from backend.core.types import MAX_ID

router = APIRouter(tags=["audit"], dependencies=[Authorized], responses=ERROR_RESPONSES)


class FindingPublic(BaseModel):
    check: str = Field(description="`placements`, `anchors` or `payouts`.")
    kind: str = Field(description="`mismatch`, `missing_on_chain`, `not_in_database`, ...")
    subject: str = Field(description="`distributor 42`, `period 3`, `period 3 index 7`.")
    field: str = Field(description="What differs (`parent`, `payoutRoot`, ...), if one field.")
    expected: str = Field(description="What the chain holds.")
    found: str = Field(description="What the database holds.")
    note: str


class PaidLinePublic(BaseModel):
    period_id: int
    index: int = Field(description="The line's index in the period's payout table.")
    rail: Literal["token", "claim", "bank"] = Field(
        description="How the line was paid: the vault pushed the token (`BatchPaid`), the "
        "distributor claimed it (`Paid`), or the company paid it by bank transfer and attested "
        "it (`BatchAttested`)."
    )
    tx_hash: str = Field(description="The paying (or attesting) transaction.")
    block: int
    ref: str | None = Field(
        description="A bank line's payment reference: keccak256 of the company's salt and the "
        "bank document (null for token lines)."
    )
    distributor_id: int | None = Field(description="The database's payee of the line (null: none).")
    amount: int | None = Field(description="The line's amount in minor units (the database's).")


class ReconciliationPublic(BaseModel):
    ok: bool = Field(description="True when the database and the chain agree on everything.")
    checks: dict[str, int] = Field(description="Findings per check.")
    facts: dict[str, Any] = Field(
        description="What was compared (counts, chain id; per period the paid lines by rail)."
    )
    findings: list[FindingPublic]
    paid: list[PaidLinePublic] = Field(
        description="Every line the vault paid or attested, in chain order, with its rail."
    )


@router.get(
    "/api/audit/reconciliation",
    response_model=ReconciliationPublic,
    summary="Every divergence between the database and the chain",
    responses=CHAIN_RESPONSES,
)
def reconciliation(
    session: SessionDep,
    open_reader: AuditReaderDep,
    period_id: Annotated[
        int | None, Query(gt=0, le=MAX_ID, description="Only this period's anchor and payouts.")
    ] = None,
) -> ReconciliationPublic:
    try:
        report = reconcile(session, open_reader(), period_id)
    except AuditInputError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Unavailable(f"the chain cannot be read: {message}", code="chain_unavailable") from exc
    return ReconciliationPublic.model_validate(report.as_json())
