"""The mentor's pages: a leader's team with everyone's training progress (the sponsor tree to a
chosen depth, filtered, sorted, 50 rows a page), one person's progress with its steps and
recent events, and the sponsor's confirmation of a mentor step with a comment."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from backend.core.db import SessionDep
from backend.core.errors import AppError, Forbidden, Invalid, NotFound
from backend.core.model_base import Role
from backend.genealogy import access
from backend.genealogy.models import Distributor
from backend.training import service as training
from backend.training import team
from backend.training.gating import NeedsComplete, NeedsPass, OpensOn, Reason
from backend.training.team import TeamFilter, TeamSort
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, render
from backend.web.sessions import check_csrf

CsrfChecked = [Depends(check_csrf)]
TEAM = "/training/team"

FILTER_NAMES = {
    TeamFilter.all: N_("Everyone"),
    TeamFilter.stuck: N_("Stuck"),
    TeamFilter.failed: N_("Failed a quiz twice or more"),
    TeamFilter.not_started: N_("Not started"),
    TeamFilter.completed: N_("Completed"),
}
COLUMN_NAMES = {
    TeamSort.name: N_("Name"),
    TeamSort.id: N_("ID"),
    TeamSort.level: N_("Level"),
    TeamSort.course: N_("Course"),
    TeamSort.progress: N_("Steps done"),
    TeamSort.step: N_("Current step"),
    TeamSort.activity: N_("Last activity"),
    TeamSort.days: N_("Days since"),
    TeamSort.failed: N_("Failed quizzes"),
}
STATE_NAMES = {"done": N_("done"), "open": N_("open"), "locked": N_("locked")}
KIND_NAMES = {
    "lesson": N_("Lesson"),
    "video": N_("Video"),
    "document": N_("Document"),
    "quiz": N_("Quiz"),
    "task": N_("Task"),
    "mentor": N_("With the sponsor"),
}
EVENT_NAMES = {
    "viewed": N_("read"),
    "submitted": N_("quiz submitted"),
    "passed": N_("quiz passed"),
    "failed": N_("quiz failed"),
    "confirmed": N_("confirmed by the sponsor"),
    "task_done": N_("task done"),
}
CONFIRMED = N_("The step is confirmed: the course moves on.")
# A service's refusal of the confirmation, by its code, in words beside the form.
REFUSALS = {
    "comment_required": N_("Write a comment of 1 to 1000 characters: what you talked about."),
    "not_sponsor": N_("Only the person's sponsor confirms this step."),
    "step_locked": N_("This step is not open yet. It still needs: %(reasons)s."),
}
REASON_TEXTS = {
    "complete": N_("complete “%(step)s”"),
    "pass": N_("pass “%(step)s” with at least %(pct)s %%"),
    "pass_so_far": N_("pass “%(step)s” with at least %(pct)s %% (so far %(so_far)s %%)"),
    "opens_on": N_("wait until %(day)s"),
}


def team_view(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    depth: Annotated[int, Query(ge=1, le=team.MAX_DEPTH)] = team.DEFAULT_DEPTH,
    show: Annotated[TeamFilter, Query()] = TeamFilter.all,
    days: Annotated[int, Query(ge=1, le=365)] = team.DEFAULT_STUCK_DAYS,
    sort: Annotated[TeamSort, Query()] = TeamSort.name,
    desc: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The leader's own team only: the root is always the reader's own distributor."""
    leader = access.own_distributor(session, user)
    found = team.team_page(
        session,
        leader,
        depth=depth,
        show=show,
        stuck_days=days,
        sort=sort,
        descending=desc,
        page=page,
        now=now,
    )
    query = {"depth": depth, "show": show.value, "days": days}
    return render(
        request,
        "training_team.html",
        leader=leader,
        found=found,
        depth=depth,
        max_depth=team.MAX_DEPTH,
        show=show,
        days=days,
        sort=sort,
        desc=desc,
        base=TEAM + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
        filters=FILTER_NAMES,
        columns=COLUMN_NAMES,
        words=team.course_words(session, {row.slug for row in found.rows}),
    )


def person_view(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    distributor_id: int,
    confirmed: Annotated[bool, Query()] = False,
) -> Response:
    check_id(distributor_id)
    person = team.person_for(session, user, distributor_id)
    return _person(request, session, user, person, today=now.date(), confirmed=confirmed)


def _person(
    request: Request,
    session: SessionDep,
    user: PageUser,
    person: Distributor,
    *,
    today: date,
    status_code: int = 200,
    errors: dict[str, tuple[str, dict[str, Any]]] | None = None,
    comments: dict[str, str] | None = None,
    confirmed: bool = False,
) -> Response:
    assert person.id is not None
    rows = training.progress_of(session, person.id)
    courses = [training.course_view(session, person.id, row.slug, today=today) for row in rows]
    is_sponsor = user.distributor_id is not None and user.distributor_id == person.sponsor_id
    return render(
        request,
        "training_person.html",
        status_code=status_code,
        person=person,
        progress=rows,
        courses=courses,
        events=team.recent_events(session, person.id),
        may_confirm=is_sponsor or user.role == Role.admin,
        own=user.distributor_id == person.id,
        reasons={
            (c.slug, s.id): [_reason(r, c) for r in s.reasons] for c in courses for s in c.steps
        },
        states=STATE_NAMES,
        kinds=KIND_NAMES,
        event_names=EVENT_NAMES,
        errors=errors or {},
        comments=comments or {},
        confirmed=CONFIRMED if confirmed else None,
    )


def _reason(reason: Reason, course: training.CourseView) -> tuple[str, dict[str, Any]]:
    """A gate still missing, as a message and its values (step titles stay bilingual)."""
    titles = {s.id: s.title for s in course.steps}
    if isinstance(reason, NeedsComplete):
        return REASON_TEXTS["complete"], {"step": titles.get(reason.step)}
    if isinstance(reason, NeedsPass):
        values = {"step": titles.get(reason.step), "pct": reason.min_pct}
        if reason.counted_pct is None:
            return REASON_TEXTS["pass"], values
        return REASON_TEXTS["pass_so_far"], values | {"so_far": reason.counted_pct}
    assert isinstance(reason, OpensOn)
    return REASON_TEXTS["opens_on"], {"day": reason.day}


def confirm(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    distributor_id: int,
    slug: str,
    step: str,
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """The sponsor confirms a mentor step: the service decides who may and when (the page
    shows its refusal in words beside the form)."""
    check_id(distributor_id)
    person = team.person_for(session, user, distributor_id)
    key = f"{slug}/{step}"
    try:
        training.confirm_mentor(session, user, distributor_id, slug, step, comment, now=now)
    except NotFound:
        raise
    except (Invalid, Forbidden, training.StepLocked) as refused:
        session.rollback()
        return _person(
            request,
            session,
            user,
            person,
            today=now.date(),
            status_code=_status(refused),
            errors={key: _refusal(session, refused, person, slug, step, now.date())},
            comments={key: comment},
        )
    return RedirectResponse(
        f"/distributors/{distributor_id}/training?confirmed=true#course-{slug}", status_code=303
    )


def _status(refused: AppError) -> int:
    return 422 if isinstance(refused, Invalid) else refused.status_code


def _refusal(
    session: SessionDep,
    refused: AppError,
    person: Distributor,
    slug: str,
    step_id: str,
    today: date,
) -> tuple[str, dict[str, Any]]:
    code = refused.code
    if isinstance(refused, training.StepLocked):
        assert person.id is not None
        course = training.course_view(session, person.id, slug, today=today)
        reasons = next(s.reasons for s in course.steps if s.id == step_id)
        return REFUSALS["step_locked"], {"reasons": [_reason(r, course) for r in reasons]}
    return REFUSALS.get(code, N_("The step could not be confirmed.")), {}


def add_training_team_pages(router: APIRouter) -> None:
    router.add_api_route(TEAM, team_view, methods=["GET"])
    base = "/distributors/{distributor_id}/training"
    router.add_api_route(base, person_view, methods=["GET"])
    router.add_api_route(
        base + "/{slug}/{step}/confirmation",
        confirm,
        methods=["POST"],
        dependencies=CsrfChecked,
    )
