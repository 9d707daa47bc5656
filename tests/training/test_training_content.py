"""Course folders to data (docs/training-content.md): what loads, each refusal by its code, the
cycle named, and versions that move with the text and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from training_kit import course_files, replace, write_course

from backend.training.content import (
    COURSES_ROOT,
    Bilingual,
    Prerequisite,
    canonical_json,
    course_from_json,
    load_course,
    load_courses,
    version_of,
)
from backend.training.errors import ContentError

# --- what loads ------------------------------------------------------------------------------


def test_the_sample_course_loads_into_its_parts(tmp_path: Path) -> None:
    course = load_course(write_course(tmp_path, course_files()))
    assert course.slug == "demo"
    assert course.title == Bilingual(ru="Первые шаги", en="First steps")
    assert (course.assign_on, course.rank, course.due_days) == ("signup", None, 30)
    assert [s.id for s in course.steps] == [
        "welcome",
        "plan-video",
        "plan-quiz",
        "first-order",
        "mentor-call",
    ]
    welcome, video, quiz, order, mentor = course.steps
    assert welcome.text == Bilingual(
        ru="# Привет\n\nО компании.\n", en="# Hello\n\nAbout the company.\n"
    )
    assert welcome.required and welcome.after == () and welcome.drip_days == 0
    assert (video.url, video.drip_days, video.after) == (
        "https://example.org/plan",
        2,
        (Prerequisite("welcome"),),
    )
    assert video.text is None  # notes are optional outside lessons
    assert order.task == "first_order" and order.after == (Prerequisite("plan-quiz", 80),)
    assert not mentor.required
    assert quiz.quiz is not None
    assert (quiz.quiz.pass_pct, quiz.quiz.attempts, quiz.quiz.grading) == (80, 3, "highest")
    single, multiple, true_false, number = quiz.quiz.questions
    assert [o.correct for o in single.options] == [True, False] and single.points == 2
    assert [o.correct for o in multiple.options] == [True, False, True]
    assert true_false.answer is False
    assert (number.answer, number.tolerance) == (Decimal("12.5"), Decimal("0.5"))
    assert [q.number for q in quiz.quiz.questions] == [1, 2, 3, 4]


def test_a_rank_course_names_its_rank(tmp_path: Path) -> None:
    files = course_files()
    replace(files, "course.toml", 'assign_on = "signup"', 'assign_on = "rank"\nrank = "Bronze"')
    course = load_course(write_course(tmp_path, files))
    assert (course.assign_on, course.rank) == ("rank", "Bronze")


def test_load_courses_reads_every_folder_by_slug_and_nothing_else(tmp_path: Path) -> None:
    write_course(tmp_path, course_files())
    second = course_files()
    replace(second, "course.toml", 'slug = "demo"', 'slug = "alpha"')
    write_course(tmp_path, second, slug="alpha")
    (tmp_path / "README.md").write_text("not a course")
    (tmp_path / "__pycache__").mkdir()
    assert [c.slug for c in load_courses(tmp_path)] == ["alpha", "demo"]
    assert load_courses(tmp_path / "nowhere") == ()


def test_every_course_in_the_repository_loads() -> None:
    # The starter courses live under backend/training/courses/; a broken one fails here.
    courses = load_courses()
    assert len({c.slug for c in courses}) == len(courses)
    for course in courses:
        assert (COURSES_ROOT / course.slug).is_dir()
        assert len(version_of(course)) == 64


# --- refusals, one per code ------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def _sub(name: str, old: str, new: str) -> Edit:
    return lambda files: replace(files, name, old, new)


def _drop(name: str) -> Edit:
    return lambda files: files.pop(name) and None


def _add(name: str, text: str | bytes) -> Edit:
    return lambda files: files.__setitem__(name, text)


def _cut(name: str, marker: str) -> Edit:
    """Keep the file up to the first ``marker`` (drops every step or question)."""
    return lambda files: files.__setitem__(name, files[name].split(marker)[0])


def _both(*edits: Edit) -> Edit:
    return lambda files: [edit(files) for edit in edits] and None


C, Q = "course.toml", "quizzes/plan-quiz.toml"
CF, QF = "demo/course.toml", "demo/quizzes/plan-quiz.toml"
MENTOR = 'id = "mentor-call"'

REFUSALS: list[tuple[str, Edit, str, str]] = [
    # (code, the edit, the file named, the place named)
    ("bad_toml", _sub(C, "[course]", "[course"), CF, "file"),
    ("missing_file", _drop(C), CF, "file"),
    ("missing_field", _sub(C, 'assign_on = "signup"\n', ""), CF, "course"),
    ("unknown_field", _sub(C, "drip_days = 2", "drip_day = 2"), CF, "step plan-video"),
    ("bad_type", _sub(C, "required = false", 'required = "no"'), CF, "step mentor-call"),
    ("bad_value", _sub(C, "drip_days = 2", "drip_days = -1"), CF, "step plan-video"),
    ("bad_id", _sub(C, MENTOR, 'id = "Mentor_Call"'), CF, "step"),
    ("slug_mismatch", _sub(C, 'slug = "demo"', 'slug = "other"'), CF, "course"),
    ("duplicate_id", _sub(C, MENTOR, 'id = "plan-video"'), CF, "step plan-video"),
    ("unknown_kind", _sub(C, 'kind = "mentor"', 'kind = "webinar"'), CF, "step mentor-call"),
    ("unknown_kind", _sub(Q, 'kind = "true_false"', 'kind = "essay"'), QF, "question 3"),
    (
        "unknown_value",
        _sub(C, 'task = "first_order"', 'task = "first_sale"'),
        CF,
        "step first-order",
    ),
    ("unknown_value", _sub(C, 'assign_on = "signup"', 'assign_on = "birthday"'), CF, "course"),
    ("unknown_value", _sub(Q, 'grading = "highest"', 'grading = "average"'), QF, "quiz"),
    (
        "field_not_allowed",
        _sub(C, 'kind = "lesson"', 'kind = "lesson"\nurl = "https://x.org"'),
        CF,
        "step welcome",
    ),
    (
        "field_not_allowed",
        _sub(Q, "answer = false", "answer = false\noptions = []"),
        QF,
        "question 3",
    ),
    ("field_not_allowed", _sub(C, "due_days = 30", 'due_days = 30\nrank = "Bronze"'), CF, "course"),
    ("missing_language", _drop("steps/welcome.en.md"), "demo/steps/welcome.en.md", "step welcome"),
    ("missing_language", _sub(C, 'title_en = "Welcome"\n', ""), CF, "step welcome"),
    ("missing_language", _sub(Q, ', en = "Five" }', " }"), QF, "question 1 option 2"),
    ("empty_text", _add("steps/welcome.ru.md", "  \n"), "demo/steps/welcome.ru.md", "step welcome"),
    ("empty_text", _sub(C, 'title_ru = "Первый заказ"', 'title_ru = " "'), CF, "step first-order"),
    (
        "not_https",
        _sub(C, "https://example.org/plan", "http://example.org/plan"),
        CF,
        "step plan-video",
    ),
    ("bad_url", _sub(C, "https://example.org/plan", "example.org/plan"), CF, "step plan-video"),
    (
        "unknown_prerequisite",
        _sub(C, 'after = ["welcome"]', 'after = ["welcom"]'),
        CF,
        "step plan-video",
    ),
    (
        "duplicate_prerequisite",
        _sub(C, 'after = ["welcome"]', 'after = ["welcome", "welcome"]'),
        CF,
        "step plan-video",
    ),
    (
        "min_pct_not_quiz",
        _sub(C, 'after = ["welcome"]', 'after = [{ step = "welcome", min_pct = 50 }]'),
        CF,
        "step plan-video",
    ),
    ("min_pct_unreachable", _sub(C, "min_pct = 80", "min_pct = 90"), CF, "step first-order"),
    ("bad_value", _sub(C, "min_pct = 80", "min_pct = 0"), CF, "step first-order"),
    (
        "missing_field",
        _sub(C, '{ step = "plan-quiz", min_pct = 80 }', '{ step = "plan-quiz" }'),
        CF,
        "step first-order",
    ),
    ("missing_quiz", _drop(Q), QF, "step plan-quiz"),
    ("unexpected_file", _add("steps/welcom.ru.md", "typo"), "demo/steps/welcom.ru.md", "file"),
    (
        "unexpected_file",
        _add("quizzes/welcome.toml", "[quiz]"),
        "demo/quizzes/welcome.toml",
        "file",
    ),
    (
        "single_needs_one_correct",
        _sub(Q, '{ ru = "Пять", en = "Five" }', '{ ru = "Пять", en = "Five", correct = true }'),
        QF,
        "question 1",
    ),
    (
        "single_needs_one_correct",
        _sub(Q, '{ ru = "Три", en = "Three", correct = true }', '{ ru = "Три", en = "Three" }'),
        QF,
        "question 1",
    ),
    (
        "multiple_needs_a_correct",
        _both(
            _sub(Q, 'en = "Prices", correct = true', 'en = "Prices"'),
            _sub(Q, 'en = "Ingredients", correct = true', 'en = "Ingredients"'),
        ),
        QF,
        "question 2",
    ),
    ("too_few_options", _sub(Q, '  { ru = "Пять", en = "Five" },\n', ""), QF, "question 1"),
    ("not_decimal", _sub(Q, 'answer = "12.5"', "answer = 12.5"), QF, "question 4"),
    ("not_decimal", _sub(Q, 'answer = "12.5"', "answer = 12"), QF, "question 4"),
    ("not_decimal", _sub(Q, 'answer = "12.5"', 'answer = "1.25e1"'), QF, "question 4"),
    ("not_decimal", _sub(Q, 'tolerance = "0.5"', 'tolerance = "NaN"'), QF, "question 4"),
    ("bad_value", _sub(Q, 'tolerance = "0.5"', 'tolerance = "-0.5"'), QF, "question 4"),
    ("bad_value", _sub(Q, "pass_pct = 80", "pass_pct = 101"), QF, "quiz"),
    ("bad_value", _sub(Q, "points = 2", "points = 0"), QF, "question 1"),
    ("no_questions", _cut(Q, "[[question]]"), QF, "file"),
    ("no_steps", _cut(C, "[[step]]"), CF, "file"),
    (
        "bad_encoding",
        _add("steps/welcome.ru.md", b"\xff\xfe"),
        "demo/steps/welcome.ru.md",
        "step welcome",
    ),
]


@pytest.mark.parametrize(
    ("code", "edit", "file", "where"),
    REFUSALS,
    ids=[f"{code}-{i}" for i, (code, *_) in enumerate(REFUSALS)],
)
def test_the_loader_refuses_with_file_place_and_code(
    tmp_path: Path, code: str, edit: Edit, file: str, where: str
) -> None:
    files = course_files()
    edit(files)
    with pytest.raises(ContentError) as caught:
        load_course(write_course(tmp_path, files))
    error = caught.value
    assert (error.code, error.file, error.where) == (code, file, where), str(error)
    assert str(error).startswith(f"{file}: {where}: ") and str(error).endswith(f"[{code}]")


def test_a_course_may_not_take_the_name_of_an_office_page(tmp_path: Path) -> None:
    """/training/team is the mentor's page: a course called "team" would never open."""
    files = course_files()
    replace(files, "course.toml", 'slug = "demo"', 'slug = "team"')
    with pytest.raises(ContentError) as caught:
        load_course(write_course(tmp_path, files, slug="team"))
    assert caught.value.code == "slug_reserved"


# --- cycles ----------------------------------------------------------------------------------


def _graph_course(tmp_path: Path, steps: list[tuple[str, list[str]]]) -> Path:
    head = course_files()["course.toml"].split("[[step]]")[0]
    body = "".join(
        f'[[step]]\nid = "{step}"\nkind = "mentor"\ntitle_ru = "ш"\ntitle_en = "s"\n'
        f"after = {after!r}\n\n".replace("'", '"')
        for step, after in steps
    )
    return write_course(tmp_path, {"course.toml": head + body})


@pytest.mark.parametrize(
    ("steps", "cycle"),
    [
        ([("a", ["c"]), ("b", ["a"]), ("c", ["b"])], "a -> b -> c -> a"),
        ([("a", ["a"])], "a -> a"),
        # Named from the cycle's first step in the course, whatever the search met first.
        ([("x", []), ("q", ["p"]), ("p", ["q"]), ("z", ["q"])], "q -> p -> q"),
        ([("s", []), ("b", ["s", "d"]), ("c", ["b"]), ("d", ["c"])], "b -> c -> d -> b"),
    ],
)
def test_a_cycle_is_refused_by_name(
    tmp_path: Path, steps: list[tuple[str, list[str]]], cycle: str
) -> None:
    with pytest.raises(ContentError) as caught:
        load_course(_graph_course(tmp_path, steps))
    assert caught.value.code == "cycle"
    assert caught.value.message == f"the prerequisites form a cycle: {cycle}"
    assert caught.value.where == f"step {cycle.split(' ')[0]}"


def test_a_graph_that_only_joins_is_not_a_cycle(tmp_path: Path) -> None:
    steps = [("a", []), ("b", ["a"]), ("c", ["a"]), ("d", ["b", "c"])]
    assert [s.id for s in load_course(_graph_course(tmp_path, steps)).steps] == list("abcd")


# --- versions --------------------------------------------------------------------------------


def _version(tmp_path: Path, files: dict[str, str], name: str) -> str:
    return version_of(load_course(write_course(tmp_path / name, files)))


def test_a_version_is_the_sha256_of_the_canonical_form_and_stable(tmp_path: Path) -> None:
    folder = write_course(tmp_path, course_files())
    first, again = load_course(folder), load_course(folder)
    assert canonical_json(first) == canonical_json(again)
    assert len(version_of(first)) == 64 and version_of(first) == version_of(again)
    assert b'"answer":"12.5"' in canonical_json(first)  # decimals as written, never floats


def test_the_version_ignores_key_order_and_line_endings(tmp_path: Path) -> None:
    base = _version(tmp_path, course_files(), "base")
    files = course_files()
    titles = 'title_ru = "Первые шаги"\ntitle_en = "First steps"'
    replace(files, C, titles, "\n".join(reversed(titles.split("\n"))))
    replace(files, Q, "pass_pct = 80\nattempts = 3", "attempts = 3\npass_pct = 80")
    files["steps/welcome.en.md"] = files["steps/welcome.en.md"].replace("\n", "\r\n")
    assert _version(tmp_path, files, "shuffled") == base


@pytest.mark.parametrize(
    "edit",
    [
        _sub("steps/welcome.en.md", "About", "about"),
        _sub(C, "Call your mentor", "Call your sponsor"),
        _sub(Q, 'tolerance = "0.5"', 'tolerance = "0.50"'),
        _sub(Q, '{ ru = "Пять", en = "Five" }', '{ ru = "Пять", en = "Five!" }'),
        _sub(C, "drip_days = 2", "drip_days = 3"),
    ],
)
def test_the_version_changes_with_any_text(tmp_path: Path, edit: Edit) -> None:
    files = course_files()
    edit(files)
    assert _version(tmp_path, files, "edited") != _version(tmp_path, course_files(), "base")


def test_a_stored_version_reads_back_as_the_same_course() -> None:
    for course in load_courses(COURSES_ROOT):
        again = course_from_json(canonical_json(course))
        assert again == course and version_of(again) == version_of(course)
