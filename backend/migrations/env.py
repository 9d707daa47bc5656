"""Alembic environment: migrations are generated from `SQLModel.metadata`.

`backend.bootstrap.migrate` hands in an open connection (`config.attributes["connection"]`);
the `alembic` command line falls back to the URL from the service settings.
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import backend.db_models  # noqa: F401  (registers every table)
from backend.core.config import get_settings
from backend.core.db import make_engine
from backend.migrations_support import include_object

target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: object, _context: object) -> str | Literal[False]:
    # SQLModel's AutoString is a plain VARCHAR; render it so migrations need no sqlmodel import.
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_object=include_object,
        render_item=_render_item,
        # SQLite cannot ALTER constraints in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().resolved_database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=get_settings().resolved_database_url,
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
