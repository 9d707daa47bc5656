"""The bank's statement read back (`backend.bankfiles.statement.parse_statement`): the golden
sample's header, account section and documents, amounts to the kopeck; every kind of bad input
refused with the line it is on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from backend.bankfiles.exchange import BankFileError
from backend.bankfiles.statement import parse_statement

SAMPLE = Path(__file__).parent / "data" / "bankfiles" / "statement.txt"


def sample_text() -> str:
    return SAMPLE.read_bytes().decode("cp1251")


def encoded(text: str) -> bytes:
    return text.encode("cp1251")


def line_of(text: str, starts: str) -> int:
    return next(i for i, line in enumerate(text.split("\r\n"), 1) if line.startswith(starts))


def test_the_sample_statement_is_read_whole() -> None:
    statement = parse_statement(SAMPLE.read_bytes())
    assert statement.version == "1.03" and statement.encoding == "Windows"
    assert statement.sender == "СбербанкБизнесОнлайн"
    assert statement.start == statement.end == date(2026, 4, 6)
    assert statement.accounts == ("40702810938000012345",)
    (section,) = statement.sections
    assert section.balances == {
        "НачальныйОстаток": 10_000_000_000,
        "ВсегоПоступило": 0,
        "ВсегоСписано": 9_876_666_667,
        "КонечныйОстаток": 123_333_333,
    }
    assert [d.number for d in statement.documents] == ["101", "102", "103"]
    assert [d.amount for d in statement.documents] == [123_456, 1, 9_876_543_210]
    first = statement.documents[0]
    assert first.kind == "Платежное поручение" and first.line == line_of(sample_text(), "СекцияДок")
    assert first.date == date(2026, 4, 3) and first.debited_on == date(2026, 4, 6)
    assert first.credited_on is None
    assert first.payee_account == "40817810500001234567" and first.payee_inn == "771234567859"
    assert first.payee_name == "Ёлкина Мария Сергеевна"
    assert "выплата 12/0" in first.purpose
    assert first.fields["ВидПлатежа"] == "электронно"  # the bank's own keys are kept


def test_lf_line_ends_and_amounts_without_kopecks_are_read() -> None:
    text = sample_text().replace("Сумма=0.01", "Сумма=7").replace("Сумма=1234.56", "Сумма=1234.5")
    statement = parse_statement(encoded(text.replace("\r\n", "\n")))
    assert [d.amount for d in statement.documents][:2] == [123_450, 700]


def test_a_dos_encoded_statement_is_read() -> None:
    text = sample_text().replace("Кодировка=Windows", "Кодировка=DOS")
    text = text.replace("«", '"').replace("»", '"').replace("–", "-")  # not in code page 866
    statement = parse_statement(text.encode("cp866"))
    assert statement.documents[0].payee_name == "Ёлкина Мария Сергеевна"


def refused(data: bytes) -> BankFileError:
    with pytest.raises(BankFileError) as caught:
        parse_statement(data)
    return caught.value


def test_a_utf8_statement_is_refused_at_its_first_cyrillic_line() -> None:
    error = refused(sample_text().encode("utf-8"))
    assert error.code == "encoding" and error.line == 2
    assert "UTF-8" in error.message
    assert refused(b"\xef\xbb\xbf" + SAMPLE.read_bytes()).line == 1


def test_bytes_the_declared_encoding_lacks_are_refused_with_their_line() -> None:
    text = sample_text()
    at = line_of(text, "Получатель1=")
    data = SAMPLE.read_bytes().replace(
        encoded("Получатель1=Ёлкина"), encoded("Получатель1=") + b"\x98"
    )
    error = refused(data)
    assert error.code == "encoding" and error.line == at
    unknown = refused(encoded(text.replace("Кодировка=Windows", "Кодировка=KOI8")))
    assert unknown.code == "encoding" and "KOI8" in unknown.message


@pytest.mark.parametrize(
    ("change", "where", "said"),
    [
        (("1CClientBankExchange", "<?xml version='1.0'?>"), "<?xml", "not a client-bank exchange"),
        (("Сумма=0.01", "Сумма=0,01"), "Сумма=0,01", "'0,01' is not an amount"),
        (("Сумма=0.01", "Сумма=1.234"), "Сумма=1.234", "'1.234' is not an amount"),
        (("Сумма=0.01", "Сумма=-5.00"), "Сумма=-5.00", "is not an amount"),
        (("ДатаСписано=06.04.2026", "ДатаСписано=31.02.2026"), "ДатаСписано=31.02", "not a date"),
        (("НачальныйОстаток=100000000.00", "НачальныйОстаток=много"), "НачальныйОстаток", "amount"),
        (("ДатаНачала=06.04.2026", "ДатаНачала=2026-04-06"), "ДатаНачала", "not a date"),
        (("ВидОплаты=01", "ВидОплаты 01"), "ВидОплаты 01", "expected Key=Value"),
        (("Номер=102", "Номер=102\r\nНомер=102"), "Номер=102\r\nНомер", "Номер is given twice"),
        (("КонецРасчСчет\r\n", "КонецРасчСчет\r\nмусор\r\n"), "мусор", "expected a section"),
    ],
)
def test_a_malformed_line_is_refused_with_its_number(
    change: tuple[str, str], where: str, said: str
) -> None:
    text = sample_text().replace(*change, 1)
    error = refused(encoded(text))
    assert said in error.message
    at = text.index(where)
    expected = text[:at].count("\r\n") + 1 + where.count("\r\n")
    assert error.line == expected and error.message.startswith(f"line {expected}: ")


@pytest.mark.parametrize("key", ["Номер", "Дата", "Сумма", "ПлательщикСчет", "ПолучательСчет"])
def test_a_document_without_a_key_this_side_needs_is_refused_at_its_start(key: str) -> None:
    text = sample_text()
    second = text.index("СекцияДокумент", text.index("СекцияДокумент") + 1)
    head, tail = text[:second], text[second:]
    line = next(item for item in tail.split("\r\n") if item.startswith(key + "="))
    error = refused(encoded(head + tail.replace(line + "\r\n", "", 1)))
    assert error.code == "missing_key" and f"has no {key}" in error.message
    assert error.line == head.count("\r\n") + 1


@pytest.mark.parametrize(
    "key", ["ВерсияФормата", "Кодировка", "ДатаНачала", "ДатаКонца", "РасчСчет"]
)
def test_a_header_without_a_needed_key_is_refused(key: str) -> None:
    text = sample_text()
    line = next(item for item in text.split("\r\n") if item.startswith(key + "="))
    error = refused(encoded(text.replace(line + "\r\n", "", 1)))
    assert error.code == "missing_key" and error.message.endswith(f"the header has no {key}")
    assert error.line == line_of(text, "СекцияРасчСчет") - 1


def test_a_cut_off_statement_is_refused_at_its_end() -> None:
    text = sample_text()
    cut = text[: text.rindex("КонецДокумента")]
    error = refused(encoded(cut))
    assert error.code == "truncated" and "has no КонецДокумента" in error.message
    assert error.line == text[: text.rindex("СекцияДокумент")].count("\r\n") + 1
    ended = refused(encoded(text.replace("КонецФайла\r\n", "")))
    assert ended.code == "truncated" and ended.line == text.count("\r\n") - 1
    after = refused(encoded(text + "СекцияДокумент=Платежное поручение\r\n"))
    assert "after КонецФайла" in after.message and after.line == text.count("\r\n") + 1
