"""The `lineage` command line: one Typer app, one module per command group.

Each group lives in its own module (`merkle.py`, `period.py`, ...) and is registered below,
so adding a group never touches another group's code.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="lineage",
    help="Lineage back office: genealogy and payouts on chain, commissions off chain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    # Imported here so that `lineage --help` stays fast and one broken group names itself.
    from backend.cli import merkle

    app.add_typer(merkle.app, name="merkle")
    app.add_typer(__import__("backend.cli.period", fromlist=["app"]).app, name="period")
    app.add_typer(__import__("backend.cli.bench", fromlist=["app"]).app, name="bench")
    app.add_typer(__import__("backend.cli.rates", fromlist=["app"]).app, name="rates")
    app.command(name="run")(__import__("backend.cli.run", fromlist=["run"]).run)
    app.command(name="worker")(__import__("backend.cli.worker", fromlist=["worker"]).worker)
    app.command(name="audit")(__import__("backend.cli.audit", fromlist=["audit"]).audit)
    app.command(name="demo")(__import__("backend.cli.demo", fromlist=["demo"]).demo)


def main() -> None:
    _register()
    from backend.core.recursion import lower_recursion_limit

    # Whatever raised it on import (py_ecc, through web3) is undone before any command runs;
    # `lineage run` lowers it again after its own imports, where the app is created.
    lower_recursion_limit()
    app()
