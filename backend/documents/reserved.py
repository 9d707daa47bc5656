"""Numbers taken ahead of their documents, for the acts a bulk job writes in several processes
(`backend.documents.bulk`).

`reserve` takes the next numbers of a series for many subjects in one short write unit (the
series' counter locked, as for one issue), in the order given, and stores each subject's frozen
data, number and date included, as a `DocumentReservation`. `write_reserved` renders that data
(outside any lock: the number is already the document's) and inserts the document in the same
transaction that deletes its reservation. So a reserved number is never given twice and never
lost: after a crash the reservation is still there and is written again; an on-demand issue of
a reserved subject (`store.issue`) writes it with its reserved number, the same bytes the job
would have written; of two writers of the same reservation, the second finds the document.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from backend.company.requisites import CompanyRequisites
from backend.core.db import begin_write
from backend.documents.models import Document, DocumentKind, DocumentReservation
from backend.documents.render import render_pdf
from backend.documents.series import canonical, envelope, find_original, flat, lock_counter, sha256


@dataclass(frozen=True)
class Planned:
    """A subject to reserve a number for, with its gathered fields and its links."""

    subject: str
    fields: dict[str, Any]
    links: dict[str, int | None]


def find_reservation(
    session: Session, kind: str, subject: str, language: str
) -> DocumentReservation | None:
    return session.exec(
        select(DocumentReservation).where(
            DocumentReservation.kind == kind,
            DocumentReservation.subject == subject,
            DocumentReservation.language == language,
        )
    ).first()


def reserve(
    session: Session,
    *,
    kind: DocumentKind,
    language: str,
    company: CompanyRequisites,
    planned: Sequence[Planned],
    issued_at: datetime,
    issued_by: int | None,
    job_id: int | None,
) -> int:
    """The next numbers for the planned subjects that have neither a document nor a
    reservation (looked at under the series' lock), in the order given; how many were taken."""
    assert company.inn is not None
    subjects = [item.subject for item in planned]
    begin_write(session)
    counter = lock_counter(session, kind.value, company.inn, issued_at.year)
    taken = set(
        session.exec(
            select(Document.subject).where(
                Document.kind == kind.value,
                Document.language == language,
                Document.revision == 0,
                col(Document.subject).in_(subjects),
            )
        )
    ) | set(
        session.exec(
            select(DocumentReservation.subject).where(
                DocumentReservation.kind == kind.value,
                DocumentReservation.language == language,
                col(DocumentReservation.subject).in_(subjects),
            )
        )
    )
    reserved = 0
    for item in planned:
        if item.subject in taken:
            continue
        counter.last_number += 1
        data = envelope(
            kind=kind.value,
            language=language,
            number=counter.last_number,
            issued_at=issued_at,
            company=company,
            fields=item.fields,
        )
        session.add(
            DocumentReservation(
                kind=kind.value,
                organisation=company.inn,
                year=issued_at.year,
                number=counter.last_number,
                subject=item.subject,
                language=language,
                order_id=item.links.get("order_id"),
                period_id=item.links.get("period_id"),
                distributor_id=item.links.get("distributor_id"),
                data=canonical(data),
                issued_at=issued_at,
                issued_by=issued_by,
                job_id=job_id,
            )
        )
        reserved += 1
    session.add(counter)
    session.commit()
    return reserved


def write_reserved(
    session: Session,
    reservation_id: int,
    *,
    render: Callable[[dict[str, Any]], bytes] = render_pdf,
) -> Document | None:
    """The reserved document, rendered and inserted (its reservation deleted with it); the
    stored document when another writer was first; None for an unknown reservation."""
    reservation = session.get(DocumentReservation, reservation_id)
    if reservation is None:
        return None
    kind, subject, language = reservation.kind, reservation.subject, reservation.language
    frozen = reservation.data
    session.rollback()  # no transaction is held while the PDF renders
    pdf = render(flat(json.loads(frozen)))
    begin_write(session)
    held = session.exec(
        select(DocumentReservation)
        .where(DocumentReservation.id == reservation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if held is None:  # written meanwhile (the job, or an on-demand issue)
        session.rollback()
        return find_original(session, kind, subject, language)
    document = Document(
        kind=held.kind,
        organisation=held.organisation,
        year=held.year,
        number=held.number,
        subject=held.subject,
        revision=0,
        order_id=held.order_id,
        period_id=held.period_id,
        distributor_id=held.distributor_id,
        language=held.language,
        data=held.data,
        data_sha256=sha256(held.data.encode("utf-8")),
        pdf=pdf,
        pdf_sha256=sha256(pdf),
        corrects_id=None,
        issued_at=held.issued_at,
        issued_by=held.issued_by,
    )
    session.add(document)
    session.delete(held)
    session.commit()
    session.refresh(document)
    return document
