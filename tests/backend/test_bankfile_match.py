"""Matching a statement to the payout lines (`backend.bankfiles.matching`): the round trip
(our payment file -> the statement a bank builds from it -> every line matched with its
payment reference), and each payment or line that cannot be attested, with its reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from bankfile_kit import COMPANY, CREATED_AT, ORDERS, bank_statement
from sha3 import keccak_256

from backend.bankfiles.matching import (
    ExpectedLine,
    Reason,
    match,
    payment_reference,
    payment_salt,
)
from backend.bankfiles.orders import payment_file
from backend.bankfiles.statement import parse_statement
from backend.core.config import Settings

SALT = bytes.fromhex("5a" * 32)
EXPECTED = [
    ExpectedLine(order.period_id, order.line_index, order.amount, order.payee_account)
    for order in ORDERS
]
OUR_FILE = payment_file(COMPANY, ORDERS, created_at=CREATED_AT)
OTHER = {  # rent paid the same day: no line reference
    "Номер": "77", "Дата": "06.04.2026", "Сумма": "1234.56",
    "ПлательщикСчет": COMPANY.account or "", "ПолучательСчет": "40702810500000000001",
    "ДатаСписано": "06.04.2026", "НазначениеПлатежа": "Аренда за апрель 2026. НДС не облагается",
}  # fmt: skip


def matched(data: bytes, expected: list[ExpectedLine] = EXPECTED):  # type: ignore[no-untyped-def]
    return match(parse_statement(data), expected, salt=SALT)


def test_round_trip_every_line_matched_with_its_reference() -> None:
    result = matched(bank_statement(OUR_FILE, extra=[OTHER]))
    assert [(m.line.index, m.document.number) for m in result.matched] == [
        (0, "101"),
        (7, "102"),
        (31, "103"),
    ]
    assert result.unmatched == () and result.unrelated == 1
    first = result.matched[0]
    # keccak256(salt || len(number) || number || YYYYMMDD || amount as 8 bytes)
    body = SALT + b"\x03101" + b"20260403" + (123_456).to_bytes(8, "big")
    assert first.reference == keccak_256(body).digest() and len(first.reference) == 32
    references = {m.reference for m in result.matched}
    assert len(references) == 3


def test_the_reference_depends_on_the_salt_number_date_and_amount() -> None:
    document = matched(bank_statement(OUR_FILE)).matched[0].document
    reference = payment_reference(SALT, document)
    assert payment_reference(bytes(32), document) != reference
    for changed in (
        replace(document, number="1010"),
        replace(document, date=date(2026, 4, 4)),
        replace(document, amount=document.amount + 1),
    ):
        assert payment_reference(SALT, changed) != reference
    # Length-prefixed: number "1" + date digits cannot pose as number "12" + other digits.
    assert payment_reference(SALT, replace(document, number="1")) != reference
    with pytest.raises(ValueError, match="at least 16 bytes"):
        payment_reference(b"short", document)


def test_a_statement_without_some_orders_leaves_their_lines_unpaid() -> None:
    result = matched(bank_statement(OUR_FILE, skip=["102", "103"]))
    assert [m.line.index for m in result.matched] == [0]
    assert [(u.reason, u.line and u.line.index) for u in result.unmatched] == [
        (Reason.unpaid, 7),
        (Reason.unpaid, 31),
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Сумма": "1234.55"}, Reason.amount_short),
        ({"Сумма": "1234.57"}, Reason.amount_over),
        ({"ПолучательСчет": "40817810938001234567"}, Reason.account_differs),
        ({"ДатаСписано": ""}, Reason.not_debited),
    ],
)
def test_a_payment_that_disagrees_with_its_line_is_listed_with_the_reason(
    change: dict[str, str], reason: Reason
) -> None:
    result = matched(bank_statement(OUR_FILE, change={"101": change}))
    assert [m.line.index for m in result.matched] == [7, 31]
    (problem,) = result.unmatched
    assert problem.reason == reason and problem.document is not None
    assert problem.document.number == "101" and problem.line == EXPECTED[0]
    assert problem.detail.startswith(f"{reason.value}: document 101 of 03.04.2026 (line ")


def test_a_line_not_expected_or_paid_twice_is_listed() -> None:
    twice = {**OTHER, "Номер": "104", "Сумма": "0.01", "ПолучательСчет": ORDERS[1].payee_account,
             "НазначениеПлатежа": "Вознаграждение, выплата 12/7"}  # fmt: skip
    unknown = {**OTHER, "Номер": "105", "НазначениеПлатежа": "Вознаграждение, выплата 13/0"}
    result = matched(bank_statement(OUR_FILE, extra=[twice, unknown]))
    assert len(result.matched) == 3
    assert [(u.reason, u.document and u.document.number) for u in result.unmatched] == [
        (Reason.paid_twice, "104"),
        (Reason.unknown_line, "105"),
    ]
    assert result.unmatched[1].line is None


def test_a_payment_returned_within_the_statement_is_not_a_match() -> None:
    back = {  # the payee's bank sent it back: the company's account is the payee's now
        "Номер": "9001", "Дата": "06.04.2026", "Сумма": "0.01",
        "ПлательщикСчет": "30232810000000000001", "ПолучательСчет": COMPANY.account or "",
        "ДатаПоступило": "06.04.2026",
        "НазначениеПлатежа": "Возврат: счёт закрыт. Вознаграждение по акту, выплата 12/7",
    }  # fmt: skip
    result = matched(bank_statement(OUR_FILE, extra=[back]))
    assert [m.line.index for m in result.matched] == [0, 31]
    (problem,) = result.unmatched
    assert problem.reason == Reason.returned and problem.document is not None
    assert problem.document.number == "102"


def test_a_payment_whose_bank_cut_the_reference_is_listed_not_matched() -> None:
    cut = {"НазначениеПлатежа": "Вознаграждение по акту № 12-31 за период"}
    result = matched(bank_statement(OUR_FILE, change={"103": cut}, extra=[OTHER]))
    assert [m.line.index for m in result.matched] == [0, 7]
    (problem,) = result.unmatched
    assert problem.reason == Reason.no_reference and problem.line == EXPECTED[2]
    assert result.unrelated == 1


def test_expected_lines_given_twice_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        matched(bank_statement(OUR_FILE), EXPECTED + EXPECTED[:1])


def test_the_salt_comes_from_the_environment_or_a_file_made_once(tmp_path: Path) -> None:
    given = Settings(data_dir=tmp_path, payment_ref_salt="0x" + "ab" * 16)
    assert payment_salt(given) == bytes.fromhex("ab" * 16)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        payment_salt(Settings(data_dir=tmp_path, payment_ref_salt="abcd"))
    with pytest.raises(ValueError, match="not hexadecimal"):
        payment_salt(Settings(data_dir=tmp_path, payment_ref_salt="zz" * 16))
    made = payment_salt(Settings(data_dir=tmp_path / "data"))
    assert len(made) == 32 and payment_salt(Settings(data_dir=tmp_path / "data")) == made
    assert (tmp_path / "data" / "payment-ref.salt").stat().st_mode & 0o777 == 0o600
