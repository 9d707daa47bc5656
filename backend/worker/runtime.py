"""What an entry point attaches for the chain: the gateway, and the one writer.

`lineage run` hands `serve` to `create_app(..., workers=[runtime.serve])`, so the writer (and,
with settings, the open period's periodic preview, `backend.worker.preview`) runs beside the
API for as long as it serves, and so does the acts loop (`backend.worker.acts`: a closed
period's acts in bulk); `lineage worker` enters `serve` alone. Either way the
writer first takes the database's writer lock (`backend.worker.lease`): a second writer on the
same database refuses to start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from backend.chain.deployment import NodeStatus
from backend.chain.gateway import ChainGateway, SignedTx
from backend.core.config import Settings
from backend.worker.acts import ActsJobs
from backend.worker.config import WriterConfig
from backend.worker.lease import single_writer
from backend.worker.preview import PreviewJob
from backend.worker.writer import ChainWriter


class ChainRuntime:
    """`create_app(..., chain_status=runtime.status, workers=[runtime.serve])`.

    Without `settings` the writer sends placements only (the placement tests)."""

    def __init__(
        self,
        gateway: ChainGateway,
        settings: Settings | None = None,
        *,
        config: WriterConfig | None = None,
        after_send: Callable[[SignedTx], None] | None = None,
    ) -> None:
        self.gateway = gateway
        self.settings = settings
        self.config = config
        self.after_send = after_send
        self.writer: ChainWriter | None = None

    @contextmanager
    def serve(self, engine: Engine) -> Iterator[ChainWriter]:
        with single_writer(engine):
            writer = ChainWriter(
                engine,
                self.gateway,
                self.settings,
                config=self.config,
                after_send=self.after_send,
            )
            self.writer = writer
            # The periodic preview of the open period runs where the writer runs: once per
            # database, under the same lease.
            preview = PreviewJob(engine, self.settings) if self.settings is not None else None
            # So do the bulk acts jobs (`backend.worker.acts`): one runner per database.
            acts = ActsJobs(engine) if self.settings is not None else None
            writer.start()
            for job in (preview, acts):
                if job is not None:
                    job.start()
            try:
                yield writer
            finally:
                for job in (acts, preview):
                    if job is not None:
                        job.stop()
                writer.stop()

    def status(self) -> NodeStatus:
        if self.writer is None:
            return self.gateway.status()
        return self.writer.status()
