"""partners' public cards (partner_card), the company's pitch blocks (card_block, four seeded
in Russian and English), what the public sign-up keeps (signup_token, signup_throttle), and the
admin log's four card actions

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 10:00:00.000000
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)
OLD_ACTIONS = (
    "account_created", "role_changed", "password_reset", "password_changed",
    "account_deactivated", "account_activated", "product_created", "price_changed",
    "price_removed", "stock_adjusted", "rate_added", "rates_imported", "vat_rate_added",
)  # fmt: skip
CARD_ACTIONS = (
    "card_block_added", "card_block_changed", "card_text_approved", "card_text_rejected",
)  # fmt: skip
SEEDED_AT = dt.datetime(2026, 12, 10, tzinfo=dt.UTC)
BLOCKS = (
    (
        "Я помогаю подобрать продукты для здоровья и красоты под ваши цели.",
        "I help you choose health and beauty products that fit your goals.",
    ),
    (
        "Покупайте продукцию компании по цене партнёра и получайте консультацию лично от меня.",
        "Buy the company's products at partner prices, with personal advice from me.",
    ),
    (
        "Приглашаю в команду тех, кому интересны продажи и работа с людьми. Обучение и "
        "поддержка — с первого дня.",
        "I invite people who enjoy sales and working with others to join my team. Training "
        "and support from day one.",
    ),
    (
        "Доход партнёра зависит от его собственных продаж и работы его команды и не "
        "гарантирован. Подробности — в плане вознаграждения компании.",
        "A partner's income depends on their own sales and their team's work, and is not "
        "guaranteed. The company's compensation plan has the details.",
    ),
)


def _actions_check(actions: Sequence[str]) -> str:
    return "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")"


def upgrade() -> None:
    block = op.create_table(
        "card_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_ru", sa.String(length=400), nullable=False),
        sa.Column("text_en", sa.String(length=400), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_block")),
    )
    op.bulk_insert(
        block,
        [
            {"id": n, "text_ru": ru, "text_en": en, "active": True, "created_at": SEEDED_AT}
            for n, (ru, en) in enumerate(BLOCKS, start=1)
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('card_block', 'id'), {len(BLOCKS)})")
    op.create_table(
        "partner_card",
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=32), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("show_email", sa.Boolean(), nullable=False),
        sa.Column("show_phone", sa.Boolean(), nullable=False),
        sa.Column("show_messenger", sa.Boolean(), nullable=False),
        sa.Column("messenger", sa.String(length=64), nullable=True),
        sa.Column("block_ids", sa.JSON(), nullable=False),
        sa.Column("free_text", sa.String(length=600), nullable=True),
        sa.Column("text_status", sa.String(length=16), nullable=False),
        sa.Column("text_hits", sa.JSON(), nullable=False),
        sa.Column("text_revision", sa.Integer(), nullable=False),
        sa.Column("text_submitted_at", UTC, nullable=True),
        sa.Column("text_reviewed_at", UTC, nullable=True),
        sa.Column("text_reviewed_by", sa.Integer(), nullable=True),
        sa.Column("published_text", sa.String(length=600), nullable=True),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("signups", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "text_status IN ('none', 'approved', 'pending', 'rejected')",
            name=op.f("ck_partner_card_text_status"),
        ),
        sa.CheckConstraint(
            "visits >= 0 AND signups >= 0", name=op.f("ck_partner_card_counts_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_partner_card_distributor_id_distributor"),
        ),
        sa.ForeignKeyConstraint(
            ["text_reviewed_by"],
            ["app_user.id"],
            name=op.f("fk_partner_card_text_reviewed_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("distributor_id", name=op.f("pk_partner_card")),
        sa.UniqueConstraint("alias", name=op.f("uq_partner_card_alias")),
    )
    op.create_index(
        op.f("ix_partner_card_text_status_submitted"),
        "partner_card",
        ["text_status", "text_submitted_at"],
    )
    op.create_table(
        "signup_token",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("used_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_signup_token")),
    )
    op.create_index(op.f("ix_signup_token_used_at"), "signup_token", ["used_at"])
    op.create_table(
        "signup_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", UTC, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_signup_throttle")),
    )
    op.create_index(op.f("ix_signup_throttle_window_start"), "signup_throttle", ["window_start"])
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _actions_check(OLD_ACTIONS + CARD_ACTIONS))


def downgrade() -> None:
    # The admin log is hash-chained: its card entries cannot be dropped without breaking every
    # later link, so a database that logged a card decision stays at this revision.
    logged = op.get_bind().execute(
        sa.text(
            "SELECT count(*) FROM admin_log WHERE action IN ("
            + ", ".join(f"'{a}'" for a in CARD_ACTIONS)
            + ")"
        )
    )
    if logged.scalar_one():
        raise RuntimeError(
            "0016 cannot be downgraded: the admin log holds card entries, and removing them "
            "would break its hash chain"
        )
    with op.batch_alter_table("admin_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_admin_log_action"), type_="check")
        batch_op.create_check_constraint("action", _actions_check(OLD_ACTIONS))
    op.drop_index(op.f("ix_signup_throttle_window_start"), table_name="signup_throttle")
    op.drop_table("signup_throttle")
    op.drop_index(op.f("ix_signup_token_used_at"), table_name="signup_token")
    op.drop_table("signup_token")
    op.drop_index(op.f("ix_partner_card_text_status_submitted"), table_name="partner_card")
    op.drop_table("partner_card")
    op.drop_table("card_block")
