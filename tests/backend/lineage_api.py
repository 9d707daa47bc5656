"""Test helpers shared by the backend tests (imported by name: tests/backend is on sys.path)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.accounts.models import User
from backend.core import security
from backend.core.config import Settings
from backend.core.model_base import Role
from backend.rates.models import ExchangeRate

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-password-1"
SECRET = "test-secret-key-that-is-long-enough-for-hs256"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Api:
    """The test client plus a bearer token per role (and the distributor's id)."""

    client: TestClient
    engine: Engine
    clock: Clock
    settings: Settings
    headers: dict[str, dict[str, str]]
    distributor_id: int

    def as_(self, role: str) -> dict[str, str]:
        return self.headers[role]

    def session(self) -> Session:
        return Session(self.engine)


def token_for(user_id: int, clock: Clock, *, version: int = 0) -> dict[str, str]:
    """A bearer token for the account; `version` is its token_version (bumped by a password
    change, a reset, a role change, deactivation or logout)."""
    token = security.create_access_token(
        subject=user_id, secret=SECRET, minutes=60, now=clock(), version=version
    )
    return {"Authorization": f"Bearer {token}"}


def add_user(engine: Engine, email: str, role: Role, distributor_id: int | None = None) -> int:
    with Session(engine) as session:
        user = User(
            email=email,
            role=role,
            hashed_password=security.hash_password("password-123"),
            distributor_id=distributor_id,
        )
        session.add(user)
        session.commit()
        assert user.id is not None
        return user.id


def error_code(response: object) -> str:
    body = response.json()  # type: ignore[attr-defined]
    return str(body["error"]["code"])


#: The exchange rates every test company starts with (dated long before any test period):
#: the company plan values a point in roubles and pays in a USD-pegged token, so computing a
#: period needs USD/RUB; KZT/RUB serves orders in tenge.
TEST_RATES = (("USD", "RUB", "81.2345"), ("KZT", "RUB", "0.161234"))


def seed_rates(engine: Engine, *, day: date = date(2000, 1, 3)) -> None:
    with Session(engine) as session:
        for base, quote, value in TEST_RATES:
            session.add(ExchangeRate(base=base, quote=quote, day=day, rate=value, source="test"))
        session.commit()
