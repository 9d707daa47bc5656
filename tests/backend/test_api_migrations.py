"""The migrations and the models describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from backend.bootstrap import alembic_config, migrate
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
