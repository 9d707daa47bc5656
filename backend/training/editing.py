"""A course as the files an admin edits, and back: :func:`course_files` writes a published
version as its folder's texts (course.toml, steps/<id>.<lang>.md, quizzes/<id>.toml), and
:func:`load_files` reads texts from a form through the loader itself (written to a temporary
folder, then :func:`backend.training.content.load_course`), so the office accepts exactly what
the repository's courses accept and refuses with the same :class:`ContentError`.

The files are written so that loading them gives back the same course and the same version
(comments in a repository's TOML are not kept: a stored version has none)."""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path

from backend.training.content import LANGS, Course, Prerequisite, Question, Quiz, load_course
from backend.training.errors import ContentError

__all__ = ["COURSE_FILE", "course_files", "expected_files", "load_files"]

COURSE_FILE = "course.toml"
_NAME = re.compile(r"(steps/[a-z0-9-]{1,40}\.(ru|en)\.md|quizzes/[a-z0-9-]{1,40}\.toml)\Z")
MAX_FILE = 200_000  # characters: a lesson is a few pages


def _s(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _after(gates: tuple[Prerequisite, ...]) -> str:
    items = [
        _s(g.step) if g.min_pct is None else f"{{ step = {_s(g.step)}, min_pct = {g.min_pct} }}"
        for g in gates
    ]
    return "[" + ", ".join(items) + "]"


def _course_toml(course: Course) -> str:
    lines = [
        "[course]",
        f"slug = {_s(course.slug)}",
        f"title_ru = {_s(course.title.ru)}",
        f"title_en = {_s(course.title.en)}",
        f"summary_ru = {_s(course.summary.ru)}",
        f"summary_en = {_s(course.summary.en)}",
        f"assign_on = {_s(course.assign_on)}",
    ]
    if course.rank is not None:
        lines.append(f"rank = {_s(course.rank)}")
    if course.due_days is not None:
        lines.append(f"due_days = {course.due_days}")
    for step in course.steps:
        lines += [
            "",
            "[[step]]",
            f"id = {_s(step.id)}",
            f"kind = {_s(step.kind)}",
            f"title_ru = {_s(step.title.ru)}",
            f"title_en = {_s(step.title.en)}",
        ]
        if step.url is not None:
            lines.append(f"url = {_s(step.url)}")
        if step.task is not None:
            lines.append(f"task = {_s(step.task)}")
        if not step.required:
            lines.append("required = false")
        if step.after:
            lines.append(f"after = {_after(step.after)}")
        if step.drip_days:
            lines.append(f"drip_days = {step.drip_days}")
    return "\n".join(lines) + "\n"


def _question_toml(question: Question) -> list[str]:
    lines = [
        "",
        "[[question]]",
        f"kind = {_s(question.kind)}",
        f"text_ru = {_s(question.text.ru)}",
        f"text_en = {_s(question.text.en)}",
    ]
    if question.points != 1:
        lines.append(f"points = {question.points}")
    if question.options:
        lines.append("options = [")
        for option in question.options:
            correct = ", correct = true" if option.correct else ""
            lines.append(f"  {{ ru = {_s(option.text.ru)}, en = {_s(option.text.en)}{correct} }},")
        lines.append("]")
    if isinstance(question.answer, bool):
        lines.append(f"answer = {'true' if question.answer else 'false'}")
    elif question.answer is not None:
        lines.append(f"answer = {_s(str(question.answer))}")
        if question.tolerance != 0 or str(question.tolerance) != "0":
            lines.append(f"tolerance = {_s(str(question.tolerance))}")
    return lines


def _quiz_toml(quiz: Quiz) -> str:
    lines = [
        "[quiz]",
        f"pass_pct = {quiz.pass_pct}",
        f"attempts = {quiz.attempts}",
        f"grading = {_s(quiz.grading)}",
        f"retake_after_pass = {'true' if quiz.retake_after_pass else 'false'}",
    ]
    for question in quiz.questions:
        lines += _question_toml(question)
    return "\n".join(lines) + "\n"


def course_files(course: Course) -> dict[str, str]:
    """The course's folder as texts by relative path, course.toml first, then each step's
    lesson (ru, en) and quiz in course order."""
    files = {COURSE_FILE: _course_toml(course)}
    for step in course.steps:
        if step.text is not None:
            for lang in LANGS:
                files[f"steps/{step.id}.{lang}.md"] = step.text.in_(lang)
        if step.quiz is not None:
            files[f"quizzes/{step.id}.toml"] = _quiz_toml(step.quiz)
    return files


def expected_files(course_toml: str) -> list[str]:
    """The files a course.toml's steps read (lessons' texts, quizzes), as far as the text can
    be read at all: what an editor offers fields for after a step is added."""
    try:
        steps = tomllib.loads(course_toml).get("step", [])
    except tomllib.TOMLDecodeError:
        return []
    names: list[str] = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict) or not isinstance(step.get("id"), str):
            continue
        step_id, kind = step["id"], step.get("kind")
        if kind == "lesson":
            names += [f"steps/{step_id}.{lang}.md" for lang in LANGS]
        if kind == "quiz":
            names.append(f"quizzes/{step_id}.toml")
    return [name for name in names if _NAME.match(name)]


def load_files(slug: str, files: Mapping[str, str]) -> Course:
    """The course these texts make (``files`` by relative path, as :func:`course_files`
    gives them), checked by the loader; an empty text is a file left out. Refused with a
    :class:`ContentError` naming the file."""
    with tempfile.TemporaryDirectory(prefix="course-") as temp:
        folder = Path(temp) / slug
        folder.mkdir()
        (folder / "steps").mkdir()
        (folder / "quizzes").mkdir()
        for name, text in files.items():
            if name != COURSE_FILE and not _NAME.match(name):
                raise ContentError(
                    file=f"{slug}/{name}", where="file", code="bad_file_name", message=name
                )
            if len(text) > MAX_FILE:
                raise ContentError(
                    file=f"{slug}/{name}",
                    where="file",
                    code="file_too_large",
                    message=f"more than {MAX_FILE} characters",
                )
            if text.strip():
                (folder / name).write_text(text.replace("\r\n", "\n"), encoding="utf-8")
        return load_course(folder)
