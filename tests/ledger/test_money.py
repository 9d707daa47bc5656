"""Money with its currency, dated rates and the conversion rule (ledger/money.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from ledger.money import (
    CurrencyMismatchError,
    Money,
    MoneyError,
    Rate,
    RateMissingError,
    UnknownCurrencyError,
    alpha_code,
    conversion,
    convert_minor,
    numeric_code,
)

D = date(2026, 3, 31)


def rate(base: str, quote: str, value: str, day: date = D) -> Rate:
    return Rate(base, quote, day, Decimal(value), "test")


def test_amounts_of_one_currency_add_and_compare() -> None:
    a, b = Money.of(344447000, "RUB"), Money.of(53, "RUB")
    assert (a + b).minor == 344447053
    assert (a - b).decimal == Decimal("3444469.47")
    assert b < a and -b == Money(-53, "RUB", 2)


def test_amounts_of_two_currencies_never_add_or_compare() -> None:
    rub, usd = Money.of(100, "RUB"), Money.of(100, "USD")
    with pytest.raises(CurrencyMismatchError, match="RUB and USD"):
        _ = rub + usd
    with pytest.raises(CurrencyMismatchError):
        _ = rub < usd


def test_money_is_integers_only() -> None:
    with pytest.raises(MoneyError, match="integer"):
        Money(1.5, "RUB", 2)  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrencyError, match="XYZ"):
        Money.of(1, "XYZ")
    assert Money.of(1, "JPY").exponent == 0
    assert Money.of(7, "RUB").as_json() == {"amount": 7, "currency": "RUB", "exponent": 2}


def test_iso_numeric_codes() -> None:
    assert numeric_code("RUB") == 643 and alpha_code(398) == "KZT"
    with pytest.raises(UnknownCurrencyError):
        alpha_code(999)


@pytest.mark.parametrize("value", ["0", "-1", "NaN", "Infinity", "1e10"])
def test_a_rate_is_positive_finite_and_sane(value: str) -> None:
    with pytest.raises(MoneyError):
        rate("USD", "RUB", value)


def test_a_rate_names_two_known_currencies() -> None:
    with pytest.raises(UnknownCurrencyError):
        rate("USD", "XYZ", "1")
    with pytest.raises(MoneyError, match="two currencies"):
        rate("RUB", "RUB", "1")


def test_direct_inverse_cross_and_peg() -> None:
    rates = [rate("USD", "RUB", "80"), rate("KZT", "RUB", "0.16")]
    assert conversion(rates, "USD", "RUB").factor == 80
    assert conversion(rates, "RUB", "USD").factor == Fraction(1, 80)
    # KZT -> RUB -> USD: 0.16 / 80 = 0.002 USD per tenge, through the common currency.
    cross = conversion(rates, "KZT", "USD")
    assert cross.factor == Fraction(2, 1000) and len(cross.rates) == 2
    # USDT is pegged to USD: its rates are looked up as USD's, 1:1.
    assert conversion(rates, "RUB", "USDT", peg="USD").factor == Fraction(1, 80)
    assert conversion(rates, "USD", "USDT", peg="USD").rates == ()
    # Minor units: kopecks to micro-USDT.
    assert conversion(rates, "RUB", "USDT", peg="USD").minor_factor(2, 6) == Fraction(125)


def test_the_latest_rate_on_or_before_the_day_is_used() -> None:
    rates = [
        rate("USD", "RUB", "80", date(2026, 3, 30)),
        rate("USD", "RUB", "81", date(2026, 3, 31)),
        rate("USD", "RUB", "99", date(2026, 4, 1)),
    ]
    assert conversion(rates, "USD", "RUB", on=D).factor == 81
    with pytest.raises(RateMissingError, match=r"USD/RUB on or before 2026-03-29"):
        conversion(rates, "USD", "RUB", on=date(2026, 3, 29))


def test_a_missing_rate_names_the_pair_and_date() -> None:
    with pytest.raises(RateMissingError, match="KZT/USD on or before 2026-03-31"):
        conversion([rate("USD", "RUB", "80")], "KZT", "USDT", peg="USD", on=D)


def test_one_rounding_each_mode() -> None:
    third = Fraction(1, 3)
    assert convert_minor(5, Fraction(1, 2), mode="half-even") == 2
    assert convert_minor(5, Fraction(1, 2), mode="half-up") == 3
    assert convert_minor(-5, Fraction(1, 2), mode="half-up") == -3
    assert convert_minor(2, third, mode="floor") == 0
    assert convert_minor(2, third, mode="half-even") == 1
