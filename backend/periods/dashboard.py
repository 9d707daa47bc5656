"""A distributor's dashboard: their standing in the open period (the preview's estimate) and in
the last computed one, the report card of their next rank, the estimated earnings, and the
feed of their downline's events. Every figure comes from the stored standings
(``standings``) and a few primary-key reads; nothing here walks a downline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlmodel import Session, col, select

from backend.core.days import date_of
from backend.periods.feed import FeedEvent, downline_feed
from backend.periods.models import Period, PeriodStanding, StandingKind, StandingRun
from backend.periods.preview import open_period, refusal_details
from backend.periods.service import get_period
from backend.periods.standings import Figures, Rung, ladder_of, latest_run, standing_of


@dataclass(frozen=True)
class PeriodTile:
    """One period's figures of one distributor (``figures`` None: not in that run)."""

    period_id: int
    start: date
    end: date
    status: str
    run: StandingRun | None
    figures: Figures | None
    rungs: list[Rung]

    def rank_name(self, number: int) -> str | None:
        return self.rungs[number - 1].name if 0 < number <= len(self.rungs) else None

    @property
    def binary(self) -> bool:
        return bool(self.run and self.run.binary)


@dataclass(frozen=True)
class Requirement:
    """One rule of the next rank: what the distributor has against what it needs."""

    what: Literal["pv", "gv", "legs"]
    have: int
    need: int
    leg_rank: str | None = None  # legs: the rank a leg must hold
    leg_cap: int | None = None  # gv: the most one leg counts
    uncapped: int | None = None  # gv: the plain group volume, before the cap

    @property
    def met(self) -> bool:
        return self.have >= self.need

    @property
    def percent(self) -> int:
        return 100 if self.need <= 0 else min(100, self.have * 100 // self.need)


@dataclass(frozen=True)
class RankCard:
    tile: PeriodTile  # the period it is computed from
    paid: Rung | None
    next: Rung | None
    requirements: list[Requirement] = field(default_factory=list)


@dataclass(frozen=True)
class Estimate:
    state: Literal["no_open_period", "not_computed", "unavailable", "not_included", "ready"]
    amount: int | None = None
    currency: str | None = None
    exponent: int | None = None
    computed_at: datetime | None = None
    refused: str | None = None  # why the last refresh did not run (a refusal code)
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryPoint:
    """A distributor's volumes in one period with standings (an estimate while it is open)."""

    period_id: int
    estimate: bool
    pv: int
    gv: int


@dataclass(frozen=True)
class Dashboard:
    current: PeriodTile | None
    last: PeriodTile | None
    card: RankCard | None
    estimate: Estimate
    feed: list[FeedEvent]
    history: list[HistoryPoint]


HISTORY_PERIODS = 12


def volume_history(
    session: Session, distributor_id: int, *, periods: int = HISTORY_PERIODS
) -> list[HistoryPoint]:
    """PV and GV in the last `periods` periods that have standings, oldest first: one index
    range (distributor, period) of the standings, joined to each period's run for its kind."""
    rows = session.exec(
        select(PeriodStanding.period_id, PeriodStanding.pv, PeriodStanding.gv, StandingRun.kind)
        .join(StandingRun, col(StandingRun.period_id) == col(PeriodStanding.period_id))
        .where(PeriodStanding.distributor_id == distributor_id)
        .where(col(StandingRun.computed_at).is_not(None))
        .order_by(col(PeriodStanding.period_id).desc())
        .limit(periods)
    ).all()
    return [
        HistoryPoint(period_id=p, estimate=kind == StandingKind.preview, pv=pv, gv=gv)
        for p, pv, gv, kind in reversed(rows)
    ]


def _tile(session: Session, period: Period, run: StandingRun | None, who: int) -> PeriodTile:
    has_figures = run is not None and run.computed_at is not None
    return PeriodTile(
        period_id=period.id,
        start=date_of(period.start_day),
        end=date_of(period.end_day),
        status=str(period.status),
        run=run,
        figures=standing_of(session, run, who) if has_figures and run else None,
        rungs=ladder_of(run) if run is not None else [],
    )


def rank_card(tile: PeriodTile) -> RankCard | None:
    f = tile.figures
    if f is None or not tile.rungs:
        return None
    paid = tile.rungs[f.paid_rank - 1] if f.paid_rank > 0 else None
    if f.paid_rank >= len(tile.rungs):
        return RankCard(tile=tile, paid=paid, next=None)
    rung = tile.rungs[f.paid_rank]
    needs = [Requirement("pv", f.pv, rung.min_pv)] if rung.min_pv else []
    if rung.min_gv:
        cap = rung.leg_cap
        needs.append(Requirement("gv", f.next_gv, rung.min_gv, leg_cap=cap, uncapped=f.gv))
    if rung.leg_count:
        needs.append(Requirement("legs", f.next_legs, rung.leg_count, leg_rank=rung.leg_rank))
    return RankCard(tile=tile, paid=paid, next=rung, requirements=needs)


def _estimate(tile: PeriodTile | None) -> Estimate:
    if tile is None:
        return Estimate("no_open_period")
    run = tile.run
    if run is None:
        return Estimate("not_computed")
    details = refusal_details(run) if run.refused else {}
    if run.computed_at is None:
        return Estimate("unavailable", refused=run.refused, details=details)
    if tile.figures is None:
        return Estimate("not_included", computed_at=run.computed_at)
    return Estimate(
        "ready",
        amount=tile.figures.earned,
        currency=run.currency,
        exponent=run.exponent,
        computed_at=run.computed_at,
        refused=run.refused,
        details=details,
    )


def dashboard_of(session: Session, distributor_id: int) -> Dashboard:
    """The caller has checked who may read it (the page: the distributor themselves)."""
    current = None
    period = open_period(session)
    if period is not None:
        current = _tile(session, period, session.get(StandingRun, period.id), distributor_id)
    last = None
    run = latest_run(session, kind=StandingKind.computed)
    if run is not None:
        last = _tile(session, get_period(session, run.period_id), run, distributor_id)
    card = None
    for tile in (current, last):  # the open period's progress, else the last period's
        if tile is not None and tile.figures is not None:
            card = rank_card(tile)
            break
    return Dashboard(
        current=current,
        last=last,
        card=card,
        estimate=_estimate(current),
        feed=downline_feed(session, distributor_id),
        history=volume_history(session, distributor_id),
    )
