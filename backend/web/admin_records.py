"""The administrator's action log (with its hash-chain check, as `/api/admin-log/verify`) and
the company settings (`backend.company.settings`: what the API, the pages and the worker use)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from backend.admin_log import service as admin_log
from backend.admin_log.models import AdminAction
from backend.company import settings as company_settings
from backend.company.models import EDITABLE
from backend.core.db import SessionDep
from backend.core.errors import Invalid
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, render
from backend.web.sessions import check_csrf

CsrfChecked = [Depends(check_csrf)]
LOG_PAGE = 50
ACTION_NAMES = {
    AdminAction.account_created: N_("account created"),
    AdminAction.role_changed: N_("role changed"),
    AdminAction.password_reset: N_("password reset by an administrator"),
    AdminAction.password_changed: N_("password changed by its owner"),
    AdminAction.account_deactivated: N_("account deactivated"),
    AdminAction.account_activated: N_("account activated"),
    AdminAction.account_renamed: N_("account renamed"),
    AdminAction.product_created: N_("product created"),
    AdminAction.price_changed: N_("price changed"),
    AdminAction.price_removed: N_("price removed"),
    AdminAction.stock_adjusted: N_("stock adjusted"),
    AdminAction.rate_added: N_("exchange rate added"),
    AdminAction.rates_imported: N_("exchange rates imported"),
    AdminAction.vat_rate_added: N_("VAT rate added"),
    AdminAction.card_block_added: N_("card block added"),
    AdminAction.card_block_changed: N_("card block changed"),
    AdminAction.card_text_approved: N_("card text approved"),
    AdminAction.card_text_rejected: N_("card text rejected"),
    AdminAction.setting_changed: N_("company setting changed"),
    AdminAction.see_as_started: N_("partner's office opened read-only"),
    AdminAction.see_as_ended: N_("partner's office closed"),
    AdminAction.training_published: N_("course published"),
    AdminAction.training_assigned: N_("course assigned"),
    AdminAction.template_published: N_("document text published"),
}
SETTING_NAMES = {
    "placement_strategy": N_("Placement strategy"),
    "holding_tank_days": N_("Days in the holding tank"),
    "default_sponsor_id": N_("Default sponsor (distributor ID)"),
}
SETTING_HINTS = {
    "placement_strategy": N_("Where a new partner is placed under their sponsor."),
    "holding_tank_days": N_(
        "How long a sponsor may place a new partner by hand; 0: placed at once."
    ),
    "default_sponsor_id": N_("The sponsor of a partner who joins without one."),
}
STRATEGY_NAMES = {
    "outer-left": N_("Outer left leg"),
    "outer-right": N_("Outer right leg"),
    "weaker-leg": N_("Weaker leg"),
    "breadth-first": N_("First free place, level by level"),
}
SETTING_ERRORS = {
    "unknown_strategy": N_("Choose one of the strategies offered."),
    "not_a_number": N_("Enter a whole number."),
    "days_out_of_range": N_("From 0 to 365 days."),
    "sponsor_not_found": N_("There is no distributor with this ID."),
    "sponsor_not_active": N_("This distributor is not active: choose an active one."),
}


# -- the action log ----------------------------------------------------------------------------


def log_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    action: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    chosen = AdminAction(action) if action in AdminAction.__members__ else None
    entries = admin_log.page(
        session,
        target=None,
        action=chosen,
        offset=(page - 1) * LOG_PAGE,
        limit=LOG_PAGE,
        newest_first=True,
    )
    settings = request.app.state.settings  # the packages' folder: not a company setting
    return render(
        request,
        "admin_log.html",
        tabs=ADMIN_TABS,
        entries=entries,
        actors=admin_log.actor_emails(session, (entry.actor_id for entry in entries.items)),
        verification=admin_log.verify(session, settings),
        action=chosen.value if chosen else "",
        action_names=ACTION_NAMES,
        page=page,
        pages=max(1, -(-entries.count // LOG_PAGE)),
    )


# -- company settings --------------------------------------------------------------------------


def settings_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    saved: Annotated[bool, Query()] = False,
) -> Response:
    return _settings(request, session, saved=saved)


def _settings(
    request: Request,
    session: SessionDep,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    states = company_settings.states(session, request.app.state.settings)
    return render(
        request,
        "admin_settings.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        states=states,
        names=SETTING_NAMES,
        hints=SETTING_HINTS,
        strategies=STRATEGY_NAMES,
        errors=errors or {},
        form=form or {state.name: str(state.value) for state in states},
        saved=saved,
    )


def save_settings(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    placement_strategy: Annotated[str, Form(max_length=40)] = "",
    holding_tank_days: Annotated[str, Form(max_length=20)] = "",
    default_sponsor_id: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    form = {
        "placement_strategy": placement_strategy,
        "holding_tank_days": holding_tank_days,
        "default_sponsor_id": default_sponsor_id,
    }
    errors: dict[str, str] = {}
    for name in EDITABLE:
        try:
            company_settings.validated(session, name, form[name])
        except Invalid as refused:
            errors[name] = SETTING_ERRORS.get(refused.code, SETTING_ERRORS["not_a_number"])
    if errors:
        return _settings(request, session, status_code=422, errors=errors, form=form)
    base = request.app.state.settings
    for name in EDITABLE:
        company_settings.change(session, base, name, form[name], actor=user, now=now)
    return RedirectResponse("/admin/settings?saved=true", status_code=303)


def add_admin_record_pages(router: APIRouter) -> None:
    router.add_api_route("/admin/log", log_page, methods=["GET"])
    router.add_api_route("/admin/settings", settings_page, methods=["GET"])
    router.add_api_route(
        "/admin/settings", save_settings, methods=["POST"], dependencies=CsrfChecked
    )
