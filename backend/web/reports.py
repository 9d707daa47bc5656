"""The reports' pages: the list, and each report as a chart (ECharts, SVG) over an accessible
table of the same numbers, with a date range and CSV / XLSX of the same rows. Staff see the
company; a distributor who leads a team sees that team, the reports service scoping every
query to it (`backend.reports.framework.scope_for`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.db import SessionDep
from backend.core.errors import AppError, Invalid
from backend.core.model_base import Role
from backend.core.money import format_pct, minor_as_text
from backend.core.types import MAX_ID
from backend.reports import export, framework, registry
from backend.reports.framework import Kind, Report
from backend.web.deps import SettingsDep
from backend.web.i18n import N_, load_translations
from backend.web.render import PageUser, language_of, render

BAD_DATE = N_("Enter a date as YYYY-MM-DD.")
BAD_RANGE = N_("The range starts after it ends.")
TOO_LONG = N_("Choose a shorter range: at most %(n)s periods.")
BAD_PERSON = N_("Enter a person's ID as a whole number.")
NOT_SEEN = N_("Nobody with this ID is among the people you can see.")
Person = Annotated[str, Query(max_length=20)]
Only = Annotated[str, Query(alias="filter", max_length=40)]  # one of the report's filters
BAD_FILTER = N_("Choose one of the listed values.")


def _date(text: str, field: str, errors: dict[str, str]) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = BAD_DATE
        return None


def _person(text: str, errors: dict[str, str]) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or not 0 < int(text.strip()) <= MAX_ID:
        errors["person"] = BAD_PERSON
        return None
    return int(text.strip())


def _report(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    name: str,
    start: str,
    end: str,
    person: str = "",
    only: str = "",
    *,
    full: bool = False,
) -> tuple[Report | None, framework.Window | None, dict[str, str]]:
    entry = registry.entry(name, user.role)
    errors: dict[str, str] = {}
    first, last = _date(start, "from", errors), _date(end, "to", errors)
    person_id = _person(person, errors) if entry.about_person else None
    if only and only not in entry.filters:
        errors["filter"] = BAD_FILTER
    if errors:
        return None, None, errors
    scope = framework.scope_for(session, user)
    try:
        about = framework.person_in(session, scope, person_id)
    except AppError:
        errors["person"] = NOT_SEEN
        return None, None, errors
    try:
        chosen = framework.window(session, first, last)
    except AppError as refused:
        errors["from"] = BAD_RANGE if "starts after" in refused.message else TOO_LONG
        return None, None, errors
    language = language_of(request, user).value
    asked = framework.Asked(session, settings, scope, chosen, language, about, only, full)
    return registry.build(name, asked), chosen, errors


def reports_index(request: Request, session: SessionDep, user: PageUser) -> Response:
    scope = framework.scope_for(session, user)
    areas: dict[str, list[registry.Entry]] = {area: [] for area in registry.AREAS}
    for entry in registry.REPORTS.values():
        if entry.allows(user.role):
            areas[entry.area].append(entry)
    areas = {area: entries for area, entries in areas.items() if entries}
    return render(
        request, "reports.html", areas=areas, area_names=registry.AREAS, titles=TITLES, scope=scope
    )


# Each report's title before it is built (the list, the page's heading); the same message ids
# as the report functions' own titles (a test compares them).
TITLES = {
    "structure-status": N_("People by status"),
    "structure-ranks": N_("People by paid-as and highest rank"),
    "structure-depth": N_("People by depth"),
    "structure-countries": N_("People by country"),
    "structure-growth": N_("Growth per period"),
    "structure-legs": N_("Legs of a person"),
    "sales-periods": N_("Sales by period"),
    "sales-products": N_("Sales by product"),
    "sales-categories": N_("Sales by category"),
    "sales-warehouses": N_("Sales by warehouse"),
    "sales-currencies": N_("Sales by currency"),
    "people-new": N_("New distributors and customers"),
    "people-active": N_("Active rate per period"),
    "people-retention": N_("Retention by enrollment cohort"),
    "people-churn": N_("Churn per period"),
    "people-ranks": N_("Rank advancement per period"),
    "sales-regions": N_("Sales by country and region"),
    "sales-plan": N_("Sales plan against actual"),
    "turnover-periods": N_("Team turnover by period"),
    "turnover-members": N_("Team turnover by member"),
    "turnover-movers": N_("Top movers"),
    "payouts-bonuses": N_("Commissions by bonus type"),
    "payouts-share": N_("Payout as a share of sales"),
    "payouts-breakage": N_("Breakage"),
    "payouts-top": N_("Top earners"),
    "payouts-changes": N_("Largest changes from the previous period"),
    "payouts-disclosure": N_("Income disclosure by rank band"),
    "compliance-periods": N_("Compliance by period"),
    "compliance-flags": N_("Compliance flags by person"),
}


def chart_data(report: Report, translate: Any) -> dict[str, Any]:
    """What the chart script draws: labels and series as plain numbers (money in major units:
    the chart is a picture of the table, which holds the exact figures)."""
    x = report.column(report.chart.x)
    values = list(export.values(report, translate))
    series = []
    for key in report.chart.series:
        at = report.column(key)
        # A heat-map's series are its columns along the bottom: their own titles, unadorned.
        heatmap = report.chart.type == "heatmap"
        series.append(
            {
                "name": translate(report.columns[at].title)
                if heatmap
                else export.headers(report, translate)[at],
                "data": [None if row[at] is None else float(row[at]) for row in values],
            }
        )
    return {
        "type": report.chart.type,
        "labels": [str(row[x]) for row in values],
        "series": series,
    }


def report_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    name: str,
    start: Annotated[str, Query(alias="from", max_length=20)] = "",
    end: Annotated[str, Query(alias="to", max_length=20)] = "",
    person: Person = "",
    only: Only = "",
) -> Response:
    report, chosen, errors = _report(
        request, session, settings, user, name, start, end, person, only
    )
    language = language_of(request, user)
    translate = load_translations(language).gettext

    def shown(column: framework.Column, value: Any) -> str:
        if value is None:
            return "—"
        if column.kind == Kind.money and report is not None:
            return str(value)  # formatted by the template's money filter
        if column.kind == Kind.pct:
            return format_pct(str(value), locale=language.value)
        if column.kind == Kind.label:
            message = column.labels.get(str(value))
            return translate(message) if message else str(value)
        return str(value)

    query = f"?from={chosen.start}&to={chosen.end}" if chosen is not None else ""
    if query and report is not None and person.strip():
        query += f"&person={int(person)}"
    if query and only and not errors:
        query += f"&filter={only}"
    return render(
        request,
        "report.html",
        status_code=422 if errors else 200,
        name=name,
        title=TITLES[name],
        report=report,
        filters=registry.entry(name).filters,
        only=only,
        chosen=chosen,
        start=start if errors else (str(chosen.start) if chosen else ""),
        end=end if errors else (str(chosen.end) if chosen else ""),
        errors=errors,
        shown=shown,
        Kind=Kind,
        chart=chart_data(report, translate) if report is not None and report.rows else None,
        headers=export.headers(report, translate) if report is not None else [],
        query=query,
        too_long_n=framework.MAX_PERIODS,
        about_person=registry.entry(name).about_person,
        person=person,
        is_leader=user.role == Role.distributor,
        minor_as_text=minor_as_text,
    )


def _export(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    name: str,
    start: str,
    end: str,
    person: str,
    only: str,
) -> tuple[Report, Any]:
    report, _, errors = _report(
        request, session, settings, user, name, start, end, person, only, full=True
    )
    if report is None:
        raise Invalid("; ".join(f"{k}: {v}" for k, v in errors.items()))
    return report, load_translations(language_of(request, user)).gettext


def report_csv(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    name: str,
    start: Annotated[str, Query(alias="from", max_length=20)] = "",
    end: Annotated[str, Query(alias="to", max_length=20)] = "",
    person: Person = "",
    only: Only = "",
) -> Response:
    report, translate = _export(request, session, settings, user, name, start, end, person, only)
    return Response(
        export.csv_text(report, translate).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def report_xlsx(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    name: str,
    start: Annotated[str, Query(alias="from", max_length=20)] = "",
    end: Annotated[str, Query(alias="to", max_length=20)] = "",
    person: Person = "",
    only: Only = "",
) -> Response:
    report, translate = _export(request, session, settings, user, name, start, end, person, only)
    return Response(
        export.xlsx_bytes(report, translate),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def add_report_pages(router: APIRouter) -> None:
    """The exports before the page, whose `{name}` would otherwise take `x.csv`."""
    router.add_api_route("/reports", reports_index, methods=["GET"])
    router.add_api_route("/reports/{name}.csv", report_csv, methods=["GET"])
    router.add_api_route("/reports/{name}.xlsx", report_xlsx, methods=["GET"])
    router.add_api_route("/reports/{name}", report_page, methods=["GET"])
