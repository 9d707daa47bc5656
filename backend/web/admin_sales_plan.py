"""The sales plan on the admin page `/admin/sales-plan`: a period's plan (sales in the payout
currency new periods run with, new distributors, active count) set through
`backend.reports.plan` (each change in the admin log), and the plans set so far; the report
`/reports/sales-plan` sets the actual figures beside them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from backend.catalog.models import MAX_MONEY
from backend.core.db import SessionDep
from backend.core.errors import AppError, NotFound
from backend.core.money import AmountError, parse_minor
from backend.periods.models import Period
from backend.periods.plan_view import active_plan
from backend.reports import plan as sales_plan
from backend.reports.framework import period_label
from backend.web.admin_forms import AMOUNT_ERRORS, add_routes, redirect_done
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import NowDep, SettingsDep
from backend.web.i18n import N_
from backend.web.render import PageUser, render

PATH = "/admin/sales-plan"
SHOWN = 24  # the newest periods the form offers and the table lists
MAX_FIELD = 40
PEOPLE = N_("Enter a whole number of people, 0 or more.")
PERIOD = N_("Choose a period.")


def _periods(session: Session) -> list[Period]:
    return list(session.exec(select(Period).order_by(col(Period.id).desc()).limit(SHOWN)))


def _page(
    request: Request,
    session: Session,
    currency: str,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
    saved: bool = False,
) -> Response:
    periods = _periods(session)
    return render(
        request,
        "admin_sales_plan.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        periods=[(p.id, period_label(p)) for p in periods],
        plans=sales_plan.plans(session, [p.id for p in periods]),
        currency=currency,
        values=values or {},
        errors=errors or {},
        saved=saved,
    )


def plan_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    currency = active_plan(settings).payout_currency
    return _page(request, session, currency, saved=done == "plan_saved")


def _amount(text: str, decimals: int, errors: dict[str, Any]) -> int:
    """In the payout currency's own decimals (USDT has 6; not every one is an ISO 4217 code)."""
    try:
        return parse_minor(text, decimals, limit=MAX_MONEY)
    except AmountError as wrong:
        errors["sales"] = {"text": AMOUNT_ERRORS[wrong.reason], "values": {"decimals": decimals}}
        return 0


def _people(text: str, errors: dict[str, Any], field: str) -> int:
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if not cleaned.isascii() or not cleaned.isdigit() or int(cleaned) > sales_plan.MAX_PEOPLE:
        errors[field] = {"text": PEOPLE, "values": {}}
        return 0
    return int(cleaned)


async def save_plan(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser, now: NowDep
) -> Response:
    form = await request.form()
    values = {
        name: str(form.get(name, ""))[:MAX_FIELD]
        for name in ("period", "sales", "new_distributors", "active")
    }
    plan = active_plan(settings)
    errors: dict[str, Any] = {}
    period = values["period"].strip()
    known = {p.id for p in _periods(session)}
    if not period.isdigit() or int(period) not in known:
        errors["period"] = {"text": PERIOD, "values": {}}
    sales = _amount(values["sales"], plan.payout_decimals, errors)
    joined = _people(values["new_distributors"], errors, "new_distributors")
    active = _people(values["active"], errors, "active")
    if not errors:
        figures = sales_plan.PlanFigures(
            sales, plan.payout_currency, plan.payout_decimals, joined, active
        )
        try:
            sales_plan.set_plan(session, int(period), figures, actor=user, now=now)
        except NotFound:
            session.rollback()
            errors["period"] = {"text": PERIOD, "values": {}}
        except AppError:
            session.rollback()
            errors["sales"] = {"text": N_("The amount is too large."), "values": {}}
    if errors:
        return _page(
            request, session, plan.payout_currency, status_code=422, values=values, errors=errors
        )
    return redirect_done(PATH, "plan_saved")


def add_admin_sales_plan_pages(router: APIRouter) -> None:
    add_routes(router, pages=[(PATH, plan_page)], forms=[(PATH, save_plan)])
