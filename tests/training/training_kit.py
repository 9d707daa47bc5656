"""A tiny valid course folder (docs/training-content.md) as a dict of files, for tests to break
one thing at a time, and the same course's quiz as plain data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from backend.training.content import Bilingual, Option, Question, Quiz

COURSE_TOML = """\
[course]
slug = "demo"
title_ru = "Первые шаги"
title_en = "First steps"
summary_ru = "Кратко"
summary_en = "In short"
assign_on = "signup"
due_days = 30

[[step]]
id = "welcome"
kind = "lesson"
title_ru = "Добро пожаловать"
title_en = "Welcome"

[[step]]
id = "plan-video"
kind = "video"
title_ru = "Видео о плане"
title_en = "The plan in a video"
url = "https://example.org/plan"
after = ["welcome"]
drip_days = 2

[[step]]
id = "plan-quiz"
kind = "quiz"
title_ru = "Тест по плану"
title_en = "The plan quiz"
after = ["plan-video"]

[[step]]
id = "first-order"
kind = "task"
task = "first_order"
title_ru = "Первый заказ"
title_en = "First order"
after = [{ step = "plan-quiz", min_pct = 80 }]

[[step]]
id = "mentor-call"
kind = "mentor"
title_ru = "Звонок наставнику"
title_en = "Call your mentor"
required = false
after = ["first-order"]
"""

QUIZ_TOML = """\
[quiz]
pass_pct = 80
attempts = 3
grading = "highest"
retake_after_pass = false

[[question]]
kind = "single"
text_ru = "Сколько уровней?"
text_en = "How many levels?"
points = 2
options = [
  { ru = "Три", en = "Three", correct = true },
  { ru = "Пять", en = "Five" },
]

[[question]]
kind = "multiple"
text_ru = "Что можно говорить?"
text_en = "What may you say?"
options = [
  { ru = "Цены", en = "Prices", correct = true },
  { ru = "Доход", en = "Income" },
  { ru = "Состав", en = "Ingredients", correct = true },
]

[[question]]
kind = "true_false"
text_ru = "Доход гарантирован?"
text_en = "Is income guaranteed?"
answer = false

[[question]]
kind = "number"
text_ru = "Процент с первой линии?"
text_en = "Percent from the first line?"
answer = "12.5"
tolerance = "0.5"
"""


def course_files() -> dict[str, str]:
    """The files of a valid course ``demo``, by path inside its folder."""
    return {
        "course.toml": COURSE_TOML,
        "steps/welcome.ru.md": "# Привет\n\nО компании.\n",
        "steps/welcome.en.md": "# Hello\n\nAbout the company.\n",
        "quizzes/plan-quiz.toml": QUIZ_TOML,
    }


def write_course(root: Path, files: dict[str, str | bytes], slug: str = "demo") -> Path:
    folder = root / slug
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
    return folder


def replace(files: dict[str, str], name: str, old: str, new: str) -> None:
    """Replace ``old`` once in one file; fails loudly when ``old`` is not there, so a refusal
    test cannot pass because its edit silently did nothing."""
    assert files[name].count(old) >= 1, f"{old!r} not in {name}"
    files[name] = files[name].replace(old, new, 1)


def _b(ru: str, en: str) -> Bilingual:
    return Bilingual(ru=ru, en=en)


def sample_quiz(
    *, pass_pct: int = 80, attempts: int = 3, grading: str = "highest", retake: bool = False
) -> Quiz:
    """The quiz in QUIZ_TOML, built by hand: 5 points over 4 questions."""
    return Quiz(
        pass_pct=pass_pct,
        attempts=attempts,
        grading=grading,
        retake_after_pass=retake,
        questions=(
            Question(
                1,
                "single",
                _b("Сколько уровней?", "How many levels?"),
                2,
                options=(Option(_b("Три", "Three"), True), Option(_b("Пять", "Five"), False)),
            ),
            Question(
                2,
                "multiple",
                _b("Что можно говорить?", "What may you say?"),
                1,
                options=(
                    Option(_b("Цены", "Prices"), True),
                    Option(_b("Доход", "Income"), False),
                    Option(_b("Состав", "Ingredients"), True),
                ),
            ),
            Question(
                3, "true_false", _b("Доход гарантирован?", "Is income guaranteed?"), 1, answer=False
            ),  # fmt: skip
            Question(
                4,
                "number",
                _b("Процент с первой линии?", "Percent from the first line?"),
                1,
                answer=Decimal("12.5"),
                tolerance=Decimal("0.5"),
            ),
        ),
    )
