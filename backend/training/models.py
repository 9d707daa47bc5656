"""Training tables: published course versions, who is assigned what, the append-only event log,
its per-step projection and the business facts the task steps wait for.

The log (`training_event`) is the record; `training_step_state` and the progress columns of
`training_assignment` are its projection, written in the same transaction as each event so that
a page (and the mentor's view) reads one row per person instead of replaying the log.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.model_base import UTCDateTime, check_in


class AssignReason(StrEnum):
    signup = "signup"
    rank = "rank"
    admin = "admin"


class EventKind(StrEnum):
    viewed = "viewed"
    submitted = "submitted"
    passed = "passed"
    failed = "failed"
    confirmed = "confirmed"
    task_done = "task_done"


class Task(StrEnum):
    """What happened in the business (backend.training.content.TASKS)."""

    first_order = "first_order"
    first_retail_customer = "first_retail_customer"
    first_enrollment = "first_enrollment"
    payout_set_up = "payout_set_up"


class TrainingCourse(SQLModel, table=True):
    """A course by slug. ``current_number`` is the version people see: the newest one, or an
    older one again when a course is published back to earlier content. ``assign_on``, ``rank``
    and ``due_days`` are the current version's, kept here so sign-up reads no course content."""

    __tablename__ = "training_course"
    __table_args__ = (sa.CheckConstraint(check_in("assign_on", AssignReason), name="assign_on"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    active: bool = True
    current_number: int
    assign_on: str = Field(max_length=8)
    rank: str | None = Field(default=None, max_length=40)
    due_days: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime())


class TrainingCourseVersion(SQLModel, table=True):
    """A published version: the canonical JSON and its SHA-256 (content.version_of)."""

    __tablename__ = "training_course_version"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "version"),
        sa.UniqueConstraint("course_id", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="training_course.id")
    number: int
    version: str = Field(max_length=64)
    content: str = Field(sa_type=sa.Text())
    published_at: datetime = Field(sa_type=UTCDateTime())
    published_by: int | None = Field(default=None, foreign_key="app_user.id")


class TrainingAssignment(SQLModel, table=True):
    """A course assigned to a distributor, and the projection of their progress in it.
    ``completed_at`` / ``completed_version_id`` are set once and never cleared: completion
    never goes backwards, whatever a later version adds."""

    __tablename__ = "training_assignment"
    __table_args__ = (
        sa.UniqueConstraint("distributor_id", "course_id"),
        sa.CheckConstraint(check_in("reason", AssignReason), name="reason"),
        sa.CheckConstraint(
            "required_done >= 0 AND required_total >= 0 AND failed_quizzes >= 0",
            name="counts_nonnegative",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    distributor_id: int = Field(foreign_key="distributor.id")
    course_id: int = Field(foreign_key="training_course.id", index=True)
    reason: str = Field(max_length=8)
    assigned_at: datetime = Field(sa_type=UTCDateTime())
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    assigned_by: int | None = Field(default=None, foreign_key="app_user.id")
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    completed_version_id: int | None = Field(default=None, foreign_key="training_course_version.id")
    required_done: int = 0
    required_total: int = 0
    current_step: str | None = Field(default=None, max_length=40)
    last_activity_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    failed_quizzes: int = 0


class TrainingEvent(SQLModel, table=True):
    """Append-only: no service updates or deletes a row. ``answers`` is what was submitted
    (question number -> chosen options, true/false or the number as text)."""

    __tablename__ = "training_event"
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", EventKind), name="kind"),
        sa.Index("ix_training_event_distributor_course_id", "distributor_id", "course_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    distributor_id: int = Field(foreign_key="distributor.id")
    course_id: int = Field(foreign_key="training_course.id")
    version_id: int = Field(foreign_key="training_course_version.id")
    step_id: str = Field(max_length=40)
    kind: str = Field(max_length=12)
    pct: int | None = None
    attempt: int | None = None
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    comment: str | None = Field(default=None, max_length=1000)
    answers: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON())
    at: datetime = Field(sa_type=UTCDateTime())


class TrainingStepState(SQLModel, table=True):
    """The projection per person, course and step id (not per version: a step completed under
    an earlier version stays completed under the next one that keeps its id)."""

    __tablename__ = "training_step_state"
    __table_args__ = (sa.CheckConstraint("attempts >= 0", name="attempts_nonnegative"),)

    distributor_id: int = Field(primary_key=True, foreign_key="distributor.id")
    course_id: int = Field(primary_key=True, foreign_key="training_course.id")
    step_id: str = Field(primary_key=True, max_length=40)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    best_pct: int | None = None
    last_pct: int | None = None
    attempts: int = 0
    passed: bool = False


class TrainingFact(SQLModel, table=True):
    """Something that happened in the business, recorded once, whether or not a course's task
    step waits for it yet."""

    __tablename__ = "training_fact"
    __table_args__ = (sa.CheckConstraint(check_in("task", Task), name="task"),)

    distributor_id: int = Field(primary_key=True, foreign_key="distributor.id")
    task: str = Field(primary_key=True, max_length=24)
    at: datetime = Field(sa_type=UTCDateTime())
