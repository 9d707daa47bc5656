"""a closed period's acts issued in bulk by the worker (issue 17): the job with its progress
and failures, and the numbers reserved for acts not yet written

Revision ID: 0029
Revises: 0028
Create Date: 2027-01-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("status != 'done'")


def upgrade() -> None:
    op.create_table(
        "acts_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("site", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column(
            "requested_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("started_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("language IN ('ru', 'en')", name=op.f("ck_acts_job_language")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done')", name=op.f("ck_acts_job_status")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_acts_job_period_id_period")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["app_user.id"], name=op.f("fk_acts_job_requested_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acts_job")),
    )
    op.create_index(op.f("ix_acts_job_period_id"), "acts_job", ["period_id"], unique=False)
    op.create_index(
        "uq_acts_job_unfinished",
        "acts_job",
        ["period_id", "language"],
        unique=True,
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )
    op.create_table(
        "document_reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("distributor_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("issued_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_document_reservation_distributor_id_distributor"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["app_user.id"], name=op.f("fk_document_reservation_issued_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["acts_job.id"], name=op.f("fk_document_reservation_job_id_acts_job")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.id"],
            name=op.f("fk_document_reservation_order_id_sales_order"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_document_reservation_period_id_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_reservation")),
        sa.UniqueConstraint(
            "kind",
            "organisation",
            "year",
            "number",
            name=op.f("uq_document_reservation_kind_organisation_year_number"),
        ),
        sa.UniqueConstraint(
            "kind",
            "subject",
            "language",
            name=op.f("uq_document_reservation_kind_subject_language"),
        ),
    )
    op.create_index(
        op.f("ix_document_reservation_job_id"), "document_reservation", ["job_id"], unique=False
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM document_reservation")).scalar_one():
        raise RuntimeError(
            "0029 cannot be downgraded: numbers are reserved for acts not yet written; let the "
            "worker finish its acts jobs first (a dropped reservation is a gap in the series)"
        )
    op.drop_index(op.f("ix_document_reservation_job_id"), table_name="document_reservation")
    op.drop_table("document_reservation")
    op.drop_index("uq_acts_job_unfinished", table_name="acts_job")
    op.drop_index(op.f("ix_acts_job_period_id"), table_name="acts_job")
    op.drop_table("acts_job")
