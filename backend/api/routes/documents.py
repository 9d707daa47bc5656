"""Partner documents (issue 17): finance issues an order's invoice and UPD, a partner's act of
services for an anchored period and a partner's reconciliation statement for a date range;
everyone reads the documents they may (a distributor their own), as data and as the stored
PDF."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.api.deps import (
    Authorized,
    CurrentUser,
    IdPath,
    Limit,
    NowDep,
    Offset,
    OptionalId,
    SettingsDep,
)
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.documents import service as documents
from backend.documents.models import (
    CorrectionRequest,
    Document,
    DocumentKind,
    DocumentPublic,
    DocumentsPublic,
    IssueRequest,
    ReconciliationRequest,
)

router = APIRouter(tags=["documents"], dependencies=[Authorized], responses=ERROR_RESPONSES)


def _public(document: Document) -> DocumentPublic:
    return DocumentPublic.model_validate(document)


def site_of(request: Request, public_url: str | None) -> str:
    """Where the QR code's statement link points: the configured public address, else the
    address this request came to."""
    return public_url or str(request.base_url)


@router.post(
    "/api/orders/{order_id}/invoice",
    response_model=DocumentPublic,
    summary="Issue the order's invoice for payment in a language (the stored one if issued)",
    description="409 `requisites_missing` with `details.missing` when the company's details "
    "lack what an invoice needs; 404 for an unknown order.",
)
def issue_invoice(
    session: SessionDep, user: CurrentUser, order_id: IdPath, data: IssueRequest, now: NowDep
) -> DocumentPublic:
    document = documents.issue_invoice(
        session, order_id, language=data.language, actor=user, now=now
    )
    return _public(document)


@router.post(
    "/api/orders/{order_id}/upd",
    response_model=DocumentPublic,
    summary="Issue the UPD of a shipped order in a language (the stored one if issued); in "
    "English it is the commercial invoice and delivery note",
    description="Status 1 (VAT invoice and transfer document) when the company's `vat_payer` "
    "detail is yes, 2 otherwise. 409 `order_state` before the order ships or when it is "
    "cancelled, `warehouse_address_missing` when its warehouse has no address, "
    "`requisites_missing` with `details.missing`; 404 for an unknown order.",
)
def issue_upd(
    session: SessionDep, user: CurrentUser, order_id: IdPath, data: IssueRequest, now: NowDep
) -> DocumentPublic:
    document = documents.issue_upd(session, order_id, language=data.language, actor=user, now=now)
    return _public(document)


@router.post(
    "/api/periods/{period_id}/acts/{distributor_id}",
    response_model=DocumentPublic,
    summary="Issue a partner's act of services for an anchored period (the stored one if issued)",
    description="409 `period_state` before the period is anchored, `tax_status_unknown` when "
    "the partner had no tax status at its end, `requisites_missing` with `details.missing`.",
)
def issue_act(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    period_id: IdPath,
    distributor_id: IdPath,
    data: IssueRequest,
    now: NowDep,
) -> DocumentPublic:
    document = documents.issue_act(
        session,
        period_id,
        distributor_id,
        language=data.language,
        actor=user,
        now=now,
        site=site_of(request, settings.public_url),
    )
    return _public(document)


@router.post(
    "/api/distributors/{distributor_id}/reconciliation",
    response_model=DocumentPublic,
    summary="Issue a partner's reconciliation statement for a range in one currency (the "
    "stored one if issued)",
    description="422 `range_reversed`, `range_future`, `range_too_long` (`details.field` names "
    "the field); 404 for an unknown partner; 409 `currency_unused` (`details.currencies` lists "
    "the partner's) or `requisites_missing`.",
)
def issue_reconciliation(
    session: SessionDep,
    user: CurrentUser,
    distributor_id: IdPath,
    data: ReconciliationRequest,
    now: NowDep,
) -> DocumentPublic:
    document = documents.issue_reconciliation(
        session,
        distributor_id,
        currency=data.currency,
        start=data.start,
        end=data.end,
        language=data.language,
        actor=user,
        now=now,
    )
    return _public(document)


@router.post(
    "/api/documents/{document_id}/correction",
    response_model=DocumentPublic,
    summary="Issue a corrective document: the data as it stands now, a new number, "
    "`corrects_id` = the original",
    description="409 `nothing_to_correct` when the latest revision already says the same.",
)
def correct(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    document_id: IdPath,
    data: CorrectionRequest,
    now: NowDep,
) -> DocumentPublic:
    document = documents.correct(
        session,
        document_id,
        reason=data.reason,
        actor=user,
        now=now,
        site=site_of(request, settings.public_url),
    )
    return _public(document)


@router.get(
    "/api/documents",
    response_model=DocumentsPublic,
    summary="Documents, newest first, by partner, period and kind (a distributor: their own)",
)
def list_documents(
    session: SessionDep,
    user: CurrentUser,
    distributor_id: OptionalId = None,
    period_id: OptionalId = None,
    kind: DocumentKind | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> DocumentsPublic:
    rows, count = documents.listing(
        session,
        actor=user,
        distributor_id=distributor_id,
        period_id=period_id,
        kind=kind,
        offset=offset,
        limit=limit,
    )
    return DocumentsPublic(items=[_public(row) for row in rows], count=count)


@router.get("/api/documents/{document_id}", response_model=DocumentPublic, summary="A document")
def read_document(session: SessionDep, user: CurrentUser, document_id: IdPath) -> DocumentPublic:
    return _public(documents.get(session, document_id, actor=user))


@router.get(
    "/api/documents/{document_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="The document's stored PDF (PDF/A-3b); its SHA-256 in the `X-Content-SHA256` header",
)
def read_pdf(session: SessionDep, user: CurrentUser, document_id: IdPath) -> Response:
    document = documents.get(session, document_id, actor=user)
    name = f"{document.kind}-{document.year}-{document.number}-{document.language}.pdf"
    return Response(
        content=document.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": document.pdf_sha256,
        },
    )
