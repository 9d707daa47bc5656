"""The partner documents in the offices (issue 17): finance issues a closed period's acts of
services from the period's acts page (an order's invoice and UPD from the order's page:
`backend.web.order_documents`); a distributor lists their own acts and invoices
(`/documents`); the auditor lists every document with its hashes (`/audit/documents`);
everyone who may read a document downloads its stored PDF.

Each button posts to the service the JSON API calls (`backend.documents.service`), so the
page refuses exactly what the API refuses; a refusal comes back as the acts page (its status
code) with the refusal in words, the missing company details listed and linked to the admin's
requisites page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from backend.core.db import SessionDep
from backend.core.errors import AppError
from backend.core.model_base import Language
from backend.core.types import MAX_ID
from backend.documents import service as documents
from backend.documents.models import Document, DocumentKind
from backend.web.admin_requisites import LABELS as REQUISITE_LABELS
from backend.web.audit import TABS as AUDIT_TABS
from backend.web.deps import NowDep, SettingsDep
from backend.web.finance import TABS as FINANCE_TABS
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, is_htmx, language_of, render
from backend.web.sessions import check_csrf

CsrfChecked = [Depends(check_csrf)]
PAGE = 50
KIND_NAMES = {
    DocumentKind.invoice.value: N_("Invoice for payment"),
    DocumentKind.act.value: N_("Act of services"),
    DocumentKind.reconciliation.value: N_("Reconciliation statement"),
    DocumentKind.agreement.value: N_("Partner agreement"),
    DocumentKind.offer.value: N_("Commercial offer"),
    DocumentKind.upd.value: N_("UPD"),
}
TAX_STATUS_NAMES = {
    "individual": N_("individual"),
    "self_employed": N_("self-employed"),
    "sole_proprietor": N_("sole proprietor"),
    "company": N_("legal entity"),
}
REFUSALS = {
    "requisites_missing": N_(
        "The company's details lack what an act needs: an administrator fills them in first."
    ),
    "tax_status_unknown": N_(
        "The partner had no tax status at the end of the period: the act's wording depends on it."
    ),
    "period_state": N_("Acts are issued only for anchored periods."),
    "no_statement": N_("The partner has no statement in this period."),
    "render_failed": N_("The act could not be rendered: it keeps its number and is retried."),
}
JOB_STATUS = {
    "queued": N_("Waiting for the worker"),
    "running": N_("Issuing"),
    "done": N_("Finished"),
}
LANGUAGE_NAMES = {"ru": N_("Russian"), "en": N_("English")}
IN_LANGUAGE = {"ru": N_("All acts in Russian"), "en": N_("All acts in English")}
REFUSED = N_("Refused.")
OptionalId = Annotated[int | None, Query(gt=0, le=MAX_ID)]


def pdf_path(document: Document) -> str:
    return f"/documents/{document.id}/pdf"


def reconciliation_scope(document: Document) -> str | None:
    """A reconciliation statement's currency and range as its subject names them
    ("RUB, 2026-03-01 – 2026-05-31"); None for another kind."""
    if document.kind != DocumentKind.reconciliation.value:
        return None
    _, _, currency, start, end = document.subject.split(":")
    return f"{currency}, {start} – {end}"


def _shown(refused: AppError) -> dict[str, Any]:
    missing = []
    if refused.code == "requisites_missing" and isinstance(refused.details, dict):
        missing = [str(name) for name in refused.details.get("missing", [])]
    return {
        "code": refused.code,
        "lead": REFUSALS.get(refused.code, REFUSED),
        "message": refused.message,
        "missing": missing,
    }


# -- finance: a period's acts -------------------------------------------------------------------


def _acts_page(
    request: Request,
    session: SessionDep,
    period_id: int,
    *,
    status_code: int = 200,
    refused: dict[str, Any] | None = None,
    refused_for: int | None = None,
) -> Response:
    period, rows = documents.period_acts(session, period_id)
    return render(
        request,
        "finance_acts.html",
        status_code=status_code,
        period=period,
        rows=rows,
        **_jobs_context(session, period_id),
        closed=period.status in documents.CLOSED,
        refused=refused,
        refused_for=refused_for,
        requisite_labels=REQUISITE_LABELS,
        tax_status_names=TAX_STATUS_NAMES,
        pdf_path=pdf_path,
        tabs=FINANCE_TABS,
    )


def acts_page(request: Request, session: SessionDep, period_id: int) -> Response:
    check_id(period_id, "period")
    return _acts_page(request, session, period_id)


def issue_act(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    period_id: int,
    distributor_id: int,
) -> Response:
    check_id(period_id, "period")
    check_id(distributor_id)
    try:
        documents.issue_act(
            session,
            period_id,
            distributor_id,
            language=language_of(request, user),
            actor=user,
            now=now,
            site=settings.public_url or str(request.base_url),
        )
    except AppError as refused:
        session.rollback()
        session.refresh(user)
        if refused.status_code == 404 and refused.code != "no_statement":
            raise
        return _acts_page(
            request,
            session,
            period_id,
            status_code=refused.status_code,
            refused=_shown(refused),
            refused_for=distributor_id,
        )
    return RedirectResponse(
        f"/finance/periods/{period_id}/acts#payee-{distributor_id}", status_code=303
    )


def _jobs_context(session: SessionDep, period_id: int) -> dict[str, Any]:
    jobs = documents.latest_jobs(session, period_id)
    return {
        "jobs": jobs,
        "jobs_pending": any(job.status != "done" for job in jobs),
        "failures_of": documents.failures_of,
        "job_status": JOB_STATUS,
        "language_names": LANGUAGE_NAMES,
        "in_language": IN_LANGUAGE,
        "refusals": REFUSALS,
        "refused_lead": REFUSED,
    }


def acts_jobs(request: Request, session: SessionDep, period_id: int) -> Response:
    """The bulk jobs' progress; htmx polls it while a job is unfinished and reloads the page
    once none is (the acts' links appear in the table)."""
    check_id(period_id, "period")
    context = _jobs_context(session, period_id)
    if is_htmx(request) and not context["jobs_pending"]:
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    period, _rows = documents.period_acts(session, period_id)
    return render(request, "_acts_jobs.html", period=period, **context)


def start_acts_job(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    period_id: int,
    language: Annotated[Language, Form()] = Language.ru,
) -> Response:
    """All the period's acts in ``language`` by the worker (the running job when there is
    one); a refusal is the acts page with its status and the refusal in words."""
    check_id(period_id, "period")
    try:
        documents.request_job(
            session,
            period_id,
            language=language,
            site=settings.public_url or str(request.base_url),
            actor=user,
            now=now,
        )
    except AppError as refused:
        session.rollback()
        session.refresh(user)
        if refused.status_code == 404:
            raise
        return _acts_page(
            request, session, period_id, status_code=refused.status_code, refused=_shown(refused)
        )
    return RedirectResponse(f"/finance/periods/{period_id}/acts#acts-jobs", status_code=303)


# -- everyone: the stored PDF ------------------------------------------------------------------


def document_pdf(session: SessionDep, user: PageUser, document_id: int) -> Response:
    check_id(document_id, "document")
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


# -- the distributor's documents, the auditor's list ----------------------------------------------


def my_documents(
    request: Request,
    session: SessionDep,
    user: PageUser,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    rows, total = documents.listing(session, actor=user, offset=(page - 1) * PAGE, limit=PAGE)
    return render(
        request,
        "documents.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        kind_names=KIND_NAMES,
        pdf_path=pdf_path,
        scope=reconciliation_scope,
    )


def audit_documents(
    request: Request,
    session: SessionDep,
    user: PageUser,
    partner: OptionalId = None,
    period: OptionalId = None,
    kind: DocumentKind | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    rows, total = documents.listing(
        session,
        actor=user,
        distributor_id=partner,
        period_id=period,
        kind=kind,
        offset=(page - 1) * PAGE,
        limit=PAGE,
    )
    query = "&".join(
        f"{name}={value}"
        for name, value in (
            ("partner", partner),
            ("period", period),
            ("kind", kind.value if kind else None),
        )
        if value
    )
    return render(
        request,
        "audit_documents.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE)),
        query=query,
        partner=partner,
        period=period,
        kind=kind.value if kind else "",
        kind_names=KIND_NAMES,
        pdf_path=pdf_path,
        tabs=AUDIT_TABS,
        tabs_label=N_("Audit"),
    )


def add_document_pages(router: APIRouter) -> None:
    pages: tuple[tuple[str, Callable[..., Response]], ...] = (
        ("/finance/periods/{period_id}/acts", acts_page),
        ("/finance/periods/{period_id}/acts-jobs", acts_jobs),
        ("/documents", my_documents),
        ("/documents/{document_id}/pdf", document_pdf),
        ("/audit/documents", audit_documents),
    )
    for path, handler in pages:
        router.add_api_route(path, handler, methods=["GET"])
    steps: tuple[tuple[str, Callable[..., Response]], ...] = (
        ("/finance/periods/{period_id}/acts-jobs", start_acts_job),
        ("/finance/periods/{period_id}/acts/{distributor_id}", issue_act),
    )
    for path, handler in steps:
        router.add_api_route(path, handler, methods=["POST"], dependencies=CsrfChecked)
