"""The training domain's errors, each with a stable ``code`` a page or the API can translate.

```
TrainingError
├── ContentError     a course folder the loader refuses (names file, step/question, reason)
└── AnswerError      quiz answers from a form that cannot be read (names the question)
```
"""

from __future__ import annotations

__all__ = ["AnswerError", "ContentError", "TrainingError"]


class TrainingError(Exception):
    """Base of every error the training domain raises on purpose."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


class ContentError(TrainingError):
    """A course the loader refuses. ``str()`` reads ``file: where: message [code]``, where
    ``where`` names the step (``step welcome``), the question (``question 2``) or the field."""

    def __init__(self, *, file: str, where: str, code: str, message: str) -> None:
        self.file = file
        self.where = where
        super().__init__(code, message)

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message} [{self.code}]"


class AnswerError(TrainingError):
    """A submitted answer that does not fit its question (an unknown option, two options for a
    single choice, a number that is not a decimal). ``question`` is 1-based, as shown."""

    def __init__(self, *, question: int, code: str, message: str) -> None:
        self.question = question
        super().__init__(code, message)

    def __str__(self) -> str:
        return f"question {self.question}: {self.message} [{self.code}]"
