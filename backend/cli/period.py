"""`lineage period`: compute a period package from a plan and inputs, verify a package, and
preview the open period of the company's database (the dashboards' estimates)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from backend.cli._memory import keep_freed_memory
from ledger.errors import LedgerError

app = typer.Typer(help="Period runs: compute packages and verify them.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Period runs: compute packages and verify them."""


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


@app.command()
def compute(
    plan: Annotated[Path, typer.Option(help="plan TOML file")],
    inputs: Annotated[Path, typer.Option(help="input directory (period.json and CSV files)")],
    out: Annotated[Path, typer.Option(help="package folder (or .zip) to write")],
) -> None:
    """Run the period and write its package; prints the payout root and the hashes."""
    # Imported in each command: numpy and the engine are not needed to parse arguments.
    from backend.packages import PackageWriter, read_dir, write_package
    from ledger.package import build_package, parse_inputs
    from ledger.plan import load_plan

    keep_freed_memory()
    try:
        plan_obj = load_plan(plan.read_bytes(), source=str(plan))
        given = parse_inputs(read_dir(inputs))
        if out.suffix == ".zip":
            files = build_package(plan=plan_obj, inputs=given)
            write_package(out, files)
        else:
            with PackageWriter(out) as writer:
                files = build_package(plan=plan_obj, inputs=given, on_file=writer.add, keep=False)
    except LedgerError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or ''}: {exc.strerror or exc}")
    from backend.core.money import format_money, reader_locale

    manifest = json.loads(files["manifest.json"])
    currency = plan_obj.currency
    total = format_money(
        manifest["payoutTotal"], currency.code, currency.decimals, locale=reader_locale()
    )
    for key in ("periodId", "payoutRoot", "payoutTotal", "leafCount"):
        value = total if key == "payoutTotal" else manifest[key]
        typer.echo(f"{key:12} {value}")
    for key in ("planHash", "inputsHash", "resultsHash"):
        typer.echo(f"{key:12} {manifest[key]}")


@app.command()
def verify(
    package: Annotated[Path, typer.Argument(help="package folder or .zip")],
) -> None:
    """Recompute a package from its plan and inputs; exit 0 only if every file matches."""
    from backend.packages import read_package
    from ledger.package import verify_package

    keep_freed_memory()
    try:
        problems = verify_package(read_package(package))
    except LedgerError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or package}: {exc.strerror or exc}")
    if problems:
        for problem in problems:
            typer.echo(f"mismatch: {problem}", err=True)
        raise typer.Exit(code=1)
    typer.echo("ok: every file and hash matches")


@app.command()
def export(
    package: Annotated[Path, typer.Argument(help="package folder or .zip")],
    out: Annotated[Path, typer.Option(help="folder for the CSV copies of the package's tables")],
) -> None:
    """Write every binary table of a package as CSV, for people and spreadsheets."""
    from backend.packages import read_package, write_package
    from ledger.package import tables_as_csv

    try:
        write_package(out, tables_as_csv(read_package(package)))
    except LedgerError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or package}: {exc.strerror or exc}")
    typer.echo(f"wrote {out}")


@app.command()
def preview(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data folder (its lineage.db). Default: var"),
    ] = None,
) -> None:
    """Preview the open period now: run the engine on its inputs so far and store every
    distributor's estimate (what the dashboards show). The worker does this on its own every
    LINEAGE_PREVIEW_MINUTES; nothing is written for the chain. Exit 1 when it was refused."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from backend.cli.rates import _engine
    from backend.core.config import Settings
    from backend.periods.preview import refresh_preview

    keep_freed_memory()
    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    engine = _engine(data_dir)
    try:
        with Session(engine) as session:
            outcome = refresh_preview(session, settings, now=datetime.now(UTC), force=True)
    finally:
        engine.dispose()
    if outcome.status == "no_open_period":
        typer.echo("no open period: nothing to preview")
    elif outcome.status == "refused":
        typer.echo(f"preview of period {outcome.period_id} refused: {outcome.message}", err=True)
        raise typer.Exit(code=1)
    else:
        typer.echo(f"period {outcome.period_id}: {outcome.distributors} distributors previewed")


@app.command()
def summaries(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Data folder (its lineage.db). Default: var"),
    ] = None,
) -> None:
    """Make the report summaries of periods computed before they existed, from their packages
    (what the worker does when it starts; the reports would otherwise make each on first
    read)."""
    from sqlmodel import Session

    from backend.cli.rates import _engine
    from backend.core.config import Settings
    from backend.periods.member_sales import make_missing

    keep_freed_memory()
    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    engine = _engine(data_dir)
    try:
        with Session(engine) as session:
            made = make_missing(session, settings)
    finally:
        engine.dispose()
    if made:
        typer.echo("summaries made for periods " + ", ".join(str(p) for p in made))
    else:
        typer.echo("every computed period has its summaries")
