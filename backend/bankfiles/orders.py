"""The payment file: one payment order (платёжное поручение) per payout line, for the company's
bank to import, in 1C's client-bank exchange format 1.03 (Windows-1251, CRLF).

Every order's purpose names the act and the period, carries the payout line reference
(`exchange.line_reference`) and ends with the tax note: ``НДФЛ удержан в сумме ...`` when the
company withheld personal income tax from the payee, else ``НДС не облагается``. Nothing is
written unless every order is sound: the company's details complete (`CompanyRequisites`), each
payee's INN, BIK and accounts with their check digits, each text encodable in Windows-1251.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from backend.bankfiles.exchange import (
    ENCODINGS,
    EOL,
    MARKER,
    MAX_KOPECKS,
    PAYMENT_ORDER,
    VERSION,
    BankFileError,
    date_text,
    kopecks_text,
    line_reference,
)
from backend.company.requisites import CompanyRequisites, missing, payer_needs
from backend.core import ru_checks

SENDER = "Lineage"
#: The longest purpose a payment order carries (the bank's limit for the field).
MAX_PURPOSE = 210
#: Payment orders are numbered 1 to 999999 (the last three digits are what banks check).
MAX_NUMBER = 999_999


@dataclass(frozen=True)
class PaymentOrder:
    """One partner's payout line to pay by bank transfer. ``amount`` is what is paid (the
    net, in kopecks); ``withheld`` the personal income tax withheld from it (kopecks), ``None``
    when none is (a self-employed person, an entrepreneur, a company)."""

    number: int  # the order's number (Номер), unique among the company's orders of the year
    amount: int
    payee_name: str
    payee_inn: str
    payee_account: str
    payee_bik: str
    payee_corr_account: str
    payee_bank_name: str
    period_id: int
    line_index: int
    act_number: str
    period_label: str  # as the act names the period: "01.03.2026–31.03.2026", "март 2026"
    withheld: int | None = None
    payee_kpp: str | None = None


def purpose(order: PaymentOrder) -> str:
    """The order's purpose (НазначениеПлатежа)."""
    tax = (
        f"НДФЛ удержан в сумме {kopecks_text(order.withheld)} руб."
        if order.withheld is not None
        else "НДС не облагается"
    )
    return (
        f"Вознаграждение по акту № {_clean(order.act_number)} "
        f"за период {_clean(order.period_label)}, "
        f"{line_reference(order.period_id, order.line_index)}. {tax}"
    )


def _clean(text: str) -> str:
    return " ".join(text.split())


def _unwritable(text: str) -> str | None:
    """The first character of ``text`` Windows-1251 has no byte for."""
    try:
        text.encode(ENCODINGS["Windows"])
    except UnicodeEncodeError as wrong:
        return text[wrong.start]
    return None


def _order_problems(order: PaymentOrder) -> list[str]:
    found: list[str] = []
    if not 1 <= order.number <= MAX_NUMBER:
        found.append(f"number {order.number} is not from 1 to {MAX_NUMBER}")
    if not 0 < order.amount <= MAX_KOPECKS:
        found.append(f"amount {order.amount} kopecks is not positive or too large")
    if order.withheld is not None and not 0 <= order.withheld <= MAX_KOPECKS:
        found.append(f"withheld {order.withheld} kopecks is out of range")
    if order.period_id < 0 or order.line_index < 0:
        found.append("the period id and the line index are not negative")
    checks = {
        "payee INN": ru_checks.inn_problem(order.payee_inn),
        "payee BIK": ru_checks.bik_problem(order.payee_bik),
        "payee account": ru_checks.account_problem(order.payee_account, order.payee_bik),
        "payee correspondent account": ru_checks.corr_account_problem(
            order.payee_corr_account, order.payee_bik
        ),
    }
    if order.payee_kpp is not None:
        checks["payee KPP"] = ru_checks.kpp_problem(order.payee_kpp)
    found += [f"{what}: {problem}" for what, problem in checks.items() if problem]
    for what, text in (
        ("payee name", order.payee_name),
        ("payee bank name", order.payee_bank_name),
        ("act number", order.act_number),
        ("period label", order.period_label),
    ):
        if not _clean(text):
            found.append(f"{what} is empty")
        elif (char := _unwritable(text)) is not None:
            found.append(f"{what}: {char!r} (U+{ord(char):04X}) cannot be written in Windows-1251")
    if len(purpose(order)) > MAX_PURPOSE:
        found.append(f"the purpose is longer than {MAX_PURPOSE} characters")
    return found


def _document(company: CompanyRequisites, order: PaymentOrder, day: date) -> list[str]:
    payer, payee = _clean(company.legal_name or ""), _clean(order.payee_name)
    fields = [
        ("СекцияДокумент", PAYMENT_ORDER),
        ("Номер", str(order.number)),
        ("Дата", date_text(day)),
        ("Сумма", kopecks_text(order.amount)),
        ("ПлательщикСчет", company.account),
        ("Плательщик", f"ИНН {company.inn} {payer}"),
        ("ПлательщикИНН", company.inn),
        ("ПлательщикКПП", company.kpp or ""),
        ("Плательщик1", payer),
        ("ПлательщикРасчСчет", company.account),
        ("ПлательщикБанк1", _clean(company.bank_name or "")),
        ("ПлательщикБИК", company.bik),
        ("ПлательщикКорсчет", company.corr_account),
        ("ПолучательСчет", order.payee_account),
        ("Получатель", f"ИНН {order.payee_inn} {payee}"),
        ("ПолучательИНН", order.payee_inn),
        ("ПолучательКПП", order.payee_kpp or ""),
        ("Получатель1", payee),
        ("ПолучательРасчСчет", order.payee_account),
        ("ПолучательБанк1", _clean(order.payee_bank_name)),
        ("ПолучательБИК", order.payee_bik),
        ("ПолучательКорсчет", order.payee_corr_account),
        ("ВидОплаты", "01"),
        ("Очередность", "5"),
        ("НазначениеПлатежа", purpose(order)),
    ]
    return [f"{key}={value or ''}" for key, value in fields] + ["КонецДокумента"]


def payment_file(
    company: CompanyRequisites, orders: Sequence[PaymentOrder], *, created_at: datetime
) -> bytes:
    """The file for the bank: every order dated ``created_at``'s day. `BankFileError` naming
    what is wrong (the company's missing details, each faulty order by its number and line)
    when any order cannot be written; nothing is written then."""
    if not orders:
        raise BankFileError("no payment orders to write", code="no_orders")
    lacking = missing(company, payer_needs(company))
    if lacking:
        raise BankFileError(
            "the company's details are missing: " + ", ".join(lacking), code="requisites_missing"
        )
    for name in ("legal_name", "bank_name"):
        char = _unwritable(getattr(company, name) or "")
        if char is not None:
            raise BankFileError(
                f"the company's {name}: {char!r} (U+{ord(char):04X}) cannot be written in "
                "Windows-1251",
                code="not_encodable",
            )
    faults: list[str] = []
    numbers: set[int] = set()
    lines: set[tuple[int, int]] = set()
    for order in orders:
        found = _order_problems(order)
        if order.number in numbers:
            found.append("the number is used twice")
        if (order.period_id, order.line_index) in lines:
            found.append("the payout line is paid twice")
        numbers.add(order.number)
        lines.add((order.period_id, order.line_index))
        if found:
            where = f"order {order.number} (line {order.period_id}/{order.line_index})"
            faults.append(f"{where}: " + "; ".join(found))
    if faults:
        raise BankFileError(" | ".join(faults), code="orders_invalid")
    day = created_at.date()
    text = [
        MARKER,
        f"ВерсияФормата={VERSION}",
        "Кодировка=Windows",
        f"Отправитель={SENDER}",
        "Получатель=",
        f"ДатаСоздания={date_text(day)}",
        f"ВремяСоздания={created_at:%H:%M:%S}",
        f"ДатаНачала={date_text(day)}",
        f"ДатаКонца={date_text(day)}",
        f"РасчСчет={company.account}",
        f"Документ={PAYMENT_ORDER}",
    ]
    for order in orders:
        text += _document(company, order, day)
    text.append("КонецФайла")
    return _encode(text)


def _encode(lines: list[str]) -> bytes:
    encoded: list[bytes] = []
    for number, line in enumerate(lines, start=1):
        try:
            encoded.append(line.encode(ENCODINGS["Windows"]))
        except UnicodeEncodeError as wrong:
            char = line[wrong.start]
            raise BankFileError(
                f"{char!r} (U+{ord(char):04X}) cannot be written in Windows-1251: {line[:60]}",
                line=number,
                code="not_encodable",
            ) from None
    return EOL.encode("ascii").join(encoded) + EOL.encode("ascii")
