"""A dev-only bank: executes a payment file and writes the statement a bank would send back.

Every payment order of the file becomes a document of the statement, debited from the company's
account on the day given (``ДатаСписано``), in 1C's client-bank exchange format (Windows-1251,
CRLF), with the account section's balances. Tests and the demo use it to close a period's bank
lines without a bank; ``change`` lets a test play a bank that errs (another amount or account, an
order not executed), ``extra`` adds documents of its own (rent, a returned payment).

    statement = execute(payment_file, on=date(2026, 4, 2))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

from backend.bankfiles.exchange import (
    ENCODINGS,
    EOL,
    MARKER,
    PAYMENT_ORDER,
    VERSION,
    date_text,
    kopecks_text,
    parse_kopecks,
)
from backend.bankfiles.statement import parse_statement

SENDER = "Lineage dev bank"
#: What the company's account holds before the day's payments (kopecks).
OPENING = 10**12

#: Alters one order's fields (a copy) before it is executed; None: the order is not executed.
Change = Callable[[int, dict[str, str]], dict[str, str] | None]


def execute(
    payment_file: bytes,
    *,
    on: date | None = None,
    change: Change | None = None,
    extra: Sequence[Mapping[str, str]] = (),
    created_at: datetime | None = None,
) -> bytes:
    """The statement of the company's account after executing ``payment_file`` on ``on`` (the
    file's own date when None)."""
    orders = parse_statement(payment_file)  # a payment file reads as a statement without dates
    day = on or orders.start
    account = orders.accounts[0]
    documents: list[dict[str, str]] = []
    for number, document in enumerate(orders.documents):
        fields: dict[str, str] | None = dict(document.fields)
        if change is not None:
            fields = change(number, dict(document.fields))
        if fields is None:
            continue
        fields.setdefault("ДатаСписано", date_text(day))
        documents.append(fields)
    documents += [dict(more) for more in extra]
    debited = sum(
        parse_kopecks(d["Сумма"]) or 0 for d in documents if d.get("ПлательщикСчет") == account
    )
    credited = sum(
        parse_kopecks(d["Сумма"]) or 0 for d in documents if d.get("ПолучательСчет") == account
    )
    made = created_at or datetime.combine(day, datetime.min.time())
    lines = [
        MARKER,
        f"ВерсияФормата={VERSION}",
        "Кодировка=Windows",
        f"Отправитель={SENDER}",
        "Получатель=Lineage",
        f"ДатаСоздания={date_text(made.date())}",
        f"ВремяСоздания={made:%H:%M:%S}",
        f"ДатаНачала={date_text(day)}",
        f"ДатаКонца={date_text(day)}",
        f"РасчСчет={account}",
        "СекцияРасчСчет",
        f"ДатаНачала={date_text(day)}",
        f"ДатаКонца={date_text(day)}",
        f"РасчСчет={account}",
        f"НачальныйОстаток={kopecks_text(OPENING)}",
        f"ВсегоПоступило={kopecks_text(credited)}",
        f"ВсегоСписано={kopecks_text(debited)}",
        f"КонечныйОстаток={kopecks_text(OPENING + credited - debited)}",
        "КонецРасчСчет",
    ]
    for fields in documents:
        kind = fields.pop("СекцияДокумент", PAYMENT_ORDER)
        lines.append(f"СекцияДокумент={kind}")
        lines += [f"{key}={value}" for key, value in fields.items()]
        lines.append("КонецДокумента")
    lines.append("КонецФайла")
    return EOL.join(lines).encode(ENCODINGS["Windows"]) + EOL.encode("ascii")
