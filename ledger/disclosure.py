"""The income disclosure statement: a year's earnings of every participant, zero earners included.

Semantics: docs/compensation.md#income-disclosure. Each period carries every distributor's
year-to-date gross earnings, own purchases and number of active periods (:class:`IncomeYTD`, the
package's ``inputs/income_ytd.tbl`` -> ``results/income_ytd.tbl``), reset when the year of the
period's last day changes, as withholding carries taxed income. The year's last period turns the
figures it carries out into the statement (:func:`statement`).

Figures are integers in minor units of the payout currency. Percentiles use the nearest-rank
method: the ``p``-th percentile of ``n`` sorted values is the value at rank ``ceil(p * n / 100)``
(1-based), so every figure is one participant's actual amount; the median is the 50th
(for an even count, the lower of the two middle values). The mean is the total divided by the
count, rounded down to the minor unit; the total is given beside it. A share is a percentage with
two decimals, rounded half up. No figure is computed over fewer than all the participants it
names: a participant who earned nothing counts as 0 in every figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger.errors import InputError
from ledger.plan import Plan

__all__ = [
    "INCOME_YTD_COLUMNS",
    "STATEMENT_FORMAT",
    "IncomeYTD",
    "carry_income",
    "empty_income_ytd",
    "figures",
    "is_year_end",
    "percentile",
    "share",
    "statement",
]

I64 = NDArray[np.int64]
EPOCH = date(1970, 1, 1)
STATEMENT_FORMAT = "lineage-income-disclosure/1"
#: The carried year-to-date table's columns (one row per distributor with something to carry).
INCOME_YTD_COLUMNS = ("id", "year", "earned", "bought", "active")
#: The percentiles a figure set gives, besides the median.
PERCENTILES = (10, 25, 75, 90, 99)
#: The statement's definitions (the page and the PDF show them translated).
DEFINITIONS = {
    "participant": "every distributor in the genealogy at the end of the year's last period, "
    "whether or not they bought, sold or earned anything",
    "active": "a participant who met the plan's activity requirement (personal volume of at "
    "least activity.min_pv points) in at least one period of the year",
    "earnings": "gross compensation earned in the periods ending in the year (every bonus line "
    "after caps), before clawbacks and tax withheld",
    "expenses": "the participant's own purchases at the price charged, converted to the payout "
    "currency at each period's rate; other business expenses are not known to the company",
    "rank": "the highest rank the participant had achieved by the end of the year",
}


@dataclass(frozen=True, eq=False)
class IncomeYTD:
    """Year-to-date figures per distributor in calendar year ``year`` (rows only for those with
    something to carry): gross ``earned``, own purchases ``bought`` (payout minor units) and
    the number of periods they were ``active``."""

    id: I64
    year: I64
    earned: I64
    bought: I64
    active: I64

    @classmethod
    def from_columns(cls, **columns: object) -> IncomeYTD:
        return cls(
            **{name: np.asarray(columns[name], dtype=np.int64) for name in INCOME_YTD_COLUMNS}
        )

    def columns(self) -> dict[str, I64]:
        return {name: getattr(self, name) for name in INCOME_YTD_COLUMNS}


def empty_income_ytd() -> IncomeYTD:
    z = np.zeros(0, dtype=np.int64)
    return IncomeYTD(z, z, z, z, z)


def _year_of(day: int) -> int:
    return (EPOCH + timedelta(days=day)).year


def carry_income(
    carried: IncomeYTD, *, ids: I64, end_day: int, earned: I64, bought: I64, active: I64
) -> IncomeYTD:
    """The carry-out after a period ending on ``end_day`` whose distributors are ``ids`` (sorted)
    with this period's ``earned``, ``bought`` and ``active`` (per distributor, in id order): the
    carried figures of the same calendar year plus this period's; a new year starts from 0."""
    year = _year_of(end_day)
    n = ids.shape[0]
    pos = np.searchsorted(ids, carried.id)
    found = pos < n
    found[found] = ids[pos[found]] == carried.id[found]
    if not bool(found.all()):
        bad = int(carried.id[np.flatnonzero(~found)[0]])
        raise InputError(
            file="income_ytd", record=f"id {bad}", reason="is not a distributor in distributors"
        )
    earned_out, bought_out = earned.astype(np.int64), bought.astype(np.int64)
    active_out = active.astype(np.int64)
    same = carried.year == year
    np.add.at(earned_out, pos[same], carried.earned[same])
    np.add.at(bought_out, pos[same], carried.bought[same])
    np.add.at(active_out, pos[same], carried.active[same])
    keep = np.flatnonzero((earned_out != 0) | (bought_out != 0) | (active_out != 0))
    return IncomeYTD(
        id=ids[keep],
        year=np.full(keep.shape[0], year, dtype=np.int64),
        earned=earned_out[keep],
        bought=bought_out[keep],
        active=active_out[keep],
    )


def is_year_end(plan: Plan, *, end_day: int) -> bool:
    """Whether a period ending on ``end_day`` is the last one ending in its calendar year: the
    next period (by the plan's calendar; without one, the next day) ends in a later year."""
    last = EPOCH + timedelta(days=end_day)
    calendar = plan.calendar
    if calendar is None or calendar.period == "monthly":
        # Monthly periods end on a month's last day, so the last one ends on 31 December.
        return (last + timedelta(days=1)).year > last.year
    return (last + timedelta(days=7)).year > last.year


def percentile(ordered: I64, p: int) -> int:
    """The nearest-rank ``p``-th percentile of ``ordered`` (sorted ascending, not empty)."""
    n = int(ordered.shape[0])
    rank = max(-(-p * n // 100), 1)
    return int(ordered[rank - 1])


def share(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with two decimals, rounded half up ("0.00" for none)."""
    if whole <= 0:
        return "0.00"
    hundredths = (2 * part * 10_000 + whole) // (2 * whole)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def figures(values: I64) -> dict[str, Any]:
    """Count, those at zero and their share, total, mean, median, percentiles and max."""
    n = int(values.shape[0])
    zero = int((values == 0).sum())
    total = int(values.sum()) if n else 0
    out: dict[str, Any] = {
        "count": n,
        "zero": zero,
        "zero_share": share(zero, n),
        "total": total,
        "mean": total // n if n else 0,
    }
    ordered = np.sort(values)
    out["median"] = percentile(ordered, 50) if n else 0
    for p in PERCENTILES:
        out[f"p{p}"] = percentile(ordered, p) if n else 0
    out["max"] = int(ordered[-1]) if n else 0
    return out


def statement(
    plan: Plan,
    *,
    period_id: int,
    end_day: int,
    ids: I64,
    ytd: IncomeYTD,
    rank: I64,
    provisional: bool = False,
) -> dict[str, Any]:
    """The statement for the year of ``end_day`` from the year-to-date figures ``ytd`` carried
    out of period ``period_id``, over every distributor in ``ids`` (sorted; their highest rank
    ``rank`` in the same order). Whoever has no row in ``ytd`` earned and bought nothing."""
    year = _year_of(end_day)
    n = ids.shape[0]
    earned = np.zeros(n, dtype=np.int64)
    bought = np.zeros(n, dtype=np.int64)
    active = np.zeros(n, dtype=np.int64)
    mine = ytd.year == year
    pos = np.searchsorted(ids, ytd.id[mine])
    earned[pos], bought[pos], active[pos] = ytd.earned[mine], ytd.bought[mine], ytd.active[mine]
    is_active = active > 0
    names = [None, *(r.name for r in plan.ranks.rank)]
    bands = []
    for code, name in enumerate(names):
        in_band = rank == code
        bands.append(
            {
                "rank": code,
                "name": name,
                "share": share(int(in_band.sum()), n),
                "earnings": figures(earned[in_band]),
            }
        )
    return {
        "format": STATEMENT_FORMAT,
        "year": year,
        "provisional": provisional,
        "period": {
            "from": date(year, 1, 1).isoformat(),
            "through": (EPOCH + timedelta(days=end_day)).isoformat(),
            "through_period": period_id,
        },
        "currency": {"code": plan.currency.code, "exponent": plan.currency.decimals},
        "definitions": {**DEFINITIONS, "active_min_pv": plan.activity.min_pv},
        "earnings": figures(earned),
        "active": {
            "count": int(is_active.sum()),
            "share": share(int(is_active.sum()), n),
            "earnings": figures(earned[is_active]),
        },
        "expenses": figures(bought),
        "bands": bands,
    }
