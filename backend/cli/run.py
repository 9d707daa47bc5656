"""`lineage run`: the whole service on the embedded defaults, with no configuration.

Starts (or reuses) the data folder's Ganache unless `--rpc` names a chain, deploys the
contracts on first start, migrates and seeds the database, then serves the API with the chain
writer running beside it. Ctrl-C stops the server, then the writer, then the Ganache it started.
"""

from __future__ import annotations

import logging
import signal
import socket
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from fastapi import FastAPI

    from backend.chain.gateway import ChainGateway
    from backend.core.config import Settings
    from backend.dev.devchain import ManagedGanache

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (SQLite, chain, secrets). Default: var"),
]
Host = Annotated[str, typer.Option(help="Address the API listens on.")]
Port = Annotated[int, typer.Option(help="Port the API listens on.", min=1, max=65535)]
Rpc = Annotated[
    str | None,
    typer.Option(
        help="JSON-RPC URL of an external chain (Anvil, a testnet) instead of the managed "
        "Ganache; the writer's key comes from LINEAGE_CHAIN_KEY.",
        envvar="LINEAGE_RPC_URL",
    ),
]
ChainPort = Annotated[int, typer.Option(help="Port of the managed Ganache.", min=1, max=65535)]
NoDemo = Annotated[
    bool,
    typer.Option(
        "--no-demo",
        help="Start with an empty company. Without it, an empty data folder on the managed "
        "chain first gets a demo company (never with --rpc).",
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def run(
    data_dir: DataDir = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    rpc: Rpc = None,
    chain_port: ChainPort = 8545,
    no_demo: NoDemo = False,
) -> None:
    """Serve the back office on the embedded defaults (SQLite + a managed local Ganache)."""
    # Imported here: web3 and uvicorn cost a second of start-up other commands need not pay.
    from pydantic import ValidationError

    from backend.bootstrap import bootstrap
    from backend.chain.gateway import ChainError
    from backend.core.config import Settings
    from backend.main import create_app
    from backend.worker.runtime import ChainRuntime

    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        raise _fail(f"bad setting: {exc}") from None
    if not _port_free(host, port):
        raise _fail(f"{host}:{port} is already in use: pass --port")

    configure_logging()
    fresh = not settings.data_dir.exists() or not any(settings.data_dir.iterdir())
    node: ManagedGanache | None = None
    try:
        node, gateway = open_chain(settings, rpc=rpc, chain_port=chain_port)
        # The demo mints the test token and fills the chain: only on the managed local chain.
        if fresh and not no_demo and rpc is None:
            _first_start_demo(settings, gateway, url=f"http://{host}:{port}")
        result = bootstrap(settings)
        if result.generated_password is not None:
            typer.echo(
                f"first admin: {result.admin_email} / {result.generated_password} "
                "(shown once; change it after logging in)"
            )
        runtime = ChainRuntime(gateway, settings)
        app = create_app(settings, chain_status=runtime.status, workers=[runtime.serve])
        typer.echo(f"serving on http://{host}:{port} (Ctrl-C stops everything)")
        # uvicorn re-raises a captured SIGTERM after its own shutdown; with Python's default
        # action the process would die before `finally` stops Ganache.
        signal.signal(signal.SIGTERM, _interrupt)
        serve_app(app, host=host, port=port)
    except ChainError as exc:
        raise _fail(exc.reason) from None
    except KeyboardInterrupt:
        raise typer.Exit(code=130) from None
    finally:
        if node is not None and not node.reused:
            typer.echo("chain: stopping the managed Ganache")
            node.stop()


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")


def serve_app(app: FastAPI, *, host: str, port: int) -> None:
    """Serve `app` in the foreground with the service's server set-up (the enrollment
    benchmark calls this too, so it measures what `lineage run` runs)."""
    import uvicorn

    # http and loop stay "auto": uvicorn takes httptools and uvloop (dependencies, a good part
    # cheaper per request than h11 and asyncio's own loop) wherever they are installed.
    uvicorn.run(app, host=host, port=port, log_level="info", **SERVER_OPTIONS)


# uvicorn believes X-Forwarded-For from 127.0.0.1 by default and rewrites the client address
# with it: anyone on the machine could then pick the address the login throttle counts. The
# app reads forwarded headers itself, only from `Settings.trusted_proxies`.
SERVER_OPTIONS: dict[str, Any] = {"proxy_headers": False}


def _first_start_demo(settings: Settings, gateway: ChainGateway, *, url: str) -> None:
    from backend.core.errors import AppError
    from backend.dev.demo.runner import DemoError, DemoOptions, run_demo

    typer.echo("first start on an empty data folder: creating the demo company")
    typer.echo("(pass --no-demo to start with an empty company instead)")
    try:
        run_demo(settings, gateway, DemoOptions(), url=url)
    except DemoError as exc:
        raise _fail(f"demo: {exc}") from None
    except AppError as exc:
        raise _fail(f"demo: {exc.message}") from None


def open_chain(
    settings: Settings, *, rpc: str | None, chain_port: int
) -> tuple[ManagedGanache | None, ChainGateway]:
    """Start (or reuse) the managed Ganache unless `rpc` names a chain, deploy the contracts
    if the data folder has no deployment yet, and check the gateway. The caller stops the
    returned node (when it is not None and not reused)."""
    from backend.chain.deployment import PayoutCurrency
    from backend.chain.gateway import ChainGateway
    from backend.core.errors import AppError
    from backend.dev.deploy import ensure_deployment
    from backend.dev.devchain import ManagedGanache, env_key
    from backend.periods.service import load_company_plan

    try:
        currency = load_company_plan(settings).currency
    except AppError as exc:
        raise _fail(exc.message) from None
    payout = PayoutCurrency(currency.code, currency.peg, currency.decimals)
    node: ManagedGanache | None = None
    if rpc is None:
        node = ManagedGanache(settings.data_dir, port=chain_port)
        typer.echo(f"chain: starting the managed Ganache on port {chain_port} ...")
        node.start()
        if node.reused:
            typer.echo(f"chain: reusing the node already on port {chain_port}")
        rpc_url, key = node.rpc_url, node.writer_key()
    else:
        key_or_none = env_key()
        if key_or_none is None:
            raise _fail("--rpc needs LINEAGE_CHAIN_KEY: the registrar's private key")
        rpc_url, key = rpc, key_or_none
    try:
        record_path = settings.resolved_deployment_file
        typer.echo(f"chain: checking the deployment ({record_path}) ...")
        deployment = ensure_deployment(
            rpc_url=rpc_url,
            record_path=record_path,
            deployer_key=key,
            tree_width=settings.tree_width,
            root_id=settings.default_sponsor_id,
            payout=payout,
        )
        gateway = ChainGateway(rpc_url, deployment, private_key=key)
        gateway.check()
    except BaseException:
        if node is not None and not node.reused:
            node.stop()
        raise
    typer.echo(
        f"chain: {deployment.chainId} at {rpc_url}, "
        f"GenealogyRegistry {deployment.contracts.GenealogyRegistry}"
    )
    return node, gateway


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (a service manager's stop) ends the run as Ctrl-C does: everything stops cleanly."""
    raise KeyboardInterrupt
