"""`lineage period`: compute a period package from a plan and inputs, and verify a package."""

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
