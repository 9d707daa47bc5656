"""Training's service on SQLite and PostgreSQL: versions, assignment on sign-up, gates enforced by
the service, quiz attempts (also under concurrent submissions), business tasks completed by real
orders, customers, enrollments and wallets through the API, the mentor's confirmation, and the
append-only event log."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from lineage_api import Api, add_user
from sqlalchemy import event, func
from sqlmodel import Session, col, select
from test_api_orders import order, pay, shop  # noqa: F401  (shop is a fixture)

from backend.accounts.models import User
from backend.core.days import day_of
from backend.core.errors import Conflict, Forbidden
from backend.core.model_base import Role
from backend.training import service as training
from backend.training.completions import completion_days
from backend.training.content import (
    Bilingual,
    Course,
    Option,
    Prerequisite,
    Question,
    Quiz,
    Step,
    load_courses,
)
from backend.training.models import (
    AssignReason,
    TrainingCourseVersion,
    TrainingEvent,
    TrainingStepState,
)

WALLET = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
ONBOARDING = next(c for c in load_courses() if c.slug == "onboarding")


def _text(word: str) -> Bilingual:
    return Bilingual(ru=word, en=word)


def lesson(step_id: str, *after: str) -> Step:
    return Step(
        step_id,
        "lesson",
        _text(step_id),
        after=tuple(Prerequisite(a) for a in after),
        text=_text(f"# {step_id}"),
    )


def course(slug: str, *steps: Step) -> Course:
    return Course(slug, _text(slug), _text("summary"), "admin", None, None, steps)


def two_attempts_quiz() -> Step:
    question = Question(
        1, "single", _text("2 + 2?"), 1, (Option(_text("4"), True), Option(_text("5"), False))
    )
    return Step("q", "quiz", _text("quiz"), quiz=Quiz(100, 2, "highest", False, (question,)))


def admin_of(session: Session) -> User:
    return session.exec(select(User).where(User.role == Role.admin)).one()


def user_by_email(session: Session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def enroll(api: Api, name: str, role: str = "admin", **fields: Any) -> int:
    body = {"first_name": name, "last_name": "Test"} | fields
    made = api.client.post("/api/distributors", json=body, headers=api.as_(role))
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def publish_and_assign(api: Api, draft: Course, distributor_id: int) -> None:
    with api.session() as session:
        admin = admin_of(session)
        training.publish(session, draft, actor=admin, now=api.clock())
        training.assign(
            session,
            distributor_id,
            draft.slug,
            reason=AssignReason.admin,
            actor=admin,
            now=api.clock(),
        )


def progress(api: Api, distributor_id: int, slug: str) -> training.CourseProgressRow:
    with api.session() as session:
        return next(p for p in training.progress_of(session, distributor_id) if p.slug == slug)


def view(api: Api, distributor_id: int, slug: str = "onboarding") -> training.CourseView:
    with api.session() as session:
        return training.course_view(session, distributor_id, slug, today=api.clock().date())


def state(api: Api, distributor_id: int, step_id: str, slug: str = "onboarding") -> str:
    return next(s.state for s in view(api, distributor_id, slug).steps if s.id == step_id)


def read(api: Api, distributor_id: int, step_id: str, slug: str = "onboarding") -> Any:
    with api.session() as session:
        return training.complete_reading(session, distributor_id, slug, step_id, now=api.clock())


def submit(
    api: Api, distributor_id: int, form: dict[str, list[str]], slug: str = "onboarding"
) -> training.QuizOutcome:
    step_id = "plan-quiz" if slug == "onboarding" else "q"
    with api.session() as session:
        return training.submit_quiz(session, distributor_id, slug, step_id, form, now=api.clock())


def right_answers(quiz: Quiz) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for q in quiz.questions:
        if q.kind in ("single", "multiple"):
            form[f"q{q.number}"] = [str(i) for i, o in enumerate(q.options, 1) if o.correct]
        elif q.kind == "true_false":
            form[f"q{q.number}"] = ["true" if q.answer else "false"]
        else:
            form[f"q{q.number}"] = [str(q.answer)]
    return form


ONBOARDING_QUIZ = ONBOARDING.step("plan-quiz").quiz
assert ONBOARDING_QUIZ is not None
RIGHT = right_answers(ONBOARDING_QUIZ)
WRONG: dict[str, list[str]] = {}  # nothing answered: 0 %


def read_up_to_the_quiz(api: Api, distributor_id: int) -> None:
    for step_id in ("company", "plan-basics", "plan-bonuses", "check-on-chain", "income-claims"):
        read(api, distributor_id, step_id)


@contextmanager
def event_writes(api: Api) -> Iterator[list[str]]:
    """Every UPDATE or DELETE statement against the event log while the block runs."""
    seen: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split()).lower()
        if "training_event" in text and text.startswith(("update", "delete")):
            seen.append(text)

    event.listen(api.engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(api.engine, "before_cursor_execute", spy)


# -- versions ---------------------------------------------------------------------------------


def test_publishing_the_same_course_twice_keeps_one_version(api: Api) -> None:
    with api.session() as session:
        again = training.publish(session, ONBOARDING, actor=None, now=api.clock()).number
        count = session.exec(select(func.count()).select_from(TrainingCourseVersion)).one()
    assert again == 1 and count == 1


def test_a_changed_course_is_version_2_and_who_completed_version_1_stays_completed(
    api: Api,
) -> None:
    first = course("mini", lesson("read"))
    publish_and_assign(api, first, api.distributor_id)
    read(api, api.distributor_id, "read", slug="mini")
    completed = progress(api, api.distributor_id, "mini").completed_at
    assert completed is not None
    with api.session() as session:
        second = training.publish(
            session, course("mini", lesson("read"), lesson("more", "read")), actor=None,
            now=api.clock(),
        ).number  # fmt: skip
    assert second == 2
    shown = view(api, api.distributor_id, "mini")
    assert shown.number == 2
    assert [(s.id, s.state) for s in shown.steps] == [("read", "done"), ("more", "open")]
    after = progress(api, api.distributor_id, "mini")
    assert after.completed_at == completed
    assert (after.required_done, after.required_total) == (1, 2)
    # Putting the course back as it was shows version 1 again instead of a copy.
    with api.session() as session:
        assert training.publish(session, first, actor=None, now=api.clock()).number == 1


# -- assignment and gates ------------------------------------------------------------------------


def test_sign_up_assigns_onboarding_with_its_due_date(api: Api) -> None:
    row = progress(api, api.distributor_id, "onboarding")
    assert row.reason == "signup" and row.completed_at is None
    assert row.due_at == row.assigned_at + timedelta(days=30)
    assert (row.required_done, row.required_total, row.current_step) == (0, 11, "company")
    batch = api.client.post(
        "/api/distributors/batch",
        json=[{"first_name": f"B{i}", "last_name": "Batch"} for i in range(3)],
        headers=api.as_("admin"),
    )
    assert batch.status_code == 201, batch.text
    for person in batch.json():
        assert progress(api, person["id"], "onboarding").current_step == "company"


def test_a_locked_step_is_refused_by_the_service_with_every_reason(api: Api) -> None:
    with pytest.raises(training.StepLocked) as refused:
        read(api, api.distributor_id, "plan-basics")
    assert refused.value.status_code == 409 and refused.value.code == "step_locked"
    assert [m["text"] for m in refused.value.details["missing"]] == ["complete company"]
    with pytest.raises(training.StepLocked) as quiz_locked:
        submit(api, api.distributor_id, RIGHT)
    assert len(quiz_locked.value.details["missing"]) == 2
    opened = read(api, api.distributor_id, "company")
    assert opened.newly_opened == ("plan-basics",)


# -- quizzes --------------------------------------------------------------------------------------


def test_a_quiz_failed_then_passed_and_no_retake_after_a_pass(api: Api) -> None:
    dina = api.distributor_id
    read_up_to_the_quiz(api, dina)
    failed = submit(api, dina, WRONG)
    assert (failed.passed, failed.pct, failed.attempts_left) == (False, 0, 2)
    assert progress(api, dina, "onboarding").failed_quizzes == 1
    passed = submit(api, dina, RIGHT)
    assert (passed.passed, passed.pct, passed.attempts_left) == (True, 100, 1)
    assert "first-order" in passed.newly_opened
    with pytest.raises(Conflict) as again:
        submit(api, dina, RIGHT)
    assert again.value.code == "already_passed"


def test_attempts_run_out(api: Api) -> None:
    olga = enroll(api, "Olga")
    read_up_to_the_quiz(api, olga)
    for left in (2, 1, 0):
        assert submit(api, olga, WRONG).attempts_left == left
    with pytest.raises(Conflict) as exhausted:
        submit(api, olga, RIGHT)
    assert exhausted.value.code == "no_attempts_left"
    assert state(api, olga, "task-first-order") == "locked"


def test_the_view_of_a_quiz_carries_no_answers(api: Api) -> None:
    shown = next(s for s in view(api, api.distributor_id).steps if s.id == "plan-quiz")
    assert len(shown.questions) == len(ONBOARDING_QUIZ.questions)
    text = json.dumps(dataclasses.asdict(shown), default=str)
    assert '"correct"' not in text and '"answer"' not in text and '"tolerance"' not in text


def test_concurrent_submissions_never_exceed_the_attempts_allowed(api: Api) -> None:
    publish_and_assign(api, course("race", two_attempts_quiz()), api.distributor_id)
    count = 8
    barrier = threading.Barrier(count)

    def one(_index: int) -> str:
        with Session(api.engine) as session:
            barrier.wait()
            try:
                training.submit_quiz(
                    session, api.distributor_id, "race", "q", {"q1": ["2"]}, now=api.clock()
                )
            except Conflict as refused:
                return refused.code
            return "scored"

    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = sorted(pool.map(one, range(count)))
    assert answers == ["no_attempts_left"] * (count - 2) + ["scored"] * 2
    with api.session() as session:
        row = session.exec(select(TrainingStepState).where(TrainingStepState.step_id == "q")).one()
        submitted = session.exec(
            select(func.count())
            .select_from(TrainingEvent)
            .where(TrainingEvent.kind == "submitted", TrainingEvent.step_id == "q")
        ).one()
    assert row.attempts == 2 and submitted == 2


# -- business tasks, the mentor, the log --------------------------------------------------------


def test_business_tasks_complete_from_real_orders_and_customers(shop: Api) -> None:  # noqa: F811
    api = shop
    dina = api.distributor_id
    with event_writes(api) as writes:
        # The first order is paid before its step opens: the fact waits for the step.
        placed = order(api, [(1, 1)])
        assert placed.status_code == 201, placed.text
        assert pay(api, placed.json()["id"], 800).status_code == 201
        assert state(api, dina, "task-first-order") == "locked"
        read_up_to_the_quiz(api, dina)
        submit(api, dina, RIGHT)
        opened = read(api, dina, "first-order")
        # Opened and completed in the request that completed its prerequisite.
        assert "task-first-order" in opened.newly_opened
        assert state(api, dina, "task-first-order") == "done"
        api.clock.advance(days=2)  # the first-customer lesson drips two days in
        read(api, dina, "first-customer")
        assert state(api, dina, "task-first-customer") == "open"
        customer = api.client.post(
            "/api/customers",
            json={"first_name": "Rita", "last_name": "R"},
            headers=api.as_("distributor"),
        )
        assert customer.status_code == 201, customer.text
        assert state(api, dina, "task-first-customer") == "done"
        assert state(api, dina, "mentor-call") == "open"
        # Dina's sponsor is the company root: an admin confirms the call.
        with api.session() as session:
            training.confirm_mentor(
                session, admin_of(session), dina, "onboarding", "mentor-call", "Talked",
                now=api.clock(),
            )  # fmt: skip
    row = progress(api, dina, "onboarding")
    assert row.completed_at is not None and (row.required_done, row.required_total) == (11, 11)
    assert row.current_step is None
    assert writes == [], "the event log is append-only"
    with api.session() as session:
        kinds = session.exec(
            select(TrainingEvent.kind)
            .where(TrainingEvent.distributor_id == dina)
            .order_by(col(TrainingEvent.id))
        ).all()
    assert kinds.count("task_done") == 2 and kinds[-1] == "confirmed"
    # What a period reads when its plan names the course: Dina, on the day she completed it.
    with api.session() as session:
        days = completion_days(session, "onboarding")
    assert days == {dina: day_of(row.completed_at)}
    assert day_of(row.completed_at) == (api.clock().date() - date(1970, 1, 1)).days


def test_an_enrollment_and_a_wallet_complete_their_tasks(api: Api) -> None:
    tasks = course(
        "tasks",
        Step("enroll", "task", _text("enroll"), task="first_enrollment"),
        Step("wallet", "task", _text("wallet"), task="payout_set_up"),
    )
    publish_and_assign(api, tasks, api.distributor_id)
    assert state(api, api.distributor_id, "enroll", "tasks") == "open"
    enroll(api, "Mira", role="distributor")  # under Dina: her first enrollment
    assert state(api, api.distributor_id, "enroll", "tasks") == "done"
    changed = api.client.patch(
        f"/api/distributors/{api.distributor_id}",
        json={"wallet": WALLET},
        headers=api.as_("distributor"),
    )
    assert changed.status_code == 200, changed.text
    assert progress(api, api.distributor_id, "tasks").completed_at is not None


def test_a_fact_before_assignment_completes_an_open_task_on_assignment(api: Api) -> None:
    enroll(api, "Mira", role="distributor")
    tasks = course("later", Step("enroll", "task", _text("enroll"), task="first_enrollment"))
    publish_and_assign(api, tasks, api.distributor_id)
    assert state(api, api.distributor_id, "enroll", "later") == "done"


def test_the_mentor_step_is_confirmed_by_the_sponsor_only(api: Api) -> None:
    mira = enroll(api, "Mira", role="distributor")  # Dina sponsors Mira
    olga = enroll(api, "Olga", email="olga@example.com")
    add_user(api.engine, "olga@example.com", Role.distributor, olga)
    publish_and_assign(api, course("call", Step("call", "mentor", _text("call"))), mira)
    with api.session() as session:
        stranger = user_by_email(session, "olga@example.com")
        with pytest.raises(Forbidden) as refused:
            training.confirm_mentor(session, stranger, mira, "call", "call", "Hi", now=api.clock())
        assert refused.value.code == "not_sponsor"
    with api.session() as session:
        sponsor = user_by_email(session, "dina@example.com")
        sponsor_id = sponsor.id
        done = training.confirm_mentor(
            session, sponsor, mira, "call", "call", "We talked for an hour", now=api.clock()
        )
        assert done.progress.required_done == 1
        confirmed = session.exec(
            select(TrainingEvent).where(TrainingEvent.kind == "confirmed")
        ).one()
    assert confirmed.actor_id == sponsor_id and confirmed.comment == "We talked for an hour"
    assert progress(api, mira, "call").completed_at is not None


def test_no_service_function_updates_or_deletes_events() -> None:
    modules = sorted(Path(training.__file__).parent.glob("*.py"))
    assert len(modules) > 5  # the service's modules, not only its facade
    for module in modules:
        source = module.read_text(encoding="utf-8")
        assert "delete(" not in source, module.name
        assert "TrainingEvent.__table__" not in source, module.name  # events are only added
