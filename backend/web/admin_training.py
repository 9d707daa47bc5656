"""The administrator's training office: the courses with their current version and counts, a
course's versions, its editor (course.toml, every lesson's Russian and English Markdown and
every quiz's TOML in one form), assigning a course to a partner, and the report "Does training
pay off?". Publishing reads the texts through the course loader (`backend.training.editing`)
and publishes with `backend.training.service.publish`; a refusal is shown next to its file,
nothing is written. Publishing and assigning are logged in the admin log by the service."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from backend.accounts.models import User
from backend.core.db import SessionDep
from backend.core.errors import AppError, NotFound
from backend.training import office
from backend.training import report as training_report
from backend.training import service as training
from backend.training.content import Lang, version_of
from backend.training.editing import COURSE_FILE, course_files, expected_files, load_files
from backend.training.errors import ContentError
from backend.training.models import AssignReason
from backend.web.admin_forms import Errors, Fields, Route, Short, add_routes, redirect_done
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, render

Slug = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]
FILE_FIELD = "file:"

DONE = {
    "published": N_("The new version is published."),
    "unchanged": N_("Nothing changed: the texts are those of the current version."),
    "assigned": N_("The course is assigned."),
    "already_assigned": N_("The partner already has this course: nothing changed."),
}
ASSIGN_ON = {
    "signup": N_("on sign-up"),
    "rank": N_("on reaching a rank"),
    "admin": N_("by an admin"),
}
WHERE = [
    (re.compile(r"step (\S+)\Z"), N_("step %(name)s")),
    (re.compile(r"question (\d+) option (\d+)\Z"), N_("question %(name)s, option %(option)s")),
    (re.compile(r"question (\d+)\Z"), N_("question %(name)s")),
]
# The loader's refusals in words; %(field)s is the field the loader's message names.
CONTENT_ERRORS = {
    "bad_type": N_("%(field)s has the wrong type."),
    "empty_text": N_("The text is empty."),
    "missing_field": N_("%(field)s is missing."),
    "bad_value": N_("%(field)s is out of range."),
    "unknown_value": N_("%(field)s has a value the format does not know."),
    "unknown_kind": N_("Unknown kind: use one of those the format describes."),
    "missing_language": N_("The text in one of the two languages is missing: %(field)s."),
    "field_not_allowed": N_("%(field)s does not belong here."),
    "unknown_field": N_("Unknown field %(field)s (a typo?)."),
    "missing_file": N_("The file is missing."),
    "bad_encoding": N_("The text is not UTF-8."),
    "bad_toml": N_("The TOML cannot be read: %(detail)s"),
    "bad_id": N_("%(field)s: 1 to 40 lower-case Latin letters, digits or hyphens."),
    "not_decimal": N_('%(field)s must be a decimal written as text, like "40" or "2.5".'),
    "too_few_options": N_("A choice needs at least two options."),
    "single_needs_one_correct": N_("A single choice needs exactly one correct option."),
    "multiple_needs_a_correct": N_("A multiple choice needs at least one correct option."),
    "no_questions": N_("A quiz needs at least one question."),
    "duplicate_prerequisite": N_("A prerequisite is named twice."),
    "not_https": N_("The link must start with https://."),
    "bad_url": N_("The link must be an https:// address."),
    "missing_quiz": N_("A quiz step needs its quiz file: %(field)s."),
    "unknown_prerequisite": N_("A prerequisite names a step the course does not have: %(field)s."),
    "min_pct_not_quiz": N_("A minimum score can only be required of a quiz."),
    "min_pct_unreachable": N_(
        "The minimum score is above the quiz's pass mark and the quiz allows no retake after a "
        "pass: the step would never open."
    ),
    "cycle": N_("The prerequisites form a cycle: %(cycle)s."),
    "unexpected_file": N_("No step of the course reads this file (a misnamed step id?)."),
    "slug_mismatch": N_("The course's slug cannot be changed here."),
    "slug_reserved": N_("This name is taken by a page of the office: choose another slug."),
    "no_steps": N_("A course needs at least one step."),
    "duplicate_id": N_("Two steps have the same id: %(field)s."),
    "bad_file_name": N_("This file name is not one the course format knows."),
    "file_too_large": N_("The text is too long."),
}
ASSIGN_ERRORS = {
    "distributor_id": N_("Enter the partner's ID (a whole number)."),
    "not_found": N_("There is no partner with this ID."),
    "due": N_("Enter a date that has not passed, or leave it empty."),
    "course_inactive": N_("The course is retired: it cannot be assigned."),
}


def _lang(user: User) -> Lang:
    return "en" if user.language == "en" else "ru"


def _error(text: str, **values: object) -> dict[str, Any]:
    return {"text": text, "values": values}


def content_error(refused: ContentError, slug: str) -> tuple[str, dict[str, Any]]:
    """The file (relative to the course folder) a loader refusal belongs to, and its message."""
    name = refused.file.removeprefix(f"{slug}/")
    named = re.search(r"`([^`]+)`", refused.message)
    values: dict[str, object] = {
        "field": named.group(1) if named else refused.message,
        "detail": refused.message,
        "cycle": refused.message.rpartition(": ")[2],
    }
    message = _error(CONTENT_ERRORS.get(refused.code, "%(detail)s"), **values)
    message["where"] = None
    for pattern, text in WHERE:
        found = pattern.match(refused.where)
        if found:
            groups = found.groups()
            message["where"] = _error(text, name=groups[0], option=groups[-1])
            break
    return name, message


# -- the list ----------------------------------------------------------------------------------


def training_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
) -> Response:
    return render(
        request,
        "admin_training.html",
        tabs=ADMIN_TABS,
        courses=office.course_rows(session),
        assign_on=ASSIGN_ON,
    )


# -- one course: versions, editor, assignment ---------------------------------------------------


def _file_groups(session: Session, slug: str, files: dict[str, str], lang: Lang) -> list[Any]:
    """The editor's fields: course.toml, then each step's files under the step's title."""
    _number, _sha, course = office.current_content(session, slug)
    titles = {step.id: step.title.in_(lang) for step in course.steps}
    groups: list[dict[str, Any]] = [{"title": None, "step": None, "files": [COURSE_FILE]}]
    by_step: dict[str, dict[str, Any]] = {}
    for name in files:
        if name == COURSE_FILE:
            continue
        step_id = name.split("/", 1)[1].split(".", 1)[0]
        group = by_step.get(step_id)
        if group is None:
            group = {"title": titles.get(step_id), "step": step_id, "files": []}
            by_step[step_id] = group
            groups.append(group)
        group["files"].append(name)
    return groups


def _file_label(name: str) -> str:
    if name == COURSE_FILE:
        return N_("The course and its steps (course.toml)")
    if name.endswith(".ru.md"):
        return N_("Text in Russian (Markdown)")
    if name.endswith(".en.md"):
        return N_("Text in English (Markdown)")
    return N_("Quiz (TOML)")


def field_id(name: str) -> str:
    return "file-" + re.sub(r"[^a-z0-9]+", "-", name)


def course_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    slug: Slug,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    _number, _sha, course = office.current_content(session, slug)
    return _course_page(request, session, slug, course_files(course), notice=DONE.get(done or ""))


def _course_page(
    request: Request,
    session: Session,
    slug: str,
    files: dict[str, str],
    *,
    status_code: int = 200,
    notice: str | None = None,
    file_errors: dict[str, Any] | None = None,
    assign_values: Fields | None = None,
    assign_errors: Errors | None = None,
) -> Response:
    number, sha, course = office.current_content(session, slug)
    lang = _lang(request.state.page_user)
    return render(
        request,
        "admin_training_course.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        slug=slug,
        number=number,
        sha=sha,
        title=course.title.in_(lang),
        versions=office.versions_of(session, slug),
        files=files,
        groups=_file_groups(session, slug, files, lang),
        file_label=_file_label,
        field_id=field_id,
        file_errors=file_errors or {},
        notice=notice,
        assign_values=assign_values or {},
        assign_errors=assign_errors or {},
    )


async def publish(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    slug: Slug,
) -> Response:
    office.current_content(session, slug)  # 404 for a course that does not exist
    form = await request.form()
    files = {
        key.removeprefix(FILE_FIELD): value
        for key, value in form.multi_items()
        if key.startswith(FILE_FIELD) and isinstance(value, str)
    }
    for name in expected_files(files.get(COURSE_FILE, "")):
        files.setdefault(name, "")  # a step just added: fields for its texts
    try:
        course = load_files(slug, files)
    except ContentError as refused:
        name, message = content_error(refused, slug)
        if name not in files:
            name = COURSE_FILE
        return _course_page(
            request, session, slug, files, status_code=422, file_errors={name: message}
        )
    _number, sha, _current = office.current_content(session, slug)
    if version_of(course) == sha:
        return redirect_done(f"/admin/training/{slug}", "unchanged")
    training.publish(session, course, actor=user, now=now)
    return redirect_done(f"/admin/training/{slug}", "published")


async def assign(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    slug: Slug,
    distributor_id: Short = "",
    due: Short = "",
) -> Response:
    _number, _sha, course = office.current_content(session, slug)
    values = {"distributor_id": distributor_id, "due": due}
    errors: Errors = {}
    number = distributor_id.strip()
    if not (number.isascii() and number.isdigit() and 0 < int(number) < 2**31):
        errors["distributor_id"] = _error(ASSIGN_ERRORS["distributor_id"])
    due_at = None
    if due.strip():
        try:
            day = date.fromisoformat(due.strip())
        except ValueError:
            day = None
        if day is None or day < now.date():
            errors["due"] = _error(ASSIGN_ERRORS["due"])
        else:
            due_at = datetime.combine(day, time(23, 59), UTC)
    made = False
    if not errors:
        try:
            _assignment, made = training.assign(
                session,
                int(number),
                slug,
                reason=AssignReason.admin,
                actor=user,
                now=now,
                due_at=due_at,
            )
        except NotFound:
            session.rollback()
            errors["distributor_id"] = _error(ASSIGN_ERRORS["not_found"])
        except AppError as refused:
            session.rollback()
            errors["distributor_id"] = _error(ASSIGN_ERRORS.get(refused.code, refused.message))
    if errors:
        return _course_page(
            request,
            session,
            slug,
            course_files(course),
            status_code=422,
            assign_values=values,
            assign_errors=errors,
        )
    return redirect_done(f"/admin/training/{slug}", "assigned" if made else "already_assigned")


# -- the report -----------------------------------------------------------------------------------


def report_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    slug: Slug,
) -> Response:
    _number, _sha, course = office.current_content(session, slug)
    lang = _lang(user)
    return render(
        request,
        "admin_training_report.html",
        tabs=ADMIN_TABS,
        slug=slug,
        title=course.title.in_(lang),
        report=training_report.report(session, slug, today=now.date()),
        small=training_report.SMALL,
        retention_days=training_report.RETENTION_DAYS,
    )


def add_admin_training_pages(router: APIRouter) -> None:
    pages: list[Route] = [
        ("/admin/training", training_page),
        ("/admin/training/{slug}", course_page),
        ("/admin/training/{slug}/report", report_page),
    ]
    forms: list[Route] = [
        ("/admin/training/{slug}", publish),
        ("/admin/training/{slug}/assignments", assign),
    ]
    add_routes(router, pages=pages, forms=forms)
