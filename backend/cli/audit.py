"""`lineage audit PACKAGE_DIR`: recompute a period package and check it against the chain.

Exit 0 when everything matches, 1 with a report of every divergence, 2 when the package or the
chain cannot be used at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from backend.cli._memory import keep_freed_memory

if TYPE_CHECKING:
    from backend.audit import AuditReport

DEFAULT_RECORD = Path("var") / "deployment.json"


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def audit(
    package: Annotated[Path, typer.Argument(help="period package folder or .zip")],
    rpc: Annotated[
        str | None, typer.Option(help="JSON-RPC URL of the chain (default: the record's)")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="data folder: reads <dir>/deployment.json and its rpcUrl")
    ] = None,
    deployment: Annotated[
        Path | None, typer.Option(help="deployment record (default var/deployment.json)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    bank_statement: Annotated[
        list[Path] | None,
        typer.Option(
            "--bank-statement",
            help="the bank's statement (1CClientBankExchange) to check each attested bank "
            "line's payment reference against; repeat for several",
        ),
    ] = None,
    salt_file: Annotated[
        Path | None,
        typer.Option(
            help="the company's payment reference salt, hex (default: LINEAGE_PAYMENT_REF_SALT)"
        ),
    ] = None,
) -> None:
    """Recompute a period package and check it against the chain: hashes and root against
    PeriodAnchor, payments by rail (token push, claim, bank attestation) against the package's
    leaves, genealogy against Placed events; with --bank-statement, each attested line's
    reference against the bank's executed payment."""
    # Imported here: web3 and the audit reader cost seconds that `lineage --help` must not pay.
    from backend.audit import AuditInputError, audit_package
    from backend.audit.bank import load_salt, load_statements
    from backend.audit.connect import load_deployment, open_reader
    from backend.chain.gateway import ChainError
    from backend.packages import read_package

    keep_freed_memory()
    if rpc is not None and data_dir is not None:
        _fail("give --rpc or --data-dir, not both")
    if data_dir is not None and deployment is None:
        record_path = data_dir / "deployment.json"
    else:
        record_path = deployment or DEFAULT_RECORD
    if not package.exists():
        _fail(f"{package}: no such package folder or file")
    try:
        if salt_file is not None and not bank_statement:
            _fail("--salt-file is only used with --bank-statement")
        statements = load_statements(bank_statement or [])
        salt = load_salt(salt_file) if statements else None
        files = read_package(package)
        reader = open_reader(load_deployment(record_path), rpc)
        report = audit_package(files, reader, statements=statements, salt=salt)
    except AuditInputError as exc:
        _fail(str(exc))
    except ChainError as exc:
        _fail(str(exc).splitlines()[0])
    except OSError as exc:
        _fail(f"{exc.filename or package}: {exc.strerror or exc}")
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        _print(report, package)
    raise typer.Exit(code=0 if report.ok else 1)


def _print(report: AuditReport, package: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    facts = ", ".join(f"{k} {v}" for k, v in report.facts.items())
    console.print(f"audit of {package}: {facts}")
    summary = Table("check", "result")
    for check, count in report.count_by_check().items():
        summary.add_row(check, "ok" if count == 0 else f"{count} finding(s)")
    console.print(summary)
    if report.ok:
        console.print("ok: the package matches the chain")
        return
    table = Table()
    for name in ("check", "kind", "subject", "field", "expected", "found", "note"):
        table.add_column(name, overflow="fold")  # hashes and tx ids in full, never cut
    for f in report.findings:
        table.add_row(f.check, f.kind, f.subject, f.field, f.expected, f.found, f.note)
    console.print(table)
    console.print(f"FAILED: {len(report.findings)} finding(s)")
