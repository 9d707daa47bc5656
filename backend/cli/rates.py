"""`lineage rates`: the dated exchange rates finance keeps (import the CBR's daily file, list).

Both commands use the database `lineage run` uses (the data folder's SQLite, or
LINEAGE_DATABASE_URL) and need it migrated (`lineage run` does that on every start). Exit 0 on
success, 2 with a message on bad input (a file that is not a usable XML_daily file, a rate that
conflicts with a stored one, a bad date, no database).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

app = typer.Typer(help="Dated exchange rates: import and list.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (its lineage.db). Default: var"),
]


@app.callback()
def _group() -> None:
    """Dated exchange rates: import the Central Bank of Russia's daily file, list them."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _engine(data_dir: Path | None) -> Engine:
    from pydantic import ValidationError
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from backend.core.config import Settings
    from backend.core.db import make_engine

    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        _fail(f"bad setting: {exc}")
    url = settings.resolved_database_url
    database = make_url(url).database
    if url.startswith("sqlite") and database and not Path(database).exists():
        _fail(f"no database at {database}: start `lineage run` once (it creates and migrates it)")
    engine = make_engine(url)
    try:
        migrated = inspect(engine).has_table("exchange_rate")
    except Exception as exc:  # noqa: BLE001 (any driver error: unreachable, refused, ...)
        engine.dispose()
        _fail(f"cannot open the database: {str(exc).splitlines()[0]}")
    if not migrated:
        engine.dispose()
        _fail("the database has no exchange_rate table: start `lineage run` once to migrate it")
    return engine


@app.command("import-cbr")
def import_cbr(
    file: Annotated[Path, typer.Argument(help="the XML_daily file as cbr.ru serves it")],
    data_dir: DataDir = None,
) -> None:
    """Store every rate of a CBR XML_daily file (to RUB, on the file's date): all or nothing.
    Rates already stored with the same value are counted, not written again."""
    from sqlmodel import Session

    from backend.core.errors import AppError
    from backend.rates import service as rates

    try:
        content = file.read_bytes()
    except OSError as exc:
        _fail(f"{file}: {exc.strerror or exc}")
    engine = _engine(data_dir)
    try:
        with Session(engine) as session:
            result = rates.import_cbr(session, content)
    except AppError as exc:
        _fail(f"{file}: {exc.message}")
    finally:
        engine.dispose()
    typer.echo(
        f"{result.source}: {result.added} rates added, {result.already_present} already present"
    )


@app.command("list")
def list_rates(
    on: Annotated[
        str | None,
        typer.Option(help="the rates in force on this day (YYYY-MM-DD): each pair's latest"),
    ] = None,
    base: Annotated[str | None, typer.Option(help="only this base currency (USD)")] = None,
    quote: Annotated[str | None, typer.Option(help="only this quote currency (RUB)")] = None,
    limit: Annotated[int, typer.Option(help="at most this many rows", min=1)] = 200,
    data_dir: DataDir = None,
) -> None:
    """Print stored rates, newest day first (with --on: the rates in force that day)."""
    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session

    from backend.core.errors import AppError
    from backend.rates import service as rates

    day = None
    if on is not None:
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            _fail(f"--on {on!r} is not a date like 2026-03-31")
    engine = _engine(data_dir)
    try:
        with Session(engine) as session:
            rows, total = rates.list_rates(session, base=base, quote=quote, on=day, limit=limit)
    except AppError as exc:
        _fail(exc.message)
    finally:
        engine.dispose()
    title = f"Rates in force on {day.isoformat()}" if day else "Exchange rates, newest first"
    table = Table(title=f"{title} ({len(rows)} of {total})")
    for name in ("Base", "Quote", "Day", "Rate", "Source"):
        table.add_column(name, justify="right" if name == "Rate" else "left")
    for row in rows:
        table.add_row(row.base, row.quote, row.day.isoformat(), row.rate, row.source)
    Console(width=120).print(table)
