"""The Central Bank of Russia's daily rates file (``XML_daily.asp``), parsed safely.

The file::

    <?xml version="1.0" encoding="windows-1251"?>
    <ValCurs Date="15.03.2022" name="Foreign Currency Market">
      <Valute ID="R01335"><NumCode>398</NumCode><CharCode>KZT</CharCode>
        <Nominal>100</Nominal><Name>...</Name><Value>22,4903</Value></Valute>
      ...

Each ``Valute`` becomes ``Rate(base=CharCode, quote="RUB", day=<ValCurs Date>,
value=Value / Nominal)`` (100 KZT = 22,4903 RUB gives 1 KZT = 0.224903 RUB), computed exactly:
a quotient that a decimal cannot hold exactly is refused, never rounded. Parsing goes through
``defusedxml`` (no DTDs, entities or external references); the encoding is the one the file
declares (the bank's own is windows-1251). Any defect refuses the whole file with a message
(:class:`CbrFileError`); checking the currencies and the size of each rate is the service's.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from backend.rates.models import Rate

QUOTE = "RUB"
ROOT = "ValCurs"
_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
_VALUE = re.compile(r"^(\d{1,12})(?:[,.](\d{1,12}))?$")
_NOMINAL = re.compile(r"^[1-9]\d{0,9}$")
# Exact arithmetic: a quotient that does not fit is an error, not a rounding.
_EXACT = decimal.Context(prec=40, traps=[decimal.Inexact, decimal.InvalidOperation])


class CbrFileError(ValueError):
    """The file is not a usable XML_daily file; the message says why."""


def source_of(day: dt.date) -> str:
    return f"cbr.ru XML_daily {day:%d.%m.%Y}"


def parse_xml_daily(content: bytes) -> tuple[dt.date, list[Rate]]:
    """The file's date and one rate per ``Valute``, in file order."""
    if not content.strip():
        raise CbrFileError("the file is empty")
    try:
        root = fromstring(content)
    except DefusedXmlException as exc:
        raise CbrFileError(f"the file uses XML features a rate file never has: {exc}") from None
    except ParseError as exc:
        raise CbrFileError(f"not an XML file: {exc}") from None
    except (LookupError, ValueError) as exc:  # an encoding Python does not know
        raise CbrFileError(f"the file's encoding cannot be read: {exc}") from None
    if root.tag != ROOT:
        raise CbrFileError(f"not a CBR XML_daily file: the root is <{root.tag}>, not <{ROOT}>")
    day = _date(root.get("Date"))
    source = source_of(day)
    valutes = root.findall("Valute")
    if not valutes:
        raise CbrFileError(f"the file of {day:%d.%m.%Y} holds no <Valute> rates")
    rates: list[Rate] = []
    for number, valute in enumerate(valutes, start=1):
        base = _text(valute, "CharCode", number)
        where = f"<Valute> {number} ({base})"
        nominal_text = _text(valute, "Nominal", number)
        if not _NOMINAL.match(nominal_text):
            raise CbrFileError(f"{where}: Nominal {nominal_text!r} is not a positive whole number")
        value_text = _text(valute, "Value", number)
        match = _VALUE.match(value_text)
        if match is None:
            raise CbrFileError(
                f"{where}: Value {value_text!r} is not a decimal number like 22,4903"
            )
        value = decimal.Decimal(f"{match[1]}.{match[2] or '0'}")
        try:
            per_unit = _EXACT.divide(value, decimal.Decimal(nominal_text))
        except decimal.Inexact:
            raise CbrFileError(
                f"{where}: {value_text} / {nominal_text} has no exact decimal value"
            ) from None
        rates.append(Rate(base=base, quote=QUOTE, day=day, value=per_unit, source=source))
    return day, rates


def _date(text: str | None) -> dt.date:
    if text is None:
        raise CbrFileError(f"<{ROOT}> has no Date attribute")
    match = _DATE.match(text.strip())
    if match is None:
        raise CbrFileError(f"<{ROOT}> Date {text!r} is not a date like 15.03.2022 (dd.mm.yyyy)")
    try:
        return dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        raise CbrFileError(f"<{ROOT}> Date {text!r} is not a calendar date") from None


def _text(valute: Element, tag: str, number: int) -> str:
    text = valute.findtext(tag)
    if text is None or not text.strip():
        code = valute.findtext("CharCode") or "?"
        raise CbrFileError(f"<Valute> {number} ({code.strip() or '?'}) has no <{tag}>")
    return text.strip()
