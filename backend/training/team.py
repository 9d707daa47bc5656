"""The mentor's view of training: a leader's team in the sponsor tree joined with the progress
projection (one row per person per course), and one person's recent training events.

The team is the genealogy's own sponsor-tree query (`tree_view`'s recursive CTE over the
indexed `sponsor_id`, bounded by a depth), joined in the same statement with
`training_assignment` (its unique (distributor_id, course_id) index): filtering, sorting,
counting and paging happen in the database, never one person at a time in Python. Scope: only
people below the leader in their sponsor tree ever appear; a person's own page is open to their
sponsor upline (:func:`in_sponsor_team`) and to staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.errors import Forbidden
from backend.core.model_base import Role, UTCDateTime
from backend.genealogy import access, tree_view
from backend.genealogy.models import Distributor
from backend.genealogy.tree_path import is_within
from backend.genealogy.tree_view import TreeKind
from backend.training.content import Bilingual
from backend.training.models import (
    TrainingAssignment,
    TrainingCourse,
    TrainingCourseVersion,
    TrainingEvent,
)
from backend.training.stored import _course_of

PAGE = 50
MAX_DEPTH = 10
DEFAULT_DEPTH = 3
DEFAULT_STUCK_DAYS = 7
RECENT_EVENTS = 20


class TeamFilter(StrEnum):
    all = "all"
    stuck = "stuck"  # not completed, nothing done for more than `stuck_days`
    failed = "failed"  # failed a quiz twice or more
    not_started = "not_started"  # no activity yet, not completed
    completed = "completed"


class TeamSort(StrEnum):
    name = "name"
    id = "id"
    level = "level"
    course = "course"
    progress = "progress"
    step = "step"
    activity = "activity"
    days = "days"
    failed = "failed"


@dataclass(frozen=True)
class TeamRow:
    distributor_id: int
    first_name: str
    last_name: str
    level: int
    slug: str
    required_done: int
    required_total: int
    current_step: str | None
    last_activity_at: datetime | None
    days_since: int  # since the last activity, or since assigned when there was none
    failed_quizzes: int
    completed_at: datetime | None


@dataclass(frozen=True)
class TeamPage:
    rows: list[TeamRow]
    total: int
    page: int
    pages: int


_A, _C, _D = TrainingAssignment, TrainingCourse, Distributor


def team_page(
    session: Session,
    leader: Distributor,
    *,
    depth: int = DEFAULT_DEPTH,
    show: TeamFilter = TeamFilter.all,
    stuck_days: int = DEFAULT_STUCK_DAYS,
    sort: TeamSort = TeamSort.name,
    descending: bool = False,
    page: int = 1,
    now: datetime,
) -> TeamPage:
    """One page (50 rows) of the leader's team 1..depth levels below them in the sponsor tree,
    each person's assigned courses with their progress, filtered and sorted.

    Two statements, as the genealogy's downline pages: the page's keys (the team's CTE joined
    with the assignments, only the columns the order needs, sorted, limited, counted by a
    window), then the page's 50 rows by id. Carrying every column through the sort of a whole
    team costs several times more."""
    depth = max(1, min(depth, MAX_DEPTH))
    page = max(1, page)
    members = tree_view._level_members(leader, TreeKind.sponsor, depth)  # noqa: SLF001
    moment = UTCDateTime()  # compared as stored (SQLite keeps text)
    since = sa.func.coalesce(col(_A.last_activity_at), col(_A.assigned_at), type_=moment)
    filters: list[Any] = []
    if show is TeamFilter.stuck:
        cutoff = sa.bindparam("cutoff", now - timedelta(days=stuck_days), type_=moment)
        filters += [col(_A.completed_at).is_(None), since < cutoff]
    elif show is TeamFilter.failed:
        filters.append(col(_A.failed_quizzes) >= 2)
    elif show is TeamFilter.not_started:
        filters += [col(_A.completed_at).is_(None), col(_A.last_activity_at).is_(None)]
    elif show is TeamFilter.completed:
        filters.append(col(_A.completed_at).is_not(None))

    def chosen(*columns: Any) -> Any:
        return (
            sa.select(*columns)
            .select_from(members)
            .join(_A, col(_A.distributor_id) == members.c.id)
            .where(*filters)
        )

    share = sa.cast(col(_A.required_done), sa.Float) / sa.func.nullif(col(_A.required_total), 0)
    keys: dict[TeamSort, list[Any]] = {
        TeamSort.name: [col(_D.last_name), col(_D.first_name)],
        TeamSort.id: [],
        TeamSort.level: [members.c.level],
        TeamSort.course: [col(_C.slug)],
        TeamSort.progress: [sa.func.coalesce(share, 1.0), col(_A.required_done)],
        TeamSort.step: [sa.func.coalesce(col(_A.current_step), "")],
        TeamSort.activity: [since],
        # More days since = an older moment: the same key, the other way round.
        TeamSort.days: [since.desc() if not descending else since.asc()],
        TeamSort.failed: [col(_A.failed_quizzes)],
    }
    ordered = (
        keys[sort]
        if sort is TeamSort.days
        else [k.desc() if descending else k.asc() for k in keys[sort]]
    )
    person = col(_A.distributor_id)
    ties = [person.desc() if descending else person.asc(), col(_A.course_id).asc()]
    query = chosen(col(_A.id), members.c.level, sa.func.count().over().label("total"))
    if sort is TeamSort.name:
        query = query.join(_D, col(_D.id) == members.c.id)
    elif sort is TeamSort.course:
        query = query.join(_C, col(_C.id) == col(_A.course_id))
    picked = session.execute(
        query.order_by(*ordered, *ties).offset((page - 1) * PAGE).limit(PAGE)
    ).all()
    if picked:
        total = int(picked[0].total)
    else:  # past the end (or nobody): no row carries the count
        total = int(session.execute(chosen(sa.func.count())).scalar() or 0)
    levels = {int(row.id): int(row.level) for row in picked}
    rows = {
        row.id: row
        for row in session.execute(
            sa.select(
                col(_A.id),
                col(_D.id).label("distributor_id"),
                col(_D.first_name),
                col(_D.last_name),
                col(_C.slug),
                col(_A.required_done),
                col(_A.required_total),
                col(_A.current_step),
                col(_A.last_activity_at),
                col(_A.assigned_at),
                col(_A.failed_quizzes),
                col(_A.completed_at),
            )
            .join(_D, col(_D.id) == col(_A.distributor_id))
            .join(_C, col(_C.id) == col(_A.course_id))
            .where(col(_A.id).in_(list(levels)))
        )
    }
    today = now.date()
    items = []
    for assignment_id, level in levels.items():
        row = rows[assignment_id]
        items.append(
            TeamRow(
                distributor_id=row.distributor_id,
                first_name=row.first_name,
                last_name=row.last_name,
                level=level,
                slug=row.slug,
                required_done=row.required_done,
                required_total=row.required_total,
                current_step=row.current_step,
                last_activity_at=row.last_activity_at,
                days_since=max(0, (today - (row.last_activity_at or row.assigned_at).date()).days),
                failed_quizzes=row.failed_quizzes,
                completed_at=row.completed_at,
            )
        )
    return TeamPage(items, total, page, max(1, -(-total // PAGE)))


def in_sponsor_team(session: Session, leader: Distributor, person: Distributor) -> bool:
    """Whether the person is below the leader in the sponsor tree (the genealogy's check: the
    placement downline first, then the sponsor chain among the placement ancestors)."""
    if leader.id == person.id or leader.tree_path is None or person.tree_path is None:
        return False
    if not is_within(person.tree_path, leader.tree_path):
        return False
    assert person.id is not None
    return person.id in tree_view.sponsor_descendants_among(session, leader, [person.id])


def person_for(session: Session, user: User, distributor_id: int) -> Distributor:
    """The person whose training a reader opens: staff anyone; a distributor themself or
    someone below them in their sponsor tree (403 for anyone else, another branch included)."""
    person = access.ensure_visible(session, user, distributor_id)  # 404, or 403 off the downline
    if user.role != Role.distributor or user.distributor_id == person.id:
        return person
    me = access.own_distributor(session, user)
    if not in_sponsor_team(session, me, person):
        raise Forbidden(
            f"distributor {distributor_id} is not in your sponsor team", code="out_of_scope"
        )
    return person


@dataclass(frozen=True)
class EventRow:
    slug: str
    step_id: str
    kind: str
    pct: int | None
    attempt: int | None
    comment: str | None
    at: datetime


def recent_events(
    session: Session, distributor_id: int, limit: int = RECENT_EVENTS
) -> list[EventRow]:
    """The person's latest training events, newest first (the log's index on distributor,
    course, id)."""
    rows = session.execute(
        sa.select(
            col(_C.slug),
            col(TrainingEvent.step_id),
            col(TrainingEvent.kind),
            col(TrainingEvent.pct),
            col(TrainingEvent.attempt),
            col(TrainingEvent.comment),
            col(TrainingEvent.at),
        )
        .join(_C, col(_C.id) == col(TrainingEvent.course_id))
        .where(col(TrainingEvent.distributor_id) == distributor_id)
        .order_by(col(TrainingEvent.id).desc())
        .limit(limit)
    ).all()
    return [EventRow(*row) for row in rows]


@dataclass(frozen=True)
class CourseWords:
    """A course's title and its steps' titles in both languages (the current version's)."""

    title: Bilingual
    steps: dict[str, Bilingual]


def course_words(session: Session, slugs: set[str]) -> dict[str, CourseWords]:
    """What the team table names: each course and its steps, one read for all the slugs."""
    if not slugs:
        return {}
    versions = session.exec(
        select(TrainingCourse, TrainingCourseVersion)
        .join(
            TrainingCourseVersion,
            sa.and_(
                col(TrainingCourseVersion.course_id) == col(TrainingCourse.id),
                col(TrainingCourseVersion.number) == col(TrainingCourse.current_number),
            ),
        )
        .where(col(TrainingCourse.slug).in_(sorted(slugs)))
    ).all()
    words = {}
    for course_row, version in versions:
        course = _course_of(version)  # parsed once per process
        words[course_row.slug] = CourseWords(course.title, {s.id: s.title for s in course.steps})
    return words
