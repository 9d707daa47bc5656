"""bank payouts: statements uploaded per period, each payment's outcome (matched with its
reference, or why not), and the chain job kind `attest` (attestBatch of bank lines)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-22 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)
OLD_KINDS = ("place", "anchor", "fund", "pay")
NEW_KINDS = (*OLD_KINDS, "attest")
OUTCOMES = (
    "matched", "seen", "amount_short", "amount_over", "account_differs", "unknown_line",
    "paid_twice", "returned", "not_debited", "no_reference",
)  # fmt: skip
MATCHED = sa.text("outcome = 'matched'")


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _replace_kind_check(kinds: Sequence[str]) -> None:
    with op.batch_alter_table("chain_job", schema=None, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_chain_job_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_chain_job_kind"), _kinds(kinds))


def upgrade() -> None:
    _replace_kind_check(NEW_KINDS)
    op.create_table(
        "bank_statement_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("unrelated", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_bank_statement_upload_period_id_period")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["app_user.id"],
            name=op.f("fk_bank_statement_upload_uploaded_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statement_upload")),
        sa.UniqueConstraint(
            "period_id", "sha256", name=op.f("uq_bank_statement_upload_period_id_sha256")
        ),
    )
    op.create_table(
        "bank_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("line_index", sa.Integer(), nullable=True),
        sa.Column("distributor_id", sa.BigInteger(), nullable=True),
        sa.Column("document_number", sa.String(length=40), nullable=True),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("statement_line", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("payee_account", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.String(length=66), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(
            "outcome IN (" + ", ".join(f"'{o}'" for o in OUTCOMES) + ")",
            name=op.f("ck_bank_payment_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["chain_job.id"], name=op.f("fk_bank_payment_job_id_chain_job")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_bank_payment_period_id_period")
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["bank_statement_upload.id"],
            name=op.f("fk_bank_payment_upload_id_bank_statement_upload"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_payment")),
    )
    with op.batch_alter_table("bank_payment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bank_payment_period_id_line_index", ["period_id", "line_index"], unique=False
        )
        batch_op.create_index(
            "uq_bank_payment_matched_line",
            ["period_id", "line_index"],
            unique=True,
            sqlite_where=MATCHED,
            postgresql_where=MATCHED,
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM chain_job WHERE kind = 'attest'")).scalar_one():
        raise RuntimeError(
            "0024 cannot be downgraded: the chain-job queue holds attest jobs (bank lines "
            "attested on chain), which the older schema cannot record"
        )
    op.drop_table("bank_payment")
    op.drop_table("bank_statement_upload")
    _replace_kind_check(OLD_KINDS)
