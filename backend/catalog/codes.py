"""The codes a product carries for the UPD's table (`backend.documents.upd`): its unit of
measure (OKEI, the all-Russian classifier of units: column 2/2a), its country of origin (ISO
3166 numeric with the short name, OKSM: columns 10/10a) and its product-kind code (TN VED EAEU,
10 digits: column 1b, optional). Only the units and countries listed here are accepted: a code
outside the table would print a unit or a country nobody can read back."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

#: OKEI code -> (Russian symbol, English symbol).
OKEI: dict[str, tuple[str, str]] = {
    "796": ("шт", "pcs"),
    "778": ("упак", "pack"),
    "715": ("пар", "pair"),
    "704": ("набор", "set"),
    "839": ("компл", "kit"),
    "163": ("г", "g"),
    "166": ("кг", "kg"),
    "111": ("мл", "ml"),
    "112": ("л", "l"),
}
DEFAULT_OKEI = "796"

#: ISO 3166 numeric code -> (Russian short name, English short name).
COUNTRIES: dict[str, tuple[str, str]] = {
    "643": ("Россия", "Russia"),
    "112": ("Беларусь", "Belarus"),
    "398": ("Казахстан", "Kazakhstan"),
    "051": ("Армения", "Armenia"),
    "417": ("Киргизия", "Kyrgyzstan"),
    "860": ("Узбекистан", "Uzbekistan"),
    "156": ("Китай", "China"),
    "410": ("Корея, Республика", "Korea, Republic of"),
    "392": ("Япония", "Japan"),
    "356": ("Индия", "India"),
    "792": ("Турция", "Türkiye"),
    "276": ("Германия", "Germany"),
    "250": ("Франция", "France"),
    "380": ("Италия", "Italy"),
    "724": ("Испания", "Spain"),
    "528": ("Нидерланды", "Netherlands"),
    "840": ("США", "United States"),
}
#: Goods of this origin are domestic: no customs declaration (column 11 is a dash).
DOMESTIC = "643"

_TNVED = re.compile(r"^[0-9]{10}$")


def _okei(code: str) -> str:
    if code not in OKEI:
        raise ValueError(f"unknown OKEI unit {code!r}: one of {', '.join(OKEI)}")
    return code


def _country(code: str) -> str:
    if code not in COUNTRIES:
        raise ValueError(f"unknown country code {code!r}: ISO 3166 numeric, one of the known")
    return code


def _tnved(code: str | None) -> str | None:
    if code is not None and not _TNVED.match(code):
        raise ValueError("a TN VED code is 10 digits")
    return code


OkeiCode = Annotated[str, AfterValidator(_okei)]
CountryNumeric = Annotated[str, AfterValidator(_country)]
TnvedCode = Annotated[str | None, AfterValidator(_tnved)]
