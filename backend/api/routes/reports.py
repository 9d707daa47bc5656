"""Reports as data: each report's columns, rows and chart spec (`backend.reports`), for the
company (staff) or the caller's own team (a distributor who leads one)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.api.deps import Authorized, CurrentUser, IdPath, NowDep, SettingsDep
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.core.types import MAX_ID
from backend.periods.plan_view import active_plan
from backend.periods.sales_plan import SalesPlanPublic, SalesPlanSet
from backend.reports import framework, registry
from backend.reports import plan as sales_plan

router = APIRouter(tags=["reports"], dependencies=[Authorized], responses=ERROR_RESPONSES)


@router.get("/api/reports", summary="The reports there are for the caller, by area")
def list_reports(user: CurrentUser) -> dict[str, list[str]]:
    areas: dict[str, list[str]] = {area: [] for area in registry.AREAS}
    for entry in registry.REPORTS.values():
        if entry.allows(user.role):
            areas[entry.area].append(entry.name)
    return {area: names for area, names in areas.items() if names}


@router.get(
    "/api/reports/{name}",
    summary="One report: columns, rows (money in minor units of `currency`) and its chart",
)
def get_report(
    name: str,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    person: Annotated[
        int | None,
        Query(gt=0, le=MAX_ID, description="Whom a person's report is about (legs, a team)."),
    ] = None,
    only: Annotated[
        str, Query(alias="filter", max_length=40, description="One of the report's `filters`.")
    ] = "",
) -> dict[str, Any]:
    # An unknown name is a 404, a report not for the caller's role a 403, before anything is read.
    registry.entry(name, user.role)
    scope = framework.scope_for(session, user)
    asked = framework.Asked(
        session,
        settings,
        scope,
        framework.window(session, start, end),
        str(user.language),
        framework.person_in(session, scope, person),
        only,
    )
    return registry.build(name, asked).as_json()


@router.put(
    "/api/sales-plans/{period_id}",
    response_model=SalesPlanPublic,
    summary="Set a period's sales plan (the report `sales-plan` sets the actual beside it)",
)
def set_sales_plan(
    period_id: IdPath,
    data: SalesPlanSet,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    now: NowDep,
) -> SalesPlanPublic:
    """Sales in minor units of the payout currency new periods run with; setting it again
    replaces it. Each change goes to the admin log (`sales_plan_set`)."""
    plan = active_plan(settings)
    figures = sales_plan.PlanFigures(
        data.sales, plan.payout_currency, plan.payout_decimals, data.new_distributors, data.active
    )
    found = sales_plan.set_plan(session, period_id, figures, actor=user, now=now)
    return SalesPlanPublic.model_validate(found)
