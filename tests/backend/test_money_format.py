"""Money as a person reads it, in Russian and English (backend/core/money.py)."""

from __future__ import annotations

import pytest

from backend.core.money import format_money, format_pct, format_points
from ledger.money import Money

NBSP, NNBSP = "\u00a0", "\u202f"


def plain(text: str) -> str:
    """Babel separates groups with no-break spaces; compare with ordinary ones."""
    return text.replace(NBSP, " ").replace(NNBSP, " ")


@pytest.mark.parametrize(
    ("minor", "currency", "exponent", "locale", "text"),
    [
        (3444470, "RUB", 2, "ru", "34 444,70 ₽"),
        (3444470, "USD", 2, "en", "$34,444.70"),
        (34444697000, "USDT", 6, "en", "34,444.697000 USDT"),
        (34444697000, "USDT", 6, "ru", "34 444,697000 USDT"),
        (-150, "RUB", 2, "ru", "-1,50 ₽"),
        (500000, "KZT", 2, "ru", "5 000,00 KZT"),
        (1200, "JPY", 0, "en", "¥1,200"),
    ],
)
def test_amounts_read_as_people_write_them(
    minor: int, currency: str, exponent: int, locale: str, text: str
) -> None:
    assert plain(format_money(minor, currency, exponent, locale=locale)) == text


def test_money_values_and_points() -> None:
    assert plain(format_money(Money.of(100, "RUB"), locale="en")) == "RUB1.00"
    assert plain(format_points(1234567, locale="ru")) == "1 234 567"
    with pytest.raises(ValueError, match="currency"):
        format_money(1, locale="ru")


def test_percentages_read_as_people_write_them() -> None:
    assert plain(format_pct("21.4222", locale="ru")) == "21,42 %"
    assert plain(format_pct("21.4222", locale="en")) == "21.42 %"
