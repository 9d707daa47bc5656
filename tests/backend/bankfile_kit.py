"""Shared pieces of the bank file tests: the company's details, three payees' orders, and a
statement built from our payment file the way a bank builds one (its own header and account
section, each executed order with ДатаСписано and the bank's extra keys, in Windows-1251)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime

from backend.bankfiles.orders import PaymentOrder
from backend.company.requisites import CompanyRequisites

CREATED_AT = datetime(2026, 4, 3, 10, 15, 30, tzinfo=UTC)
COMPANY = CompanyRequisites(
    legal_name="ООО «Линия»",
    inn="7701000001",
    kpp="770101001",
    ogrn="1027700000008",
    legal_address="г. Москва, ул. Примерная, д. 1",
    bank_name="ПАО Сбербанк",
    bik="044525225",
    account="40702810938000012345",
    corr_account="30101810400000000225",
    director="Иванова А. Б.",
    chief_accountant="Петров В. Г.",
)
TINKOFF = {
    "payee_bik": "044525974",
    "payee_corr_account": "30101810145250000974",
    "payee_bank_name": "АО «ТБанк»",
}
SBER = {
    "payee_bik": "044525225",
    "payee_corr_account": "30101810400000000225",
    "payee_bank_name": "ПАО Сбербанк",
}
LABEL = "01.03.2026–31.03.2026"
ORDERS = (
    PaymentOrder(
        number=101, amount=1_234_56, payee_name="Ёлкина Мария Сергеевна", payee_inn="771234567859",
        payee_account="40817810500001234567", period_id=12, line_index=0, act_number="12-0",
        period_label=LABEL, withheld=18_447, **TINKOFF,
    ),
    PaymentOrder(
        number=102, amount=1, payee_name="Орлов Пётр Ильич", payee_inn="500100732259",
        payee_account="40817810938001234567", period_id=12, line_index=7, act_number="12-7",
        period_label=LABEL, **SBER,
    ),
    PaymentOrder(
        number=103, amount=98_765_432_10, payee_name="ИП Смирнов Олег Юрьевич",
        payee_inn="660123456729", payee_account="40802810500007654321", period_id=12,
        line_index=31, act_number="12-31", period_label=LABEL, **TINKOFF,
    ),
)  # fmt: skip


def order(**changes: object) -> PaymentOrder:
    return replace(ORDERS[0], **changes)  # type: ignore[arg-type]


def _documents(data: bytes) -> list[dict[str, str]]:
    documents: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in data.decode("cp1251").split("\r\n"):
        if line.startswith("СекцияДокумент="):
            current = {}
        elif line == "КонецДокумента" and current is not None:
            documents.append(current)
            current = None
        elif current is not None:
            key, _, value = line.partition("=")
            current[key] = value
    return documents


def bank_statement(
    payment_file: bytes,
    *,
    executed_on: date = date(2026, 4, 6),
    skip: Iterable[str] = (),
    change: Mapping[str, Mapping[str, str]] | None = None,
    extra: Iterable[Mapping[str, str]] = (),
) -> bytes:
    """The statement a bank sends for ``payment_file``'s orders executed on ``executed_on``:
    orders numbered in ``skip`` left out, ``change`` (by number) applied to a document's keys,
    ``extra`` documents appended (other payments of the day)."""
    change = change or {}
    documents = [
        {**doc, "ДатаСписано": f"{executed_on:%d.%m.%Y}", **change.get(doc["Номер"], {})}
        for doc in _documents(payment_file)
        if doc["Номер"] not in set(skip)
    ]
    documents += [dict(doc) for doc in extra]
    account = COMPANY.account or ""
    paid = sum(
        int(doc["Сумма"].replace(".", "")) for doc in documents if doc["ПлательщикСчет"] == account
    )
    day = f"{executed_on:%d.%m.%Y}"
    opening = 100_000_000_00
    lines = [
        "1CClientBankExchange",
        "ВерсияФормата=1.03",
        "Кодировка=Windows",
        "Отправитель=СбербанкБизнесОнлайн",
        "Получатель=",
        f"ДатаСоздания={day}",
        "ВремяСоздания=18:02:11",
        f"ДатаНачала={day}",
        f"ДатаКонца={day}",
        f"РасчСчет={account}",
        "СекцияРасчСчет",
        f"ДатаНачала={day}",
        f"ДатаКонца={day}",
        f"РасчСчет={account}",
        f"НачальныйОстаток={opening // 100}.{opening % 100:02d}",
        "ВсегоПоступило=0.00",
        f"ВсегоСписано={paid // 100}.{paid % 100:02d}",
        f"КонечныйОстаток={(opening - paid) // 100}.{(opening - paid) % 100:02d}",
        "КонецРасчСчет",
    ]
    for doc in documents:
        lines.append("СекцияДокумент=Платежное поручение")
        lines += [f"{key}={value}" for key, value in doc.items()]
        lines += ["ВидПлатежа=электронно", "Код=0", "КонецДокумента"]
    lines.append("КонецФайла")
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")
