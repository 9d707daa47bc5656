"""The administrator's office: the landing page, users and roles, and "see as" (a partner's
office, read-only). The action log and the company settings are in `admin_records`.

Accounts change through the service the API uses (`backend.accounts.service`), which writes
every change to the admin log; a refusal of the service is shown next to its form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from backend.accounts import service as accounts
from backend.accounts.models import User, UserCreate, UserUpdate
from backend.admin_log import service as admin_log
from backend.core.db import SessionDep
from backend.core.errors import AppError, NotFound
from backend.core.model_base import Role
from backend.core.types import MAX_ID
from backend.web.admin_records import ACTION_NAMES, add_admin_record_pages
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, render
from backend.web.sessions import (
    check_csrf,
    end_see_as,
    seen_distributor,
    start_see_as,
)

CsrfChecked = [Depends(check_csrf)]
USERS_PAGE = 25
HISTORY_ENTRIES = 20
# What each section of the office holds, on the landing page.
SECTION_TEXTS = {
    "/admin/users": N_(
        "Accounts and their roles: create, change a role, deactivate, reset a password."
    ),
    "/admin/log": N_(
        "Every administrative change: who, when, what; with the log's integrity check."
    ),
    "/admin/plan": N_("The compensation plan's parameters."),
    "/admin/catalogue": N_("Products, price lists and VAT categories."),
    "/admin/training": N_("Courses, their versions and editor, assignments and the report."),
    "/admin/warehouses": N_("Warehouses and their stock."),
    "/admin/settings": N_("Placement strategy, holding tank and the default sponsor."),
    "/admin/requisites": N_("The company's legal details and bank account for payment orders."),
    "/admin/cards": N_("Partners' public cards: texts waiting for approval and pitch blocks."),
}
ACCOUNT_REFUSALS = {
    "email_taken": ("email", N_("An account with this e-mail exists.")),
    "distributor_required": (
        "distributor_id",
        N_("A distributor's account needs the distributor's ID."),
    ),
    "distributor_not_allowed": (
        "distributor_id",
        N_(
            "Only a distributor's account is linked to a distributor: clear the ID or choose the "
            "distributor role."
        ),
    ),
    "distributor_not_found": ("distributor_id", N_("There is no distributor with this ID.")),
    "distributor_terminated": (
        "distributor_id",
        N_("This distributor was terminated and cannot log in."),
    ),
    "distributor_has_account": ("distributor_id", N_("This distributor already has an account.")),
    "self_demotion": (
        "role",
        N_("You cannot demote or deactivate yourself: ask another administrator."),
    ),
}
FIELD_ERRORS = {
    "email": N_("Enter an e-mail address like name@example.com."),
    "full_name": N_("At most 200 characters."),
    "password": N_("The password needs at least 8 characters."),
    "distributor_id": N_("A distributor's ID is a whole number from 1."),
}
SEE_AS_ERRORS = {"not_found": N_("There is no distributor with this ID.")}
ROLES = [role.value for role in Role]


def _refusal(refused: AppError) -> tuple[str, str]:
    return ACCOUNT_REFUSALS.get(refused.code, ("form", N_("The change was refused.")))


# -- the landing page --------------------------------------------------------------------------


def landing(request: Request, user: PageUser) -> Response:
    return _landing(request)


def _landing(
    request: Request, *, status_code: int = 200, error: str | None = None, value: str = ""
) -> Response:
    sections = [(href, label, SECTION_TEXTS.get(href, "")) for href, label in ADMIN_TABS]
    return render(
        request,
        "admin.html",
        status_code=status_code,
        sections=sections,
        see_as_error=error,
        see_as_value=value,
    )


# -- users and roles ---------------------------------------------------------------------------


def users_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    q: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=20)] = "",
    active: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    return _users(request, session, q=q, role=role, active=active, page=page)


def _users(
    request: Request,
    session: SessionDep,
    *,
    q: str = "",
    role: str = "",
    active: str = "",
    page: int = 1,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    role_filter = Role(role) if role in ROLES else None
    active_filter = {"yes": True, "no": False}.get(active)
    items, total = accounts.list_users(
        session,
        offset=(page - 1) * USERS_PAGE,
        limit=USERS_PAGE,
        text=q,
        role=role_filter,
        active=active_filter,
    )
    filters = {
        "q": q,
        "role": role_filter or "",
        "active": active if active_filter is not None else "",
    }
    query = "&".join(f"{key}={value}" for key, value in filters.items() if value)
    return render(
        request,
        "admin_users.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // USERS_PAGE)),
        filters=filters,
        filter_query=query,
        roles=ROLES,
        errors=errors or {},
        form=form or {"role": "distributor"},
    )


def create_user(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    email: Annotated[str, Form(max_length=300)] = "",
    full_name: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    distributor_id: Annotated[str, Form(max_length=30)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    form = {
        "email": email,
        "full_name": full_name,
        "role": role,
        "distributor_id": distributor_id,
    }
    errors: dict[str, str] = {}
    if role not in ROLES:
        errors["role"] = N_("Choose a role.")
    linked: int | None = None
    if distributor_id.strip():
        text = distributor_id.strip()
        if not text.isdigit() or not 0 < int(text) <= MAX_ID:
            errors["distributor_id"] = FIELD_ERRORS["distributor_id"]
        else:
            linked = int(text)
    generated = not password
    initial = password or accounts.generated_password()
    data: UserCreate | None = None
    if not errors:
        try:
            data = UserCreate(
                email=email.strip(),
                full_name=full_name.strip() or None,
                role=Role(role),
                distributor_id=linked,
                password=initial,
            )
        except ValidationError as invalid:
            for problem in invalid.errors():
                field = str(problem["loc"][0]) if problem["loc"] else "email"
                errors[field] = FIELD_ERRORS.get(field, FIELD_ERRORS["email"])
    if errors or data is None:
        return _users(request, session, status_code=422, errors=errors, form=form)
    try:
        created = accounts.create_user(session, data, actor=user, now=now)
    except AppError as refused:
        session.rollback()
        field, message = _refusal(refused)
        return _users(
            request, session, status_code=refused.status_code, errors={field: message}, form=form
        )
    # The password is on this one page only: no redirect could carry it without writing it
    # into the browser's history or a log.
    return _user(
        request,
        session,
        created,
        status_code=201,
        new_password=initial if generated else None,
        notice=N_("The account is created."),
    )


def user_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    user_id: int,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    check_id(user_id, "user")
    account = accounts.get_user(session, user_id)
    return _user(request, session, account, notice=DONE.get(done))


DONE = {
    "role": N_("The role is changed. The account's open sessions have ended."),
    "deactivated": N_("The account is deactivated: it cannot log in."),
    "activated": N_("The account is active again."),
}


def _user(
    request: Request,
    session: SessionDep,
    account: User,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    new_password: str | None = None,
    notice: str | None = None,
) -> Response:
    history = admin_log.page(
        session, target=f"user:{account.id}", offset=0, limit=HISTORY_ENTRIES, newest_first=True
    )
    response = render(
        request,
        "admin_user.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        account=account,
        roles=ROLES,
        history=history,
        actors=admin_log.actor_emails(session, (entry.actor_id for entry in history.items)),
        action_names=ACTION_NAMES,
        errors=errors or {},
        new_password=new_password,
        notice=notice,
    )
    if new_password is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


def _update(
    request: Request,
    session: SessionDep,
    actor: User,
    user_id: int,
    change: UserUpdate,
    now: NowDep,
    *,
    done: str | None,
    new_password: str | None = None,
) -> Response:
    check_id(user_id, "user")
    try:
        account = accounts.update_user(session, user_id, change, actor=actor, now=now)
    except NotFound:
        raise
    except AppError as refused:
        session.rollback()
        field, message = _refusal(refused)
        account = accounts.get_user(session, user_id)
        return _user(
            request, session, account, status_code=refused.status_code, errors={field: message}
        )
    if new_password is not None:
        return _user(
            request,
            session,
            account,
            new_password=new_password,
            notice=N_("The password is reset. The account's open sessions have ended."),
        )
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


def change_role(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    user_id: int,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if role not in ROLES:
        check_id(user_id, "user")
        account = accounts.get_user(session, user_id)
        return _user(
            request, session, account, status_code=422, errors={"role": N_("Choose a role.")}
        )
    return _update(request, session, user, user_id, UserUpdate(role=Role(role)), now, done="role")


def change_activity(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    user_id: int,
    active: Annotated[bool, Form()] = False,
) -> Response:
    done = "activated" if active else "deactivated"
    return _update(request, session, user, user_id, UserUpdate(is_active=active), now, done=done)


def reset_password(
    request: Request, session: SessionDep, user: PageUser, now: NowDep, user_id: int
) -> Response:
    password = accounts.generated_password()
    change = UserUpdate(password=password)
    return _update(request, session, user, user_id, change, now, done=None, new_password=password)


# -- "see as" ----------------------------------------------------------------------------------


def see_as(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    distributor_id: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    text = distributor_id.strip()
    number = int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None
    if number is None:
        return _landing(request, status_code=422, error=FIELD_ERRORS["distributor_id"], value=text)
    try:
        accounts.seen_as(session, number, language=user.language)
    except NotFound:
        return _landing(request, status_code=404, error=SEE_AS_ERRORS["not_found"], value=text)
    admin_log.see_as(session, number, started=True, actor=user, now=now)
    session.commit()
    response = RedirectResponse("/home", status_code=303)
    start_see_as(request, response, number)
    return response


def stop_seeing_as(request: Request, session: SessionDep, user: PageUser, now: NowDep) -> Response:
    seen = seen_distributor(request)
    if seen is not None:
        admin_log.see_as(session, seen, started=False, actor=user, now=now)
        session.commit()
    response = RedirectResponse("/admin", status_code=303)
    end_see_as(request, response)
    return response


def add_admin_pages(router: APIRouter) -> None:
    router.add_api_route("/admin", landing, methods=["GET"])
    router.add_api_route("/admin/users", users_page, methods=["GET"])
    router.add_api_route("/admin/users/{user_id}", user_page, methods=["GET"])
    for path, handler in (
        ("/admin/users", create_user),
        ("/admin/users/{user_id}/role", change_role),
        ("/admin/users/{user_id}/activity", change_activity),
        ("/admin/users/{user_id}/password", reset_password),
        ("/admin/see-as", see_as),
        ("/admin/see-as/end", stop_seeing_as),
    ):
        router.add_api_route(path, handler, methods=["POST"], dependencies=CsrfChecked)
    add_admin_record_pages(router)
