"""The administrator's plan pages: the active compensation plan in words (with its hash and the
TOML as stored), the plans earlier periods ran with, and the plan of one computed period, read
from its package. `backend.periods.plan_view` turns a plan into the structure shown here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.core.db import SessionDep
from backend.core.errors import Conflict
from backend.periods import plan_view
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import SettingsDep
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, render

# The plan's words: each code of the TOML as a person reads it.
PLAN_WORDS = {
    # bonuses
    "retail": N_("Retail profit"),
    "fast_start": N_("Fast start bonus"),
    "unilevel": N_("Unilevel bonus"),
    "binary": N_("Binary bonus"),
    "matrix": N_("Matrix bonus"),
    "matrix_completion": N_("Matrix completion bonus"),
    "stairstep": N_("Stair-step bonus"),
    "generation": N_("Generation bonus"),
    "matching": N_("Matching bonus"),
    # trees
    "enroller": N_("sponsor (enroller) tree"),
    "placement": N_("placement tree"),
    # what happens to an unqualified level's share
    "rollup": N_("passes up to the next qualified partner"),
    "breakage": N_("stays with the company"),
    # placement strategies
    "outer-left": N_("outer left leg"),
    "outer-right": N_("outer right leg"),
    "weaker-leg": N_("weaker leg (less volume)"),
    "breadth-first": N_("first free place, level by level"),
    "holding-tank": N_("holding tank: the sponsor places the newcomer"),
    # rounding
    "half-even": N_("to the nearest minor unit, halves to even (banker's rounding)"),
    "floor": N_("down to the minor unit"),
    # unilevel variants and binary modes
    "standard": N_("standard"),
    "generous": N_("generous (compression skips inactive partners)"),
    "pay-leg": N_("a percentage of the weaker leg's volume"),
    "cycles": N_("fixed amount per cycle of leg volumes"),
    "group-volume": N_("by group volume"),
    "rank": N_("by rank"),
    "weekly": N_("weekly"),
    "monthly": N_("monthly"),
}
FACT_LABELS = {
    "rounding": N_("Rounding"),
    "payout_minimum": N_("Smallest payout (smaller totals carry to the next period)"),
    "activity_min_pv": N_("Active partner: own volume at least"),
    "placement_width": N_("Placement tree"),
    "placement_strategy": N_("Where a newcomer is placed"),
    "holding_days": N_("Days in the holding tank"),
    "holding_default": N_("Placed automatically after that at"),
    "days": N_("Paid for orders within (days of the newcomer joining)"),
    "tree": N_("Tree"),
    "payee_active": N_("Only active partners are paid"),
    "unqualified": N_("The share of an unqualified partner"),
    "exclude_from_unilevel": N_("Volume paid here is left out of the unilevel bonus"),
    "variant": N_("Variant"),
    "binary_mode": N_("Paid as"),
    "cycle_weak": N_("Cycle: weaker leg volume"),
    "cycle_strong": N_("Cycle: stronger leg volume"),
    "cycle_value": N_("Paid per cycle"),
    "carry_ceiling": N_("Largest volume carried to the next period per leg"),
    "flush_inactive": N_("An inactive partner's leg volume is lost"),
    "require_sponsored_legs": N_("Paid only with a personally sponsored partner in each leg"),
    "payee_min_rank": N_("Paid from rank"),
    "matrix_width": N_("Matrix width"),
    "matrix_depth": N_("Matrix depth (levels)"),
    "completion_bonus": N_("Paid once the matrix is full"),
    "stairstep_basis": N_("Steps"),
    "breakaway_rank": N_("Breakaway rank"),
    "matches": N_("Matched bonuses"),
    "global_pct": N_("Volume bonuses together at most (share of the period's CV)"),
    "global_bonuses": N_("Bonuses under that cap"),
    "max_pct_of_sales": N_("A period paying more than this share of its sales cannot be approved"),
}
NOT_COMPUTED = N_("This period has not been computed yet: it has no package and no plan.")
PACKAGE_BROKEN = N_(
    "The plan in this period's package differs from the hash its manifest recorded: the "
    "package was changed after it was computed. Compute the period again or restore the package."
)


def plan_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser
) -> Response:
    plan = plan_view.active_plan(settings)
    return render(
        request,
        "admin_plan.html",
        tabs=ADMIN_TABS,
        plan=plan,
        uses=plan_view.plan_uses(session, plan.hash),
        period=None,
        words=PLAN_WORDS,
        labels=FACT_LABELS,
    )


def period_plan_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser, period_id: int
) -> Response:
    check_id(period_id, "period")
    try:
        period, plan = plan_view.period_plan(session, settings, period_id)
    except Conflict as refused:
        text = NOT_COMPUTED if refused.code == "period_state" else PACKAGE_BROKEN
        return render(
            request,
            "error.html",
            status_code=409,
            title=N_("No plan to show"),
            text=text,
            status=409,
        )
    start, end = plan_view.period_dates(period)
    active = plan_view.active_plan(settings)
    return render(
        request,
        "admin_plan.html",
        tabs=ADMIN_TABS,
        plan=plan,
        uses=[],
        period=period,
        period_start=start,
        period_end=end,
        same_as_active=active.hash == plan.hash,
        words=PLAN_WORDS,
        labels=FACT_LABELS,
    )


def add_plan_pages(router: APIRouter) -> None:
    router.add_api_route("/admin/plan", plan_page, methods=["GET"])
    router.add_api_route("/admin/plan/periods/{period_id}", period_plan_page, methods=["GET"])
