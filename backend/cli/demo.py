"""`lineage demo`: a realistic company on the embedded defaults, every period closed and paid.

Starts (or reuses) the data folder's Ganache, deploys the contracts, then creates and closes
the company (see `backend.dev.demo.runner`). `lineage run --data-dir DIR` serves it afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="An empty data folder for the demo company. Default: var"),
]
Count = Annotated[int, typer.Option("--distributors", help="How many distributors.", min=1)]
Periods = Annotated[
    int, typer.Option("--periods", help="Months of history, each closed and paid.", min=1, max=24)
]
Seed = Annotated[int, typer.Option(help="Seed of the generator (same seed, same company).")]
ChainPort = Annotated[int, typer.Option(help="Port of the managed Ganache.", min=1, max=65535)]
Currency = Annotated[
    str,
    typer.Option(
        "--currency",
        help="USD: the company plan, every partner paid in a USD-pegged token. RUB: a rouble "
        "company, paid in roubles with NDFL withheld from individuals, most partners by bank "
        "transfer (attested on chain), a few in a RUB-pegged token.",
        case_sensitive=False,
    ),
]


def demo(
    data_dir: DataDir = None,
    distributors: Count = 2000,
    periods: Periods = 3,
    seed: Seed = 2024,
    chain_port: ChainPort = 8545,
    currency: Currency = "USD",
) -> None:
    """Create a demo company (default 2,000 distributors, 3 months) and close every period."""
    from pydantic import ValidationError

    from backend.chain.gateway import ChainError
    from backend.cli.run import _fail, open_chain
    from backend.core.config import Settings
    from backend.core.errors import AppError
    from backend.dev.demo.rub import install_plan
    from backend.dev.demo.runner import CURRENCIES, DemoError, DemoOptions, run_demo

    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        raise _fail(f"bad setting: {exc}") from None
    currency = currency.upper()
    if currency not in CURRENCIES:
        raise _fail(f"--currency: {' or '.join(CURRENCIES)}, not {currency}")
    installed = None
    if currency == "RUB":
        try:  # before the chain: a fresh deployment takes the token of the plan's currency
            installed = install_plan(settings.data_dir)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    node = None
    started = False
    try:
        node, gateway = open_chain(settings, rpc=None, chain_port=chain_port)
        options = DemoOptions(
            distributors=distributors, periods=periods, seed=seed, currency=currency
        )
        started = True
        run_demo(settings, gateway, options)
    except (ChainError, DemoError) as exc:
        raise _fail(getattr(exc, "reason", None) or str(exc)) from None
    except AppError as exc:
        raise _fail(exc.message) from None
    except KeyboardInterrupt:
        raise typer.Exit(code=130) from None
    finally:
        if installed is not None and not started:
            installed.unlink()  # refused before it began: the folder as it was found
        if node is not None and not node.reused:
            typer.echo("chain: stopping the managed Ganache")
            node.stop()
    typer.echo(f"serve it with: lineage run --data-dir {settings.data_dir}")
