"""Every report by its name, in the order the reports' page lists them, with its area."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backend.core.errors import NotFound
from backend.reports import (
    cohorts,
    disclosure,
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
    about_person: bool = False  # asks whom it is about (`Asked.person`)


AREAS = {
    "structure": N_("Structure"),
    "sales": N_("Sales"),
    "people": N_("People"),
    "turnover": N_("Team turnover"),
    "payouts": N_("Payouts"),
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
    )
}


def entry(name: str) -> Entry:
    found = REPORTS.get(name)
    if found is None:
        raise NotFound(f"there is no report {name!r}", code="unknown_report")
    return found


def build(name: str, asked: Asked) -> Report:
    return entry(name).build(asked)
