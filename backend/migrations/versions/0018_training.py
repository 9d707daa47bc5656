"""training (issue 14): published course versions (training_course, training_course_version),
assignments with their progress projection (training_assignment), the append-only event log
(training_event), its per-step projection (training_step_state) and business facts
(training_fact)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-16 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("current_number", sa.Integer(), nullable=False),
        sa.Column("assign_on", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.String(length=40), nullable=True),
        sa.Column("due_days", sa.Integer(), nullable=True),
        sa.Column("created_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "assign_on IN ('signup', 'rank', 'admin')", name=op.f("ck_training_course_assign_on")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_course")),
        sa.UniqueConstraint("slug", name=op.f("uq_training_course_slug")),
    )
    op.create_table(
        "training_fact",
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=24), nullable=False),
        sa.Column("at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "task IN ('first_order', 'first_retail_customer', 'first_enrollment', 'payout_set_up')",
            name=op.f("ck_training_fact_task"),
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_training_fact_distributor_id_distributor"),
        ),
        sa.PrimaryKeyConstraint("distributor_id", "task", name=op.f("pk_training_fact")),
    )
    op.create_table(
        "training_step_state",
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=40), nullable=False),
        sa.Column(
            "completed_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("best_pct", sa.Integer(), nullable=True),
        sa.Column("last_pct", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_training_step_state_attempts_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_course.id"],
            name=op.f("fk_training_step_state_course_id_training_course"),
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_training_step_state_distributor_id_distributor"),
        ),
        sa.PrimaryKeyConstraint(
            "distributor_id", "course_id", "step_id", name=op.f("pk_training_step_state")
        ),
    )
    op.create_table(
        "training_course_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "published_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_course.id"],
            name=op.f("fk_training_course_version_course_id_training_course"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["app_user.id"],
            name=op.f("fk_training_course_version_published_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_course_version")),
        sa.UniqueConstraint(
            "course_id", "number", name=op.f("uq_training_course_version_course_id_number")
        ),
        sa.UniqueConstraint(
            "course_id", "version", name=op.f("uq_training_course_version_course_id_version")
        ),
    )
    op.create_table(
        "training_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=8), nullable=False),
        sa.Column(
            "assigned_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("due_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column(
            "completed_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("completed_version_id", sa.Integer(), nullable=True),
        sa.Column("required_done", sa.Integer(), nullable=False),
        sa.Column("required_total", sa.Integer(), nullable=False),
        sa.Column("current_step", sa.String(length=40), nullable=True),
        sa.Column(
            "last_activity_at", backend.core.model_base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("failed_quizzes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('signup', 'rank', 'admin')", name=op.f("ck_training_assignment_reason")
        ),
        sa.CheckConstraint(
            "required_done >= 0 AND required_total >= 0 AND failed_quizzes >= 0",
            name=op.f("ck_training_assignment_counts_nonnegative"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["app_user.id"],
            name=op.f("fk_training_assignment_assigned_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["completed_version_id"],
            ["training_course_version.id"],
            name=op.f("fk_training_assignment_completed_version_id_training_course_version"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_course.id"],
            name=op.f("fk_training_assignment_course_id_training_course"),
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_training_assignment_distributor_id_distributor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_assignment")),
        sa.UniqueConstraint(
            "distributor_id",
            "course_id",
            name=op.f("uq_training_assignment_distributor_id_course_id"),
        ),
    )
    with op.batch_alter_table("training_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_assignment_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "training_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("pct", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("at", backend.core.model_base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('viewed', 'submitted', 'passed', 'failed', 'confirmed', 'task_done')",
            name=op.f("ck_training_event_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_training_event_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_course.id"],
            name=op.f("fk_training_event_course_id_training_course"),
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributor.id"],
            name=op.f("fk_training_event_distributor_id_distributor"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["training_course_version.id"],
            name=op.f("fk_training_event_version_id_training_course_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_event")),
    )
    with op.batch_alter_table("training_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_training_event_distributor_course_id",
            ["distributor_id", "course_id", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("training_event", schema=None) as batch_op:
        batch_op.drop_index("ix_training_event_distributor_course_id")

    op.drop_table("training_event")
    with op.batch_alter_table("training_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_assignment_course_id"))

    op.drop_table("training_assignment")
    op.drop_table("training_course_version")
    op.drop_table("training_step_state")
    op.drop_table("training_fact")
    op.drop_table("training_course")
