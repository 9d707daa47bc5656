"""What the app attaches for the chain: the gateway, and its writer run inside the lifespan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from backend.chain.deployment import ChainStatus
from backend.chain.gateway import ChainGateway, SignedTx
from backend.worker.writer import OutboxWriter, WriterConfig


class ChainRuntime:
    """`create_app(..., chain_status=runtime.status, workers=[runtime.serve])`."""

    def __init__(
        self,
        gateway: ChainGateway,
        *,
        config: WriterConfig | None = None,
        after_send: Callable[[SignedTx], None] | None = None,
    ) -> None:
        self.gateway = gateway
        self.config = config
        self.after_send = after_send
        self.writer: OutboxWriter | None = None

    @contextmanager
    def serve(self, engine: Engine) -> Iterator[OutboxWriter]:
        writer = OutboxWriter(engine, self.gateway, config=self.config, after_send=self.after_send)
        self.writer = writer
        writer.start()
        try:
            yield writer
        finally:
            writer.stop()

    def status(self) -> ChainStatus:
        if self.writer is None:
            return self.gateway.status()
        return self.writer.status()
