"""Course folders (docs/training-content.md) to frozen data, refused with a reason or not at all.

The format is the contract between whoever writes a course (the starter courses in the
repository, an admin in the office later) and the code that gates and scores it, so the loader
accepts exactly what the page describes: an unknown key is a typo, a stray file a misnamed
lesson, an `http:` link a page that would be mixed content. Every refusal is a
:class:`ContentError` naming the file, the step or question and a reason code.

A course's version is the SHA-256 of its canonical JSON (:func:`canonical_json`): keys sorted,
steps and questions in course order, line endings as `\\n`, decimals as written. It does not
depend on the order of keys in a TOML file or of files on disk; it changes when any text does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from backend.training.errors import ContentError

__all__ = [
    "ASSIGN_ON",
    "COURSES_ROOT",
    "GRADINGS",
    "LANGS",
    "QUESTION_KINDS",
    "STEP_KINDS",
    "TASKS",
    "Bilingual",
    "Course",
    "Option",
    "Prerequisite",
    "Question",
    "Quiz",
    "Step",
    "canonical_json",
    "course_from_json",
    "load_course",
    "load_courses",
    "version_of",
]

Lang = Literal["ru", "en"]
LANGS: tuple[Lang, ...] = ("ru", "en")
# Paths under /training that are pages, not courses.
RESERVED_SLUGS = frozenset({"team"})
STEP_KINDS = ("lesson", "video", "document", "quiz", "task", "mentor")
TASKS = ("first_order", "first_retail_customer", "first_enrollment", "payout_set_up")
ASSIGN_ON = ("signup", "rank", "admin")
QUESTION_KINDS = ("single", "multiple", "true_false", "number")
GRADINGS = ("highest", "last")

COURSES_ROOT = Path(__file__).resolve().parent / "courses"

_ID = re.compile(r"[a-z0-9-]{1,40}\Z")
# A decimal as people write it in a quiz file: no exponent, no NaN, no spaces, no comma.
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")

_STEP_COMMON = {"id", "kind", "title_ru", "title_en", "required", "after", "drip_days"}
_STEP_EXTRA = {"video": {"url"}, "document": {"url"}, "task": {"task"}}
_STEP_KEYS = _STEP_COMMON | {"url", "task"}
_QUESTION_COMMON = {"kind", "text_ru", "text_en", "points"}
_QUESTION_EXTRA = {
    "single": {"options"},
    "multiple": {"options"},
    "true_false": {"answer"},
    "number": {"answer", "tolerance"},
}
_QUESTION_KEYS = _QUESTION_COMMON | {"options", "answer", "tolerance"}


# --- the data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bilingual:
    """One text in both languages the office speaks; a course is refused without either."""

    ru: str
    en: str

    def in_(self, lang: Lang) -> str:
        return self.ru if lang == "ru" else self.en


@dataclass(frozen=True)
class Option:
    text: Bilingual
    correct: bool


@dataclass(frozen=True)
class Question:
    """``number`` is 1-based, as a person reads it (questions have no ids in the format).
    ``answer`` is a bool for true_false, a Decimal for number, None for the choice kinds."""

    number: int
    kind: str
    text: Bilingual
    points: int
    options: tuple[Option, ...] = ()
    answer: bool | Decimal | None = None
    tolerance: Decimal = Decimal(0)


@dataclass(frozen=True)
class Quiz:
    pass_pct: int
    attempts: int  # 0 = unlimited
    grading: str  # "highest" | "last"
    retake_after_pass: bool
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Prerequisite:
    """A step that must be complete, or (``min_pct``) a quiz passed with at least that score."""

    step: str
    min_pct: int | None = None


@dataclass(frozen=True)
class Step:
    """``text`` is the lesson's Markdown (a lesson has it; any other step may have it as notes);
    ``quiz`` is set on quiz steps only."""

    id: str
    kind: str
    title: Bilingual
    required: bool = True
    after: tuple[Prerequisite, ...] = ()
    drip_days: int = 0
    url: str | None = None
    task: str | None = None
    text: Bilingual | None = None
    quiz: Quiz | None = None


@dataclass(frozen=True)
class Course:
    slug: str
    title: Bilingual
    summary: Bilingual
    assign_on: str
    rank: str | None
    due_days: int | None
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        """The step with that id (KeyError if the course has none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


# --- reading one TOML table ------------------------------------------------------------------


class _Fields:
    """One TOML table being read: typed getters that refuse with the file and place, and a
    record of the keys read so that :meth:`done` can refuse the rest as unknown."""

    def __init__(self, data: object, *, file: str, where: str) -> None:
        self.file = file
        self.where = where
        if not isinstance(data, dict):
            raise self.error("bad_type", "expected a table")
        self.data: dict[str, object] = data
        self._read: set[str] = set()

    def error(self, code: str, message: str) -> ContentError:
        return ContentError(file=self.file, where=self.where, code=code, message=message)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> object:
        self._read.add(key)
        return self.data.get(key)

    def string(self, key: str) -> str:
        value = self.raw(key)
        if value is None:
            raise self.error("missing_field", f"`{key}` is missing")
        if not isinstance(value, str):
            raise self.error("bad_type", f"`{key}` must be text")
        if not value.strip():
            raise self.error("empty_text", f"`{key}` is empty")
        return value

    def integer(self, key: str, *, default: int, low: int, high: int | None = None) -> int:
        value = self.raw(key)
        if value is None:
            return default
        # bool is an int in Python; `drip_days = true` is a mistake, not 1.
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error("bad_type", f"`{key}` must be a whole number")
        if value < low or (high is not None and value > high):
            upper = f"..{high}" if high is not None else " or more"
            raise self.error("bad_value", f"`{key}` must be {low}{upper}, not {value}")
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error("bad_type", f"`{key}` must be true or false")
        return value

    def choice(self, key: str, allowed: Iterable[str], *, code: str = "unknown_value") -> str:
        value = self.string(key)
        allowed = tuple(allowed)
        if value not in allowed:
            raise self.error(code, f"`{key}` is {value!r}, expected one of {', '.join(allowed)}")
        return value

    def bilingual(self, prefix: str) -> Bilingual:
        """``<prefix>_ru`` and ``<prefix>_en`` (or ``ru`` and ``en`` for an empty prefix)."""
        keys = {lang: f"{prefix}_{lang}" if prefix else lang for lang in LANGS}
        present = [lang for lang in LANGS if self.has(keys[lang])]
        if not present:
            raise self.error("missing_field", f"`{keys['ru']}` and `{keys['en']}` are missing")
        if len(present) < len(LANGS):
            missing = next(lang for lang in LANGS if lang not in present)
            raise self.error("missing_language", f"`{keys[missing]}` is missing")
        return Bilingual(ru=self.string(keys["ru"]), en=self.string(keys["en"]))

    def not_for(self, kind: str, allowed: set[str], known: set[str]) -> None:
        """Refuse a key of the format that this kind does not take (`url` on a quiz)."""
        for key in sorted(self.data):
            if key in known and key not in allowed:
                raise self.error("field_not_allowed", f"`{key}` does not belong to a {kind}")

    def done(self) -> None:
        unknown = sorted(set(self.data) - self._read)
        if unknown:
            raise self.error("unknown_field", f"unknown field `{unknown[0]}`")


def _read_toml(path: Path, *, file: str) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(
            file=file, where="file", code="missing_file", message="the file is missing"
        ) from None
    except UnicodeDecodeError:
        raise ContentError(
            file=file, where="file", code="bad_encoding", message="the file is not UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(file=file, where="file", code="bad_toml", message=str(exc)) from None


def _read_text(path: Path, *, file: str, where: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError(
            file=file, where=where, code="bad_encoding", message="the file is not UTF-8"
        ) from None
    if not text.strip():
        raise ContentError(file=file, where=where, code="empty_text", message="the file is empty")
    # One form on every checkout, so that a Windows clone does not make a new version.
    return text.replace("\r\n", "\n")


def _table_list(fields: _Fields, key: str) -> list[object]:
    value = fields.raw(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise fields.error("bad_type", f"`{key}` must be a list")
    return value


def _check_id(fields: _Fields, key: str, value: str) -> str:
    if not _ID.match(value):
        raise fields.error(
            "bad_id", f"`{key}` {value!r} must be 1-40 lower-case Latin letters, digits or -"
        )
    return value


# --- quizzes ---------------------------------------------------------------------------------


def _decimal(fields: _Fields, key: str) -> Decimal | None:
    value = fields.raw(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise fields.error(
            "not_decimal", f'`{key}` must be a decimal written as text ("40", "2.5"), not {value!r}'
        )
    return Decimal(value)


def _option(data: object, *, file: str, where: str) -> Option:
    fields = _Fields(data, file=file, where=where)
    option = Option(text=fields.bilingual(""), correct=fields.boolean("correct", default=False))
    fields.done()
    return option


def _question(data: object, number: int, *, file: str) -> Question:
    where = f"question {number}"
    fields = _Fields(data, file=file, where=where)
    kind = fields.choice("kind", QUESTION_KINDS, code="unknown_kind")
    fields.not_for(kind, _QUESTION_COMMON | _QUESTION_EXTRA[kind], _QUESTION_KEYS)
    text = fields.bilingual("text")
    points = fields.integer("points", default=1, low=1)
    options: tuple[Option, ...] = ()
    answer: bool | Decimal | None = None
    tolerance = Decimal(0)
    if kind in ("single", "multiple"):
        if not fields.has("options"):
            raise fields.error("missing_field", "`options` is missing")
        options = tuple(
            _option(item, file=file, where=f"{where} option {index}")
            for index, item in enumerate(_table_list(fields, "options"), start=1)
        )
        if len(options) < 2:
            raise fields.error("too_few_options", "a choice needs at least two options")
        correct = sum(option.correct for option in options)
        if kind == "single" and correct != 1:
            raise fields.error(
                "single_needs_one_correct", f"a single choice has {correct} correct options, not 1"
            )
        if kind == "multiple" and correct == 0:
            raise fields.error(
                "multiple_needs_a_correct", "a multiple choice has no correct option"
            )
    elif kind == "true_false":
        if not fields.has("answer"):
            raise fields.error("missing_field", "`answer` is missing")
        answer = fields.boolean("answer", default=False)
    else:
        answer = _decimal(fields, "answer")
        if answer is None:
            raise fields.error("missing_field", "`answer` is missing")
        tolerance = _decimal(fields, "tolerance") or Decimal(0)
        if tolerance < 0:
            raise fields.error("bad_value", "`tolerance` must not be negative")
    fields.done()
    return Question(number, kind, text, points, options, answer, tolerance)


def _quiz(path: Path, *, file: str) -> Quiz:
    top = _Fields(_read_toml(path, file=file), file=file, where="file")
    if not top.has("quiz"):
        raise top.error("missing_field", "`[quiz]` is missing")
    fields = _Fields(top.raw("quiz"), file=file, where="quiz")
    pass_pct = fields.integer("pass_pct", default=-1, low=1, high=100)
    if pass_pct == -1:
        raise fields.error("missing_field", "`pass_pct` is missing")
    attempts = fields.integer("attempts", default=0, low=0)
    grading = fields.choice("grading", GRADINGS) if fields.has("grading") else "highest"
    retake = fields.boolean("retake_after_pass", default=False)
    fields.done()
    questions = tuple(
        _question(item, number, file=file)
        for number, item in enumerate(_table_list(top, "question"), start=1)
    )
    top.done()
    if not questions:
        raise top.error("no_questions", "a quiz needs at least one `[[question]]`")
    return Quiz(pass_pct, attempts, grading, retake, questions)


# --- steps and the course --------------------------------------------------------------------


def _prerequisites(fields: _Fields) -> tuple[Prerequisite, ...]:
    result: list[Prerequisite] = []
    for item in _table_list(fields, "after"):
        if isinstance(item, str):
            result.append(Prerequisite(step=item))
            continue
        if not isinstance(item, dict):
            raise fields.error("bad_type", "`after` lists step ids or { step, min_pct }")
        gate = _Fields(item, file=fields.file, where=fields.where)
        step = gate.string("step")
        if not gate.has("min_pct"):
            raise gate.error("missing_field", "`min_pct` is missing (or write the step id alone)")
        result.append(Prerequisite(step, gate.integer("min_pct", default=0, low=1, high=100)))
        gate.done()
    seen: set[str] = set()
    for prerequisite in result:
        if prerequisite.step in seen:
            raise fields.error(
                "duplicate_prerequisite", f"`after` names {prerequisite.step!r} twice"
            )
        seen.add(prerequisite.step)
    return tuple(result)


def _lesson_text(folder: Path, step_id: str, kind: str, *, slug: str) -> Bilingual | None:
    files = {lang: folder / "steps" / f"{step_id}.{lang}.md" for lang in LANGS}
    present = [lang for lang in LANGS if files[lang].is_file()]
    where = f"step {step_id}"
    if not present and kind != "lesson":
        return None
    for lang in LANGS:
        if lang not in present:
            raise ContentError(
                file=f"{slug}/steps/{step_id}.{lang}.md",
                where=where,
                code="missing_language",
                message=f"the {lang} text is missing",
            )
    texts = {
        lang: _read_text(files[lang], file=f"{slug}/steps/{step_id}.{lang}.md", where=where)
        for lang in LANGS
    }
    return Bilingual(ru=texts["ru"], en=texts["en"])


def _step(data: object, folder: Path, *, slug: str) -> Step:
    file = f"{slug}/course.toml"
    fields = _Fields(data, file=file, where="step")
    step_id = _check_id(fields, "id", fields.string("id"))
    fields.where = f"step {step_id}"
    kind = fields.choice("kind", STEP_KINDS, code="unknown_kind")
    fields.not_for(kind, _STEP_COMMON | _STEP_EXTRA.get(kind, set()), _STEP_KEYS)
    title = fields.bilingual("title")
    required = fields.boolean("required", default=True)
    after = _prerequisites(fields)
    drip_days = fields.integer("drip_days", default=0, low=0)
    url = None
    if kind in ("video", "document"):
        url = fields.string("url")
        if not url.startswith("https://") or len(url) <= len("https://"):
            code = "not_https" if url.startswith("http://") else "bad_url"
            raise fields.error(code, f"`url` must be an https:// link, not {url!r}")
    task = fields.choice("task", TASKS) if kind == "task" else None
    fields.done()
    text = _lesson_text(folder, step_id, kind, slug=slug)
    quiz = None
    if kind == "quiz":
        quiz_path = folder / "quizzes" / f"{step_id}.toml"
        if not quiz_path.is_file():
            raise ContentError(
                file=f"{slug}/quizzes/{step_id}.toml",
                where=f"step {step_id}",
                code="missing_quiz",
                message="a quiz step needs its quizzes/<step>.toml",
            )
        quiz = _quiz(quiz_path, file=f"{slug}/quizzes/{step_id}.toml")
    return Step(step_id, kind, title, required, after, drip_days, url, task, text, quiz)


def _check_graph(steps: tuple[Step, ...], *, file: str) -> None:
    kinds = {step.id: step.kind for step in steps}
    for step in steps:
        for gate in step.after:
            if gate.step not in kinds:
                raise ContentError(
                    file=file,
                    where=f"step {step.id}",
                    code="unknown_prerequisite",
                    message=f"`after` names {gate.step!r}, which is not a step of this course",
                )
            if gate.min_pct is not None and kinds[gate.step] != "quiz":
                raise ContentError(
                    file=file,
                    where=f"step {step.id}",
                    code="min_pct_not_quiz",
                    message=f"`min_pct` on {gate.step!r}, a {kinds[gate.step]}, not a quiz",
                )
            quiz = next(other.quiz for other in steps if other.id == gate.step)
            if (
                gate.min_pct is not None
                and quiz is not None
                and gate.min_pct > quiz.pass_pct
                and not quiz.retake_after_pass
            ):
                # Passed at 85 with no retake allowed, a gate at 90 would never open.
                raise ContentError(
                    file=file,
                    where=f"step {step.id}",
                    code="min_pct_unreachable",
                    message=f"`min_pct` {gate.min_pct} is above {gate.step!r}'s pass mark "
                    f"{quiz.pass_pct} and the quiz allows no retake after a pass",
                )
    cycle = _find_cycle(steps)
    if cycle:
        raise ContentError(
            file=file,
            where=f"step {cycle[0]}",
            code="cycle",
            message=f"the prerequisites form a cycle: {' -> '.join(cycle)}",
        )


def _find_cycle(steps: tuple[Step, ...]) -> list[str]:
    """A cycle as `a -> b -> ... -> a` (each step before the next one), starting at the cycle's
    step that comes first in the course; empty when there is none. Depth-first in course order,
    so the same course always names the same cycle."""
    order = {step.id: index for index, step in enumerate(steps)}
    needs = {step.id: [gate.step for gate in step.after] for step in steps}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in needs[node]:
            if state.get(nxt) == 1:
                found = path[path.index(nxt) :]  # each step needs the next: reverse for "then"
                found.reverse()
                first = min(range(len(found)), key=lambda i: order[found[i]])
                found = found[first:] + found[:first]
                return [*found, found[0]]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return []

    for step in steps:
        if step.id not in state:
            cycle = visit(step.id)
            if cycle:
                return cycle
    return []


def _check_files(folder: Path, steps: tuple[Step, ...], *, slug: str) -> None:
    """A file under steps/ or quizzes/ that no step reads is a misnamed one: refuse it."""
    expected = {f"steps/{step.id}.{lang}.md" for step in steps for lang in LANGS}
    expected |= {f"quizzes/{step.id}.toml" for step in steps if step.kind == "quiz"}
    for sub in ("steps", "quizzes"):
        directory = folder / sub
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            name = f"{sub}/{path.name}"
            if not path.name.startswith(".") and name not in expected:
                raise ContentError(
                    file=f"{slug}/{name}",
                    where="file",
                    code="unexpected_file",
                    message="no step of the course reads this file (a misnamed step id?)",
                )


def load_course(path: Path) -> Course:
    """The course in the folder ``path`` (named after its slug), or a :class:`ContentError`."""
    path = Path(path)
    slug = path.name
    file = f"{slug}/course.toml"
    top = _Fields(_read_toml(path / "course.toml", file=file), file=file, where="file")
    if not top.has("course"):
        raise top.error("missing_field", "`[course]` is missing")
    fields = _Fields(top.raw("course"), file=file, where="course")
    declared = _check_id(fields, "slug", fields.string("slug"))
    if declared != slug:
        raise fields.error("slug_mismatch", f"`slug` is {declared!r} in the folder {slug!r}")
    if declared in RESERVED_SLUGS:
        raise fields.error("slug_reserved", f"{declared!r} is an office page, not a course")
    title = fields.bilingual("title")
    summary = fields.bilingual("summary")
    assign_on = fields.choice("assign_on", ASSIGN_ON)
    rank = None
    if assign_on == "rank":
        rank = fields.string("rank")
    elif fields.has("rank"):
        raise fields.error("field_not_allowed", '`rank` goes with assign_on = "rank" only')
    due_days = fields.integer("due_days", default=0, low=1) if fields.has("due_days") else None
    fields.done()
    steps = tuple(_step(item, path, slug=slug) for item in _table_list(top, "step"))
    top.done()
    if not steps:
        raise top.error("no_steps", "a course needs at least one `[[step]]`")
    seen: set[str] = set()
    for step in steps:
        if step.id in seen:
            raise ContentError(
                file=file,
                where=f"step {step.id}",
                code="duplicate_id",
                message=f"two steps have the id {step.id!r}",
            )
        seen.add(step.id)
    _check_graph(steps, file=file)
    _check_files(path, steps, slug=slug)
    return Course(slug, title, summary, assign_on, rank, due_days, steps)


def load_courses(root: Path = COURSES_ROOT) -> tuple[Course, ...]:
    """Every course folder under ``root``, by slug; none when ``root`` does not exist yet."""
    if not root.is_dir():
        return ()
    folders = sorted(
        path for path in root.iterdir() if path.is_dir() and not path.name.startswith((".", "_"))
    )
    return tuple(load_course(folder) for folder in folders)


# --- versions --------------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)  # as written in the file ("40.0" stays "40.0")
    raise TypeError(f"not JSON: {type(value).__name__}")


def _as_data(course: Course) -> Mapping[str, object]:
    return dataclasses.asdict(course)


def canonical_json(course: Course) -> bytes:
    """The course, its lessons and quizzes as sorted, compact UTF-8 JSON: what a version hashes."""
    return json.dumps(
        _as_data(course),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_json_default,
    ).encode()


def version_of(course: Course) -> str:
    """SHA-256 hex of :func:`canonical_json`: a new version whenever any text changes."""
    return hashlib.sha256(canonical_json(course)).hexdigest()


def _bilingual(data: Mapping[str, object]) -> Bilingual:
    return Bilingual(ru=str(data["ru"]), en=str(data["en"]))


def _question_from(data: Mapping[str, object]) -> Question:
    answer = data["answer"]
    if isinstance(answer, str):
        answer = Decimal(answer)
    options = data["options"]
    assert isinstance(options, list) and isinstance(answer, bool | Decimal | None)
    return Question(
        number=int(str(data["number"])),
        kind=str(data["kind"]),
        text=_bilingual(data["text"]),  # type: ignore[arg-type]
        points=int(str(data["points"])),
        options=tuple(Option(_bilingual(o["text"]), bool(o["correct"])) for o in options),
        answer=answer,
        tolerance=Decimal(str(data["tolerance"])),
    )


def _step_from(data: Mapping[str, object]) -> Step:
    quiz = data["quiz"]
    text = data["text"]
    after = data["after"]
    assert isinstance(after, list)
    parsed_quiz = None
    if isinstance(quiz, dict):
        questions = quiz["questions"]
        assert isinstance(questions, list)
        parsed_quiz = Quiz(
            pass_pct=int(quiz["pass_pct"]),
            attempts=int(quiz["attempts"]),
            grading=str(quiz["grading"]),
            retake_after_pass=bool(quiz["retake_after_pass"]),
            questions=tuple(_question_from(q) for q in questions),
        )
    return Step(
        id=str(data["id"]),
        kind=str(data["kind"]),
        title=_bilingual(data["title"]),  # type: ignore[arg-type]
        required=bool(data["required"]),
        after=tuple(Prerequisite(str(a["step"]), a["min_pct"]) for a in after),
        drip_days=int(str(data["drip_days"])),
        url=None if data["url"] is None else str(data["url"]),
        task=None if data["task"] is None else str(data["task"]),
        text=_bilingual(text) if isinstance(text, dict) else None,
        quiz=parsed_quiz,
    )


def course_from_json(text: str | bytes) -> Course:
    """The course back from :func:`canonical_json` (what a stored version keeps): the inverse,
    so ``version_of(course_from_json(canonical_json(c))) == version_of(c)``."""
    data = json.loads(text)
    steps = data["steps"]
    return Course(
        slug=data["slug"],
        title=_bilingual(data["title"]),
        summary=_bilingual(data["summary"]),
        assign_on=data["assign_on"],
        rank=data["rank"],
        due_days=data["due_days"],
        steps=tuple(_step_from(step) for step in steps),
    )
