"""A partner's public card, the company's pitch blocks, and what the public sign-up keeps
(used form tokens, attempts per client address)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import UTCDateTime, check_in


class TextStatus(StrEnum):
    """The review state of the free text a partner last submitted."""

    none = "none"  # no free text
    approved = "approved"  # published (no claim found, or an admin approved it)
    pending = "pending"  # an earnings claim was found: unpublished until an admin decides
    rejected = "rejected"  # an admin refused it: stays unpublished


class CardBlock(SQLModel, table=True):
    """A pitch paragraph the company approved, in both languages; partners pick from these.
    Never deleted (cards refer to them): an admin retires one instead."""

    __tablename__ = "card_block"

    id: int | None = Field(default=None, primary_key=True)
    text_ru: str = Field(max_length=400)
    text_en: str = Field(max_length=400)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime())


class PartnerCard(SQLModel, table=True):
    """One per distributor. The row also exists without an alias (no public card yet): it
    counts the sign-ups that came through the partner's referral link."""

    __tablename__ = "partner_card"
    __table_args__ = (
        sa.CheckConstraint(check_in("text_status", TextStatus), name="text_status"),
        sa.CheckConstraint("visits >= 0 AND signups >= 0", name="counts_nonnegative"),
        # The reviewers' queue: pending texts, oldest first.
        sa.Index("ix_partner_card_text_status_submitted", "text_status", "text_submitted_at"),
    )

    distributor_id: int = Field(primary_key=True, foreign_key="distributor.id")
    alias: str | None = Field(default=None, max_length=32, unique=True)
    enabled: bool = False
    show_email: bool = False
    show_phone: bool = False
    show_messenger: bool = False
    messenger: str | None = Field(default=None, max_length=64)
    block_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON())
    # The text last submitted, its review state and the phrases that held it back; the card
    # shows `published_text` only (the last approved one).
    free_text: str | None = Field(default=None, max_length=600)
    text_status: TextStatus = Field(default=TextStatus.none, sa_type=sa.String(16))
    text_hits: list[str] = Field(default_factory=list, sa_type=sa.JSON())
    text_revision: int = 0
    text_submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    text_reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    text_reviewed_by: int | None = Field(default=None, foreign_key="app_user.id")
    published_text: str | None = Field(default=None, max_length=600)
    visits: int = 0
    signups: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime())


class SignupToken(SQLModel, table=True):
    """A sign-up form token that was used: a second submit of the same form is refused.
    Rows older than a token's lifetime are pruned (an expired token is refused anyway)."""

    __tablename__ = "signup_token"

    nonce: str = Field(primary_key=True, max_length=32)
    used_at: datetime = Field(sa_type=UTCDateTime(), index=True)


class SignupThrottle(SQLModel, table=True):
    """Sign-ups per client address in a fixed window (the login throttle's pattern)."""

    __tablename__ = "signup_throttle"

    key: str = Field(primary_key=True, max_length=80)
    attempts: int
    window_start: datetime = Field(sa_type=UTCDateTime(), index=True)


# -- API shapes --------------------------------------------------------------------------------


class CardBlockCreate(SQLModel):
    text_ru: str = Field(min_length=1, max_length=400)
    text_en: str = Field(min_length=1, max_length=400)


class CardBlockUpdate(SQLModel):
    text_ru: str | None = Field(default=None, min_length=1, max_length=400)
    text_en: str | None = Field(default=None, min_length=1, max_length=400)
    active: bool | None = None


class CardBlockPublic(SQLModel):
    id: int
    text_ru: str
    text_en: str
    active: bool
    created_at: datetime


class CardTextPublic(SQLModel):
    """A partner's free text as the reviewer sees it."""

    distributor_id: int
    name: str
    alias: str | None
    text: str | None
    status: TextStatus
    hits: list[str] = Field(description="Earnings-claim phrases the check found.")
    revision: int = Field(description="Send it back with the decision: a newer text is refused.")
    submitted_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by: int | None


class CardTextsPublic(SQLModel):
    items: list[CardTextPublic]
    count: int


class TextDecision(SQLModel):
    revision: int = Field(ge=0, le=2**31 - 1, description="The revision the reviewer read.")
