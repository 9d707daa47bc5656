"""The admin's training office through the test client, on SQLite and PostgreSQL: an edited
course published as version 2 while who completed version 1 stays completed, unchanged texts
publish nothing, a prerequisite cycle refused with its name and nothing written, an assignment
logged in the admin log, the report's counts against a direct count, a new highest rank at a
period's approval assigning its course, and every other role refused."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from sqlmodel import col, select
from test_api_periods import approve, make_company, post, today
from web_support import Browser

from backend.admin_log.models import AdminLogEntry
from backend.genealogy.models import Distributor
from backend.periods.models import PeriodStanding, StandingRun
from backend.periods.standings import ladder_of
from backend.training import service as training
from backend.training.content import Bilingual, Course, Step
from backend.training.editing import course_files
from backend.training.models import (
    AssignReason,
    TrainingAssignment,
    TrainingCourse,
    TrainingCourseVersion,
)

PAGES = ["/admin/training", "/admin/training/intro", "/admin/training/intro/report"]
FORMS = ["/admin/training/intro", "/admin/training/intro/assignments"]


def _text(word: str) -> Bilingual:
    return Bilingual(ru=word, en=word)


def intro(slug: str = "intro", assign_on: str = "admin", rank: str | None = None) -> Course:
    steps = (
        Step("a", "lesson", _text("Урок А"), text=_text("# A\n\nFirst.\n")),
        Step("b", "lesson", _text("Урок Б"), text=_text("# B\n\nSecond.\n")),
    )
    return Course(slug, _text("Введение"), _text("summary"), assign_on, rank, None, steps)


@pytest.fixture
def published(api: Api) -> Api:
    """The course "intro" published (version 1) and completed by Dina."""
    with api.session() as session:
        training.publish(session, intro(), actor=None, now=api.clock.now)
        training.assign(
            session, api.distributor_id, "intro", reason=AssignReason.rank, actor=None,
            now=api.clock.now,
        )  # fmt: skip
        for step in ("a", "b"):
            training.complete_reading(session, api.distributor_id, "intro", step, now=api.clock.now)
    return api


@pytest.fixture
def company(api: Api) -> Api:
    """The periods tests' company: six people who bought in period 1, three months back."""
    return make_company(api)


@pytest.fixture
def admin(browser: Browser) -> Browser:
    assert browser.login(ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    return browser


def text_of(page: str) -> str:
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def form_of(files: dict[str, str]) -> dict[str, str]:
    return {f"file:{name}": text for name, text in files.items()}


def versions(api: Api, slug: str = "intro") -> list[int]:
    with api.session() as session:
        course = session.exec(select(TrainingCourse).where(TrainingCourse.slug == slug)).one()
        return sorted(
            v.number
            for v in session.exec(
                select(TrainingCourseVersion).where(TrainingCourseVersion.course_id == course.id)
            )
        )


def log_actions(api: Api) -> list[AdminLogEntry]:
    with api.session() as session:
        return list(session.exec(select(AdminLogEntry).order_by(col(AdminLogEntry.seq))))


def test_publishing_an_edited_lesson_makes_version_2_and_completion_stays(
    published: Api, admin: Browser
) -> None:
    api = published
    page: Any = admin.get("/admin/training/intro")
    assert page.status_code == 200
    assert 'id="current-version">1<' in page.text
    files = course_files(intro())
    files["steps/a.en.md"] = "# A\n\nFirst, and better.\n"
    sent: Any = admin.post("/admin/training/intro", form_of(files), token_from="/admin/training")
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == "/admin/training/intro?done=published"
    assert versions(api) == [1, 2]
    with api.session() as session:
        assignment = session.exec(
            select(TrainingAssignment)
            .where(TrainingAssignment.distributor_id == api.distributor_id)
            .join(TrainingCourse).where(TrainingCourse.slug == "intro")
        ).one()  # fmt: skip
        assert assignment.completed_at is not None
        first = session.get(TrainingCourseVersion, assignment.completed_version_id)
        assert first is not None and first.number == 1
    logged = [e for e in log_actions(api) if e.action == "training_published"]
    assert len(logged) == 1 and logged[0].target == "course:intro"
    assert '"number":2' in logged[0].payload
    shown: Any = admin.get("/admin/training/intro?done=published")
    assert 'id="current-version">2<' in shown.text
    assert "Новая версия опубликована." in text_of(shown.text)
    listing = text_of(admin.get("/admin/training").text)  # type: ignore[attr-defined]
    assert "Введение" in listing

    # The same texts again: nothing is written, and the page says so.
    again: Any = admin.post("/admin/training/intro", form_of(files), token_from="/admin/training")
    assert again.headers["location"] == "/admin/training/intro?done=unchanged"
    assert versions(api) == [1, 2]
    assert len([e for e in log_actions(api) if e.action == "training_published"]) == 1


def test_a_prerequisite_cycle_is_refused_with_its_name_and_nothing_written(
    published: Api, admin: Browser
) -> None:
    api = published
    files = course_files(intro())
    toml = files["course.toml"]
    toml = toml.replace('id = "a"\n', 'id = "a"\nafter = ["b"]\n', 1)
    files["course.toml"] = toml.replace('id = "b"\n', 'id = "b"\nafter = ["a"]\n', 1)
    files["steps/a.ru.md"] = "# А\n\nИзменено.\n"
    before = len(log_actions(api))
    sent: Any = admin.post("/admin/training/intro", form_of(files), token_from="/admin/training")
    assert sent.status_code == 422
    error = re.search(r'<p class="error" id="file-course-toml-error">(.+?)</p>', sent.text, re.S)
    assert error, "no error next to course.toml"
    assert "a -> b -> a" in html.unescape(error.group(1))
    assert "цикл" in html.unescape(error.group(1))
    assert "Изменено." in html.unescape(sent.text)  # the texts as typed stay in the form
    assert versions(api) == [1]
    assert len(log_actions(api)) == before

    # A lesson's text left empty is named at its own file.
    files = course_files(intro())
    files["steps/b.en.md"] = ""
    empty: Any = admin.post("/admin/training/intro", form_of(files), token_from="/admin/training")
    assert empty.status_code == 422
    assert 'id="file-steps-b-en-md-error"' in empty.text


def test_assigning_a_course_is_logged_and_refusals_are_shown(
    published: Api, admin: Browser
) -> None:
    api = published
    with api.session() as session:
        other = session.exec(
            select(Distributor.id).where(Distributor.id != api.distributor_id)
        ).first()
    assert other is not None
    bad: Any = admin.post(
        "/admin/training/intro/assignments", {"distributor_id": "x"}, token_from="/admin/training"
    )
    assert bad.status_code == 422
    assert "Введите ID партнёра" in text_of(bad.text)
    missing: Any = admin.post(
        "/admin/training/intro/assignments",
        {"distributor_id": "99999"},
        token_from="/admin/training",
    )
    assert missing.status_code == 422
    assert "Партнёра с таким ID нет." in text_of(missing.text)
    due = (api.clock.now + timedelta(days=10)).date().isoformat()
    sent: Any = admin.post(
        "/admin/training/intro/assignments",
        {"distributor_id": str(other), "due": due},
        token_from="/admin/training",
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].endswith("done=assigned")
    with api.session() as session:
        made = session.exec(
            select(TrainingAssignment).where(TrainingAssignment.distributor_id == other)
            .join(TrainingCourse).where(TrainingCourse.slug == "intro")
        ).one()  # fmt: skip
        assert made.reason == "admin"
        assert made.due_at is not None and made.due_at.date().isoformat() == due
    logged = [e for e in log_actions(api) if e.action == "training_assigned"]
    assert [e.target for e in logged] == [f"distributor:{other}"]
    again: Any = admin.post(
        "/admin/training/intro/assignments",
        {"distributor_id": str(other)},
        token_from="/admin/training",
    )
    assert again.headers["location"].endswith("done=already_assigned")
    assert len([e for e in log_actions(api) if e.action == "training_assigned"]) == 1


def test_the_reports_counts_match_a_direct_count(company: Api, browser: Browser) -> None:
    api = company
    today(api)
    with api.session() as session:
        ids = sorted(session.exec(select(Distributor.id)).all())
        # People enrolled in different months; the first few completed the course.
        for index, did in enumerate(ids):
            person = session.get(Distributor, did)
            assert person is not None
            person.enrolled_at = api.clock.now - timedelta(days=40 * (index % 3))
            session.add(person)
        session.commit()
        training.publish(session, intro("paid"), actor=None, now=api.clock.now)
        for did in ids:
            training.assign(
                session, did, "paid", reason=AssignReason.rank, actor=None, now=api.clock.now
            )
        for did in ids[:3]:
            for step in ("a", "b"):
                training.complete_reading(session, did, "paid", step, now=api.clock.now)
        rows = session.exec(
            select(Distributor.enrolled_at, TrainingAssignment.completed_at)
            .join(TrainingAssignment, col(TrainingAssignment.distributor_id) == Distributor.id)
            .join(TrainingCourse, col(TrainingCourse.id) == TrainingAssignment.course_id)
            .where(TrainingCourse.slug == "paid")
        ).all()
    direct = Counter(
        (enrolled.date().replace(day=1).strftime("%Y-%m"), done is not None)
        for enrolled, done in rows
    )
    assert browser.login(ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    page: Any = browser.get("/admin/training/paid/report")
    assert page.status_code == 200
    shown: Counter[tuple[str, bool]] = Counter()
    for key, body in re.findall(r'<tbody id="cohort-([0-9-]+)">(.+?)</tbody>', page.text, re.S):
        for cls, people in re.findall(
            r'<tr class="([a-z-]+)">.*?data-label="(?:People|Люди)">(\d+)</td>', body, re.S
        ):
            if int(people):
                shown[(key, cls == "completed")] = int(people)
    assert shown == direct
    assert len({k for k, _ in direct}) >= 2  # more than one cohort
    assert 'id="small-groups"' in page.text and "small-n" in page.text


def test_a_new_highest_rank_at_approval_assigns_the_rank_course(company: Api) -> None:
    api = company
    assert post(api, "/api/periods").status_code == 201
    today(api)
    assert post(api, "/api/periods/1/compute").status_code == 200
    with api.session() as session:
        run = session.get(StandingRun, 1)
        assert run is not None
        ladder = ladder_of(run)
        ups = session.exec(
            select(PeriodStanding.distributor_id, PeriodStanding.achieved_rank).where(
                PeriodStanding.period_id == 1,
                col(PeriodStanding.achieved_rank) > col(PeriodStanding.prior_rank),
            )
        ).all()
        assert ups, "the company's period 1 has rank ups"
        did, rank = ups[0]
        name = ladder[rank - 1].name
        training.publish(session, intro("leaders", "rank", name), actor=None, now=api.clock.now)
        reached = {int(d) for d, r in ups if ladder[r - 1].name == name}
        # One of them has it already (reached in an earlier period): not assigned twice.
        training.assign(
            session, int(did), "leaders", reason=AssignReason.rank, actor=None, now=api.clock.now
        )
        session.commit()
    assert approve(api, 1).status_code == 200
    with api.session() as session:
        assigned = session.exec(
            select(TrainingAssignment.distributor_id, TrainingAssignment.reason)
            .join(TrainingCourse, col(TrainingCourse.id) == TrainingAssignment.course_id)
            .where(TrainingCourse.slug == "leaders")
        ).all()
    people = [int(d) for d, reason in assigned if reason == "rank"]
    assert sorted(people) == sorted(reached) and len(reached) >= 2  # each once


OTHERS = ["finance@example.com", "auditor@example.com", "warehouse@example.com", "dina@example.com"]


@pytest.mark.parametrize("email", OTHERS)
def test_other_roles_are_refused(published: Api, browser: Browser, email: str) -> None:
    assert browser.login(email).status_code == 303  # type: ignore[attr-defined]
    token = browser.token("/profile")
    for path in PAGES:
        assert browser.get(path).status_code == 403, path  # type: ignore[attr-defined]
    for path in FORMS:
        answer: Any = browser.client.post(
            path, data={"csrf_token": token, "distributor_id": "2"}, follow_redirects=False
        )
        assert answer.status_code == 403, path
