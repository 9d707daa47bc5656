"""partner documents (issue 17): issued documents with their frozen data and PDF, and the
gap-free numbering counter per (kind, organisation, year)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_counter",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "organisation", "year", name=op.f("pk_document_counter")),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("distributor_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('invoice', 'act')", name=op.f("ck_document_kind")),
        sa.CheckConstraint("language IN ('ru', 'en')", name=op.f("ck_document_language")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["document.id"], name=op.f("fk_document_corrects_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_document_distributor_id_distributor"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["app_user.id"], name=op.f("fk_document_issued_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sales_order.id"], name=op.f("fk_document_order_id_sales_order")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_document_period_id_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint(
            "kind",
            "organisation",
            "year",
            "number",
            name=op.f("uq_document_kind_organisation_year_number"),
        ),
        sa.UniqueConstraint(
            "kind",
            "subject",
            "language",
            "revision",
            name=op.f("uq_document_kind_subject_language_revision"),
        ),
    )
    op.create_index(
        "ix_document_distributor_period", "document", ["distributor_id", "period_id"], unique=False
    )
    op.create_index(op.f("ix_document_order_id"), "document", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_document_order_id"), table_name="document")
    op.drop_index("ix_document_distributor_period", table_name="document")
    op.drop_table("document")
    op.drop_table("document_counter")
