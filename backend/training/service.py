"""Training use cases, in one place for their callers: publishing courses, assigning them,
reading a person's course with its gates, completing steps (reading, quizzes, mentor calls,
business tasks) and progress.

Every change to a person's course is one write unit (`progress`): :func:`begin_write` (SQLite)
and the assignment row locked ``FOR UPDATE`` (PostgreSQL), then the event appended to the log
and the projection (step states, the assignment's counts) updated in the same transaction.
Gates are enforced there, not only by the pages. After every change the course is *settled*: a
task step that is open and whose business fact exists completes at once, so a step unlocks in
the same request that completes its prerequisite.

The modules, lowest first: `stored` (versions as data, shared refusals), `progress`, `facts`,
`assignments`, `versions` (publishing), `views` (reading).
"""

from backend.training.assignments import (
    assign,
    assign_on_rank,
    assign_on_ranks,
    assign_on_signup,
    on_enrolled,
)
from backend.training.facts import record_fact, record_facts_of
from backend.training.progress import (
    QuizOutcome,
    StepOutcome,
    complete_reading,
    confirm_mentor,
    submit_quiz,
)
from backend.training.stored import MAX_COMMENT, READING_KINDS, NotAssigned, StepLocked
from backend.training.versions import publish, sync_repository_courses
from backend.training.views import (
    CourseProgressRow,
    CourseView,
    StepView,
    course_view,
    progress_of,
)

__all__ = [
    "MAX_COMMENT",
    "READING_KINDS",
    "CourseProgressRow",
    "CourseView",
    "NotAssigned",
    "QuizOutcome",
    "StepLocked",
    "StepOutcome",
    "StepView",
    "assign",
    "assign_on_rank",
    "assign_on_ranks",
    "assign_on_signup",
    "complete_reading",
    "confirm_mentor",
    "course_view",
    "on_enrolled",
    "progress_of",
    "publish",
    "record_fact",
    "record_facts_of",
    "submit_quiz",
    "sync_repository_courses",
]
