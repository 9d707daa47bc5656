"""Login (OAuth2 password flow + JWT), throttling, first admin, the signing secret."""

from __future__ import annotations

import stat
from pathlib import Path

from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.bootstrap import seed
from backend.core.config import Settings
from backend.core.model_base import Role
from backend.core.security import load_or_create_secret
from backend.genealogy.models import Distributor


def login(api: Api, email: str, password: str, ip: str = "testclient") -> int:
    response = api.client.post("/api/auth/token", data={"username": email, "password": password})
    return response.status_code


def test_login_returns_a_token_that_identifies_the_account(api: Api) -> None:
    response = api.client.post(
        "/api/auth/token", data={"username": ADMIN_EMAIL.upper(), "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = api.client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == ADMIN_EMAIL
    assert me.json()["role"] == "admin"


def test_wrong_password_is_401_in_the_error_shape(api: Api) -> None:
    response = api.client.post(
        "/api/auth/token", data={"username": ADMIN_EMAIL, "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_five_failures_lock_the_account_for_this_address_until_the_window_passes(
    api: Api,
) -> None:
    for _ in range(5):
        assert login(api, ADMIN_EMAIL, "wrong-password") == 401
    # Even the right password is refused while throttled.
    assert login(api, ADMIN_EMAIL, ADMIN_PASSWORD) == 429
    # Other accounts are not affected.
    assert login(api, "finance@example.com", "password-123") == 200
    api.clock.advance(seconds=301)
    assert login(api, ADMIN_EMAIL, ADMIN_PASSWORD) == 200


def test_unknown_accounts_are_throttled_too(api: Api) -> None:
    for _ in range(5):
        assert login(api, "ghost@example.com", "whatever-1") == 401
    assert login(api, "ghost@example.com", "whatever-1") == 429


def test_disabled_account_cannot_log_in_or_use_its_token(api: Api) -> None:
    with Session(api.engine) as session:
        finance = session.exec(select(User).where(User.role == Role.finance)).one()
        finance.is_active = False
        session.add(finance)
        session.commit()
    assert login(api, "finance@example.com", "password-123") == 401
    assert api.client.get("/api/users/me", headers=api.as_("finance")).status_code == 401


def test_change_password(api: Api) -> None:
    headers = api.as_("warehouse")
    wrong = {"current_password": "nope", "new_password": "new-password-9"}
    assert api.client.post("/api/users/me/password", json=wrong, headers=headers).status_code == 422
    right = {"current_password": "password-123", "new_password": "new-password-9"}
    assert api.client.post("/api/users/me/password", json=right, headers=headers).status_code == 204
    assert login(api, "warehouse@example.com", "new-password-9") == 200


def test_admin_creates_accounts_and_links_distributors(api: Api) -> None:
    admin = api.as_("admin")
    payload = {"email": "Fin2@Example.com", "role": "finance", "password": "long-enough-1"}
    created = api.client.post("/api/users", json=payload, headers=admin)
    assert created.status_code == 201
    assert created.json()["email"] == "fin2@example.com"
    assert api.client.post("/api/users", json=payload, headers=admin).status_code == 409
    unlinked = {"email": "d@example.com", "role": "distributor", "password": "long-enough-1"}
    assert api.client.post("/api/users", json=unlinked, headers=admin).status_code == 422
    taken = unlinked | {"distributor_id": api.distributor_id}
    assert api.client.post("/api/users", json=taken, headers=admin).status_code == 409
    missing = unlinked | {"distributor_id": 999}
    assert api.client.post("/api/users", json=missing, headers=admin).status_code == 404


def test_admin_cannot_demote_themself(api: Api) -> None:
    me = api.client.get("/api/users/me", headers=api.as_("admin")).json()
    response = api.client.patch(
        f"/api/users/{me['id']}", json={"role": "auditor"}, headers=api.as_("admin")
    )
    assert response.status_code == 409


def test_first_start_generates_an_admin_password_once(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="x" * 40)
    first = seed(engine, settings)
    assert first.root_created
    assert first.admin_email == "admin@lineage.local"
    assert first.generated_password and len(first.generated_password) >= 12
    again = seed(engine, settings)
    assert again.generated_password is None and not again.root_created
    with Session(engine) as session:
        root = session.get(Distributor, 1)
        assert root is not None and root.sponsor_id is None and root.tree_depth == 0
        admin = session.exec(select(User).where(User.role == Role.admin)).one()
        assert first.generated_password not in admin.hashed_password


def test_generated_secret_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    secret = load_or_create_secret(settings)
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(settings) == secret
    assert load_or_create_secret(Settings(data_dir=tmp_path, secret_key="configured")) == (
        "configured"
    )


def test_settings_read_the_environment(monkeypatch: object, tmp_path: Path) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("LINEAGE_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.resolved_deployment_file == tmp_path / "deployment.json"
    monkeypatch.delenv("DATABASE_URL")
    assert Settings().resolved_database_url == f"sqlite:///{tmp_path}/lineage.db"
