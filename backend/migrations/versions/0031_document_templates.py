"""versioned texts of the partner agreement and the commercial offer, and the partners'
acceptances of the agreement (issue 17, item 5)

Revision ID: 0031
Revises: 0030
Create Date: 2027-01-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body_ru", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "published_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('agreement', 'offer')", name=op.f("ck_document_template_kind")
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["app_user.id"],
            name=op.f("fk_document_template_published_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_template")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_document_template_kind_version")),
    )
    op.create_table(
        "agreement_acceptance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "accepted_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("accepted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["app_user.id"],
            name=op.f("fk_agreement_acceptance_accepted_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_agreement_acceptance_distributor_id_distributor"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_agreement_acceptance_document_id_document"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["document_template.id"],
            name=op.f("fk_agreement_acceptance_template_id_document_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_acceptance")),
        sa.UniqueConstraint(
            "distributor_id",
            "template_id",
            name=op.f("uq_agreement_acceptance_distributor_id_template_id"),
        ),
    )
    op.create_index(
        op.f("ix_agreement_acceptance_distributor_id"),
        "agreement_acceptance",
        ["distributor_id"],
        unique=False,
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM agreement_acceptance")).scalar_one():
        raise RuntimeError(
            "0031 cannot be downgraded: partners' acceptances are a record that is never removed"
        )
    op.drop_index(op.f("ix_agreement_acceptance_distributor_id"), table_name="agreement_acceptance")
    op.drop_table("agreement_acceptance")
    op.drop_table("document_template")
