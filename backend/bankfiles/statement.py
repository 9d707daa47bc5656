"""The bank's statement (выписка) in 1C's client-bank exchange format: the header, the account
sections (``СекцияРасчСчет`` ... ``КонецРасчСчет``: balances and turnovers) and the documents
(``СекцияДокумент=<kind>`` ... ``КонецДокумента``) up to ``КонецФайла``.

Read strictly: a file that is not this format, is in another encoding than it declares, lacks a
key this side needs, or carries a malformed date or amount raises `BankFileError` naming the
line. Keys this side does not use are kept (``Document.fields``) and never refused: banks add
their own. Lines end in CRLF (a bare LF is accepted too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.bankfiles.exchange import (
    ENCODINGS,
    MARKER,
    BankFileError,
    parse_date,
    parse_kopecks,
)

#: Header keys that may repeat (one line each).
_REPEATED = ("РасчСчет", "Документ")
_HEADER_NEEDS = ("ВерсияФормата", "Кодировка", "ДатаНачала", "ДатаКонца", "РасчСчет")
_DOCUMENT_NEEDS = ("Номер", "Дата", "Сумма", "ПлательщикСчет", "ПолучательСчет")
_BALANCES = ("НачальныйОстаток", "ВсегоПоступило", "ВсегоСписано", "КонечныйОстаток")


@dataclass(frozen=True)
class Document:
    """One document of the statement; amounts in kopecks. ``line`` is where it starts."""

    line: int
    kind: str
    number: str
    date: dt.date
    amount: int
    payer_account: str
    payee_account: str
    debited_on: dt.date | None  # ДатаСписано: when it left the payer's account
    credited_on: dt.date | None  # ДатаПоступило: when it reached the payee's account
    payee_inn: str | None
    payee_name: str | None
    purpose: str
    fields: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class AccountSection:
    line: int
    account: str
    start: dt.date | None
    end: dt.date | None
    balances: Mapping[str, int]  # НачальныйОстаток, ВсегоПоступило, ... as given, kopecks


@dataclass(frozen=True)
class Statement:
    version: str
    encoding: str
    sender: str | None
    start: dt.date
    end: dt.date
    accounts: tuple[str, ...]  # the header's РасчСчет lines
    sections: tuple[AccountSection, ...]
    documents: tuple[Document, ...]


def _decode(data: bytes) -> list[str]:
    if data.startswith(b"\xef\xbb\xbf"):
        raise BankFileError("the file is UTF-8 (it starts with a byte order mark)", line=1)
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    if first != MARKER.encode("ascii"):
        raise BankFileError(
            f"not a client-bank exchange file: the first line is not {MARKER}", line=1
        )
    raw_lines = data.split(b"\n")
    declared = "Windows"
    for raw in raw_lines[1:]:
        if raw.startswith("Кодировка=".encode("cp1251")) or raw.startswith(
            "Кодировка=".encode("cp866")
        ):
            declared = raw.split(b"=", 1)[1].rstrip(b"\r").decode("ascii", "replace").strip()
            break
    codec = ENCODINGS.get(declared)
    if codec is None:
        raise BankFileError(f"unknown encoding {declared!r} (Windows or DOS)", code="encoding")
    lines: list[str] = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.isascii() and _utf8_text(raw):
            raise BankFileError(
                f"the file is UTF-8, not {declared} as it declares", line=number, code="encoding"
            )
        try:
            lines.append(raw.rstrip(b"\r").decode(codec))
        except UnicodeDecodeError:
            raise BankFileError(
                f"bytes that are not {declared} text", line=number, code="encoding"
            ) from None
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _utf8_text(raw: bytes) -> bool:
    """Non-ASCII bytes that read as UTF-8 Cyrillic: Windows-1251 or DOS text practically never
    does (each of its letters would have to be followed by a UTF-8 continuation byte)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any("\u0400" <= char <= "\u04ff" for char in text)


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.at = 1  # the next line to read (1-based); line 1 is the marker

    def next(self) -> tuple[int, str] | None:
        while self.at < len(self.lines):
            self.at += 1
            text = self.lines[self.at - 1].strip()
            if text:
                return self.at, text
        return None


def _pair(number: int, text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise BankFileError(f"expected Key=Value, found {text[:60]!r}", line=number)
    return key.strip(), value.strip()


def _date(number: int, key: str, value: str) -> dt.date:
    day = parse_date(value)
    if day is None:
        raise BankFileError(f"{key}: {value!r} is not a date dd.mm.yyyy", line=number)
    return day


def _amount(number: int, key: str, value: str) -> int:
    kopecks = parse_kopecks(value)
    if kopecks is None:
        raise BankFileError(
            f"{key}: {value!r} is not an amount like 1234.56", line=number, code="amount"
        )
    return kopecks


def parse_statement(data: bytes) -> Statement:
    """The statement in ``data`` (the file's bytes); `BankFileError` naming the line when it
    is not one."""
    lines = _decode(data)
    reader = _Reader(lines)
    header: dict[str, str] = {}
    header_lines: dict[str, int] = {}
    accounts: list[str] = []
    sections: list[AccountSection] = []
    documents: list[Document] = []
    item = reader.next()
    while item is not None and "=" in item[1] and not item[1].startswith("Секция"):
        number, text = item
        key, value = _pair(number, text)
        if key == "РасчСчет":
            accounts.append(value)
        elif key not in _REPEATED:
            if key in header:
                raise BankFileError(f"{key} is given twice", line=number)
            header[key], header_lines[key] = value, number
        item = reader.next()
    header_end = item[0] if item is not None else len(lines)
    for key in _HEADER_NEEDS:
        if key != "РасчСчет" and not header.get(key):
            raise BankFileError(f"the header has no {key}", line=header_end, code="missing_key")
    if not accounts:
        raise BankFileError("the header has no РасчСчет", line=header_end, code="missing_key")
    start = _date(header_lines["ДатаНачала"], "ДатаНачала", header["ДатаНачала"])
    end = _date(header_lines["ДатаКонца"], "ДатаКонца", header["ДатаКонца"])
    ended = False
    while item is not None:
        number, text = item
        if text == "КонецФайла":
            ended = True
            break
        if text == "СекцияРасчСчет":
            sections.append(_account_section(reader, number))
        elif text.startswith("СекцияДокумент="):
            documents.append(_document(reader, number, text.partition("=")[2].strip()))
        else:
            raise BankFileError(
                f"expected a section or КонецФайла, found {text[:60]!r}", line=number
            )
        item = reader.next()
    if not ended:
        raise BankFileError("the file ends without КонецФайла", line=len(lines), code="truncated")
    rest = reader.next()
    if rest is not None:
        raise BankFileError("text after КонецФайла", line=rest[0])
    return Statement(
        version=header["ВерсияФормата"],
        encoding=header["Кодировка"],
        sender=header.get("Отправитель") or None,
        start=start,
        end=end,
        accounts=tuple(accounts),
        sections=tuple(sections),
        documents=tuple(documents),
    )


def _section_lines(
    reader: _Reader, begun: int, end_marker: str, what: str
) -> dict[str, tuple[int, str]]:
    values: dict[str, tuple[int, str]] = {}
    while True:
        item = reader.next()
        if item is None:
            raise BankFileError(
                f"{what} started here has no {end_marker}", line=begun, code="truncated"
            )
        number, text = item
        if text == end_marker:
            return values
        if text.startswith("Секция") or text == "КонецФайла":
            raise BankFileError(f"{what} started on line {begun} has no {end_marker}", line=number)
        key, value = _pair(number, text)
        if key in values:
            raise BankFileError(f"{key} is given twice in one {what}", line=number)
        values[key] = (number, value)


def _account_section(reader: _Reader, begun: int) -> AccountSection:
    values = _section_lines(reader, begun, "КонецРасчСчет", "account section")
    if not values.get("РасчСчет", (0, ""))[1]:
        raise BankFileError("the account section has no РасчСчет", line=begun, code="missing_key")
    days = {
        key: _date(values[key][0], key, values[key][1]) if values.get(key, (0, ""))[1] else None
        for key in ("ДатаНачала", "ДатаКонца")
    }
    balances = {
        key: _amount(values[key][0], key, values[key][1])
        for key in _BALANCES
        if values.get(key, (0, ""))[1]
    }
    return AccountSection(
        line=begun,
        account=values["РасчСчет"][1],
        start=days["ДатаНачала"],
        end=days["ДатаКонца"],
        balances=balances,
    )


def _document(reader: _Reader, begun: int, kind: str) -> Document:
    values = _section_lines(reader, begun, "КонецДокумента", "document")
    for key in _DOCUMENT_NEEDS:
        if not values.get(key, (0, ""))[1]:
            raise BankFileError(f"the document has no {key}", line=begun, code="missing_key")
    days = {
        key: _date(values[key][0], key, values[key][1]) if values.get(key, (0, ""))[1] else None
        for key in ("ДатаСписано", "ДатаПоступило")
    }
    number_line, amount_text = values["Сумма"]

    def text(key: str) -> str | None:
        return values[key][1] or None if key in values else None

    return Document(
        line=begun,
        kind=kind,
        number=values["Номер"][1],
        date=_date(values["Дата"][0], "Дата", values["Дата"][1]),
        amount=_amount(number_line, "Сумма", amount_text),
        payer_account=values["ПлательщикСчет"][1],
        payee_account=values["ПолучательСчет"][1],
        debited_on=days["ДатаСписано"],
        credited_on=days["ДатаПоступило"],
        payee_inn=text("ПолучательИНН"),
        payee_name=text("Получатель1") or text("Получатель"),
        purpose=text("НазначениеПлатежа") or "",
        fields={key: value for key, (_line, value) in values.items()},
    )
