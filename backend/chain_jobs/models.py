"""The one chain-job queue: every write the chain writer makes, one row each.

`kind` says what the job does and which payload it carries (`PlaceJob`, `AnchorJob`, `FundJob`,
`PayJob`, `AttestJob`, serialised to the `payload` JSON column); `status` is the one life cycle
of every job: queued -> sent (hash and nonce stored, and committed, before the broadcast) ->
confirmed, or -> failed. Placements go out many per `placeBatch` transaction: each place job
records the transaction it went out in (`tx_hash`, `nonce`, `block_number`). A pay job is one
`payBatch`; an attest job one `attestBatch` (bank lines paid by transfer, marked paid on chain).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlmodel import Field, SQLModel

from backend.core.model_base import IntentStatus, UTCDateTime, check_in, now_utc

JobStatus = IntentStatus  # queued, sent, confirmed, failed: one enum for every kind


class JobKind(StrEnum):
    place = "place"
    anchor = "anchor"
    fund = "fund"
    pay = "pay"
    attest = "attest"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlaceJob(_Payload):
    """Place distributor `id` under `parent` at `position`, brought by `sponsor`."""

    id: int
    sponsor: int
    parent: int
    position: int


class AnchorJob(_Payload):
    """Anchor an approved period's payout terms."""

    period_id: int
    requested_by: int | None = None


class FundJob(_Payload):
    """Mint `amount` token minor units to the vault; `period_id` names the period it was
    asked for, when finance funded from a period's page (the vault itself is one pool)."""

    amount: int
    requested_by: int | None = None
    period_id: int | None = None


class PayJob(_Payload):
    """One `payBatch` of a period: consecutive leaves in tree order (`seq` numbers it)."""

    period_id: int
    seq: int
    indices: list[int]
    amount: int


class AttestJob(_Payload):
    """One `attestBatch` of a period: bank lines paid by transfer (`seq` numbers it among the
    period's attest jobs), `refs[i]` the 32-byte payment reference (0x hex) of `indices[i]`,
    `amount` their total."""

    period_id: int
    seq: int
    indices: list[int]
    refs: list[str]
    amount: int


Payload = PlaceJob | AnchorJob | FundJob | PayJob | AttestJob

KIND_OF: dict[type[_Payload], JobKind] = {
    PlaceJob: JobKind.place,
    AnchorJob: JobKind.anchor,
    FundJob: JobKind.fund,
    PayJob: JobKind.pay,
    AttestJob: JobKind.attest,
}
PAYLOAD_OF: dict[str, type[_Payload]] = {str(kind): cls for cls, kind in KIND_OF.items()}

ANCHOR_LIVE = sa.text("kind = 'anchor' AND status <> 'failed'")


class ChainJob(SQLModel, table=True):
    """One chain write. `subject_id` is the record it mirrors (the distributor of a place job,
    the period of an anchor or pay job, the period a fund job was asked for, if any);
    `amount` the money it moves (fund, pay)."""

    __tablename__ = "chain_job"
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", JobKind), name="kind"),
        sa.CheckConstraint(check_in("status", JobStatus), name="status"),
        sa.Index("ix_chain_job_status_kind_id", "status", "kind", "id"),
        sa.Index("ix_chain_job_kind_subject_id", "kind", "subject_id"),
        # One live anchor job per period: the last line under concurrent anchor requests.
        sa.Index(
            "uq_chain_job_live_anchor",
            "subject_id",
            unique=True,
            sqlite_where=ANCHOR_LIVE,
            postgresql_where=ANCHOR_LIVE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: JobKind = Field(sa_type=sa.String(16))
    status: JobStatus = Field(default=JobStatus.queued, sa_type=sa.String(16))
    subject_id: int | None = Field(default=None)
    amount: int | None = Field(default=None, sa_type=sa.BigInteger())
    payload: dict[str, Any] = Field(sa_type=sa.JSON())
    tx_hash: str | None = Field(default=None, max_length=66)
    nonce: int | None = Field(default=None, sa_type=sa.BigInteger())
    block_number: int | None = Field(default=None, sa_type=sa.BigInteger())
    gas_used: int | None = Field(default=None, sa_type=sa.BigInteger())
    attempts: int = 0
    note: str | None = Field(
        default=None, sa_type=sa.Text(), description="Last error, or how it was settled."
    )
    result: dict[str, Any] | None = Field(
        default=None, sa_type=sa.JSON(), description="What the chain answered (pay: leaves)."
    )
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())
    updated_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())

    def place(self) -> PlaceJob:
        return PlaceJob.model_validate(self.payload)

    def anchor(self) -> AnchorJob:
        return AnchorJob.model_validate(self.payload)

    def fund(self) -> FundJob:
        return FundJob.model_validate(self.payload)

    def pay(self) -> PayJob:
        return PayJob.model_validate(self.payload)

    def attest(self) -> AttestJob:
        return AttestJob.model_validate(self.payload)


class ChainIntentPublic(SQLModel):
    """A place job as `GET /api/chain/intents` shows it."""

    id: int
    kind: str
    payload: dict[str, Any]
    status: JobStatus
    subject_id: int | None
    tx_hash: str | None
    nonce: int | None
    block_number: int | None
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    confirmed_at: datetime | None


class ChainIntentsPublic(SQLModel):
    items: list[ChainIntentPublic]
    count: int
