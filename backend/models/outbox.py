"""The outbox: chain writes the service intends, written in the same transaction as the rows
they mirror and drained by one chain writer (`backend/chain/`)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import IntentStatus, UTCDateTime, check_in, now_utc


class ChainIntentBase(SQLModel):
    kind: str = Field(max_length=32, description="What to do on chain, e.g. `place`.")
    payload: dict[str, Any] = Field(sa_type=sa.JSON())
    status: IntentStatus = Field(default=IntentStatus.queued, sa_type=sa.String(16))
    subject_id: int | None = Field(default=None, description="The record it mirrors, if any.")
    tx_hash: str | None = Field(default=None, max_length=66)
    nonce: int | None = Field(default=None, sa_type=sa.BigInteger())
    block_number: int | None = Field(default=None, sa_type=sa.BigInteger())
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text())


class ChainIntent(ChainIntentBase, table=True):
    __tablename__ = "chain_intent"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", IntentStatus), name="status"),
        sa.Index("ix_chain_intent_status_id", "status", "id"),
        sa.Index("ix_chain_intent_kind_subject_id", "kind", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())
    updated_at: datetime = Field(default_factory=now_utc, sa_type=UTCDateTime())
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class ChainIntentPublic(ChainIntentBase):
    id: int
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    confirmed_at: datetime | None


class ChainIntentsPublic(SQLModel):
    items: list[ChainIntentPublic]
    count: int
