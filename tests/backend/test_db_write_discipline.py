"""The write discipline in backend/core/db.py: BEGIN IMMEDIATE on SQLite (busy_timeout still
waits for it, reads stay concurrent), savepoints under the pysqlite recipe, compare_and_set, and
the constraints that are the last line, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend import chain_jobs
from backend.catalog.models import Product
from backend.chain_jobs import AnchorJob, FundJob
from backend.core.db import SQLITE_BEGIN, begin_write, compare_and_set, snapshot_read
from backend.core.errors import install_error_handlers
from backend.periods.models import Period
from backend.stock.models import StockItem, Warehouse

WAREHOUSE = Warehouse.metadata.tables["warehouse"]


@pytest.fixture
def warehouse(engine: Engine) -> Iterator[int]:
    with Session(engine) as session:
        row = Warehouse(code="MSK", name="Moscow")
        session.add(row)
        session.commit()
        assert row.id is not None
        yield row.id


def name_of(engine: Engine, warehouse_id: int) -> str:
    with engine.connect() as conn:
        query = text("SELECT name FROM warehouse WHERE id = :id")
        return str(conn.execute(query, {"id": warehouse_id}).scalar_one())


def test_compare_and_set_writes_only_while_what_was_read_still_holds(
    engine: Engine, warehouse: int
) -> None:
    with Session(engine) as session:
        where = {"id": warehouse, "name": "Moscow"}
        assert compare_and_set(session, WAREHOUSE, where=where, values={"name": "Tver"})
        assert not compare_and_set(session, WAREHOUSE, where=where, values={"name": "Kazan"})
        session.commit()
    assert name_of(engine, warehouse) == "Tver"


def test_compare_and_set_refuses_no_condition_and_a_multi_row_match(
    engine: Engine, warehouse: int
) -> None:
    with Session(engine) as session:
        with pytest.raises(ValueError):
            compare_and_set(session, WAREHOUSE, where={}, values={"name": "x"})
        session.add(Warehouse(code="SPB", name="Moscow"))
        session.flush()
        with pytest.raises(RuntimeError, match="matched 2 rows"):
            compare_and_set(session, WAREHOUSE, where={"name": "Moscow"}, values={"name": "x"})
        session.rollback()
    assert name_of(engine, warehouse) == "Moscow"


def test_savepoints_roll_back_alone(engine: Engine, warehouse: int) -> None:
    with Session(engine) as session:
        begin_write(session)
        session.add(Warehouse(code="KEEP", name="kept"))
        nested = session.begin_nested()
        session.add(Warehouse(code="DROP", name="dropped"))
        session.flush()
        nested.rollback()
        session.commit()
    with Session(engine) as session:
        codes = set(session.exec(select(Warehouse.code)))
    assert codes == {"MSK", "KEEP"}


def test_begin_write_keeps_objects_of_an_expiring_session_usable(
    engine: Engine, warehouse: int
) -> None:
    with Session(engine) as session:  # expire_on_commit=True, the default
        row = session.get(Warehouse, warehouse)
        assert row is not None
        begin_write(session)
        row.name = "Tver"
        session.add(row)
        session.commit()
        assert row.name == "Tver"  # reloaded after the commit expired it
        begin_write(session)
        session.rollback()
    assert name_of(engine, warehouse) == "Tver"


def sqlite_only(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")


def test_a_write_unit_waits_for_another_within_busy_timeout(engine: Engine, warehouse: int) -> None:
    sqlite_only(engine)
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with Session(engine) as session:
            begin_write(session)
            holding.set()
            time.sleep(0.3)
            compare_and_set(session, WAREHOUSE, where={"id": warehouse}, values={"name": "A"})
            order.append("first")
            session.commit()

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(5)
    started = time.monotonic()
    with Session(engine) as session:
        # A read while the lock is held neither waits nor sees the uncommitted change.
        assert session.exec(select(Warehouse.name)).one() == "Moscow"
        assert time.monotonic() - started < 0.2
        begin_write(session)  # waits (busy_timeout) for the first unit instead of failing
        waited = time.monotonic() - started
        assert session.exec(select(Warehouse.name)).one() == "A"
        order.append("second")
        session.commit()
    thread.join()
    assert order == ["first", "second"]
    assert waited > 0.15


def test_reads_outside_a_write_unit_hold_no_snapshot(engine: Engine, warehouse: int) -> None:
    """The lazy DEFERRED begin: a session that read and then writes never upgrades an old
    snapshot (SQLite would answer "database is locked" at once, whatever busy_timeout)."""
    sqlite_only(engine)
    with Session(engine) as reader:
        assert reader.exec(select(Warehouse.name)).one() == "Moscow"
        assert not reader.connection().connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
        with Session(engine) as other:
            compare_and_set(other, WAREHOUSE, where={"id": warehouse}, values={"name": "B"})
            other.commit()
        assert compare_and_set(reader, WAREHOUSE, where={"name": "B"}, values={"name": "C"})
        reader.commit()
    assert name_of(engine, warehouse) == "C"


def test_the_execution_option_begins_immediate(engine: Engine) -> None:
    sqlite_only(engine)
    with engine.connect() as conn:
        conn = conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        with conn.begin():
            assert conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    with engine.connect() as conn, conn.begin():
        assert not conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]


def stock_item(engine: Engine, warehouse: int) -> None:
    with Session(engine) as session:
        product = Product(
            sku="TEA", name_ru="Чай", name_en="Tea", retail_price=1, wholesale_price=1,
            currency="RUB", pv=0, cv=0,
        )  # fmt: skip
        session.add(product)
        session.flush()
        assert product.id is not None
        session.add(StockItem(warehouse_id=warehouse, product_id=product.id, on_hand=5))
        session.commit()


@pytest.mark.parametrize(
    ("on_hand", "reserved"), [(-1, 0), (5, -1), (5, 6)], ids=["negative", "minus", "over"]
)
def test_stock_levels_cannot_be_written_out_of_bounds(
    engine: Engine, warehouse: int, on_hand: int, reserved: int
) -> None:
    stock_item(engine, warehouse)
    with Session(engine) as session:
        item = session.exec(select(StockItem)).one()
        item.on_hand, item.reserved = on_hand, reserved
        session.add(item)
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_period_has_one_live_anchor_job(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Period(id=1, start_day=0, end_day=30))
        chain_jobs.enqueue(session, AnchorJob(period_id=1)).status = chain_jobs.JobStatus.failed
        chain_jobs.enqueue(session, AnchorJob(period_id=1))
        chain_jobs.enqueue(session, FundJob(amount=5))
        chain_jobs.enqueue(session, FundJob(amount=5))
        session.commit()
        chain_jobs.enqueue(session, AnchorJob(period_id=1))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
    answer = _answer_for(caught.value)
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == (
        "this period already has an anchor job queued or sent"
    )


def _answer_for(exc: Exception) -> Any:
    """What the API answers when a service lets this IntegrityError through."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False).get("/boom")


def test_a_snapshot_read_sees_one_moment_and_blocks_no_writer(
    engine: Engine, warehouse: int
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        with snapshot_read(session):
            assert session.exec(select(Warehouse.name)).one() == "Moscow"
            with Session(engine) as writer:
                begin_write(writer)  # not blocked by the open read
                compare_and_set(writer, WAREHOUSE, where={"id": warehouse}, values={"name": "X"})
                writer.commit()
            assert session.exec(select(Warehouse.name)).one() == "Moscow"
        assert not compare_and_set(
            session, WAREHOUSE, where={"id": warehouse, "name": "Moscow"}, values={"name": "Y"}
        )
        session.rollback()
    assert name_of(engine, warehouse) == "X"
