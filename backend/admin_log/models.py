"""The admin action log: append-only, hash-chained (see ``backend.admin_log.service``)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import Role, UTCDateTime, check_in


class AdminAction(StrEnum):
    account_created = "account_created"
    role_changed = "role_changed"
    password_reset = "password_reset"  # by an admin
    password_changed = "password_changed"  # by the account's owner
    account_deactivated = "account_deactivated"
    account_activated = "account_activated"
    product_created = "product_created"
    price_changed = "price_changed"
    price_removed = "price_removed"
    stock_adjusted = "stock_adjusted"
    rate_added = "rate_added"  # one exchange rate entered
    rates_imported = "rates_imported"  # a rate file (the CBR's XML_daily) imported
    vat_rate_added = "vat_rate_added"
    card_block_added = "card_block_added"  # a pitch block partners may put on their cards
    card_block_changed = "card_block_changed"
    card_text_approved = "card_text_approved"  # a partner's free text held by the claim check
    card_text_rejected = "card_text_rejected"
    account_renamed = "account_renamed"  # the account's display name changed by an admin
    setting_changed = "setting_changed"  # a company setting (backend.company.settings)
    see_as_started = "see_as_started"  # an admin opened a partner's office read-only
    see_as_ended = "see_as_ended"
    training_published = "training_published"  # a course's new (or earlier) version made current
    training_assigned = "training_assigned"  # a course assigned to a partner by an admin
    template_published = "template_published"  # a new version of an agreement or offer template
    sales_plan_set = "sales_plan_set"  # a period's sales plan (the reports' plan against actual)


#: Account changes that bar the account from approving a period for a while.
ACCOUNT_CHANGES = frozenset(
    {
        AdminAction.account_created,
        AdminAction.role_changed,
        AdminAction.password_reset,
        AdminAction.password_changed,
        AdminAction.account_activated,
    }
)


class AdminLogEntry(SQLModel, table=True):
    """One admin action. ``hash = sha256(prev_hash || canonical entry)``; ``seq`` runs 1, 2, ...
    without gaps, and ``prev_hash`` is unique, so two appends can never fork the chain."""

    __tablename__ = "admin_log"
    __table_args__ = (
        sa.CheckConstraint(check_in("action", AdminAction), name="action"),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
        sa.Index("ix_admin_log_target_seq", "target", "seq"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime())
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: AdminAction = Field(sa_type=sa.String(32))
    target: str = Field(max_length=100)
    payload: str = Field(sa_type=sa.Text())
    prev_hash: str = Field(max_length=66, unique=True)
    hash: str = Field(max_length=66, unique=True)


class AdminLogEntryPublic(SQLModel):
    seq: int
    at: datetime
    actor_id: int | None = Field(description="Who acted; null for the system (bootstrap, demo).")
    action: AdminAction
    target: str = Field(description="`user:5`, `product:3`, `price_list:2/product:3`, ...")
    payload: dict[str, object] = Field(description="What changed; never a password or its hash.")
    prev_hash: str
    hash: str


class AdminLogPublic(SQLModel):
    items: list[AdminLogEntryPublic]
    count: int
    head_seq: int = Field(description="The last entry's seq (0 while the log is empty).")
    head_hash: str = Field(description="The last entry's hash: what period inputs commit to.")


class AdminLogVerification(SQLModel):
    ok: bool
    entries: int = Field(description="Entries checked.")
    head_seq: int
    head_hash: str
    periods_checked: int = Field(
        description="Approved periods whose package's inputs commit to a log head, checked."
    )
    first_broken_seq: int | None = Field(description="The first entry that does not chain.")
    first_broken_period: int | None = Field(
        description="The period whose committed head the log no longer matches."
    )
    problem: str | None = Field(description="What is wrong.")


class AccountChange(SQLModel):
    seq: int = Field(description="The admin log entry.")
    action: AdminAction
    at: datetime
    by: int | None = Field(description="The user who made the change (null: the system).")


class AccountHistory(SQLModel):
    """Who made an account what it is, from the admin log."""

    user_id: int
    email: str
    role: Role
    created_at: datetime
    created_by: int | None = Field(
        description="The admin who created it; null when made outside the API (bootstrap)."
    )
    last_role_change: AccountChange | None
    last_password_change: AccountChange | None
    changes: list[AccountChange] = Field(description="Every logged change to the account.")


class ApprovalContext(SQLModel):
    computed_by: AccountHistory | None
    approved_by: AccountHistory | None
