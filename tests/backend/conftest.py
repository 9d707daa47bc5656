"""Fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL, and an app.

PostgreSQL comes from LINEAGE_TEST_POSTGRES_URL (default: the machine's local server). One
throwaway database per test session is created, migrated once and truncated before each test.
When the server is unreachable the postgres tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from lineage_api import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SECRET,
    Api,
    Clock,
    add_user,
    seed_rates,
    token_for,
)
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from backend.accounts.models import User
from backend.bootstrap import migrate, seed
from backend.core import security
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.core.model_base import Role
from backend.main import create_app

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    # Production argon2 parameters cost ~50 ms a hash; tests hash hundreds of passwords.
    original = security._hasher, security._DUMMY_HASH
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    security._DUMMY_HASH = security._hasher.hash("dummy")
    yield
    security._hasher, security._DUMMY_HASH = original


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "lineage.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    base = os.environ.get("LINEAGE_TEST_POSTGRES_URL", DEFAULT_PG)
    url = make_url(base)
    name = f"lineage_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {url.render_as_string()} is unreachable: {exc}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    test_url = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(test_url)
    migrate(engine)
    engine.dispose()
    yield test_url
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def open_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database of the kind ``request.param`` names (tests/web's pages reuse it)."""
    if request.param == "sqlite":
        path = tmp_path / "lineage.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = make_engine(request.getfixturevalue("postgres_database"))
        # DELETE + sequence resets: on a handful of rows this is ~20x faster than TRUNCATE,
        # which rewrites every table's files.
        with engine.begin() as conn:
            conn.execute(text(_RESET_SQL))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from open_engine(request, tmp_path)


# Rows migrations seed, which every test starts from: the VAT rates of migration 0012 (ids 1-5)
# and the pitch blocks of public cards of migration 0016 (ids 1-4).
SEEDED = {"vat_rate": 5, "card_block": 4}


def _reset_sql() -> str:
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    deletes = [
        f'DELETE FROM "{t.name}"' + (f" WHERE id > {SEEDED[t.name]}" if t.name in SEEDED else "")
        for t in tables
    ]
    resets = [
        f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), "
        + (f"{SEEDED[t.name]}, true)" if t.name in SEEDED else "1, false)")
        for t in tables
        if "id" in t.c
        and t.c["id"].autoincrement is not False
        and t.c["id"].primary_key
        and t.name != "genealogy_state"
    ]
    return ";\n".join(deletes + resets)


_RESET_SQL = _reset_sql()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key=SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        login_max_failures=5,
        login_max_failures_per_address=20,
        login_window_seconds=300,
        holding_tank_days=0,
        low_stock_default=5,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(engine: Engine, settings: Settings, clock: Clock) -> Iterator[Api]:
    """Seeded (root distributor 1, admin) and one account per role; the distributor account
    belongs to distributor 2, enrolled under the root."""
    seed(engine, settings)
    seed_rates(engine)
    app = create_app(settings, engine=engine, clock=clock)
    with TestClient(app) as client:
        headers = {"anonymous": {}}
        with Session(engine) as session:
            admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
            assert admin.id is not None
            headers["admin"] = token_for(admin.id, clock)
        enrolled = client.post(
            "/api/distributors",
            json={"first_name": "Dina", "last_name": "First", "email": "dina@example.com"},
            headers=headers["admin"],
        )
        assert enrolled.status_code == 201, enrolled.text
        distributor_id = enrolled.json()["id"]
        for role in (Role.finance, Role.auditor, Role.warehouse):
            user_id = add_user(engine, f"{role.value}@example.com", role)
            headers[role.value] = token_for(user_id, clock)
        headers["distributor"] = token_for(
            add_user(engine, "dina@example.com", Role.distributor, distributor_id), clock
        )
        yield Api(client, engine, clock, settings, headers, distributor_id)
