"""The payment file for the bank (`backend.bankfiles.orders.payment_file`): 1C's exchange
format 1.03 byte for byte against the golden sample, Windows-1251 and CRLF, amounts to the
kopeck, the purpose with the act, the period, the line reference and the tax note; nothing
written when the company's details are incomplete or an order is faulty."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from bankfile_kit import COMPANY, CREATED_AT, ORDERS, order

from backend.bankfiles.exchange import BankFileError
from backend.bankfiles.orders import payment_file, purpose

GOLDEN = Path(__file__).parent / "data" / "bankfiles" / "payment_orders.txt"


def test_the_file_matches_the_golden_sample_byte_for_byte() -> None:
    written = payment_file(COMPANY, ORDERS, created_at=CREATED_AT)
    assert written == GOLDEN.read_bytes()


def test_the_file_is_windows_1251_with_crlf_lines() -> None:
    written = payment_file(COMPANY, ORDERS, created_at=CREATED_AT)
    # "ВерсияФормата" in Windows-1251, one byte a letter.
    version = b"\xc2\xe5\xf0\xf1\xe8\xff\xd4\xee\xf0\xec\xe0\xf2\xe0=1.03"
    assert written.startswith(b"1CClientBankExchange\r\n" + version + b"\r\n")
    # "Ёлкина": Ё is 0xA8 in Windows-1251; "№" is 0xB9; "«" 0xAB.
    assert "ПолучательСчет=40817810500001234567".encode("cp1251") in written
    assert b"\xa8\xeb\xea\xe8\xed\xe0" in written  # Ёлкина
    assert b"\xb9 12-0" in written  # № 12-0
    assert "ООО «Линия»".encode("cp1251") in written
    with pytest.raises(UnicodeDecodeError):
        written.decode("utf-8")
    assert written.endswith(b"\xca\xee\xed\xe5\xf6\xd4\xe0\xe9\xeb\xe0\r\n")  # КонецФайла
    assert b"\n" not in written.replace(b"\r\n", b"")
    assert written.count(b"\r\n") == len(written.decode("cp1251").split("\r\n")) - 1


def test_amounts_are_written_to_the_kopeck() -> None:
    text = payment_file(COMPANY, ORDERS, created_at=CREATED_AT).decode("cp1251")
    sums = [line for line in text.split("\r\n") if line.startswith("Сумма=")]
    assert sums == ["Сумма=1234.56", "Сумма=0.01", "Сумма=98765432.10"]


def test_each_order_carries_the_payer_the_payee_and_the_purpose() -> None:
    text = payment_file(COMPANY, ORDERS[:1], created_at=CREATED_AT).decode("cp1251")
    lines = text.split("\r\n")
    document = lines[lines.index("СекцияДокумент=Платежное поручение") :]
    fields = dict(line.split("=", 1) for line in document[1 : document.index("КонецДокумента")])
    assert fields["Номер"] == "101" and fields["Дата"] == "03.04.2026"
    assert fields["ПлательщикСчет"] == COMPANY.account and fields["ПлательщикКПП"] == "770101001"
    assert fields["Плательщик"] == "ИНН 7701000001 ООО «Линия»"
    assert fields["ПолучательИНН"] == "771234567859" and fields["ПолучательБИК"] == "044525974"
    assert fields["ВидОплаты"] == "01" and fields["Очередность"] == "5"
    assert fields["НазначениеПлатежа"] == (
        "Вознаграждение по акту № 12-0 за период 01.03.2026–31.03.2026, выплата 12/0. "
        "НДФЛ удержан в сумме 184.47 руб."
    )
    assert "ДатаНачала=03.04.2026" in lines and "ВремяСоздания=10:15:30" in lines
    assert purpose(ORDERS[1]).endswith("выплата 12/7. НДС не облагается")


def test_missing_company_details_are_listed_and_nothing_is_written() -> None:
    partial = replace(COMPANY, kpp=None, corr_account=None, bank_name=None)
    with pytest.raises(BankFileError) as refused:
        payment_file(partial, ORDERS, created_at=CREATED_AT)
    assert refused.value.code == "requisites_missing"
    assert refused.value.message.endswith("bank_name, corr_account, kpp")
    # An individual entrepreneur (12-digit INN) has no KPP to miss.
    entrepreneur = replace(COMPANY, inn="500100732259", kpp=None)
    assert payment_file(entrepreneur, ORDERS, created_at=CREATED_AT).count(b"\r\n") > 30


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"payee_inn": "771234567858"}, "payee INN: checksum"),
        ({"payee_inn": "77123"}, "payee INN: format"),
        ({"payee_account": "40817810600001234567"}, "payee account: checksum"),
        ({"payee_bik": "12345678"}, "payee BIK: format"),
        ({"payee_corr_account": "30101810145250000975"}, "payee correspondent account: checksum"),
        ({"payee_kpp": "77-01"}, "payee KPP: format"),
        ({"amount": 0}, "amount 0 kopecks"),
        ({"amount": -5}, "amount -5 kopecks"),
        ({"number": 0}, "number 0 is not from 1"),
        ({"payee_name": "  "}, "payee name is empty"),
        ({"period_label": "x" * 150}, "the purpose is longer than 210"),
    ],
)
def test_a_faulty_order_is_refused_by_its_number_and_line(
    changes: dict[str, object], said: str
) -> None:
    with pytest.raises(BankFileError) as refused:
        payment_file(COMPANY, [ORDERS[1], order(**changes)], created_at=CREATED_AT)
    assert refused.value.code == "orders_invalid"
    assert refused.value.message.startswith(f"order {order(**changes).number} (line 12/0): ")
    assert said in refused.value.message


def test_a_number_or_a_line_paid_twice_is_refused() -> None:
    with pytest.raises(BankFileError, match="the number is used twice"):
        payment_file(COMPANY, [ORDERS[0], order(line_index=9)], created_at=CREATED_AT)
    with pytest.raises(BankFileError, match="the payout line is paid twice"):
        payment_file(COMPANY, [ORDERS[0], order(number=555)], created_at=CREATED_AT)
    with pytest.raises(BankFileError, match="no payment orders"):
        payment_file(COMPANY, [], created_at=CREATED_AT)


def test_a_name_windows_1251_cannot_hold_is_refused_naming_the_order() -> None:
    with pytest.raises(BankFileError) as refused:
        payment_file(COMPANY, [ORDERS[1], order(payee_name="Zoë Ağaoğlu")], created_at=CREATED_AT)
    assert refused.value.code == "orders_invalid"
    assert refused.value.message == (
        "order 101 (line 12/0): payee name: 'ë' (U+00EB) cannot be written in Windows-1251"
    )
    with pytest.raises(BankFileError, match="company's legal_name: '✓'") as refused:
        payment_file(replace(COMPANY, legal_name="ООО ✓"), ORDERS, created_at=CREATED_AT)
    assert refused.value.code == "not_encodable"


def test_line_breaks_in_names_do_not_break_the_file() -> None:
    text = payment_file(
        COMPANY, [order(payee_name="Ёлкина\r\nМария", act_number="12-0\n")], created_at=CREATED_AT
    ).decode("cp1251")
    assert "Получатель1=Ёлкина Мария" in text.split("\r\n")
    assert "акту № 12-0 за период" in text
