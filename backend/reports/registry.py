"""Every report by its name, in the order the reports' page lists them, with its area and who
may read it (``roles``; None: everyone the reports serve, a leader for their own team)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from backend.core.errors import Forbidden, NotFound
from backend.core.model_base import Role
from backend.reports import (
    cohorts,
    compliance,
    disclosure,
    flags,
    legs,
    payouts,
    people,
    plan,
    regions,
    sales,
    structure,
    turnover,
)
from backend.reports.framework import N_, Asked, Report


@dataclass(frozen=True)
class Entry:
    name: str
    area: str
    build: Callable[[Asked], Report]
    roles: frozenset[Role] | None = None
    filters: dict[str, str] = field(default_factory=dict)  # what `Asked.filter` may choose
    about_person: bool = False  # asks whom it is about (`Asked.person`)

    def allows(self, role: Role) -> bool:
        return self.roles is None or role in self.roles


#: The compliance officer's reports: the company's staff who answer for it, never a leader.
OFFICERS = frozenset({Role.admin, Role.finance, Role.auditor})
AREAS = {
    "structure": N_("Structure"),
    "sales": N_("Sales"),
    "people": N_("People"),
    "turnover": N_("Team turnover"),
    "payouts": N_("Payouts"),
    "compliance": N_("Compliance"),
}
REPORTS = {
    e.name: e
    for e in (
        Entry("structure-status", "structure", structure.by_status),
        Entry("structure-ranks", "structure", structure.by_rank),
        Entry("structure-depth", "structure", structure.by_depth),
        Entry("structure-countries", "structure", structure.by_country),
        Entry("structure-growth", "structure", structure.growth),
        Entry("structure-legs", "structure", legs.by_leg, about_person=True),
        Entry("sales-periods", "sales", sales.by_period),
        Entry("sales-products", "sales", sales.by_product),
        Entry("sales-categories", "sales", sales.by_category),
        Entry("sales-warehouses", "sales", sales.by_warehouse),
        Entry("sales-currencies", "sales", sales.by_currency),
        Entry("people-new", "people", people.new_people),
        Entry("people-active", "people", people.active_rate),
        Entry("people-retention", "people", cohorts.retention),
        Entry("people-churn", "people", people.churn),
        Entry("people-ranks", "people", people.rank_advancement),
        Entry("sales-regions", "sales", regions.by_region),
        Entry("sales-plan", "sales", plan.against_actual),
        Entry("turnover-periods", "turnover", turnover.by_period, about_person=True),
        Entry("turnover-members", "turnover", turnover.by_member, about_person=True),
        Entry("turnover-movers", "turnover", turnover.movers, about_person=True),
        Entry("payouts-bonuses", "payouts", payouts.by_bonus),
        Entry("payouts-share", "payouts", payouts.share_of_sales),
        Entry("payouts-breakage", "payouts", payouts.breakage),
        Entry("payouts-top", "payouts", payouts.top_earners),
        Entry("payouts-changes", "payouts", payouts.changes),
        Entry("payouts-disclosure", "payouts", disclosure.by_band),
        Entry("compliance-periods", "compliance", compliance.by_period, OFFICERS),
        Entry("compliance-flags", "compliance", compliance.flags, OFFICERS, flags.RULES),
    )
}


def entry(name: str, role: Role | None = None) -> Entry:
    """The report ``name``; refused when ``role`` is given and may not read it."""
    found = REPORTS.get(name)
    if found is None:
        raise NotFound(f"there is no report {name!r}", code="unknown_report")
    if role is not None and not found.allows(role):
        raise Forbidden(
            f"the report {name!r} is for the compliance officer (finance, admin, auditor)",
            code="not_for_your_role",
        )
    return found


def build(name: str, asked: Asked) -> Report:
    return entry(name).build(asked)
