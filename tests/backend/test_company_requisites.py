"""The company's details (`backend.company.requisites`) on SQLite and PostgreSQL: saved all
together with their checks, each change in the admin log, cleared details missing again, and
`missing` naming what a document needs and lacks."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from bankfile_kit import COMPANY
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.admin_log.models import AdminLogEntry
from backend.company import requisites
from backend.company.models import CompanyRequisite
from backend.core.errors import Invalid
from backend.core.model_base import Role

AT = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
FORM = {name: value or "" for name, value in COMPANY.as_dict().items()}


@pytest.fixture
def admin(engine: Engine) -> User:
    with Session(engine) as session:
        user = User(email="boss@example.com", role=Role.admin, hashed_password="x")
        session.add(user)
        session.commit()
        session.refresh(user)
        return user


def logged(session: Session) -> list[AdminLogEntry]:
    query = select(AdminLogEntry).where(col(AdminLogEntry.target).startswith("setting:requisites."))
    return list(session.exec(query.order_by(col(AdminLogEntry.seq))))


def test_details_are_saved_read_back_and_logged(engine: Engine, admin: User) -> None:
    with Session(engine) as session:
        assert requisites.requisites(session) == requisites.CompanyRequisites()
        typed = {**FORM, "account": "4070 2810 9380 0001 2345", "legal_name": " ООО  «Линия» "}
        changed = requisites.change(session, typed, actor=admin, now=AT)
        assert changed == [name for name, value in FORM.items() if value]
        assert requisites.requisites(session) == COMPANY
        entries = logged(session)
        assert [entry.target for entry in entries] == [f"setting:requisites.{n}" for n in changed]
        assert json.loads(entries[7].payload) == {"old": None, "new": COMPANY.account}
        verified = admin_log.verify(session)
        assert verified.ok and verified.entries == len(changed)
        # The same form again changes nothing and logs nothing.
        assert requisites.change(session, typed, actor=admin, now=AT) == []
        assert len(logged(session)) == len(changed)


def test_a_change_and_a_clearing_are_logged_with_old_and_new(engine: Engine, admin: User) -> None:
    with Session(engine) as session:
        requisites.change(session, FORM, actor=admin, now=AT)
        later = {**FORM, "director": "Сидорова Е. Ж.", "chief_accountant": ""}
        assert requisites.change(session, later, actor=admin, now=AT) == [
            "director",
            "chief_accountant",
        ]
        payloads = [json.loads(entry.payload) for entry in logged(session)[-2:]]
        assert payloads == [
            {"old": "Иванова А. Б.", "new": "Сидорова Е. Ж."},
            {"old": "Петров В. Г.", "new": None},
        ]
        assert session.get(CompanyRequisite, "chief_accountant") is None
        now = requisites.requisites(session)
        assert requisites.missing(now, ("director", "chief_accountant")) == ["chief_accountant"]
        (state,) = [s for s in requisites.states(session) if s.name == "director"]
        assert state.changed_by == "boss@example.com" and state.value == "Сидорова Е. Ж."


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({"inn": "7701000002"}, {"inn": "checksum"}),
        ({"kpp": ""}, {"kpp": "kpp_required"}),
        ({"inn": "500100732259"}, {"kpp": "kpp_not_allowed"}),
        ({"bik": "044525974"}, {"account": "checksum", "corr_account": "checksum"}),
        ({"account": "4070281093800001234"}, {"account": "format"}),
        ({"ogrn": "1027700000009"}, {"ogrn": "checksum"}),
        ({"legal_name": "О" * 301}, {"legal_name": "too_long"}),
    ],
)
def test_wrong_details_are_refused_together_and_nothing_is_written(
    engine: Engine, admin: User, changes: dict[str, str], problems: dict[str, str]
) -> None:
    with Session(engine) as session:
        with pytest.raises(Invalid) as refused:
            requisites.change(session, {**FORM, **changes}, actor=admin, now=AT)
        assert refused.value.code == "requisites" and refused.value.details == problems
        assert session.exec(select(CompanyRequisite)).all() == []
        assert logged(session) == []


def test_unknown_names_are_refused(engine: Engine, admin: User) -> None:
    with Session(engine) as session, pytest.raises(Invalid) as refused:
        requisites.change(session, {**FORM, "swift": "SABRRUMM"}, actor=admin, now=AT)
    assert refused.value.code == "unknown_requisite"


def test_missing_lists_what_a_document_needs_in_its_order() -> None:
    partial = replace(COMPANY, kpp=None, bik=None, director=None)
    assert requisites.missing(partial, requisites.payer_needs(partial)) == ["bik", "kpp"]
    assert requisites.missing(COMPANY, requisites.payer_needs(COMPANY)) == []
    entrepreneur = replace(COMPANY, inn="500100732259", kpp=None)
    assert "kpp" not in requisites.payer_needs(entrepreneur)
    with pytest.raises(ValueError, match="not company details: swift"):
        requisites.missing(COMPANY, ["swift"])
