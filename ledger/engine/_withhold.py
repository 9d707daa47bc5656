"""The withholding stage: tax withheld from each private individual's gross payout.

Semantics: docs/compensation.md#withholding. For a payee whose tax status is ``individual`` and
who is paid ``gross > 0`` this period::

    income_in, withheld_in = the year-to-date figures carried in (0 when the carried year is not
                             the year of the period's last day: a new calendar year)
    tax_now  = tax_on(income_in + gross) - withheld_in     (whole roubles, ledger.withholding)
    withheld = min(max(tax_now, 0), gross)
    payout   = gross - withheld                            (the leaf's amount)
    ytd      = (year, income_in + gross, withheld_in + withheld)

Anyone else keeps their (reset) year-to-date figures and is withheld nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from ledger.errors import InputError
from ledger.plan._schema import Withholding
from ledger.withholding import TAX_INDIVIDUAL, scale_on, tax_on

__all__ = ["Withheld", "withhold"]

I64 = NDArray[np.int64]
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, eq=False)
class Withheld:
    withheld: I64
    ytd_year: I64
    ytd_income: I64
    ytd_withheld: I64


def withhold(
    rule: Withholding,
    *,
    decimals: int,
    end_day: int,
    gross: I64,
    tax_status: I64,
    ytd_year: I64,
    ytd_income: I64,
    ytd_withheld: I64,
) -> Withheld:
    """The withholding of a period whose last day is ``end_day`` (see above); amounts are minor
    units of the payout currency (the rouble or a token pegged to it, ``decimals`` places)."""
    day = EPOCH + timedelta(days=end_day)
    scale = scale_on(rule.scale, day)
    if scale is None:
        raise InputError(
            file="period.json",
            record=f"end_day {end_day}",
            reason=f"no {rule.scale} scale is in force on {day.isoformat()}",
        )
    same_year = ytd_year == day.year
    income = np.where(same_year, ytd_income, 0)
    withheld_in = np.where(same_year, ytd_withheld, 0)
    withheld = np.zeros(gross.shape[0], dtype=np.int64)
    unit = 10**decimals
    taxed = np.flatnonzero((tax_status == TAX_INDIVIDUAL) & (gross > 0))
    for i in taxed.tolist():
        g = int(gross[i])
        owed = tax_on(int(income[i]) + g, scale, unit=unit) - int(withheld_in[i])
        withheld[i] = min(max(owed, 0), g)
    income_out = income.copy()
    income_out[taxed] += gross[taxed]
    withheld_out = withheld_in + withheld
    year = np.where((income_out != 0) | (withheld_out != 0), day.year, 0).astype(np.int64)
    return Withheld(withheld, year, income_out, withheld_out)
