"""The period's people counted per enrollment cohort and paid-as rank (`PeriodPeopleSummary`),
written by the compute beside its standings, so the people reports (active rate, retention by
cohort, churn, rank advancement) read a few hundred rows per period whatever the company's
size. Counted from the same run the standings store: the engine's results (activity, ranks),
the inputs' genealogy (the day each person joined) and carry-in state (the highest rank
carried in), and the previous period's stored standings (who was active then)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import insert
from sqlmodel import Session, col, select

from backend.periods.models import PeriodPeopleSummary, PeriodStanding, StandingKind, StandingRun
from ledger.engine import PeriodResult
from ledger.inputs import PeriodInputs

I64 = NDArray[np.int64]
EPOCH_MONTH = 1970 * 12  # month index (year * 12 + month - 1) of 1970-01


def month_of_days(days: I64) -> I64:
    """Days since 1970-01-01 as month indexes, ``year * 12 + month - 1``."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months + EPOCH_MONTH


def _looked_up(keys: I64, values: I64, wanted: I64, missing: int) -> I64:
    """``values`` of ``wanted`` in ``keys`` (unsorted, unique), ``missing`` where absent."""
    out = np.full(wanted.shape[0], missing, dtype=np.int64)
    if keys.shape[0] == 0 or wanted.shape[0] == 0:
        return out
    order = np.argsort(keys, kind="stable")
    at = np.searchsorted(keys, wanted, sorter=order).clip(0, keys.shape[0] - 1)
    found = keys[order[at]] == wanted
    out[found] = values[order[at[found]]]
    return out


def people_rows(
    period_id: int, inputs: PeriodInputs, result: PeriodResult, previously_active: I64
) -> list[dict[str, Any]]:
    """The summary rows, one per (cohort, paid-as rank) that has anybody."""
    ids = result.ids
    if ids.shape[0] == 0:
        return []
    g = inputs.genealogy
    joined = _looked_up(g.id, g.joined_day, ids, 0)
    cohort = month_of_days(joined)
    prior = _looked_up(inputs.state.id, inputs.state.achieved_rank, ids, 0)
    active = result.active.astype(np.bool_)
    was = np.isin(ids, previously_active)
    measures = {
        "people": np.ones(ids.shape[0], dtype=np.int64),
        "active": active.astype(np.int64),
        "was_active": was.astype(np.int64),
        "churned": (was & ~active).astype(np.int64),
        "ranked_up": (result.achieved_rank > prior).astype(np.int64),
    }
    keys, inverse = np.unique(
        np.stack([cohort, result.paid_rank.astype(np.int64)], axis=1), axis=0, return_inverse=True
    )
    inverse = inverse.reshape(-1)
    sums = {
        name: np.bincount(inverse, weights=values, minlength=keys.shape[0]).astype(np.int64)
        for name, values in measures.items()
    }
    return [
        {
            "period_id": period_id,
            "cohort": int(keys[i, 0]),
            "paid_rank": int(keys[i, 1]),
            **{name: int(sums[name][i]) for name in measures},
        }
        for i in range(keys.shape[0])
    ]


def previously_active(session: Session, period_id: int) -> I64:
    """Who was active in the previous period's computed standings (none before the first)."""
    run = session.get(StandingRun, period_id - 1)
    if run is None or run.kind != StandingKind.computed:
        return np.zeros(0, dtype=np.int64)
    found = session.exec(
        select(PeriodStanding.distributor_id)
        .where(PeriodStanding.period_id == period_id - 1)
        .where(col(PeriodStanding.active))
    ).all()
    return np.asarray(found, dtype=np.int64)


def store_people_summary(
    session: Session, period_id: int, inputs: PeriodInputs, result: PeriodResult
) -> None:
    """Insert the period's summary rows (the caller deleted the old ones and commits)."""
    rows = people_rows(period_id, inputs, result, previously_active(session, period_id))
    if rows:
        session.execute(insert(PeriodPeopleSummary), rows)
