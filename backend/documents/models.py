"""Issued documents and their numbering counters.

A `Document` is written once and never updated: its frozen data (canonical JSON) and its PDF
are stored with their SHA-256 digests; a correction is a new document whose ``corrects_id``
names the original (row 1a of Russian forms: "исправление № ... от ..."). Numbers run gap-free
per (kind, organisation = the seller's INN, year) from a `DocumentCounter` row locked in the
same transaction as the document's insert, so a number is never skipped or reused.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import ConfigDict, StringConstraints
from sqlmodel import Field, SQLModel

from backend.core.model_base import Language, UTCDateTime, check_in


class DocumentKind(StrEnum):
    invoice = "invoice"  # счёт на оплату: an order
    act = "act"  # акт об оказании услуг: a partner's commission in a closed period
    upd = "upd"  # УПД (status 1 or 2) of a shipped order; English: commercial invoice
    reconciliation = "reconciliation"  # акт сверки взаимных расчётов: a partner, a date range
    agreement = "agreement"  # партнёрский договор, from a versioned template
    offer = "offer"  # коммерческое предложение, from a versioned template


class Document(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", DocumentKind), name="kind"),
        sa.CheckConstraint(check_in("language", Language), name="language"),
        sa.UniqueConstraint("kind", "organisation", "year", "number"),
        # One document per subject, kind, language and revision (0: the original, n: the n-th
        # correction): issuing it again finds this row.
        sa.UniqueConstraint("kind", "subject", "language", "revision"),
        sa.Index("ix_document_distributor_period", "distributor_id", "period_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    organisation: str = Field(max_length=12, description="The seller's (company's) INN.")
    year: int
    number: int
    subject: str = Field(max_length=64, description="'order:<id>' or 'act:<period>:<partner>'.")
    revision: int = Field(default=0, description="0: the original; n: its n-th correction.")
    order_id: int | None = Field(default=None, foreign_key="sales_order.id", index=True)
    period_id: int | None = Field(default=None, foreign_key="period.id")
    distributor_id: int | None = Field(default=None, foreign_key="distributor.id")
    language: str = Field(max_length=2)
    data: str = Field(sa_type=sa.Text(), description="The frozen data, canonical JSON.")
    data_sha256: str = Field(max_length=64)
    pdf: bytes = Field(sa_type=sa.LargeBinary())
    pdf_sha256: str = Field(max_length=64)
    corrects_id: int | None = Field(default=None, foreign_key="document.id")
    issued_at: datetime = Field(sa_type=UTCDateTime())
    issued_by: int | None = Field(default=None, foreign_key="app_user.id")


class DocumentCounter(SQLModel, table=True):
    """The last number issued in one series; locked while the next document is inserted."""

    __tablename__ = "document_counter"

    kind: str = Field(primary_key=True, max_length=16)
    organisation: str = Field(primary_key=True, max_length=12)
    year: int = Field(primary_key=True)
    last_number: int = 0


class DocumentReservation(SQLModel, table=True):
    """A number taken for a document not yet written (a bulk job's acts, `backend.documents.
    bulk`): the frozen data, number and date included, is fixed when the number is taken, so
    whoever writes the document (a render process, or an on-demand issue of the same subject)
    renders the same bytes. The row goes in the transaction that inserts its document."""

    __tablename__ = "document_reservation"
    __table_args__ = (
        sa.UniqueConstraint("kind", "organisation", "year", "number"),
        sa.UniqueConstraint("kind", "subject", "language"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    organisation: str = Field(max_length=12)
    year: int
    number: int
    subject: str = Field(max_length=64)
    language: str = Field(max_length=2)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    period_id: int | None = Field(default=None, foreign_key="period.id")
    distributor_id: int | None = Field(default=None, foreign_key="distributor.id")
    data: str = Field(sa_type=sa.Text(), description="The frozen data, canonical JSON.")
    issued_at: datetime = Field(sa_type=UTCDateTime())
    issued_by: int | None = Field(default=None, foreign_key="app_user.id")
    job_id: int | None = Field(default=None, foreign_key="acts_job.id", index=True)


class ActsJobStatus(StrEnum):
    queued = "queued"  # requested; the worker has not picked it up
    running = "running"  # numbers being reserved, then acts rendered
    done = "done"  # every payee has an act or a failure listed


class ActsJob(SQLModel, table=True):
    """All acts of a closed period in one language, issued by the worker. One job per period
    and language at a time (a partial unique index over the unfinished ones)."""

    __tablename__ = "acts_job"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", ActsJobStatus), name="status"),
        sa.CheckConstraint(check_in("language", Language), name="language"),
        sa.Index(
            "uq_acts_job_unfinished",
            "period_id",
            "language",
            unique=True,
            sqlite_where=sa.text("status != 'done'"),
            postgresql_where=sa.text("status != 'done'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    language: str = Field(max_length=2)
    site: str = Field(max_length=300, description="The QR codes' statement links start here.")
    status: str = Field(default=ActsJobStatus.queued.value, max_length=8)
    total: int = Field(default=0, description="The period's payees.")
    done: int = Field(default=0, description="Payees whose act in this language exists.")
    failed: int = 0
    failures: str = Field(
        default="[]",
        sa_type=sa.Text(),
        description="JSON: [{distributor_id, code, message}] of the payees refused an act.",
    )
    requested_by: int | None = Field(default=None, foreign_key="app_user.id")
    requested_at: datetime = Field(sa_type=UTCDateTime())
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class DocumentPublic(SQLModel):
    """A document as the API lists it (the PDF itself is at ``/api/documents/{id}/pdf``)."""

    id: int
    kind: DocumentKind
    organisation: str
    year: int
    number: int
    revision: int
    order_id: int | None
    period_id: int | None
    distributor_id: int | None
    language: Language
    data_sha256: str
    pdf_sha256: str
    corrects_id: int | None
    issued_at: datetime
    issued_by: int | None


class DocumentsPublic(SQLModel):
    items: list[DocumentPublic]
    count: int


class IssueRequest(SQLModel):
    language: Language = Language.ru


class CorrectionRequest(SQLModel):
    reason: str = Field(min_length=1, max_length=300)


#: An order's ISO currency or a period's payout currency (a token's code, up to 12 characters).
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{2,11}$")]


class ReconciliationRequest(SQLModel):
    """A partner's reconciliation statement: the range (both days included, UTC days, at
    most `reconciliation.MAX_DAYS`, not after today) and the one currency it is in."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")  # type: ignore[assignment]

    start: date = Field(alias="from", description="First day of the range.")
    end: date = Field(alias="to", description="Last day of the range (not after today).")
    currency: CurrencyCode = Field(
        description="An order currency (RUB) or a period's payout currency (USDT): one per "
        "statement, never converted.",
    )
    language: Language = Language.ru


class TemplateKind(StrEnum):
    """The documents written from a versioned text (`backend.documents.versions`)."""

    agreement = "agreement"
    offer = "offer"


class DocumentTemplate(SQLModel, table=True):
    """A published version of a kind's text (Markdown with ``{{placeholders}}``, ru and en).
    Written once: an edit is a new version, numbered 1, 2, ... per kind; the current one is
    the highest. ``sha256`` is over both texts (`versions.text_sha256`)."""

    __tablename__ = "document_template"
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", TemplateKind), name="kind"),
        sa.UniqueConstraint("kind", "version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    version: int
    body_ru: str = Field(sa_type=sa.Text())
    body_en: str = Field(sa_type=sa.Text())
    sha256: str = Field(max_length=64)
    published_at: datetime = Field(sa_type=UTCDateTime())
    published_by: int | None = Field(default=None, foreign_key="app_user.id")


class AgreementAcceptance(SQLModel, table=True):
    """A partner accepted a version of the agreement: the document issued for it and that
    PDF's SHA-256, written in the document's own transaction. Append-only; one per partner and
    version (accepting again returns this row)."""

    __tablename__ = "agreement_acceptance"
    __table_args__ = (sa.UniqueConstraint("distributor_id", "template_id"),)

    id: int | None = Field(default=None, primary_key=True)
    distributor_id: int = Field(foreign_key="distributor.id", index=True)
    template_id: int = Field(foreign_key="document_template.id")
    version: int
    document_id: int = Field(foreign_key="document.id")
    pdf_sha256: str = Field(max_length=64)
    accepted_at: datetime = Field(sa_type=UTCDateTime())
    accepted_by: int | None = Field(default=None, foreign_key="app_user.id")


class AcceptancePublic(SQLModel):
    id: int
    distributor_id: int
    version: int
    document_id: int
    pdf_sha256: str
    accepted_at: datetime


class AgreementPublic(SQLModel):
    """The current agreement for the partner asking: its version and text (their details
    filled in), their acceptance of it (null: not yet) and every earlier acceptance."""

    version: int
    sha256: str
    published_at: datetime
    language: Language
    text: str
    accepted: AcceptancePublic | None
    acceptance_needed: bool
    history: list[AcceptancePublic]


class AcceptRequest(SQLModel):
    version: int = Field(gt=0, le=1_000_000, description="The version the partner read.")
    language: Language = Language.ru


class OfferRequest(SQLModel):
    """A commercial offer for a partner (``distributor_id``) or a named prospect company
    (``prospect_name``, its INN optional): one of the two."""

    distributor_id: int | None = Field(default=None, gt=0, le=2**31 - 1)
    prospect_name: str | None = Field(default=None, min_length=1, max_length=200)
    prospect_inn: str | None = Field(default=None, regex=r"^\d{10}(\d{2})?$")
    price_list_id: int = Field(gt=0, le=2**31 - 1)
    valid_until: date
    language: Language = Language.ru
