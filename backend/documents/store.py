"""The document store every kind shares (see `backend.documents.models`).

Issuing: the subject is checked and its data gathered (refusals come before anything is
written: an unknown order or partner 404, an open period or missing company details 409 with
the list of what is missing), then one write unit locks the series' counter (PostgreSQL:
``SELECT ... FOR UPDATE``; SQLite: the database's write lock, `begin_write`), looks again for
the same document (a concurrent request may have issued it), takes the next number, renders
the PDF from the frozen data and inserts the row; a failure anywhere rolls the number back with
the row. Issuing a document that exists returns the stored one, bytes unchanged.

Each kind lives in its own module (`invoice`, `acts`, ...) and registers a `KindSpec` here:
what it needs of the company's details and how a correction gathers its data again.

Who may: finance issues (the policy tables); a distributor reads only documents about
themself; staff read all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.company.requisites import CompanyRequisites, missing, requisites
from backend.core.db import begin_write
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.model_base import Language, Role
from backend.documents.models import Document, DocumentKind
from backend.documents.render import render_pdf
from backend.documents.reserved import find_reservation, write_reserved
from backend.documents.series import canonical, envelope, flat, lock_counter, sha256
from backend.documents.series import find_original as _find
from ledger.money import ISO_CURRENCIES

__all__ = ["KINDS", "Gather", "KindSpec", "canonical", "flat", "issue", "register", "sha256"]

Gather = Callable[[], dict[str, Any]]
#: Written with a new document, in its transaction (the agreement's acceptance row).
Record = Callable[[Session, Document], None]


@dataclass(frozen=True)
class KindSpec:
    """What the store needs to know of a kind: the company details it cannot be issued
    without (the KPP is added for a 10-digit INN: `_needed`), and how a correction of a stored
    original gathers its data again (``regather(session, original, site)``)."""

    needs: tuple[str, ...]
    regather: Callable[[Session, Document, str], Gather]


#: Every kind's spec, registered by its module (`register`); `service` imports them all.
KINDS: dict[DocumentKind, KindSpec] = {}


def register(kind: DocumentKind, spec: KindSpec) -> None:
    KINDS[kind] = spec


def exponent_of(currency: str) -> int:
    return ISO_CURRENCIES[currency][1] if currency in ISO_CURRENCIES else 2


def _needed(kind: DocumentKind, company: CompanyRequisites) -> tuple[str, ...]:
    needs = KINDS[kind].needs
    return needs + (("kpp",) if company.inn is None or len(company.inn) == 10 else ())


def company_for(session: Session, kind: DocumentKind) -> CompanyRequisites:
    """The company's details, or 409 ``requisites_missing`` listing what the kind needs."""
    company = requisites(session)
    lacking = missing(company, _needed(kind, company))
    if lacking:
        raise Conflict(
            f"the company's details lack {', '.join(lacking)}: an admin sets them on "
            "/admin/requisites before a document can be issued",
            code="requisites_missing",
            details={"missing": lacking},
        )
    return company


def _seller(company: CompanyRequisites) -> dict[str, str | None]:
    return company.as_dict()


# The write unit renders the PDF while it holds the series' lock (the number is in the PDF).
# Within a process the issues queue here rather than on the database: SQLite's writers would
# otherwise wait on its busy timeout (5 s) while twenty renders run one after another.
_ISSUING = threading.Lock()


def issue(
    session: Session,
    *,
    kind: DocumentKind,
    subject: str,
    language: Language,
    gather: Gather,
    links: dict[str, int | None],
    actor: User,
    now: datetime,
    original: Document | None = None,
    reason: str | None = None,
    record: Record | None = None,
) -> Document:
    """The document of ``subject`` in ``language``: the stored one, or a new one numbered,
    rendered and inserted together with what ``record`` writes (nothing when it raises)."""
    if original is None:
        found = _find(session, kind.value, subject, language.value)
        if found is not None:
            return found
        if find_reservation(session, kind.value, subject, language.value) is not None:
            return _reserved(session, kind, subject, language)
    company = company_for(session, kind)
    fields = gather()
    assert company.inn is not None
    issued_at = now.astimezone(UTC).replace(microsecond=0)
    with _ISSUING:
        try:
            return _write(
                session,
                kind=kind,
                subject=subject,
                language=language,
                company=company,
                fields=fields,
                links=links,
                actor=actor,
                issued_at=issued_at,
                original=original,
                reason=reason,
                record=record,
            )
        except BaseException:
            session.rollback()  # the number goes back with the row
            raise


def _write(
    session: Session,
    *,
    kind: DocumentKind,
    subject: str,
    language: Language,
    company: CompanyRequisites,
    fields: dict[str, Any],
    links: dict[str, int | None],
    actor: User,
    issued_at: datetime,
    original: Document | None,
    reason: str | None,
    record: Record | None = None,
) -> Document:
    assert company.inn is not None
    begin_write(session)
    counter = lock_counter(session, kind.value, company.inn, issued_at.year)
    revision = 0
    corrects = None
    if original is None:
        found = _find(session, kind.value, subject, language.value)
        if found is not None:  # issued while this request waited for the lock
            session.rollback()
            return found
        if find_reservation(session, kind.value, subject, language.value) is not None:
            session.rollback()  # a bulk job took its number while this request waited
            return _reserved(session, kind, subject, language)
    else:
        latest = session.exec(
            select(Document)
            .where(
                Document.kind == kind.value,
                Document.subject == subject,
                Document.language == language.value,
            )
            .order_by(col(Document.revision).desc())
        ).first()
        assert latest is not None
        if json.loads(latest.data)["fields"] == fields and _seller_of(latest) == _seller(company):
            session.rollback()
            raise Conflict(
                f"document {latest.id} already says this: nothing to correct",
                code="nothing_to_correct",
                details={"document_id": latest.id},
            )
        revision = latest.revision + 1
        corrects = {
            "id": original.id,
            "number": original.number,
            "date": original.issued_at.astimezone(UTC).date().isoformat(),
            "reason": reason,
        }
    counter.last_number += 1
    data = envelope(
        kind=kind.value,
        language=language.value,
        number=counter.last_number,
        revision=revision,
        corrects=corrects,
        issued_at=issued_at,
        company=company,
        fields=fields,
    )
    frozen = canonical(data)
    pdf = render_pdf(flat(data))
    document = Document(
        kind=kind.value,
        organisation=company.inn,
        year=issued_at.year,
        number=counter.last_number,
        subject=subject,
        revision=revision,
        order_id=links.get("order_id"),
        period_id=links.get("period_id"),
        distributor_id=links.get("distributor_id"),
        language=language.value,
        data=frozen,
        data_sha256=sha256(frozen.encode("utf-8")),
        pdf=pdf,
        pdf_sha256=sha256(pdf),
        corrects_id=original.id if original is not None else None,
        issued_at=issued_at,
        issued_by=actor.id,
    )
    session.add(counter)
    session.add(document)
    if record is not None:
        session.flush()
        record(session, document)
    session.commit()
    session.refresh(document)
    return document


def _reserved(session: Session, kind: DocumentKind, subject: str, language: Language) -> Document:
    """A subject whose number a bulk job reserved: written now with that number and the data
    frozen with it (the bytes the job would write), or the job's document if it was first."""
    reservation = find_reservation(session, kind.value, subject, language.value)
    written = write_reserved(session, reservation.id) if reservation and reservation.id else None
    found = written or _find(session, kind.value, subject, language.value)
    if found is None:
        raise Conflict(f"{subject}: its reserved number vanished", code="reservation_lost")
    return found


def _seller_of(document: Document) -> dict[str, Any]:
    seller: dict[str, Any] = json.loads(document.data)["seller"]
    return seller


def correct(
    session: Session,
    document_id: int,
    *,
    reason: str,
    actor: User,
    now: datetime,
    site: str,
) -> Document:
    """A corrective document for ``document_id`` (or for the original it corrects): the data
    gathered again as it stands now, a new number, ``corrects_id`` = the original. 409
    ``nothing_to_correct`` when the latest revision already says the same."""
    document = get(session, document_id, actor=actor)
    original = session.get(Document, document.corrects_id) if document.corrects_id else document
    assert original is not None and original.id is not None
    kind = DocumentKind(original.kind)
    return issue(
        session,
        kind=kind,
        subject=original.subject,
        language=Language(original.language),
        gather=KINDS[kind].regather(session, original, site),
        links={
            "order_id": original.order_id,
            "period_id": original.period_id,
            "distributor_id": original.distributor_id,
        },
        actor=actor,
        now=now,
        original=original,
        reason=reason,
    )


# ---- reading ---------------------------------------------------------------------------------


def _may_read(actor: User, document: Document) -> bool:
    if actor.role == Role.distributor:
        return actor.distributor_id is not None and document.distributor_id == actor.distributor_id
    return True


def get(session: Session, document_id: int, *, actor: User) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"document {document_id} not found")
    if not _may_read(actor, document):
        raise Forbidden("a distributor reads only their own documents", code="out_of_scope")
    return document


def listing(
    session: Session,
    *,
    actor: User,
    distributor_id: int | None = None,
    period_id: int | None = None,
    kind: DocumentKind | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Document], int]:
    """Documents, newest first, filtered; a distributor sees only their own."""
    if actor.role == Role.distributor:
        if distributor_id is not None and distributor_id != actor.distributor_id:
            raise Forbidden("a distributor reads only their own documents", code="out_of_scope")
        distributor_id = actor.distributor_id if actor.distributor_id is not None else -1
    query = select(Document)
    if distributor_id is not None:
        query = query.where(Document.distributor_id == distributor_id)
    if period_id is not None:
        query = query.where(Document.period_id == period_id)
    if kind is not None:
        query = query.where(Document.kind == kind.value)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Document.id).desc()).offset(offset).limit(limit))
    return list(rows), int(count)


def rerender(document: Document) -> bytes:
    """The PDF made again from the stored data (equal to the stored PDF: `test_documents`)."""
    return render_pdf(flat(json.loads(document.data)))


def of_order(session: Session, order_id: int, *, actor: User) -> list[Document]:
    """An order's documents (invoices, UPDs, their corrections), oldest first; a distributor
    sees them only for their own orders."""
    query = select(Document).where(Document.order_id == order_id)
    if actor.role == Role.distributor:
        query = query.where(Document.distributor_id == (actor.distributor_id or -1))
    return list(session.exec(query.order_by(col(Document.id))))
