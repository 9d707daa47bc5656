"""The administrator's office through the test client, on SQLite and PostgreSQL: accounts
(create with a generated password shown once, change a role, deactivate, reset a password),
each change in the admin log as the API's; self-demotion refused; the action log and its
chain check; company settings validated, logged and used by the API's enrollment; "see as"
a partner's office read-only, its start and end logged; other roles refused."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api, add_user
from sqlmodel import Session, col, select
from web_support import Browser

from backend.accounts.models import User
from backend.admin_log.models import AdminLogEntry
from backend.company.models import CompanySetting
from backend.core.model_base import Role
from backend.genealogy.models import Distributor, HoldingTankEntry

PASSWORD_SHOWN = re.compile(r'<code class="wrap" id="new-password">([^<]+)</code>')


def admin_office(api: Api) -> Browser:
    browser = Browser(TestClient(api.client.app))
    assert browser.login(ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    return browser


def post(browser: Browser, path: str, data: dict[str, str], token_from: str = "/admin") -> Any:
    return browser.post(path, data, token_from=token_from)


def log_of(api: Api, target: str | None = None) -> list[AdminLogEntry]:
    with Session(api.engine) as session:
        query = select(AdminLogEntry).order_by(col(AdminLogEntry.seq))
        if target is not None:
            query = query.where(AdminLogEntry.target == target)
        return list(session.exec(query))


def account(api: Api, email: str) -> User:
    with Session(api.engine) as session:
        return session.exec(select(User).where(User.email == email)).one()


def test_admin_creates_an_account_whose_generated_password_is_shown_once_and_works(
    api: Api,
) -> None:
    admin = admin_office(api)
    form = {"email": "Nina@Example.com", "full_name": "Нина Кассир", "role": "finance"}
    created = post(admin, "/admin/users", form)
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    shown = PASSWORD_SHOWN.search(created.text)
    assert shown is not None
    nina = account(api, "nina@example.com")
    assert nina.role == Role.finance and nina.full_name == "Нина Кассир"
    # The page of the account afterwards never shows the password again.
    again = admin.get(f"/admin/users/{nina.id}")
    assert again.status_code == 200 and shown.group(1) not in again.text  # type: ignore[attr-defined]
    logged = log_of(api, f"user:{nina.id}")
    assert [e.action for e in logged] == ["account_created"]
    assert logged[0].actor_id == account(api, ADMIN_EMAIL).id
    assert shown.group(1) not in logged[0].payload
    nina_office = Browser(TestClient(api.client.app))
    assert nina_office.login("nina@example.com", shown.group(1)).status_code == 303  # type: ignore[attr-defined]


def test_an_initial_password_given_by_the_admin_is_not_shown(api: Api) -> None:
    admin = admin_office(api)
    form = {"email": "olga@example.com", "role": "auditor", "password": "olga-secret-1"}
    created = post(admin, "/admin/users", form)
    assert created.status_code == 201 and PASSWORD_SHOWN.search(created.text) is None
    assert (
        Browser(TestClient(api.client.app)).login("olga@example.com", "olga-secret-1").status_code
        == 303
    )  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("form", "status", "field", "text"),
    [
        ({"email": "not-an-email", "role": "finance"}, 422, "email", "e-mail"),
        ({"email": "x@example.com", "role": "distributor"}, 422, "distributor_id", "ID"),
        ({"email": "finance@example.com", "role": "finance"}, 409, "email", "exists"),
        (
            {"email": "x@example.com", "role": "distributor", "distributor_id": "999"},
            404,
            "distributor_id",
            "no distributor",
        ),
        (
            {"email": "x@example.com", "role": "distributor", "distributor_id": "2"},
            409,
            "distributor_id",
            "already has an account",
        ),
        ({"email": "x@example.com", "role": "finance", "password": "short"}, 422, "password", "8"),
    ],
)
def test_a_refused_account_is_shown_next_to_its_field_and_nothing_is_written(
    api: Api, form: dict[str, str], status: int, field: str, text: str
) -> None:
    admin = admin_office(api)
    before = len(log_of(api))
    english = admin.post("/language", {"language": "en", "next": "/admin/users"})
    assert english.status_code == 303  # type: ignore[attr-defined]
    refused = post(admin, "/admin/users", form)
    assert refused.status_code == status
    error = re.search(rf'<p class="error" id="new-{field}-error">([^<]+)</p>', refused.text)
    assert error is not None and text in error.group(1), refused.text
    assert len(log_of(api)) == before


def test_role_change_deactivation_and_password_reset_are_logged_and_end_sessions(
    api: Api,
) -> None:
    admin = admin_office(api)
    finance = account(api, "finance@example.com")
    page = f"/admin/users/{finance.id}"
    finance_office = Browser(TestClient(api.client.app))
    finance_office.login("finance@example.com")

    changed = post(admin, f"{page}/role", {"role": "auditor"}, token_from=page)
    assert changed.status_code == 303 and changed.headers["location"] == f"{page}?done=role"
    assert account(api, "finance@example.com").role == Role.auditor
    assert finance_office.get("/home").status_code == 303  # type: ignore[attr-defined]

    off = post(admin, f"{page}/activity", {"active": "false"}, token_from=page)
    assert off.status_code == 303 and not account(api, "finance@example.com").is_active
    on = post(admin, f"{page}/activity", {"active": "true"}, token_from=page)
    assert on.status_code == 303 and account(api, "finance@example.com").is_active

    reset = post(admin, f"{page}/password", {}, token_from=page)
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    temporary = PASSWORD_SHOWN.search(reset.text)
    assert temporary is not None
    assert finance_office.login("finance@example.com", temporary.group(1)).status_code == 303  # type: ignore[attr-defined]

    logged = log_of(api, f"user:{finance.id}")
    assert [e.action for e in logged] == [
        "role_changed",
        "account_deactivated",
        "account_activated",
        "password_reset",
    ]
    assert json.loads(logged[0].payload) == {"old": "finance", "new": "auditor"}
    history = admin.get(page).text  # type: ignore[attr-defined]
    assert history.count("<li>") >= 4


def test_an_admin_cannot_demote_or_deactivate_themself(api: Api) -> None:
    admin = admin_office(api)
    me = account(api, ADMIN_EMAIL)
    page = f"/admin/users/{me.id}"
    before = len(log_of(api))
    demoted = post(admin, f"{page}/role", {"role": "finance"}, token_from=page)
    assert demoted.status_code == 409 and 'id="role-error"' in demoted.text
    assert "Вы не можете" in demoted.text
    disabled = post(admin, f"{page}/activity", {"active": "false"}, token_from=page)
    assert disabled.status_code == 409
    mine = account(api, ADMIN_EMAIL)
    assert mine.role == Role.admin and mine.is_active and len(log_of(api)) == before


def test_the_users_list_searches_by_email_and_name_and_filters_by_role_and_activity(
    api: Api,
) -> None:
    admin = admin_office(api)
    post(
        admin, "/admin/users", {"email": "nina@example.com", "full_name": "Нина", "role": "finance"}
    )
    by_name = admin.get("/admin/users?q=Нина").text  # type: ignore[attr-defined]
    assert "nina@example.com" in by_name and "dina@example.com" not in by_name
    by_mail = admin.get("/admin/users?q=DINA@").text  # type: ignore[attr-defined]
    assert "dina@example.com" in by_mail and "nina@example.com" not in by_mail
    finance_only = admin.get("/admin/users?role=finance").text  # type: ignore[attr-defined]
    assert "nina@example.com" in finance_only and "auditor@example.com" not in finance_only
    nina = account(api, "nina@example.com")
    page = f"/admin/users/{nina.id}"
    post(admin, f"{page}/activity", {"active": "false"}, token_from=page)
    inactive = admin.get("/admin/users?active=no").text  # type: ignore[attr-defined]
    assert "nina@example.com" in inactive and "dina@example.com" not in inactive


def test_the_api_logs_a_renamed_account_as_the_pages_do(api: Api) -> None:
    finance = account(api, "finance@example.com")
    renamed = api.client.patch(
        f"/api/users/{finance.id}", json={"full_name": "Фаина"}, headers=api.as_("admin")
    )
    assert renamed.status_code == 200
    logged = log_of(api, f"user:{finance.id}")
    assert [e.action for e in logged] == ["account_renamed"]
    assert json.loads(logged[0].payload) == {"old": None, "new": "Фаина"}


def test_the_action_log_page_lists_filters_and_shows_the_chain_intact(api: Api) -> None:
    admin = admin_office(api)
    post(admin, "/admin/users", {"email": "nina@example.com", "role": "finance"})
    nina = account(api, "nina@example.com")
    page = f"/admin/users/{nina.id}"
    post(admin, f"{page}/role", {"role": "auditor"}, token_from=page)
    log = admin.get("/admin/log")
    assert log.status_code == 200  # type: ignore[attr-defined]
    text = log.text  # type: ignore[attr-defined]
    assert 'class="notice" role="status" id="chain-status"' in text
    assert f'href="/admin/users/{nina.id}">user:{nina.id}</a>' in text and ADMIN_EMAIL in text
    only_roles = admin.get("/admin/log?action=role_changed").text  # type: ignore[attr-defined]
    assert f"user:{nina.id}</a>" in only_roles and "изменена роль</td>" in only_roles
    assert only_roles.count('<td data-label="№">') == 1


def test_a_broken_log_chain_shows_on_the_log_page(api: Api) -> None:
    admin = admin_office(api)
    post(admin, "/admin/users", {"email": "nina@example.com", "role": "finance"})
    with Session(api.engine) as session:
        entry = session.exec(select(AdminLogEntry).order_by(col(AdminLogEntry.seq))).first()
        assert entry is not None
        entry.payload = entry.payload.replace("finance", "admin")
        session.add(entry)
        session.commit()
    text = admin.get("/admin/log").text  # type: ignore[attr-defined]
    assert 'class="alert" role="alert" id="chain-status"' in text


def test_settings_are_validated_logged_and_used_by_the_apis_enrollment(api: Api) -> None:
    admin = admin_office(api)
    page = admin.get("/admin/settings").text  # type: ignore[attr-defined]
    assert 'id="holding_tank_days-source"' in page
    bad = {"placement_strategy": "zigzag", "holding_tank_days": "-1", "default_sponsor_id": "999"}
    refused = post(admin, "/admin/settings", bad, token_from="/admin/settings")
    assert refused.status_code == 422
    for name in bad:
        assert f'id="{name}-error"' in refused.text
    with Session(api.engine) as session:
        assert session.exec(select(CompanySetting)).all() == []
    assert not any(e.action == "setting_changed" for e in log_of(api))

    good = {
        "placement_strategy": "breadth-first",
        "holding_tank_days": "7",
        "default_sponsor_id": "1",
    }
    saved = post(admin, "/admin/settings", good, token_from="/admin/settings")
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/settings?saved=true"
    logged = [e for e in log_of(api) if e.action == "setting_changed"]
    assert [(e.target, json.loads(e.payload)) for e in logged] == [
        ("setting:holding_tank_days", {"old": 0, "new": 7})
    ]
    shown = admin.get("/admin/settings").text  # type: ignore[attr-defined]
    assert ADMIN_EMAIL in shown

    enrolled = api.client.post(
        "/api/distributors",
        json={"first_name": "Ира", "last_name": "Новая", "sponsor_id": api.distributor_id},
        headers=api.as_("admin"),
    )
    assert enrolled.status_code == 201, enrolled.text
    with Session(api.engine) as session:
        entry = session.get(HoldingTankEntry, enrolled.json()["id"])
        assert entry is not None and entry.placed_at is None


def test_a_terminated_distributor_cannot_be_the_default_sponsor(api: Api) -> None:
    admin = admin_office(api)
    with Session(api.engine) as session:
        dina = session.get(Distributor, api.distributor_id)
        assert dina is not None
        dina.status = "terminated"  # type: ignore[assignment]
        session.add(dina)
        session.commit()
    form = {
        "placement_strategy": "breadth-first",
        "holding_tank_days": "0",
        "default_sponsor_id": str(api.distributor_id),
    }
    refused = post(admin, "/admin/settings", form, token_from="/admin/settings")
    assert refused.status_code == 422 and 'id="default_sponsor_id-error"' in refused.text


def test_see_as_shows_the_partners_office_read_only_and_logs_start_and_end(api: Api) -> None:
    admin = admin_office(api)
    started = post(admin, "/admin/see-as", {"distributor_id": str(api.distributor_id)})
    assert started.status_code == 303 and started.headers["location"] == "/home"
    home = admin.get("/home").text  # type: ignore[attr-defined]
    assert 'class="see-as"' in home and "Dina First" in home
    assert "Мой офис" in home and 'href="/admin"' not in home  # her menu, not the admin's
    assert admin.get("/admin/users").status_code == 403  # type: ignore[attr-defined]
    for path in ("/tree", "/statements", "/shop", "/profile"):
        shown: Any = admin.get(path)
        assert shown.status_code == 200 and 'class="see-as"' in shown.text, path

    with Session(api.engine) as session:
        before = session.get(Distributor, api.distributor_id)
        assert before is not None
        phone = before.phone
    refused = admin.post("/profile/contacts", {"phone": "+7 900 000-00-00"}, token_from="/profile")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "только для просмотра" in refused.text  # type: ignore[attr-defined]
    language = admin.post("/language", {"language": "en", "next": "/home"}, token_from="/home")
    assert language.status_code == 403  # type: ignore[attr-defined]
    with Session(api.engine) as session:
        after = session.get(Distributor, api.distributor_id)
        assert after is not None and after.phone == phone
        assert account(api, "dina@example.com").language == "ru"
    # The API is unaffected: the admin's token is the admin's.
    me = api.client.get("/api/users/me", headers=api.as_("admin"))
    assert me.json()["role"] == "admin"

    ended = post(admin, "/admin/see-as/end", {}, token_from="/home")
    assert ended.status_code == 303 and ended.headers["location"] == "/admin"
    assert 'class="see-as"' not in admin.get("/admin").text  # type: ignore[attr-defined]
    logged = log_of(api, f"distributor:{api.distributor_id}")
    assert [e.action for e in logged] == ["see_as_started", "see_as_ended"]


def test_see_as_a_partner_without_a_login_renders_for_them_and_saves_no_account(
    api: Api,
) -> None:
    admin = admin_office(api)
    accounts_before = len(
        api.client.get("/api/users?limit=200", headers=api.as_("admin")).json()["items"]
    )
    started = post(admin, "/admin/see-as", {"distributor_id": "1"})
    assert started.status_code == 303
    home: Any = admin.get("/home")
    assert home.status_code == 200 and "(ID 1)" in home.text
    users = api.client.get("/api/users?limit=200", headers=api.as_("admin")).json()["items"]
    assert len(users) == accounts_before


def test_see_as_an_unknown_distributor_is_refused_on_the_form(api: Api) -> None:
    admin = admin_office(api)
    refused = post(admin, "/admin/see-as", {"distributor_id": "999"})
    assert refused.status_code == 404 and 'id="see-as-error"' in refused.text
    assert not any(e.action == "see_as_started" for e in log_of(api))


def test_a_see_as_cookie_of_another_session_is_ignored(api: Api) -> None:
    admin = admin_office(api)
    post(admin, "/admin/see-as", {"distributor_id": str(api.distributor_id)})
    cookie = admin.client.cookies.get("lineage_see_as")
    assert cookie
    api.clock.advance(seconds=5)  # a later login: another session token
    other = admin_office(api)
    other.client.cookies.set("lineage_see_as", cookie)
    assert 'class="see-as"' not in other.get("/home").text  # type: ignore[attr-defined]
    forged = Browser(TestClient(api.client.app))
    forged.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    forged.client.cookies.set("lineage_see_as", f"{api.distributor_id}.{'0' * 64}")
    assert 'class="see-as"' not in forged.get("/home").text  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ["finance", "auditor", "warehouse", "distributor"])
def test_other_roles_are_refused_the_admin_office(api: Api, role: str) -> None:
    email = "dina@example.com" if role == "distributor" else f"{role}@example.com"
    office = Browser(TestClient(api.client.app))
    office.login(email)
    for path in ("/admin", "/admin/users", "/admin/users/1", "/admin/log", "/admin/settings"):
        assert office.get(path).status_code == 403, path  # type: ignore[attr-defined]
    refused = office.post("/admin/see-as", {"distributor_id": "1"}, token_from="/home")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    created = office.post(
        "/admin/users", {"email": "z@example.com", "role": "admin"}, token_from="/home"
    )
    assert created.status_code == 403  # type: ignore[attr-defined]


def test_an_added_distributor_login_is_found_for_see_as(api: Api) -> None:
    with Session(api.engine) as session:
        root = session.get(Distributor, 1)
        assert root is not None
    add_user(api.engine, "root@example.com", Role.distributor, 1)
    admin = admin_office(api)
    post(admin, "/admin/see-as", {"distributor_id": "1"})
    profile: Any = admin.get("/profile")  # her own account's page: its e-mail
    assert 'class="see-as"' in profile.text and "root@example.com" in profile.text
