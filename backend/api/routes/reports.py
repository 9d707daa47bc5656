"""Reports as data: each report's columns, rows and chart spec (`backend.reports`), for the
company (staff) or the caller's own team (a distributor who leads one)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from backend.api.deps import Authorized, CurrentUser, SettingsDep
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.reports import framework, registry

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
    only: Annotated[
        str, Query(alias="filter", max_length=40, description="One of the report's `filters`.")
    ] = "",
) -> dict[str, Any]:
    # An unknown name is a 404, a report not for the caller's role a 403, before anything is read.
    registry.entry(name, user.role)
    asked = framework.Asked(
        session,
        settings,
        framework.scope_for(session, user),
        framework.window(session, start, end),
        str(user.language),
        only,
    )
    return registry.build(name, asked).as_json()
