"""The partner's training: their courses with progress, one course's steps (locked ones greyed
with what they still need), and one step: a lesson to read, a link with notes, a quiz, a
business task or the sponsor's call. Each handler parses, calls `backend.training.service`
(which enforces the gates and scores quizzes), renders.

A distributor opens only their own training here: every call names the logged-in partner's
distributor id, never one from the address. Posting "I have read it" or a quiz answers with the
step's part of the page and the course's step list (htmx swaps both, so a step that just opened
shows at once); without scripts it redirects to the step's page, which says what opened. A
refusal (a locked step, no attempts left, an answer that cannot be read) is said in words next
to the button: 409 or 422 with the page, never a bare error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from backend.accounts.models import User
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import Language
from backend.training import service as training
from backend.training.content import Lang
from backend.training.gating import NeedsComplete, NeedsPass, OpensOn, Reason
from backend.training.markdown import render_lesson
from backend.training.mentor import mentor_status
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, is_htmx, language_of, render
from backend.web.sessions import check_csrf

CsrfChecked = [Depends(check_csrf)]
READING = training.READING_KINDS
MAX_OPENED = 20  # step ids a redirect carries back in its address

KIND_NAMES = {
    "lesson": N_("Lesson"),
    "video": N_("Video"),
    "document": N_("Document"),
    "quiz": N_("Quiz"),
    "task": N_("Business task"),
    "mentor": N_("Call with your sponsor"),
}
STATE_NAMES = {"done": N_("done"), "open": N_("open"), "locked": N_("locked")}
# What completes a task step, and where the partner does it.
TASKS = {
    "first_order": (
        N_("This step completes itself when your first personal order is paid."),
        "/shop",
        N_("Open the catalogue"),
    ),
    "first_retail_customer": (
        N_("This step completes itself when you add your first retail customer."),
        "/shop/customers",
        N_("Go to my customers"),
    ),
    "first_enrollment": (
        N_(
            "This step completes itself when the first person you invite signs up with you as "
            "their sponsor."
        ),
        "/profile#card",
        N_("Your referral link and public card"),
    ),
    "payout_set_up": (
        N_(
            "This step completes itself when you save how you are paid: a bank account, or a "
            "wallet for tokens."
        ),
        "/payout",
        N_("Set up your payouts"),
    ),
}
QUIZ_REFUSALS = {
    "already_passed": N_("You have passed this quiz; it is not taken again."),
    "no_attempts_left": N_(
        "You have used every attempt of this quiz. Ask your sponsor or the company what to do next."
    ),
    "step_locked": N_("This step is still locked: see what it needs above."),
}
ANSWER_ERRORS = {
    "unknown_option": N_("Question %(n)s: choose one of the options shown."),
    "several_options": N_("Question %(n)s: choose one option only."),
    "several_values": N_("Question %(n)s: give one answer."),
    "not_true_false": N_("Question %(n)s: choose “true” or “false”."),
    "not_decimal": N_("Question %(n)s: enter a number, like 40 or 2,5."),
    "unknown_question": N_("The form has a question this quiz does not have. Reload the page."),
}
ANSWER_ERROR = N_("Question %(n)s: this answer cannot be read.")


@dataclass(frozen=True)
class Said:
    """A message and its parameters, translated by the template (`_(said.text, **said.params)`)."""

    text: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Why:
    """One reason a step is locked, as the template puts it into words."""

    kind: str  # complete | pass | opens
    step_id: str | None = None
    step: str | None = None  # the step's title in the reader's language
    pct: int | None = None
    got: int | None = None
    grading: str | None = None
    day: date | None = None


@dataclass(frozen=True)
class QuizResult:
    pct: int
    passed: bool
    attempts_left: int | None  # None: unlimited


def _whys(reasons: tuple[Reason, ...], titles: dict[str, str]) -> list[Why]:
    whys = []
    for reason in reasons:
        if isinstance(reason, NeedsComplete):
            whys.append(Why("complete", reason.step, titles.get(reason.step, reason.step)))
        elif isinstance(reason, NeedsPass):
            title = titles.get(reason.step, reason.step)
            whys.append(
                Why("pass", reason.step, title, reason.min_pct, reason.counted_pct, reason.grading)
            )
        elif isinstance(reason, OpensOn):
            whys.append(Why("opens", day=reason.day))
    return whys


def _partner(user: User) -> int:
    if user.distributor_id is None:
        raise Forbidden("this account is not a partner's", code="not_a_partner")
    return user.distributor_id


def _language(request: Request, user: User) -> Language:
    seeing = getattr(request.state, "seeing_as", None)
    return language_of(request, seeing.admin if seeing else user)


class _Course:
    """A course as this reader sees it: the service's view in their language."""

    def __init__(self, view: training.CourseView, lang: Language) -> None:
        self.view = view
        self.lang: Lang = "en" if lang == Language.en else "ru"
        self.titles = {step.id: step.title.in_(self.lang) for step in view.steps}
        self.whys = {step.id: _whys(step.reasons, self.titles) for step in view.steps}

    def step(self, step_id: str) -> training.StepView:
        for step in self.view.steps:
            if step.id == step_id:
                return step
        raise NotFound(f"no step {step_id!r} in this course", code="step_not_found")

    def context(self) -> dict[str, Any]:
        view = self.view
        current = self.titles.get(view.current_step) if view.current_step else None
        return {
            "course": view,
            "lang": self.lang,
            "titles": self.titles,
            "step_whys": self.whys,
            "current_title": current,
            "kind_names": KIND_NAMES,
            "state_names": STATE_NAMES,
        }


def _course(session: Session, user: User, slug: str, now: datetime, lang: Language) -> _Course:
    view = training.course_view(session, _partner(user), slug, today=now.date())
    return _Course(view, lang)


# The list of courses ---------------------------------------------------------------------------


def courses_page(request: Request, session: SessionDep, user: PageUser, now: NowDep) -> Response:
    lang = _language(request, user)
    rows = training.progress_of(session, _partner(user))
    courses = [(row, _course(session, user, row.slug, now, lang)) for row in rows]
    return render(request, "training_courses.html", courses=courses, lang=lang.value, now=now)


# One course ------------------------------------------------------------------------------------


def course_page(
    request: Request, session: SessionDep, user: PageUser, now: NowDep, slug: str
) -> Response:
    course = _course(session, user, slug, now, _language(request, user))
    return render(request, "training_course.html", now=now, **course.context())


# One step --------------------------------------------------------------------------------------


def _opened_of(course: _Course, ids: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """Steps named as just opened that really are open or done now (an address can say
    anything), with their titles."""
    shown = []
    for step_id in ids[:MAX_OPENED]:
        if step_id in course.titles and course.step(step_id).state != "locked":
            shown.append((step_id, course.titles[step_id]))
    return shown


def _step_context(
    session: Session,
    user: User,
    course: _Course,
    step_id: str,
    now: datetime,
    *,
    opened: list[str] | tuple[str, ...] = (),
    result: QuizResult | None = None,
    refusal: Said | None = None,
) -> dict[str, Any]:
    step = course.step(step_id)
    lesson = None
    if step.text is not None and step.state != "locked":
        lesson = Markup(render_lesson(step.text.in_(course.lang)))  # noqa: S704 - escaped by it
    mentor = None
    if step.kind == "mentor":
        mentor = mentor_status(session, _partner(user), course.view.slug, step.id)
    return course.context() | {
        "step": step,
        "whys_of_step": course.whys[step.id],
        "now": now,
        "lesson": lesson,
        "task": TASKS.get(step.task or ""),
        "mentor": mentor,
        "opened": _opened_of(course, opened),
        "result": result,
        "refusal": refusal,
        "attempts_left": (
            max((step.attempts_allowed or 0) - step.attempts_used, 0)
            if step.attempts_allowed
            else None
        ),
    }


def step_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    slug: str,
    step_id: str,
    opened: Annotated[str, Query(max_length=900)] = "",
    attempt: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    course = _course(session, user, slug, now, _language(request, user))
    step = course.step(step_id)
    result = None
    if step.kind == "quiz" and attempt and attempt == step.attempts_used:
        # The quiz just submitted without scripts: its result, read back from the projection.
        result = _result_of(step)
    chosen = opened.split(",") if opened else ()
    context = _step_context(session, user, course, step_id, now, opened=chosen, result=result)
    return render(request, "training_step.html", **context)


def _result_of(step: training.StepView) -> QuizResult:
    pct = step.last_pct or 0
    left = max(step.attempts_allowed - step.attempts_used, 0) if step.attempts_allowed else None
    return QuizResult(pct, pct >= (step.pass_pct or 101), left)


def _answer(
    request: Request,
    session: Session,
    user: User,
    now: datetime,
    slug: str,
    step_id: str,
    *,
    fragment: str,
    opened: tuple[str, ...] = (),
    result: QuizResult | None = None,
    refusal: Said | None = None,
    status_code: int = 200,
) -> Response:
    """After a POST: with htmx the step's part and the step list (out of band); without it a
    redirect to the step's page when it went through, else the page with the refusal."""
    lang = _language(request, user)
    course = _course(session, user, slug, now, lang)
    if is_htmx(request):
        context = _step_context(
            session, user, course, step_id, now, opened=opened, result=result, refusal=refusal
        )
        # htmx does not swap a 4xx answer: the fragment comes back as 200 with its refusal.
        return render(request, fragment, oob=True, **context)
    if refusal is None:
        query: dict[str, str] = {}
        if opened:
            query["opened"] = ",".join(opened)
        if result is not None:
            query["attempt"] = str(course.step(step_id).attempts_used)
        target = f"/training/{slug}/{step_id}" + (f"?{urlencode(query)}" if query else "")
        return RedirectResponse(target, status_code=303)
    context = _step_context(session, user, course, step_id, now, refusal=refusal)
    return render(request, "training_step.html", status_code=status_code, **context)


def read_step(
    request: Request, session: SessionDep, user: PageUser, now: NowDep, slug: str, step_id: str
) -> Response:
    fragment = "_training_reading.html"
    try:
        outcome = training.complete_reading(session, _partner(user), slug, step_id, now=now)
    except training.StepLocked:
        session.rollback()
        refusal = Said(QUIZ_REFUSALS["step_locked"], {})
        return _answer(
            request, session, user, now, slug, step_id, fragment=fragment, refusal=refusal,
            status_code=409,
        )  # fmt: skip
    except Invalid as refused:
        if refused.code == "wrong_step_kind":
            raise NotFound(str(refused)) from None
        raise
    return _answer(
        request, session, user, now, slug, step_id, fragment=fragment, opened=outcome.newly_opened
    )


async def quiz_form(request: Request) -> dict[str, list[str]]:
    """Every field of the submitted form with all its values (a multiple choice repeats its
    field)."""
    form = await request.form()
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form.keys()}


def submit_quiz(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    slug: str,
    step_id: str,
    form: Annotated[dict[str, list[str]], Depends(quiz_form)],
) -> Response:
    fragment = "_training_quiz.html"
    try:
        outcome = training.submit_quiz(session, _partner(user), slug, step_id, form, now=now)
    except training.StepLocked:
        session.rollback()
        refusal, status = Said(QUIZ_REFUSALS["step_locked"], {}), 409
    except Invalid as refused:
        session.rollback()
        if refused.code == "wrong_step_kind":
            raise NotFound(str(refused)) from None
        number = refused.details.get("question") if refused.details else None
        text = ANSWER_ERRORS.get(refused.code, ANSWER_ERROR)
        refusal, status = Said(text, {"n": number or "?"}), 422
    except Conflict as refused:
        session.rollback()
        text = QUIZ_REFUSALS.get(refused.code, QUIZ_REFUSALS["no_attempts_left"])
        refusal, status = Said(text, {}), 409
    else:
        result = QuizResult(outcome.pct, outcome.passed, outcome.attempts_left)
        return _answer(
            request, session, user, now, slug, step_id, fragment=fragment,
            opened=outcome.newly_opened, result=result,
        )  # fmt: skip
    return _answer(
        request, session, user, now, slug, step_id, fragment=fragment, refusal=refusal,
        status_code=status,
    )  # fmt: skip


def add_training_pages(router: APIRouter) -> None:
    """Onto the pages' router (its guard and policy apply)."""
    get, post = ["GET"], ["POST"]
    router.add_api_route("/training", courses_page, methods=get)
    router.add_api_route("/training/{slug}", course_page, methods=get)
    router.add_api_route("/training/{slug}/{step_id}", step_page, methods=get)
    router.add_api_route(
        "/training/{slug}/{step_id}/done", read_step, methods=post, dependencies=CsrfChecked
    )
    router.add_api_route(
        "/training/{slug}/{step_id}/quiz", submit_quiz, methods=post, dependencies=CsrfChecked
    )
