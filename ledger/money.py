"""Money with its currency, dated exchange rates, and the one conversion rule.

- :class:`Money` is an integer of minor units with its currency code and exponent (kopecks:
  ``Money(344447000, "RUB", 2)`` is 3 444 470.00 RUB). Adding, subtracting or comparing amounts
  of different currencies raises :class:`CurrencyMismatchError`; there are no floats anywhere.
- :class:`Rate` is one dated quote as its source gives it: ``1 base = value quote``, ``value`` an
  exact decimal (the Central Bank of Russia's ``100 KZT = 16.1234 RUB`` is ``Rate("KZT", "RUB",
  day, Decimal("0.161234"), ...)``).
- :func:`conversion` finds how one currency converts into another from a set of rates: the pair
  itself (either direction), else a cross through one common currency (KZT -> RUB <- USD, the way
  the Central Bank's own cross rates are made). A token pegged to a currency (USDT to USD) converts
  as that currency at 1:1. The factor is an exact fraction; :func:`convert_minor` applies it to
  minor units with one rounding.

Fiat currencies are ISO 4217 (alphabetic code, numeric code, exponent); the payout token is
declared by the plan (code, decimals, peg). Order lines name their currency by the numeric code,
0 meaning the plan's payout currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from ledger.errors import LedgerError

__all__ = [
    "ISO_CURRENCIES",
    "Conversion",
    "CurrencyMismatchError",
    "Money",
    "MoneyError",
    "Rate",
    "RateMissingError",
    "UnknownCurrencyError",
    "alpha_code",
    "conversion",
    "convert_minor",
    "exponent_of",
    "numeric_code",
]


class MoneyError(LedgerError):
    """A money or rate value that cannot be used."""


class CurrencyMismatchError(MoneyError):
    """Two amounts of different currencies were added, subtracted or compared."""


class UnknownCurrencyError(MoneyError):
    """A currency code outside ISO 4217 (and not the plan's own token)."""


class RateMissingError(MoneyError):
    """No rate (direct, inverse or cross) converts ``source`` into ``target`` on ``day``."""

    def __init__(self, source: str, target: str, day: date | None) -> None:
        self.source, self.target, self.day = source, target, day
        when = "" if day is None else f" on or before {day.isoformat()}"
        super().__init__(f"no exchange rate for {source}/{target}{when}")


#: ISO 4217: alphabetic code -> (numeric code, exponent), for every currency the Central Bank of
#: Russia quotes and those the company's partners use.
ISO_CURRENCIES: dict[str, tuple[int, int]] = {
    "AED": (784, 2),
    "AMD": (51, 2),
    "AUD": (36, 2),
    "AZN": (944, 2),
    "BDT": (50, 2),
    "BGN": (975, 2),
    "BHD": (48, 3),
    "BOB": (68, 2),
    "BRL": (986, 2),
    "BYN": (933, 2),
    "CAD": (124, 2),
    "CHF": (756, 2),
    "CNY": (156, 2),
    "CUP": (192, 2),
    "CZK": (203, 2),
    "DKK": (208, 2),
    "DZD": (12, 2),
    "EGP": (818, 2),
    "ETB": (230, 2),
    "EUR": (978, 2),
    "GBP": (826, 2),
    "GEL": (981, 2),
    "HKD": (344, 2),
    "HUF": (348, 2),
    "IDR": (360, 2),
    "INR": (356, 2),
    "IRR": (364, 2),
    "JPY": (392, 0),
    "KGS": (417, 2),
    "KRW": (410, 0),
    "KZT": (398, 2),
    "MDL": (498, 2),
    "MMK": (104, 2),
    "MNT": (496, 2),
    "NGN": (566, 2),
    "NOK": (578, 2),
    "NZD": (554, 2),
    "OMR": (512, 3),
    "PLN": (985, 2),
    "QAR": (634, 2),
    "RON": (946, 2),
    "RSD": (941, 2),
    "RUB": (643, 2),
    "SAR": (682, 2),
    "SEK": (752, 2),
    "SGD": (702, 2),
    "THB": (764, 2),
    "TJS": (972, 2),
    "TMT": (934, 2),
    "TRY": (949, 2),
    "UAH": (980, 2),
    "USD": (840, 2),
    "UZS": (860, 2),
    "VND": (704, 0),
    "XDR": (960, 2),
    "ZAR": (710, 2),
}
_BY_NUMERIC = {numeric: code for code, (numeric, _) in ISO_CURRENCIES.items()}


def numeric_code(code: str) -> int:
    """ISO 4217 numeric code of an alphabetic one (``RUB`` -> 643)."""
    try:
        return ISO_CURRENCIES[code][0]
    except KeyError:
        raise UnknownCurrencyError(f"unknown currency {code!r}") from None


def alpha_code(numeric: int) -> str:
    """ISO 4217 alphabetic code of a numeric one (643 -> ``RUB``)."""
    try:
        return _BY_NUMERIC[numeric]
    except KeyError:
        raise UnknownCurrencyError(f"unknown currency number {numeric}") from None


def exponent_of(code: str) -> int:
    """Minor-unit exponent of an ISO currency (``RUB`` -> 2, ``JPY`` -> 0)."""
    try:
        return ISO_CURRENCIES[code][1]
    except KeyError:
        raise UnknownCurrencyError(f"unknown currency {code!r}") from None


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An integer number of minor units of one currency."""

    minor: int
    currency: str
    exponent: int

    def __post_init__(self) -> None:
        if type(self.minor) is not int:
            raise MoneyError(f"money is an integer of minor units, not {type(self.minor).__name__}")
        if type(self.exponent) is not int or not 0 <= self.exponent <= 18:
            raise MoneyError(f"exponent {self.exponent!r} is not 0..18")

    @classmethod
    def of(cls, minor: int, currency: str) -> Money:
        """An amount of an ISO currency (its exponent from ISO 4217)."""
        return cls(minor, currency, exponent_of(currency))

    @classmethod
    def zero(cls, currency: str, exponent: int) -> Money:
        return cls(0, currency, exponent)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine money with {type(other).__name__}")
        if (other.currency, other.exponent) != (self.currency, self.exponent):
            raise CurrencyMismatchError(
                f"cannot combine {self.currency} and {other.currency} amounts: convert first"
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency, self.exponent)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency, self.exponent)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency, self.exponent)

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same(other).minor

    @property
    def decimal(self) -> Decimal:
        """The amount in major units, exactly (``Decimal("34444.70")``)."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def as_json(self) -> dict[str, int | str]:
        """``{"amount": minor units, "currency": code, "exponent": e}``."""
        return {"amount": self.minor, "currency": self.currency, "exponent": self.exponent}


_MAX_RATE = Decimal(10) ** 9


@dataclass(frozen=True, slots=True)
class Rate:
    """One dated quote: ``1 base = value quote`` on ``day``, as ``source`` published it."""

    base: str
    quote: str
    day: date
    value: Decimal
    source: str

    def __post_init__(self) -> None:
        for code in (self.base, self.quote):
            exponent_of(code)
        if self.base == self.quote:
            raise MoneyError(f"a rate needs two currencies, not {self.base}/{self.quote}")
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise MoneyError(f"rate {self.base}/{self.quote}: {self.value!r} is not a number")
        if self.value <= 0 or self.value >= _MAX_RATE:
            raise MoneyError(f"rate {self.base}/{self.quote}: {self.value} must be > 0 and < 1e9")
        if -int(self.value.as_tuple().exponent) > 12:
            raise MoneyError(f"rate {self.base}/{self.quote}: at most 12 decimals")

    @property
    def pair(self) -> tuple[str, str]:
        return self.base, self.quote

    def as_json(self) -> dict[str, str]:
        return {
            "base": self.base,
            "quote": self.quote,
            "date": self.day.isoformat(),
            "rate": format(self.value.normalize(), "f"),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Conversion:
    """How ``source`` converts to ``target``: ``factor`` target units per source unit (major
    units, exact), from ``rates`` (none when the currencies are the same or pegged 1:1)."""

    source: str
    target: str
    factor: Fraction
    rates: tuple[Rate, ...]

    def minor_factor(self, source_exponent: int, target_exponent: int) -> Fraction:
        """Target minor units per source minor unit."""
        return self.factor * Fraction(10) ** (target_exponent - source_exponent)

    def describe(self) -> str:
        """``1 RUB = 0.0123 USDT (USD/RUB 81.2345 cbr.ru 2026-03-31)`` for a statement."""
        used = ", ".join(
            f"{r.base}/{r.quote} {format(r.value.normalize(), 'f')} {r.day.isoformat()}"
            for r in self.rates
        )
        return f"1 {self.source} = {_fraction_text(self.factor)} {self.target}" + (
            f" ({used})" if used else ""
        )


def _fraction_text(value: Fraction, places: int = 8) -> str:
    scaled = value.numerator * 10**places // value.denominator
    text = f"{scaled // 10**places}.{scaled % 10**places:0{places}d}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _latest(rates: Sequence[Rate], on: date | None) -> dict[tuple[str, str], Rate]:
    """The latest rate per pair dated on or before ``on`` (every rate when ``on`` is None)."""
    best: dict[tuple[str, str], Rate] = {}
    for rate in rates:
        if on is not None and rate.day > on:
            continue
        held = best.get(rate.pair)
        if held is None or (rate.day, rate.source) > (held.day, held.source):
            best[rate.pair] = rate
    return best


def _leg(table: dict[tuple[str, str], Rate], a: str, b: str) -> tuple[Fraction, Rate] | None:
    """``a`` -> ``b`` from one rate of the pair, in either direction."""
    if (a, b) in table:
        rate = table[(a, b)]
        return Fraction(rate.value), rate
    if (b, a) in table:
        rate = table[(b, a)]
        return 1 / Fraction(rate.value), rate
    return None


def conversion(
    rates: Sequence[Rate],
    source: str,
    target: str,
    *,
    peg: str | None = None,
    on: date | None = None,
) -> Conversion:
    """How ``source`` converts into ``target`` with the latest rates dated on or before ``on``.

    ``peg`` is the currency ``target`` is pegged to 1:1 (a stablecoin's), looked up in its place.
    The pair itself wins over a cross; among crosses, the common currency first in alphabetical
    order. Raises :class:`RateMissingError` naming the pair and the date.
    """
    looked_up = peg or target
    if source in (target, looked_up):
        return Conversion(source, target, Fraction(1), ())
    table = _latest(rates, on)
    direct = _leg(table, source, looked_up)
    if direct is not None:
        return Conversion(source, target, direct[0], (direct[1],))
    commons = sorted({c for pair in table for c in pair} - {source, looked_up})
    for common in commons:
        first, second = _leg(table, source, common), _leg(table, common, looked_up)
        if first is not None and second is not None:
            return Conversion(source, target, first[0] * second[0], (first[1], second[1]))
    raise RateMissingError(source, looked_up, on)


def convert_minor(
    minor: int, factor: Fraction, *, mode: Literal["half-even", "floor", "half-up"]
) -> int:
    """``minor x factor`` rounded once (half-even, floor, or half away from zero)."""
    exact = minor * factor
    if mode == "floor":
        return exact.numerator // exact.denominator
    if mode == "half-up":
        q, r = divmod(abs(exact.numerator), exact.denominator)
        q += 2 * r >= exact.denominator
        return q if exact >= 0 else -q
    return round(exact)
