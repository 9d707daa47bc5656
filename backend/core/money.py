"""Money for a person to read: ``34 444,70 ₽`` in Russian, ``$34,444.70`` in English.

Amounts travel as integer minor units with their currency code and exponent
(``ledger.money.Money``); this is the one place they are turned into text, with Babel's
locale data. A token that is not an ISO currency (USDT) is written with all its decimals and
its code: ``34 444,697000 USDT``.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from pydantic import computed_field
from sqlmodel import SQLModel

from ledger.money import ISO_CURRENCIES, Money, exponent_of

DEFAULT_LOCALE = "ru"


def reader_locale() -> str:
    """The language of command-line output: ``LINEAGE_LANG`` (``ru`` by default, or ``en``)."""
    return os.environ.get("LINEAGE_LANG", DEFAULT_LOCALE)


def format_money(
    minor: int | Money, currency: str | None = None, exponent: int | None = None, *, locale: str
) -> str:
    """``minor`` units of ``currency`` (``exponent`` decimals) for ``locale`` (``ru``, ``en``)."""
    if isinstance(minor, Money):
        amount: Money = minor
        minor, currency, exponent = amount.minor, amount.currency, amount.exponent
    if currency is None:
        raise ValueError("a money amount needs its currency")
    if exponent is None:
        exponent = ISO_CURRENCIES[currency][1]
    value = Decimal(minor).scaleb(-exponent)
    if currency in ISO_CURRENCIES and ISO_CURRENCIES[currency][1] == exponent:
        return format_currency(value, currency, locale=_babel(locale))
    digits = "0" * exponent
    number = format_decimal(
        value, format="#,##0" + (f".{digits}" if digits else ""), locale=_babel(locale)
    )
    return f"{number}\u00a0{currency}"


class AmountError(ValueError):
    """A typed amount that is not one: ``reason`` is ``format`` (not digits with one decimal
    separator), ``decimals`` (more decimals than the currency has) or ``too_large``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Spaces people and locales put between thousands: space, no-break and narrow no-break, thin.
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009")
_PLAIN = re.compile(r"^([0-9]+)(?:[.,]([0-9]+))?$")
# Both separators: the last one is the decimal separator, the other groups thousands
# ("1,234.50" as English writes it, "1.234,50" as German does).
_GROUPED = re.compile(
    r"^(?P<whole>[0-9]{1,3}(?P<sep>[.,])[0-9]{3}(?:(?P=sep)[0-9]{3})*)"
    r"(?:(?!(?P=sep))[.,](?P<fraction>[0-9]+))?$"
)


def parse_minor(text: str, exponent: int, *, limit: int) -> int:
    """A non-negative amount as a person types it (``1 234,50``, ``1234.50``, ``1,234.50``)
    -> integer minor units of a currency with ``exponent`` decimals, exactly (no floats).
    Refuses anything else, more decimals than ``exponent`` and amounts above ``limit``."""
    compact = text.strip().translate(_GROUPING)
    plain = _PLAIN.match(compact)
    if plain is not None:
        whole, fraction = str(plain.group(1)), str(plain.group(2) or "")
    else:
        grouped = _GROUPED.match(compact)
        if grouped is None:
            raise AmountError("format")
        whole = str(grouped["whole"]).replace(str(grouped["sep"]), "")
        fraction = str(grouped["fraction"] or "")
    if len(fraction) > exponent:
        raise AmountError("decimals")
    scale: int = 10**exponent
    minor = int(whole) * scale + int(fraction.ljust(exponent, "0") or "0")
    if minor > limit:
        raise AmountError("too_large")
    return minor


def minor_as_text(minor: int, exponent: int) -> str:
    """Minor units as the plain number a form field shows and `parse_minor` reads back:
    ``123450`` with 2 decimals is ``1234.50``."""
    if exponent == 0:
        return str(minor)
    whole, fraction = divmod(minor, 10**exponent)
    return f"{whole}.{fraction:0{exponent}d}"


def format_points(points: int, *, locale: str) -> str:
    return format_decimal(points, format="#,##0", locale=_babel(locale))


def _babel(locale: str) -> str:
    return {"ru": "ru_RU", "en": "en_US"}.get(locale, locale)


def format_pct(text: str, *, locale: str, places: int = 2) -> str:
    """A percentage string of the reports (``"21.4222"``) as a person writes it: ``21,42 %``."""
    value = Decimal(text)
    number = format_decimal(value, format="0." + "0" * places, locale=_babel(locale))
    return f"{number}\u00a0%"


class InMinorUnits(SQLModel):
    """For API shapes with a ``currency``: adds its ``exponent``, so every amount beside them
    (integer minor units) reads as ``amount / 10**exponent`` of ``currency``."""

    currency: str

    @computed_field(  # type: ignore[prop-decorator]
        description="Decimals of `currency`: each amount here is integer minor units, "
        "amount / 10**exponent of the currency (RUB 2: 344470 is 3 444,70 ₽)."
    )
    @property
    def exponent(self) -> int:
        return exponent_of(self.currency)
