"""Gap-free numbering under concurrency, on SQLite and PostgreSQL: twenty threads issue the
invoices of twenty orders (one series: invoices, the company's INN, this year) at once and get
the numbers 1..20, each once; a failed issue (render error) leaves no gap."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from documents_kit import make_order, set_company
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.core.model_base import Language, Role
from backend.documents import service, store
from backend.documents.models import Document, DocumentCounter
from backend.documents.render import RenderError
from backend.genealogy.models import Distributor

NOW = datetime(2026, 5, 14, 9, 30, tzinfo=UTC)


@pytest.fixture
def finance(engine: Engine) -> User:
    with Session(engine) as session:
        user = User(email="finance@example.com", role=Role.finance, hashed_password="x")
        root = Distributor(
            first_name="Root", last_name="Partner", referral_code="ROOT1", search_name="root"
        )
        session.add_all([user, root])
        session.commit()
        session.refresh(user)
        return user


def test_twenty_concurrent_issues_get_one_to_twenty(engine: Engine, finance: User) -> None:
    set_company(engine)
    orders = [_order(engine, 1, i) for i in range(20)]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []
    numbers: dict[int, int] = {}

    def issue(order_id: int) -> None:
        try:
            with Session(engine) as session:
                barrier.wait(timeout=30)
                document = service.issue_invoice(
                    session, order_id, language=Language.ru, actor=finance, now=NOW
                )
                numbers[order_id] = document.number
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(order_id,)) for order_id in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(numbers.values()) == list(range(1, 21))
    with Session(engine) as session:
        counter = session.get(DocumentCounter, ("invoice", "7701000001", 2026))
        assert counter is not None and counter.last_number == 20
        stored = session.exec(select(Document.number, Document.order_id)).all()
        assert {order: number for number, order in stored} == numbers


def test_a_failed_issue_leaves_no_gap(
    engine: Engine, finance: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_company(engine)
    first, second = _order(engine, 1, 0), _order(engine, 1, 1)

    def broken(data: object) -> bytes:
        raise RenderError("broken template")

    with Session(engine) as session:
        monkeypatch.setattr(store, "render_pdf", broken)
        with pytest.raises(RenderError):
            service.issue_invoice(session, first, language=Language.ru, actor=finance, now=NOW)
        session.rollback()
        monkeypatch.undo()
        done = service.issue_invoice(session, second, language=Language.ru, actor=finance, now=NOW)
        assert done.number == 1  # the failed issue's number was rolled back with it
        assert session.exec(select(Document)).all() == [done]


def _order(engine: Engine, distributor_id: int, index: int) -> int:
    return make_order(engine, distributor_id, tag=str(index))
