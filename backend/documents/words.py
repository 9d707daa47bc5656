"""Amounts in words, as Russian accounting writes them on a document: the whole units in words
with their noun in the right form, then the minor units in two digits ("Одна тысяча двести
рублей 05 копеек"); English the same way ("One thousand two hundred roubles 05 kopecks").
`num2words` writes the numbers (and knows the feminine forms: "одна тысяча")."""

from __future__ import annotations

from num2words import num2words

# Noun forms per currency: Russian (one, few, many), English (one, many); major then minor.
_RU = {
    "RUB": (("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
    "USD": (("доллар США", "доллара США", "долларов США"), ("цент", "цента", "центов")),
    "EUR": (("евро", "евро", "евро"), ("евроцент", "евроцента", "евроцентов")),
}
_EN = {
    "RUB": (("rouble", "roubles"), ("kopeck", "kopecks")),
    "USD": (("US dollar", "US dollars"), ("cent", "cents")),
    "EUR": (("euro", "euros"), ("cent", "cents")),
}


def _ru_form(n: int, forms: tuple[str, str, str]) -> str:
    if n % 100 in range(11, 15):
        return forms[2]
    return forms[0] if n % 10 == 1 else forms[1] if n % 10 in (2, 3, 4) else forms[2]


def amount_in_words(minor: int, currency: str, exponent: int, language: str) -> str:
    """``minor`` units (``exponent`` decimals) of ``currency`` in words, capitalised. A currency
    without nouns here is named by its code ("... USDT")."""
    if minor < 0:
        raise ValueError("an amount in words is not negative")
    scale = 10**exponent
    whole, part = divmod(minor, scale)
    cents = f"{part:0{exponent}d}" if exponent else ""
    if language == "ru":
        text = str(num2words(whole, lang="ru"))
        if currency in _RU:
            major, minor_forms = _RU[currency]
            text += f" {_ru_form(whole, major)}"
            if exponent:
                text += f" {cents} {_ru_form(part, minor_forms)}"
        else:
            text += f" {currency}" + (f" {cents}" if exponent else "")
    else:
        text = str(num2words(whole, lang="en")).replace(",", "")
        if currency in _EN:
            major_en, minor_en = _EN[currency]
            text += f" {major_en[0] if whole == 1 else major_en[1]}"
            if exponent:
                text += f" {cents} {minor_en[0] if part == 1 else minor_en[1]}"
        else:
            text += f" {currency}" + (f" {cents}" if exponent else "")
    return text[:1].upper() + text[1:]
