"""What the store's two writers share (the on-demand issue in `store`, the reserved numbers in
`reserved`): the frozen data's envelope and canonical form, the original of a subject, and the
series' counter row, locked until the commit."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from backend.company.requisites import CompanyRequisites
from backend.core.db import is_postgres
from backend.documents.models import Document, DocumentCounter


def canonical(data: dict[str, Any]) -> str:
    """The frozen data as stored and hashed: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def flat(data: dict[str, Any]) -> dict[str, Any]:
    """What a template sees: the envelope with the kind's fields beside it."""
    shown = {key: value for key, value in data.items() if key != "fields"}
    shown.update(data["fields"])
    return shown


def envelope(
    *,
    kind: str,
    language: str,
    number: int,
    issued_at: datetime,
    company: CompanyRequisites,
    fields: dict[str, Any],
    revision: int = 0,
    corrects: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A document's frozen data: the same for the same inputs whoever writes it, so the same
    PDF bytes."""
    return {
        "kind": kind,
        "language": language,
        "number": number,
        "revision": revision,
        "corrects": corrects,
        "issued_at": issued_at.isoformat(),
        "date": issued_at.date().isoformat(),
        "seller": company.as_dict(),
        "fields": fields,
    }


def find_original(session: Session, kind: str, subject: str, language: str) -> Document | None:
    """The original (revision 0) of a subject in a language."""
    return session.exec(
        select(Document).where(
            Document.kind == kind,
            Document.subject == subject,
            Document.language == language,
            Document.revision == 0,
        )
    ).first()


def lock_counter(session: Session, kind: str, organisation: str, year: int) -> DocumentCounter:
    """The series' counter row, created at 0 when new, locked until the commit."""
    values = {"kind": kind, "organisation": organisation, "year": year, "last_number": 0}
    table = DocumentCounter.__table__  # type: ignore[attr-defined]
    insert = (postgresql.insert if is_postgres(session) else sqlite.insert)(table)
    session.execute(insert.values(**values).on_conflict_do_nothing())
    return session.exec(
        select(DocumentCounter)
        .where(
            DocumentCounter.kind == kind,
            DocumentCounter.organisation == organisation,
            DocumentCounter.year == year,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
