"""Auditors: reconcile the database with the chain (placements, anchors, payouts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from backend.api.deps import AuditReaderDep, Authorized
from backend.audit.package_audit import AuditInputError
from backend.audit.reconcile import reconcile
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


class ReconciliationPublic(BaseModel):
    ok: bool = Field(description="True when the database and the chain agree on everything.")
    checks: dict[str, int] = Field(description="Findings per check.")
    facts: dict[str, Any] = Field(description="What was compared (counts, chain id).")
    findings: list[FindingPublic]


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
