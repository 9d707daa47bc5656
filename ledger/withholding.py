"""Tax withheld from a payee's payout, as dated data (docs/compensation.md#withholding).

The company is the tax agent of a partner who is a private individual: it withholds Russian
personal income tax (NDFL) from what it pays them, on a progressive scale over the partner's
income from the company in the calendar year. A scale is a list of brackets, each the top of its
band in whole roubles (None: no top) and its percent, and it is in force from its ``start`` date
until the next scale's. The tax is computed in whole roubles, as NDFL is (Tax Code art. 52 p. 6:
under 50 kopecks dropped, 50 kopecks or more a whole rouble), from the exact tax on income in
minor units.

Tax status codes are the ``tax_status`` column of the ``payees`` input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "SCALES",
    "STATUS_CODES",
    "TAX_COMPANY",
    "TAX_INDIVIDUAL",
    "TAX_SELF_EMPLOYED",
    "TAX_SOLE_PROPRIETOR",
    "TAX_UNKNOWN",
    "Scale",
    "scale_on",
    "tax_on",
]

TAX_UNKNOWN, TAX_INDIVIDUAL, TAX_SELF_EMPLOYED, TAX_SOLE_PROPRIETOR, TAX_COMPANY = range(5)
#: Tax status codes by name (``backend.payees.models.TaxStatus``'s values); 0 = unknown.
STATUS_CODES = {
    "individual": TAX_INDIVIDUAL,
    "self_employed": TAX_SELF_EMPLOYED,
    "sole_proprietor": TAX_SOLE_PROPRIETOR,
    "company": TAX_COMPANY,
}


@dataclass(frozen=True)
class Scale:
    """A progressive scale in force from ``start``: (top of the band in roubles, percent)."""

    start: date
    brackets: tuple[tuple[int | None, int], ...]


#: The scales by name (the plan's ``[withholding] scale``), each a list of dated scales, oldest
#: first. ``ru-ndfl``: 13 % up to 5 M RUB a year and 15 % above from 2021 (Federal Law 372-FZ);
#: from 2025: 13 % to 2.4 M, 15 % to 5 M, 18 % to 20 M, 20 % to 50 M, 22 % above (176-FZ).
SCALES: dict[str, tuple[Scale, ...]] = {
    "ru-ndfl": (
        Scale(date(2021, 1, 1), ((5_000_000, 13), (None, 15))),
        Scale(
            date(2025, 1, 1),
            ((2_400_000, 13), (5_000_000, 15), (20_000_000, 18), (50_000_000, 20), (None, 22)),
        ),
    ),
}


def scale_on(name: str, day: date) -> Scale | None:
    """The scale ``name`` in force on ``day`` (None before its first one)."""
    found = None
    for scale in SCALES[name]:
        if scale.start <= day:
            found = scale
    return found


def tax_on(income: int, scale: Scale, *, unit: int) -> int:
    """The year's tax on ``income`` (minor units, ``unit`` of them to the rouble), in minor
    units of whole roubles, rounded half up to the rouble."""
    if income <= 0:
        return 0
    exact = 0  # the tax in minor units, times 100
    lower = 0
    for top, pct in scale.brackets:
        upper = None if top is None else top * unit
        part = income - lower if upper is None else min(income, upper) - lower
        if part > 0:
            exact += part * pct
        if upper is None or income <= upper:
            break
        lower = upper
    roubles = (2 * exact + 100 * unit) // (200 * unit)
    return roubles * unit
