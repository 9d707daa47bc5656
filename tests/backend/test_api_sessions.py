"""Sessions: a token dies when its account's password, role or activity changes, when the
linked distributor is terminated, and at logout; a new login works (except when terminated)."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, SECRET, Api, error_code
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.core import security

PASSWORD = "password-123"


def log_in(api: Api, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = api.client.post("/api/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def me(api: Api, headers: dict[str, str]) -> int:
    return api.client.get("/api/users/me", headers=headers).status_code


def user_id(api: Api, email: str) -> int:
    with Session(api.engine) as session:
        found = session.exec(select(User.id).where(User.email == email)).one()
        assert found is not None
        return found


def assert_session_ended(api: Api, headers: dict[str, str]) -> None:
    response = api.client.get("/api/users/me", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "session_ended"
    assert "log in again" in response.json()["error"]["message"]


def test_changing_my_password_ends_every_session(api: Api) -> None:
    laptop, phone = log_in(api, "warehouse@example.com"), log_in(api, "warehouse@example.com")
    change = {"current_password": PASSWORD, "new_password": "new-password-9"}
    assert api.client.post("/api/users/me/password", json=change, headers=laptop).status_code == 204
    assert_session_ended(api, laptop)
    assert_session_ended(api, phone)
    fresh = log_in(api, "warehouse@example.com", "new-password-9")
    assert me(api, fresh) == 200


def test_an_admin_password_reset_ends_the_sessions(api: Api) -> None:
    victim = log_in(api, "finance@example.com")
    target = user_id(api, "finance@example.com")
    reset = api.client.patch(
        f"/api/users/{target}", json={"password": "reset-by-admin-1"}, headers=api.as_("admin")
    )
    assert reset.status_code == 200
    assert_session_ended(api, victim)
    assert me(api, log_in(api, "finance@example.com", "reset-by-admin-1")) == 200


def test_a_role_change_ends_the_sessions(api: Api) -> None:
    before = log_in(api, "finance@example.com")
    target = user_id(api, "finance@example.com")
    changed = api.client.patch(
        f"/api/users/{target}", json={"role": "auditor"}, headers=api.as_("admin")
    )
    assert changed.status_code == 200
    assert_session_ended(api, before)
    # The old token must not keep the finance role's powers either.
    assert api.client.get("/api/periods", headers=before).status_code == 401
    after = log_in(api, "finance@example.com")
    assert api.client.get("/api/users/me", headers=after).json()["role"] == "auditor"


def test_deactivation_ends_the_sessions_for_good(api: Api) -> None:
    before = log_in(api, "auditor@example.com")
    target = user_id(api, "auditor@example.com")
    url, admin = f"/api/users/{target}", api.as_("admin")
    assert api.client.patch(url, json={"is_active": False}, headers=admin).status_code == 200
    disabled = api.client.get("/api/users/me", headers=before)
    assert disabled.status_code == 401 and error_code(disabled) == "account_disabled"
    refused = api.client.post(
        "/api/auth/token", data={"username": "auditor@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 401 and error_code(refused) == "account_disabled"
    # Switched back on, the account needs a new login: the old token stays dead.
    assert api.client.patch(url, json={"is_active": True}, headers=admin).status_code == 200
    assert_session_ended(api, before)
    assert me(api, log_in(api, "auditor@example.com")) == 200


def test_a_name_change_keeps_the_sessions(api: Api) -> None:
    before = log_in(api, "auditor@example.com")
    target = user_id(api, "auditor@example.com")
    renamed = api.client.patch(
        f"/api/users/{target}", json={"full_name": "Audrey"}, headers=api.as_("admin")
    )
    assert renamed.status_code == 200
    assert me(api, before) == 200


def test_logout_ends_every_token_of_the_account_and_a_new_login_works(api: Api) -> None:
    first, second = (
        log_in(api, ADMIN_EMAIL, ADMIN_PASSWORD),
        log_in(api, ADMIN_EMAIL, ADMIN_PASSWORD),
    )
    other_account = log_in(api, "finance@example.com")
    assert api.client.post("/api/auth/logout", headers=first).status_code == 204
    assert_session_ended(api, first)
    assert_session_ended(api, second)
    assert me(api, other_account) == 200
    again = api.client.post("/api/auth/logout", headers=first)
    assert again.status_code == 401
    assert me(api, log_in(api, ADMIN_EMAIL, ADMIN_PASSWORD)) == 200


@pytest.mark.parametrize("role", ["admin", "finance", "auditor", "warehouse", "distributor"])
def test_every_role_may_log_out_and_anonymous_may_not(api: Api, role: str) -> None:
    assert api.client.post("/api/auth/logout", headers=api.as_(role)).status_code == 204
    assert api.client.get("/api/users/me", headers=api.as_(role)).status_code == 401
    anonymous = api.client.post("/api/auth/logout")
    assert anonymous.status_code == 401


def test_a_token_without_a_version_is_refused(api: Api) -> None:
    now = api.clock()
    legacy = jwt.encode(
        {"sub": "1", "iat": now, "exp": now + timedelta(hours=1)}, SECRET, algorithm="HS256"
    )
    response = api.client.get("/api/users/me", headers={"Authorization": f"Bearer {legacy}"})
    assert response.status_code == 401


def test_a_forged_newer_version_is_refused_too(api: Api) -> None:
    token = security.create_access_token(
        subject=user_id(api, ADMIN_EMAIL), version=7, secret=SECRET, minutes=60, now=api.clock()
    )
    assert me(api, {"Authorization": f"Bearer {token}"}) == 401
