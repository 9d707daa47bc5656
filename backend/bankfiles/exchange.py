"""What the payment file and the statement share: the encoding, dates, amounts and the payout
line reference every payment's purpose carries.

A value is one line ``Key=Value``; amounts are roubles with a dot and kopecks (``1234.56``),
dates ``dd.mm.yyyy``, times ``hh:mm:ss``. The line reference (``выплата 12/345``: the period's
id and the line's index in the period's payout table) is how a statement's payment finds its
line again; it sits early in the purpose so that a bank cutting the purpose short keeps it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from backend.core.errors import Invalid

MARKER = "1CClientBankExchange"
VERSION = "1.03"
#: ``Кодировка`` values and the codecs they name (1.03 knows these two).
ENCODINGS = {"Windows": "cp1251", "DOS": "cp866"}
PAYMENT_ORDER = "Платежное поручение"
EOL = "\r\n"
#: The largest amount a file carries, in kopecks (15 digits of roubles).
MAX_KOPECKS = 10**17 - 1
#: The payout line reference in a purpose: ``выплата <period id>/<line index>``.
LINE_REFERENCE = re.compile(r"выплата\s+(\d{1,19})/(\d{1,10})")
_AMOUNT = re.compile(r"(\d{1,15})(?:\.(\d{1,2}))?")


class BankFileError(Invalid):
    """A file that cannot be written or read as asked; ``line`` is the 1-based line of the
    file the problem is on (0: the file as a whole)."""

    def __init__(self, message: str, *, line: int = 0, code: str = "bank_file") -> None:
        where = f"line {line}: " if line else ""
        super().__init__(where + message, code=code, details={"line": line} if line else None)
        self.line = line


def line_reference(period_id: int, index: int) -> str:
    return f"выплата {period_id}/{index}"


def kopecks_text(kopecks: int) -> str:
    """``123456`` -> ``1234.56``."""
    if not 0 <= kopecks <= MAX_KOPECKS:
        raise ValueError(f"amount {kopecks} out of range")
    return f"{kopecks // 100}.{kopecks % 100:02d}"


def parse_kopecks(text: str) -> int | None:
    """``1234.56`` (or ``1234.5``, ``1234``) -> kopecks; ``None`` when it is not an amount."""
    found = _AMOUNT.fullmatch(text)
    if found is None:
        return None
    roubles, cents = found.groups()
    return int(roubles) * 100 + int((cents or "0").ljust(2, "0"))


def date_text(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def parse_date(text: str) -> date | None:
    if not re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", text):
        return None
    try:
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None
