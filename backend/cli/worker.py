"""`lineage worker`: the one chain writer alone, for deployments that run API processes apart.

It reads the same settings as `lineage run` (data folder or LINEAGE_DATABASE_URL, the
deployment record) and needs the database migrated and the contracts deployed (`lineage run`
does both on its first start). A second writer on the same database refuses to start.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from backend.core.config import Settings

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (SQLite, chain, secrets). Default: var"),
]
Rpc = Annotated[
    str | None,
    typer.Option(
        help="JSON-RPC URL of the chain (default: the deployment record's); the writer's key "
        "comes from LINEAGE_CHAIN_KEY, or from the data folder's managed-chain secret.",
        envvar="LINEAGE_RPC_URL",
    ),
]


def worker(data_dir: DataDir = None, rpc: Rpc = None) -> None:
    """Run the chain writer alone (exactly one per database)."""
    # Imported here: web3 and the database cost a second other commands need not pay.
    from pydantic import ValidationError

    from backend.chain.deployment import read_deployment
    from backend.chain.gateway import ChainError, ChainGateway
    from backend.cli.run import configure_logging
    from backend.core.config import Settings
    from backend.core.db import make_engine
    from backend.core.errors import AppError
    from backend.worker.lease import WriterAlreadyRunning
    from backend.worker.runtime import ChainRuntime

    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        raise _fail(f"bad setting: {exc}") from None
    configure_logging()
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    engine = make_engine(settings.resolved_database_url)
    try:
        deployment = read_deployment(settings.resolved_deployment_file)
        key = _writer_key(settings)
        gateway = ChainGateway(rpc or deployment.rpcUrl, deployment, private_key=key)
        gateway.check()
        runtime = ChainRuntime(gateway, settings)
        with runtime.serve(engine):
            typer.echo(f"chain writer running as {gateway.address} (Ctrl-C stops it)")
            while not stop.wait(0.5):
                pass
    except WriterAlreadyRunning as exc:
        raise _fail(str(exc)) from None
    except ChainError as exc:
        raise _fail(exc.reason) from None
    except AppError as exc:
        raise _fail(exc.message) from None
    finally:
        engine.dispose()


def _writer_key(settings: Settings) -> str:
    """LINEAGE_CHAIN_KEY, else the managed dev chain's key from the data folder's secret."""
    from backend.dev.devchain import SECRET_FILE, env_key, load_or_create_mnemonic, mnemonic_key

    key = env_key()
    if key is not None:
        return key
    secret = settings.data_dir / SECRET_FILE
    if not secret.is_file():
        raise _fail("no writer key: set LINEAGE_CHAIN_KEY (the registrar's private key)")
    return mnemonic_key(load_or_create_mnemonic(settings.data_dir))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)
