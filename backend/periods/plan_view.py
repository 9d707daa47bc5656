"""The compensation plan as a person reads it: the active plan and the plan each computed period
ran with (from its package), their hashes, and which periods used which plan.

The readable form is a structure of plain values (codes, ppm, points, :class:`Money`) that the
pages put into words; nothing here formats text. Rank tables are expanded to one value per rank
(`ledger.plan.rank_table`), so a reader sees what each rank actually gets. The hash is the one
the period packages record (``planHash``: SHA-256 of the canonical plan), so the active plan and
a period's can be compared at a glance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.core.days import date_of
from backend.core.errors import Conflict
from backend.periods.models import Period
from backend.periods.service import get_period, package_dir, plan_path
from ledger.errors import PlanError
from ledger.money import Money, exponent_of
from ledger.plan import NONE_RANK, Plan, load_plan, pct_to_ppm, plan_hash, rank_table

__all__ = [
    "BonusView",
    "Fact",
    "LevelRow",
    "PlanUse",
    "PlanView",
    "RankRequirement",
    "RankRow",
    "active_plan",
    "period_plan",
    "plan_uses",
]


@dataclass(frozen=True)
class Fact:
    """One setting: ``key`` names it (the page has its words), ``kind`` says how to show the
    value: ``code`` (a word the page translates), ``number``, ``points``, ``days``, ``ppm``,
    ``money``, ``yes_no``, ``rank``, ``bonuses`` (a list of bonus codes)."""

    key: str
    kind: str
    value: object


@dataclass(frozen=True)
class LevelRow:
    level: int
    ppm: int
    min_rank: str | None = None


@dataclass(frozen=True)
class RankRow:
    rank: str
    ppm: int | None = None
    cap: Money | None = None


@dataclass(frozen=True)
class BonusView:
    kind: str
    facts: list[Fact] = field(default_factory=list)
    levels: list[LevelRow] = field(default_factory=list)
    level_label: str = "level"  # "level", "generation" or "step"
    by_rank: list[RankRow] = field(default_factory=list)
    generations: list[LevelRow] = field(default_factory=list)


@dataclass(frozen=True)
class RankRequirement:
    number: int
    name: str
    min_pv: int
    min_gv: int
    max_leg_ppm: int | None
    leg_rank: str | None
    leg_count: int


@dataclass(frozen=True)
class PlanView:
    name: str
    version: str
    hash: str
    toml: str
    payout_currency: str
    payout_decimals: int
    peg: str | None
    point_value: Money
    calendar_period: str | None  # weekly, monthly, or None: months from the first enrolment
    calendar_start: date | None
    settings: list[Fact]
    placement: list[Fact]
    rank_tree: str
    ranks: list[RankRequirement]
    bonuses: list[BonusView]
    caps: list[Fact]
    per_payee_caps: list[tuple[str, Money]]


@dataclass(frozen=True)
class PlanUse:
    """One plan hash and the periods computed with it (in id order)."""

    hash: str
    periods: list[int]
    active: bool


def active_plan(settings: Settings) -> PlanView:
    """The plan new periods run with: ``<data_dir>/plan.toml``, else the embedded default."""
    path = plan_path(settings)
    stored = path.read_bytes()
    return _view(_load(stored, str(path)), stored)


def period_plan(session: Session, settings: Settings, period_id: int) -> tuple[Period, PlanView]:
    """The plan ``period_id`` was computed with, read from its package; refused when the period
    has no package yet or its ``plan.toml`` is not the one its manifest recorded."""
    period = get_period(session, period_id)
    if period.plan_hash is None:
        raise Conflict(f"period {period_id} has not been computed", code="period_state")
    try:
        stored = (package_dir(settings, period.id) / "plan.toml").read_bytes()
    except OSError:
        raise Conflict(
            f"period {period_id}: its package has no plan.toml", code="package_mismatch"
        ) from None
    if "0x" + hashlib.sha256(stored).hexdigest() != period.plan_hash:
        raise Conflict(
            f"period {period_id}: plan.toml differs from the hash its manifest recorded",
            code="package_mismatch",
        )
    return period, _view(_load(stored, f"period {period_id}/plan.toml"), stored)


def plan_uses(session: Session, active_hash: str) -> list[PlanUse]:
    """Every plan hash the computed periods recorded, newest first use last, with the active
    plan's marked (it may have no period yet)."""
    rows = session.exec(
        select(Period.id, Period.plan_hash)
        .where(col(Period.plan_hash).is_not(None))
        .order_by(col(Period.id))
    ).all()
    grouped: dict[str, list[int]] = {}
    for period_id, digest in rows:
        grouped.setdefault(str(digest), []).append(int(period_id))
    return [
        PlanUse(hash=digest, periods=periods, active=digest == active_hash)
        for digest, periods in sorted(grouped.items(), key=lambda item: item[1][0])
    ]


def period_dates(period: Period) -> tuple[date, date]:
    return date_of(period.start_day), date_of(period.end_day)


def _load(stored: bytes, source: str) -> Plan:
    try:
        return load_plan(stored, source=source)
    except PlanError as exc:
        raise Conflict(f"the plan is invalid: {exc}", code="plan_invalid") from None


def _view(plan: Plan, stored: bytes) -> PlanView:
    c = plan.currency
    point_currency = c.point_currency or c.code
    point_exponent = c.decimals if c.point_currency is None else exponent_of(c.point_currency)
    payout = Money(plan.payout.minimum, c.code, c.decimals)
    settings = [
        Fact("rounding", "code", plan.rounding.mode),
        Fact("payout_minimum", "money", payout),
        Fact("activity_min_pv", "points", plan.activity.min_pv),
    ]
    p = plan.placement
    placement = [
        Fact("placement_width", "width", p.width),
        Fact("placement_strategy", "code", p.strategy),
    ]
    if p.strategy == "holding-tank":
        placement += [
            Fact("holding_days", "days", p.holding_days),
            Fact("holding_default", "code", p.holding_default),
        ]
    ranks = [
        RankRequirement(
            number=i,
            name=rank.name,
            min_pv=rank.min_pv,
            min_gv=rank.min_gv,
            max_leg_ppm=None if rank.max_leg_pct is None else pct_to_ppm(rank.max_leg_pct),
            leg_rank=rank.leg_rank,
            leg_count=rank.leg_count,
        )
        for i, rank in enumerate(plan.ranks.rank, start=1)
    ]
    caps = plan.caps
    cap_facts: list[Fact] = []
    if caps.global_pct is not None:
        cap_facts.append(Fact("global_pct", "ppm", pct_to_ppm(caps.global_pct)))
        cap_facts.append(Fact("global_bonuses", "bonuses", list(caps.global_bonuses)))
    if caps.max_pct_of_sales is not None:
        cap_facts.append(Fact("max_pct_of_sales", "ppm", pct_to_ppm(caps.max_pct_of_sales)))
    return PlanView(
        name=plan.plan.name,
        version=plan.plan.version,
        hash=plan_hash(plan),
        toml=stored.decode("utf-8"),
        payout_currency=c.code,
        payout_decimals=c.decimals,
        peg=c.peg,
        point_value=Money(c.minor_per_point, point_currency, point_exponent),
        calendar_period=plan.calendar.period if plan.calendar else None,
        calendar_start=plan.calendar.start if plan.calendar else None,
        settings=settings,
        placement=placement,
        rank_tree=plan.ranks.tree,
        ranks=ranks,
        bonuses=_bonuses(plan),
        caps=cap_facts,
        per_payee_caps=[
            (bonus, Money(amount, c.code, c.decimals))
            for bonus, amount in sorted(caps.per_payee.items())
        ],
    )


def _levels(pcts: tuple[object, ...], min_ranks: tuple[str, ...] = ()) -> list[LevelRow]:
    return [
        LevelRow(
            level=i,
            ppm=pct_to_ppm(pct),  # type: ignore[arg-type]
            min_rank=min_ranks[i - 1] if i <= len(min_ranks) else None,
        )
        for i, pct in enumerate(pcts, start=1)
    ]


def _rank_names(plan: Plan) -> list[str]:
    return [NONE_RANK] + [rank.name for rank in plan.ranks.rank]


def _bonuses(plan: Plan) -> list[BonusView]:
    money = plan.currency
    out: list[BonusView] = []
    if plan.retail is not None and plan.retail.enabled:
        out.append(BonusView("retail"))
    if (f := plan.fast_start) is not None:
        facts = [
            Fact("days", "days", f.days),
            Fact("tree", "code", f.tree),
            Fact("payee_active", "yes_no", f.payee_active),
            Fact("unqualified", "code", f.unqualified),
            Fact("exclude_from_unilevel", "yes_no", f.exclude_from_unilevel),
        ]
        out.append(BonusView("fast_start", facts=facts, levels=_levels(f.pct)))
    if (u := plan.unilevel) is not None:
        facts = [
            Fact("tree", "code", u.tree),
            Fact("payee_active", "yes_no", u.payee_active),
            Fact("unqualified", "code", u.unqualified),
            Fact("variant", "code", u.variant),
        ]
        out.append(BonusView("unilevel", facts=facts, levels=_levels(u.pct, u.level_min_rank)))
    if (b := plan.binary) is not None:
        facts = [Fact("binary_mode", "code", b.mode)]
        if b.cycle is not None:
            facts += [
                Fact("cycle_weak", "points", b.cycle.weak),
                Fact("cycle_strong", "points", b.cycle.strong),
                Fact("cycle_value", "money", Money(b.cycle.value, money.code, money.decimals)),
            ]
        if b.carry_ceiling is not None:
            facts.append(Fact("carry_ceiling", "points", b.carry_ceiling))
        facts += [
            Fact("flush_inactive", "yes_no", b.flush_inactive),
            Fact("require_sponsored_legs", "yes_no", b.require_sponsored_legs),
        ]
        if b.payee_min_rank != NONE_RANK:
            facts.append(Fact("payee_min_rank", "rank", b.payee_min_rank))
        pcts = rank_table(plan, b.pct_by_rank, default=None)
        limits = rank_table(plan, b.cap_by_rank, default=None)
        rows = [
            RankRow(
                rank=name,
                ppm=None if pct is None else pct_to_ppm(pct),
                cap=None if cap is None else Money(cap, money.code, money.decimals),
            )
            for name, pct, cap in zip(_rank_names(plan), pcts, limits, strict=True)
        ]
        out.append(BonusView("binary", facts=facts, by_rank=rows))
    if (m := plan.matrix) is not None:
        facts = [
            Fact("matrix_width", "number", m.width),
            Fact("matrix_depth", "number", m.depth),
            Fact("payee_active", "yes_no", m.payee_active),
            Fact("unqualified", "code", m.unqualified),
        ]
        if m.completion_bonus:
            completion = Money(m.completion_bonus, money.code, money.decimals)
            facts.append(Fact("completion_bonus", "money", completion))
        out.append(BonusView("matrix", facts=facts, levels=_levels(m.pct)))
    if (s := plan.stairstep) is not None:
        facts = [
            Fact("tree", "code", s.tree),
            Fact("stairstep_basis", "code", s.basis),
            Fact("breakaway_rank", "rank", s.breakaway_rank),
            Fact("payee_active", "yes_no", s.payee_active),
        ]
        steps = [
            LevelRow(level=step.min_gv or 0, ppm=pct_to_ppm(step.pct), min_rank=step.rank)
            for step in s.step
        ]
        out.append(
            BonusView(
                "stairstep",
                facts=facts,
                levels=steps,
                level_label="step",
                generations=_levels(s.generation_pct),
            )
        )
    if (g := plan.matching) is not None:
        facts = [
            Fact("matches", "bonuses", list(g.matches)),
            Fact("tree", "code", g.tree),
            Fact("payee_active", "yes_no", g.payee_active),
            Fact("unqualified", "code", g.unqualified),
        ]
        out.append(
            BonusView(
                "matching",
                facts=facts,
                levels=_levels(g.pct, g.level_min_rank),
                level_label="generation",
            )
        )
    return out
