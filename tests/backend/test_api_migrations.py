"""The migrations and the models describe the same schema."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import DEFAULT_PG
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, col, select

from backend.bootstrap import alembic_config, migrate
from backend.chain_jobs import AnchorJob, ChainJob, FundJob, PayJob, PlaceJob
from backend.core.db import make_engine
from backend.migrations_support import include_object


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": include_object},
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ; generate a migration: {diff}"


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    before = sorted(inspect(engine).get_table_names())
    migrate(engine)
    assert sorted(inspect(engine).get_table_names()) == before
    assert "alembic_version" in before


def test_0002_numbers_existing_placements(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with engine.begin() as connection:
        for node, parent, when in (
            (1, None, "2026-01-01"),
            (3, 1, "2026-01-03"),
            (2, 1, "2026-01-02"),
        ):
            connection.execute(
                text(
                    "INSERT INTO distributor (id, first_name, last_name, referral_code, status,"
                    " search_name, enrolled_at, status_changed_at) VALUES"
                    " (:id, 'a', 'b', :code, 'active', 'a b', :at, :at)"
                ),
                {"id": node, "code": f"C{node}", "at": when},
            )
            connection.execute(
                text(
                    "INSERT INTO placement (distributor_id, parent_id, position, strategy,"
                    " chain_status, placed_at) VALUES (:id, :parent, :pos, 'x', 'pending', :at)"
                ),
                {"id": node, "parent": parent, "pos": node - 2 if parent else 0, "at": when},
            )
    migrate(engine)
    with engine.connect() as connection:
        seqs = dict(connection.execute(text("SELECT distributor_id, seq FROM placement")).all())
        state = connection.execute(text("SELECT placement_seq FROM genealogy_state")).scalar()
    engine.dispose()
    assert seqs == {1: 1, 2: 2, 3: 3}
    assert state == 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no migration run yet) on each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'blank.db'}")
        yield engine
        engine.dispose()
        return
    url = make_url(os.environ.get("LINEAGE_TEST_POSTGRES_URL", DEFAULT_PG))
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"lineage_blank_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_0010_moves_every_chain_row_into_chain_job(blank_engine: Engine) -> None:
    """Placements, period jobs and payout batches in every status move, in order, with their
    hashes and nonces; the old tables are gone."""
    config = alembic_config(blank_engine)
    with blank_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
    at = "2026-05-01 10:00:00"
    sent_hash, done_hash = "0x" + "ab" * 32, "0x" + "cd" * 32
    with blank_engine.begin() as connection:
        for number, (status, tx, nonce) in enumerate(
            [("confirmed", done_hash, 1), ("sent", sent_hash, 7), ("queued", None, None)]
            + [("failed", None, None)],
            start=1,
        ):
            connection.execute(
                text(
                    "INSERT INTO chain_intent (kind, payload, status, subject_id, tx_hash, nonce,"
                    " attempts, last_error, created_at, updated_at) VALUES ('place', :payload,"
                    " :status, :id, :tx, :nonce, 1, :error, :at, :at)"
                ),
                {
                    "payload": json.dumps({"id": number, "sponsor": 1, "parent": 1, "position": 0}),
                    "status": status,
                    "id": number,
                    "tx": tx,
                    "nonce": nonce,
                    "error": "UnknownParent(parent=9)" if status == "failed" else None,
                    "at": at,
                },
            )
        connection.execute(
            text(
                "INSERT INTO period (id, start_day, end_day, status, computations, opened_at)"
                " VALUES (1, 0, 30, 'paying', 1, :at)"
            ),
            {"at": at},
        )
        connection.execute(
            text(
                "INSERT INTO period_chain_job (kind, period_id, amount, status, tx_hash, nonce,"
                " block_number, created_at, updated_at) VALUES"
                " ('anchor', 1, NULL, 'confirmed', :tx, 2, 5, :at, :at),"
                " ('fund', NULL, 900, 'sent', :sent, 8, NULL, :at, :at)"
            ),
            {"tx": done_hash, "sent": sent_hash, "at": at},
        )
        for seq, status, tx, nonce in ((1, "confirmed", done_hash, 3), (2, "sent", sent_hash, 9)):
            connection.execute(
                text(
                    "INSERT INTO period_batch (period_id, seq, indices, amount, status, tx_hash,"
                    " nonce, paid, failed, skipped, created_at, updated_at) VALUES (1, :seq,"
                    " :indices, 40, :status, :tx, :nonce, :paid, :none, :none, :at, :at)"
                ),
                {
                    "seq": seq,
                    "indices": json.dumps([seq * 2, seq * 2 + 1]),
                    "status": status,
                    "tx": tx,
                    "nonce": nonce,
                    "paid": json.dumps([seq * 2, seq * 2 + 1]) if status == "confirmed" else None,
                    "none": None,
                    "at": at,
                },
            )
        connection.execute(
            text(
                "INSERT INTO period_batch (period_id, seq, indices, amount, status, created_at,"
                " updated_at) VALUES (1, 3, :indices, 20, 'planned', :at, :at)"
            ),
            {"indices": json.dumps([6]), "at": at},
        )
    migrate(blank_engine)
    with Session(blank_engine) as session:
        jobs = list(session.exec(select(ChainJob).order_by(col(ChainJob.id))))
    tables = set(inspect(blank_engine).get_table_names())
    assert not tables & {"chain_intent", "period_chain_job", "period_batch"}
    summary = [(j.kind, j.status, j.subject_id, j.amount, j.tx_hash, j.nonce) for j in jobs]
    assert summary == [
        ("place", "confirmed", 1, None, done_hash, 1),
        ("place", "sent", 2, None, sent_hash, 7),
        ("place", "queued", 3, None, None, None),
        ("place", "failed", 4, None, None, None),
        ("anchor", "confirmed", 1, None, done_hash, 2),
        ("fund", "sent", None, 900, sent_hash, 8),
        ("pay", "confirmed", 1, 40, done_hash, 3),
        ("pay", "sent", 1, 40, sent_hash, 9),
        ("pay", "queued", 1, 20, None, None),
    ]
    assert jobs[3].note == "UnknownParent(parent=9)"
    assert jobs[0].place() == PlaceJob(id=1, sponsor=1, parent=1, position=0)
    assert jobs[4].anchor() == AnchorJob(period_id=1)
    assert jobs[5].fund() == FundJob(amount=900)
    assert jobs[7].pay() == PayJob(period_id=1, seq=2, indices=[4, 5], amount=40)
    assert jobs[6].result == {"paid": [2, 3], "failed": None, "skipped": None}
    assert jobs[0].created_at.tzinfo is not None and jobs[6].confirmed_at is not None


def test_0012_splits_list_prices_and_backfills_order_lines(blank_engine: Engine) -> None:
    """A list's old single price becomes both its retail and wholesale price; an existing
    order line gets the unit prices the period snapshot used to read (charged side: the line's
    unit price; other side: the product's price) and its VAT at the standard rate on the
    order's date; the downgrade restores the single price."""
    config = alembic_config(blank_engine)
    with blank_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    at, later = "2025-12-31 23:00:00", "2026-01-01 00:00:00"
    statements = [
        "INSERT INTO app_user (id, email, hashed_password, role, is_active, created_at)"
        " VALUES (1, 'a@example.com', 'x', 'admin', true, :at)",
        "INSERT INTO distributor (id, first_name, last_name, referral_code, status, search_name,"
        " enrolled_at, status_changed_at) VALUES (1, 'a', 'b', 'C1', 'active', 'a b', :at, :at)",
        "INSERT INTO warehouse (id, code, name, active, created_at)"
        " VALUES (1, 'MSK', 'Moscow', true, :at)",
        "INSERT INTO product (id, sku, name_ru, name_en, description_ru, description_en,"
        " category, retail_price, wholesale_price, currency, pv, cv, active, created_at,"
        " updated_at) VALUES (1, 'TEA', 'Чай', 'Tea', '', '', 'product', 1220000, 1000000,"
        " 'RUB', 1, 1, true, :at, :at)",
        "INSERT INTO price_list (id, name, currency, active, created_at)"
        " VALUES (1, 'Promo', 'RUB', true, :at)",
        "INSERT INTO price_list_item (id, price_list_id, product_id, price) VALUES (1, 1, 1, 900)",
        "INSERT INTO retail_customer (id, first_name, last_name, distributor_id, created_at)"
        " VALUES (1, 'c', 'd', 1, :at)",
    ]
    for order_id, customer, when in ((1, None, at), (2, 1, later)):
        statements.append(
            "INSERT INTO sales_order (id, distributor_id, customer_id, warehouse_id, status,"
            " currency, total_amount, total_pv, total_cv, created_by, created_at) VALUES"
            f" ({order_id}, 1, {customer or 'NULL'}, 1, 'placed', 'RUB', 1220000, 1, 1, 1,"
            f" '{when}')"
        )
        statements.append(
            "INSERT INTO order_line (id, order_id, line_no, product_id, sku, quantity,"
            " unit_price, amount, pv, cv, returned_quantity, clawback) VALUES"
            f" ({order_id}, {order_id}, 1, 1, 'TEA', 1, 1220000, 1220000, 1, 1, 0, false)"
        )
    with blank_engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"at": at})
    migrate(blank_engine)
    with blank_engine.connect() as connection:
        item = connection.execute(
            text("SELECT retail_price, wholesale_price FROM price_list_item")
        ).one()
        lines = connection.execute(
            text(
                "SELECT retail_unit, wholesale_unit, vat_category, vat_rate_bp, net, vat, gross"
                " FROM order_line ORDER BY id"
            )
        ).all()
        rates = connection.execute(
            text("SELECT category, rate_bp, valid_from, valid_to FROM vat_rate ORDER BY id")
        ).all()
    assert tuple(item) == (900, 900)
    # 12 200,00 RUB gross: at 20 % (2025-12-31) VAT = 12 200,00 x 20/120 = 2 033,33;
    # at 22 % (2026-01-01) VAT = 12 200,00 x 22/122 = 2 200,00.
    assert [tuple(line) for line in lines] == [
        (1220000, 1220000, "standard", 2000, 1016667, 203333, 1220000),
        (1220000, 1000000, "standard", 2200, 1000000, 220000, 1220000),
    ]
    assert [(c, r) for c, r, _, _ in rates] == [
        ("standard", 2000),
        ("standard", 2200),
        ("reduced", 1000),
        ("zero", 0),
        ("exempt", 0),
    ]
    with blank_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    with blank_engine.connect() as connection:
        assert connection.execute(text("SELECT price FROM price_list_item")).scalar() == 900
        assert "vat_rate" not in inspect(connection).get_table_names()
