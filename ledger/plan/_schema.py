"""The plan file's schema (pydantic). Semantics: ``docs/compensation.md``.

Percentages are decimal percent (``12.5`` means 12.5 %) with at most four decimals, so each one
is an exact integer of parts per million (ppm). TOML floats are read as ``Decimal``, never as
binary floats. Money amounts are integers in the payout currency's minor units; volumes are
integer points.

A *rank table* maps rank names (``none`` = below every rank) to a value; a rank takes the value
of the highest listed rank at or below it, and a rank below every listed one gets nothing.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ActivityRules",
    "BinaryBonus",
    "Calendar",
    "Caps",
    "ComplianceCourse",
    "Currency",
    "Cycle",
    "FastStartBonus",
    "MatchingBonus",
    "MatrixBonus",
    "PayoutRules",
    "PlacementRules",
    "Plan",
    "PlanInfo",
    "Rank",
    "RankRules",
    "RetailBonus",
    "Rounding",
    "StairStep",
    "StairStepBonus",
    "UnilevelBonus",
    "Withholding",
]

NONE_RANK = "none"
Tree = Literal["enroller", "placement"]
Unqualified = Literal["rollup", "breakage"]
Points = Annotated[int, Field(ge=0)]
Money = Annotated[int, Field(ge=0)]


def _check_pct(value: Decimal) -> Decimal:
    if value < 0 or value > 100:
        raise ValueError("a percentage must be between 0 and 100")
    if (value * 10_000) % 1 != 0:
        raise ValueError("a percentage has at most four decimals")
    return value


Pct = Annotated[Decimal, AfterValidator(_check_pct)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class PlanInfo(_Model):
    name: str = Field(min_length=1)
    version: str = "1"


class Currency(_Model):
    """The payout currency and the value of a volume point.

    ``code``/``decimals`` name the payout currency (an ISO currency or a token); ``peg`` is the ISO
    currency a token is pegged to 1:1 (``USDT`` -> ``USD``), under which its rates are looked up.
    A point is worth ``minor_per_point`` minor units of ``point_currency`` (default: the payout
    currency itself, a fixed value); in another currency it is converted each period at that
    period's dated rate, which is part of the period's inputs.
    """

    code: str = Field(min_length=1, max_length=12, pattern=r"^[A-Z][A-Z0-9]{1,11}$")
    decimals: int = Field(ge=0, le=18)
    minor_per_point: int = Field(gt=0)
    peg: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    point_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class Calendar(_Model):
    """The period calendar: weekly periods from ``start``, or calendar months from ``start``
    (which must then be the 1st of a month). Period 1 begins on ``start``."""

    period: Literal["weekly", "monthly"] = "monthly"
    start: date

    @model_validator(mode="after")
    def _monthly_starts_on_the_first(self) -> Calendar:
        if self.period == "monthly" and self.start.day != 1:
            raise ValueError("a monthly calendar starts on the 1st of a month")
        return self


class Rounding(_Model):
    mode: Literal["half-even", "floor"] = "half-even"


class PayoutRules(_Model):
    minimum: Money = 0


class PlacementRules(_Model):
    width: int = Field(default=2, ge=0)
    strategy: Literal[
        "outer-left", "outer-right", "weaker-leg", "breadth-first", "holding-tank"
    ] = "outer-left"
    holding_days: int = Field(default=0, ge=0)
    holding_default: Literal["outer-left", "outer-right", "weaker-leg", "breadth-first"] = (
        "outer-left"
    )


class ActivityRules(_Model):
    min_pv: Points = 0


class Rank(_Model):
    name: str = Field(min_length=1)
    min_pv: Points = 0
    min_gv: Points = 0
    max_leg_pct: Pct | None = None
    leg_rank: str | None = None
    leg_count: int = Field(default=0, ge=0)


class RankRules(_Model):
    tree: Tree = "enroller"
    rank: tuple[Rank, ...] = ()


class RetailBonus(_Model):
    enabled: bool = True


class FastStartBonus(_Model):
    days: int = Field(gt=0)
    tree: Tree = "enroller"
    pct: tuple[Pct, ...] = Field(min_length=1)
    payee_active: bool = True
    unqualified: Unqualified = "breakage"
    exclude_from_unilevel: bool = False


class UnilevelBonus(_Model):
    tree: Tree = "placement"
    pct: tuple[Pct, ...] = Field(min_length=1)
    level_min_rank: tuple[str, ...] = ()
    payee_active: bool = True
    unqualified: Unqualified = "rollup"
    variant: Literal["standard", "generous"] = "standard"


class Cycle(_Model):
    weak: Points = Field(gt=0)
    strong: Points = Field(gt=0)
    value: Money = Field(gt=0)


class BinaryBonus(_Model):
    mode: Literal["pay-leg", "cycles"] = "pay-leg"
    pct_by_rank: dict[str, Pct] = Field(default_factory=dict)
    cycle: Cycle | None = None
    cap_by_rank: dict[str, Money] = Field(default_factory=dict)
    carry_ceiling: Points | None = None
    flush_inactive: bool = True
    require_sponsored_legs: bool = True
    payee_min_rank: str = NONE_RANK


class MatrixBonus(_Model):
    width: int = Field(gt=0)
    depth: int = Field(gt=0, le=20)
    pct: tuple[Pct, ...] = Field(min_length=1)
    payee_active: bool = True
    unqualified: Unqualified = "rollup"
    completion_bonus: Money = 0


class StairStep(_Model):
    pct: Pct
    min_gv: Points | None = None
    rank: str | None = None


class StairStepBonus(_Model):
    tree: Tree = "enroller"
    basis: Literal["group-volume", "rank"] = "group-volume"
    step: tuple[StairStep, ...] = Field(min_length=1)
    breakaway_rank: str
    generation_pct: tuple[Pct, ...] = ()
    payee_active: bool = True


class MatchingBonus(_Model):
    tree: Tree = "enroller"
    matches: tuple[str, ...] = Field(min_length=1)
    pct: tuple[Pct, ...] = Field(min_length=1)
    level_min_rank: tuple[str, ...] = ()
    payee_active: bool = True
    unqualified: Unqualified = "rollup"


class Caps(_Model):
    per_payee: dict[str, Money] = Field(default_factory=dict)
    global_pct: Pct | None = None
    global_bonuses: tuple[str, ...] = ()
    #: Compliance ceiling: a period paying more than this share of its (converted) sales is
    #: reported over the cap and cannot be approved.
    max_pct_of_sales: Pct | None = None


#: A course's slug, as the training content names its folders (backend/training/content.py).
COURSE_SLUG = re.compile(r"[a-z0-9-]{1,40}")


def _check_slug(value: str) -> str:
    if COURSE_SLUG.fullmatch(value) is None:
        raise ValueError(
            f"{value!r} is not a course slug: 1 to 40 lower-case letters, digits or '-'"
        )
    return value


class ComplianceCourse(_Model):
    """A course a distributor must have completed by the period's last day to be paid for it.

    What they earn is computed as usual; until they complete it, their money is held as balance
    (``balance_out``) and paid in the first period after they do (docs/compensation.md).
    """

    course: Annotated[str, AfterValidator(_check_slug)]


class Withholding(_Model):
    """Tax the company withholds, as the tax agent, from what it pays a private individual
    (docs/compensation.md#withholding). Needs a payout currency that is the rouble or a token
    pegged to it. ``unknown_status``: a payee with no tax status in the period's ``payees``
    input is held (``hold``: paid nothing, the money carried, until a status is recorded) or
    paid ``gross`` (nothing withheld)."""

    scale: Literal["ru-ndfl"] = "ru-ndfl"
    unknown_status: Literal["hold", "gross"] = "hold"


class Plan(_Model):
    """A whole compensation plan, as validated from TOML."""

    plan: PlanInfo
    currency: Currency
    calendar: Calendar | None = None
    rounding: Rounding = Rounding()
    payout: PayoutRules = PayoutRules()
    placement: PlacementRules = PlacementRules()
    activity: ActivityRules = ActivityRules()
    ranks: RankRules = RankRules()
    retail: RetailBonus | None = None
    fast_start: FastStartBonus | None = None
    unilevel: UnilevelBonus | None = None
    binary: BinaryBonus | None = None
    matrix: MatrixBonus | None = None
    stairstep: StairStepBonus | None = None
    matching: MatchingBonus | None = None
    caps: Caps = Caps()
    compliance_course: ComplianceCourse | None = None
    withholding: Withholding | None = None
