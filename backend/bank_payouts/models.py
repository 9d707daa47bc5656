"""Bank statements uploaded for a period and the outcome of each of their payments.

`BankStatementUpload`: one row per distinct file (its SHA-256) per period; the same file again
adds nothing. `BankPayment`: one row per payment of the company the statement names a payout
line in (or that pays an open line's account its exact amount without naming it): matched, with
its 32-byte reference and the attest job that carries it to the chain, or the reason it is not.
A line is matched at most once (a partial unique index on the matched rows).
"""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import UTCDateTime, check_in, now_utc


class Outcome(StrEnum):
    matched = "matched"  # pays its line: attested on chain with its reference
    seen = "seen"  # the payment an earlier statement matched, in this one again
    amount_short = "amount_short"  # paid less than the line (a partial payment)
    amount_over = "amount_over"  # paid more than the line
    account_differs = "account_differs"  # paid to another account than the payee's
    unknown_line = "unknown_line"  # names a line that is no open bank line of the period
    paid_twice = "paid_twice"  # a second payment of a line already matched
    returned = "returned"  # the bank returned the payment within the statement
    not_debited = "not_debited"  # the company's document without ДатаСписано: not executed
    no_reference = "no_reference"  # the right account and amount, but no line reference


MATCHED = sa.text("outcome = 'matched'")


class BankStatementUpload(SQLModel, table=True):
    __tablename__ = "bank_statement_upload"
    __table_args__ = (sa.UniqueConstraint("period_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(foreign_key="period.id")
    sha256: str = Field(max_length=64)
    filename: str | None = Field(default=None, max_length=200)
    size: int = Field(sa_type=sa.BigInteger())
    documents: int = Field(description="Documents in the statement.")
    matched: int = Field(description="Payments matched to a line by this upload.")
    problems: int = Field(description="Payments listed for a person to resolve.")
    unrelated: int = Field(description="Documents naming no payout line (rent, taxes...).")
    uploaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    uploaded_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


class BankPayment(SQLModel, table=True):
    __tablename__ = "bank_payment"
    __table_args__ = (
        sa.CheckConstraint(check_in("outcome", Outcome), name="outcome"),
        sa.Index("ix_bank_payment_period_id_line_index", "period_id", "line_index"),
        # A line is matched once, whichever statement matched it.
        sa.Index(
            "uq_bank_payment_matched_line",
            "period_id",
            "line_index",
            unique=True,
            sqlite_where=MATCHED,
            postgresql_where=MATCHED,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = Field(foreign_key="bank_statement_upload.id")
    period_id: int = Field(foreign_key="period.id")
    outcome: str = Field(max_length=16)
    line_index: int | None = Field(default=None, description="The payout line it names.")
    distributor_id: int | None = Field(default=None, sa_type=sa.BigInteger())
    document_number: str | None = Field(default=None, max_length=40)
    document_date: date | None = Field(default=None)
    statement_line: int | None = Field(default=None, description="Where the document starts.")
    amount: int | None = Field(default=None, sa_type=sa.BigInteger())
    payee_account: str | None = Field(default=None, max_length=40)
    reference: str | None = Field(default=None, max_length=66, description="0x + 32 bytes.")
    job_id: int | None = Field(default=None, foreign_key="chain_job.id")
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())


# API shapes ------------------------------------------------------------------------------------


class BankLinePublic(SQLModel):
    """A bank line of the period: `state` open (no payment matched yet), matched (waiting for
    its attestation on chain) or attested."""

    index: int
    distributor_id: int
    name: str
    account: str  # the leaf's pseudo-address
    gross: int
    withheld: int
    net: int
    state: str
    reference: str | None


class BankPaymentPublic(SQLModel):
    id: int
    upload_id: int
    outcome: Outcome
    line_index: int | None
    distributor_id: int | None
    document_number: str | None
    document_date: date | None
    statement_line: int | None
    amount: int | None
    payee_account: str | None
    reference: str | None
    job_id: int | None


class BankUploadPublic(SQLModel):
    id: int
    period_id: int
    sha256: str
    filename: str | None
    size: int
    documents: int
    matched: int
    problems: int
    unrelated: int
    uploaded_at: datetime


class AttestBatchPublic(SQLModel):
    id: int
    seq: int
    indices: list[int]
    amount: int
    status: str
    tx_hash: str | None
    block_number: int | None
    gas_used: int | None
    attested: list[int] | None
    skipped: list[int] | None
    note: str | None


class BankSummary(SQLModel):
    lines: int
    amount: int
    attested: int
    attested_amount: int
    waiting: int  # matched, not attested yet
    waiting_amount: int
    open: int  # no payment matched yet
    open_amount: int


class BankPaymentsPublic(SQLModel):
    period_id: int
    summary: BankSummary
    lines: list[BankLinePublic]
    problems: list[BankPaymentPublic]  # payments a person must resolve
    matched: list[BankPaymentPublic]
    uploads: list[BankUploadPublic]
    batches: list[AttestBatchPublic]


class StatementUploadPublic(SQLModel):
    """What an upload did: `new` false when the same file was uploaded before (nothing new)."""

    upload: BankUploadPublic
    new: bool
    matched: list[BankPaymentPublic]
    problems: list[BankPaymentPublic]
    batches: list[AttestBatchPublic]
