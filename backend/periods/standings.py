"""Period standings: each distributor's figures in a period, stored from a run of the engine.

A period's compute stores them from its ``results/distributors.tbl`` (kind ``computed``); while
a period is open, the preview run (``backend.periods.preview``) stores the same figures for the
inputs so far (kind ``preview``) and a compute replaces them. Beside the engine's own columns
each row carries what the dashboard shows beyond them (``ledger.standing``: rank progress, the
largest legs, new people in the team), computed with subtree sums during the run, so no page
ever walks a downline. The `StandingRun` row says which kind, when, the plan's ladder as run,
and for a preview the last attempt and why it was refused.

`figures_of(session, ids)` is the query API pages call (the dashboard, the genealogy tree).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from backend.periods.models import PeriodStanding, StandingKind, StandingRun
from ledger.engine import PeriodResult
from ledger.inputs import PeriodInputs
from ledger.plan import Plan, pct_to_ppm, plan_hash
from ledger.standing import standing_extras

INSERT_CHUNK = 20_000
LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class Figures:
    """One distributor's standing in one period, and where it came from."""

    period_id: int
    kind: StandingKind
    computed_at: datetime | None
    pv: int
    cv: int
    gv: int
    left_volume: int
    right_volume: int
    active: bool
    paid_rank: int
    achieved_rank: int
    earned: int
    prior_rank: int
    new_in_team: int
    top_leg: int
    second_leg: int
    next_gv: int
    next_legs: int

    @property
    def ranked_up(self) -> bool:
        return self.achieved_rank > self.prior_rank


@dataclass(frozen=True)
class Rung:
    """One rank of the ladder as the run's plan defined it."""

    number: int  # 1-based place in the ladder
    name: str
    min_pv: int
    min_gv: int
    max_leg_pct: str | None
    leg_rank: str | None
    leg_rank_number: int
    leg_count: int

    @property
    def leg_cap(self) -> int | None:
        """The most one leg counts toward ``min_gv`` (as ``ledger.context.counted_gv``)."""
        if self.max_leg_pct is None or not self.min_gv:
            return None
        return self.min_gv * pct_to_ppm(Decimal(self.max_leg_pct)) // 1_000_000


def ladder_json(plan: Plan) -> str:
    rungs = []
    names = {rank.name: number for number, rank in enumerate(plan.ranks.rank, start=1)}
    for number, rank in enumerate(plan.ranks.rank, start=1):
        rungs.append(
            {
                "number": number,
                "name": rank.name,
                "min_pv": int(rank.min_pv),
                "min_gv": int(rank.min_gv),
                "max_leg_pct": None if rank.max_leg_pct is None else str(rank.max_leg_pct),
                "leg_rank": rank.leg_rank,
                "leg_rank_number": names.get(rank.leg_rank or "", 0),
                "leg_count": int(rank.leg_count),
            }
        )
    return json.dumps(rungs, ensure_ascii=False, sort_keys=True)


def ladder_of(run: StandingRun) -> list[Rung]:
    if not run.ladder:
        return []
    return [Rung(**rung) for rung in json.loads(run.ladder)]


def store_standings(
    session: Session,
    period_id: int,
    *,
    kind: StandingKind,
    plan: Plan,
    inputs: PeriodInputs,
    result: PeriodResult,
    now: datetime,
    plan_hash_hex: str | None = None,
) -> StandingRun:
    """Replace the period's standings with this run's and record the run (inside the
    caller's write unit; the caller commits)."""
    session.execute(delete(PeriodStanding).where(col(PeriodStanding.period_id) == period_id))
    for chunk in _row_chunks(period_id, plan, inputs, result):
        session.execute(insert(PeriodStanding), chunk)
    run = session.get(StandingRun, period_id) or StandingRun(
        period_id=period_id, kind=kind, attempted_at=now
    )
    run.kind = kind
    run.computed_at = now
    run.attempted_at = now
    run.plan_hash = plan_hash_hex or plan_hash(plan)
    run.currency, run.exponent = plan.currency.code, plan.currency.decimals
    run.distributors = int(result.ids.shape[0])
    run.binary = plan.binary is not None
    run.ladder = ladder_json(plan)
    run.refused = run.refused_detail = None
    session.add(run)
    return run


def rank_ups(session: Session, period_id: int) -> list[tuple[int, str]]:
    """The people whose highest rank rose in the period (achieved above the rank carried in),
    with the new rank's name in the plan's ladder as run: what the period's approval hands to
    training (courses with ``assign_on = "rank"``)."""
    run = session.get(StandingRun, period_id)
    if run is None or run.kind != StandingKind.computed:
        return []
    rungs = ladder_of(run)
    rows = session.exec(
        select(PeriodStanding.distributor_id, PeriodStanding.achieved_rank)
        .where(
            PeriodStanding.period_id == period_id,
            col(PeriodStanding.achieved_rank) > col(PeriodStanding.prior_rank),
        )
        .order_by(col(PeriodStanding.distributor_id))
    ).all()
    return [(int(did), rungs[rank - 1].name) for did, rank in rows if 0 < rank <= len(rungs)]


def record_refusal(
    session: Session, period_id: int, *, code: str, detail: str, now: datetime
) -> StandingRun:
    """A preview that could not run: keep what an earlier one stored, say why this one did
    not (the caller commits)."""
    run = session.get(StandingRun, period_id) or StandingRun(
        period_id=period_id, kind=StandingKind.preview, attempted_at=now
    )
    run.attempted_at = now
    run.refused, run.refused_detail = code[:40], detail[:500]
    session.add(run)
    return run


def _row_chunks(
    period_id: int, plan: Plan, inputs: PeriodInputs, result: PeriodResult
) -> Iterator[list[dict[str, Any]]]:
    """The rows to insert, ``INSERT_CHUNK`` at a time (a million dicts at once would hold a
    gigabyte)."""
    extra = standing_extras(plan=plan, inputs=inputs, result=result)
    columns = {
        "distributor_id": result.ids,
        "pv": result.pv,
        "cv": result.cv,
        "gv": result.gv,
        "left_volume": result.left_volume,
        "right_volume": result.right_volume,
        "active": result.active.astype(np.bool_),
        "paid_rank": result.paid_rank,
        "achieved_rank": result.achieved_rank,
        "earned": result.earned,
        "prior_rank": extra.prior_rank,
        "new_in_team": extra.new_in_team,
        "top_leg": extra.top_leg,
        "second_leg": extra.second_leg,
        "next_gv": extra.next_gv,
        "next_legs": extra.next_legs,
    }
    names = list(columns)
    for start in range(0, int(result.ids.shape[0]), INSERT_CHUNK):
        stop = start + INSERT_CHUNK
        values = [column[start:stop].tolist() for column in columns.values()]
        yield [
            {"period_id": period_id, **dict(zip(names, row, strict=True))}
            for row in zip(*values, strict=True)
        ]


# Reading ---------------------------------------------------------------------------------


def latest_run(session: Session, *, kind: StandingKind | None = None) -> StandingRun | None:
    """The latest period's run that stored standings (of this kind, if given)."""
    query = select(StandingRun).where(col(StandingRun.computed_at).is_not(None))
    if kind is not None:
        query = query.where(StandingRun.kind == kind)
    return session.exec(query.order_by(col(StandingRun.period_id).desc()).limit(1)).first()


def run_of(session: Session, period_id: int) -> StandingRun | None:
    return session.get(StandingRun, period_id)


def _figures(row: PeriodStanding, run: StandingRun) -> Figures:
    values = row.model_dump(exclude={"period_id", "distributor_id"})
    return Figures(period_id=run.period_id, kind=run.kind, computed_at=run.computed_at, **values)


def standing_of(session: Session, run: StandingRun, distributor_id: int) -> Figures | None:
    row = session.get(PeriodStanding, (run.period_id, distributor_id))
    return None if row is None else _figures(row, run)


def figures_of(session: Session, distributor_ids: Collection[int]) -> dict[int, Figures]:
    """Each id's standing in the latest period that has a standing run (the open period's
    preview if there is one, else the last computed period), with the run's kind and time.
    Ids without a row in that run (enrolled after it) are left out."""
    run = latest_run(session)
    wanted = sorted(set(distributor_ids))
    if run is None or not wanted:
        return {}
    found: dict[int, Figures] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        rows = session.exec(
            select(PeriodStanding)
            .where(PeriodStanding.period_id == run.period_id)
            .where(col(PeriodStanding.distributor_id).in_(chunk))
        )
        for row in rows:
            found[row.distributor_id] = _figures(row, run)
    return found
