"""The one chain writer: one loop, one nonce, one queue (`backend.chain_jobs`). Each round it
reconciles when in doubt, sends a `placeBatch` of queued place jobs
(`backend.worker.placements`), then at most one period transaction (anchor, funding or a
`payBatch`, `backend.worker.period_jobs`), all on its own nonce.

The rules that keep anything from being sent twice are in those two modules: every job is marked
`sent` with its hash and nonce, and committed, before the broadcast; after a start or an error
every `sent` job is settled from the chain before anything is sent, and the next transaction
reuses the account's next unmined nonce.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend import chain_jobs
from backend.chain.deployment import NodeStatus
from backend.chain.gateway import ChainError, ChainGateway, SignedTx
from backend.chain_jobs import JobKind
from backend.core.config import Settings
from backend.worker.config import WriterConfig, WriterStopped
from backend.worker.period_jobs import PeriodJobs
from backend.worker.placements import PLACEMENT_ERRORS, PlacementJobs, WriterStats

__all__ = ["PLACEMENT_ERRORS", "ChainWriter", "WriterStats"]

log = logging.getLogger("lineage.chain.writer")


class ChainWriter:
    """Run it with `start()`/`stop()` (a daemon thread) or drive it with `run_once()`.

    Without `settings` it writes placements only (the placement tests); with them it also
    anchors, funds and pays periods (`lineage run`, `lineage worker`)."""

    def __init__(
        self,
        engine: Engine,
        gateway: ChainGateway,
        settings: Settings | None = None,
        *,
        config: WriterConfig | None = None,
        after_send: Callable[[SignedTx], None] | None = None,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.config = config or WriterConfig()
        self.after_send = after_send
        self.periods = (
            PeriodJobs(engine, gateway, settings, config=self.config, after_send=after_send)
            if settings is not None
            else None
        )
        self.stats = WriterStats()
        self.placements = PlacementJobs(
            engine, gateway, self.stats, config=self.config, after_send=after_send
        )
        self._nonce: int | None = None
        self._needs_reconcile = True
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="chain-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    @contextmanager
    def running_in_background(self) -> Iterator[ChainWriter]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def _loop(self) -> None:
        backoff = self.config.backoff_initial
        while not self._stop.is_set():
            try:
                done = self.run_once()
                self.stats.last_error = None
                backoff = self.config.backoff_initial
                if done == 0:
                    self._sleep(self.config.idle_poll)
            except WriterStopped:
                log.warning("chain writer stopped by a fault hook")
                return
            except ChainError as exc:
                # The node or a contract: the nonce and what was mined are in doubt.
                self._needs_reconcile = True
                self._trouble(exc.reason, logging.INFO)
                self._sleep(backoff)
                backoff = min(backoff * 2, self.config.backoff_max)
            except Exception as exc:  # noqa: BLE001 - the writer never dies of one bad round
                # E.g. SQLite busy under an enrollment burst. `_needs_reconcile` is already
                # set if this happened between marking jobs sent and confirming them.
                self._trouble(f"{type(exc).__name__}: {exc}", logging.WARNING, exc_info=True)
                self._sleep(backoff)
                backoff = min(backoff * 2, self.config.backoff_max)

    def _trouble(self, message: str, level: int, *, exc_info: bool = False) -> None:
        if message != self.stats.last_error:  # once per distinct trouble, not per retry
            log.log(level, "chain writer: %s (will retry)", message, exc_info=exc_info)
        self.stats.last_error = message

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    # -- one round ------------------------------------------------------------------------

    def run_once(self) -> int:
        """Reconcile if needed, then send at most one placement batch and at most one period
        transaction; returns the jobs settled."""
        settled = 0
        if self._needs_reconcile:
            settled += self.reconcile()
            self._nonce = self.gateway.nonce("latest")
            self._needs_reconcile = False
        assert self._nonce is not None
        self._needs_reconcile = True  # until a step returns, the truth is on chain
        done, self._nonce = self.placements.run_once(self._nonce)
        self._needs_reconcile = False
        settled += done
        if self.periods is not None:
            self._needs_reconcile = True
            done, self._nonce = self.periods.run_once(self._nonce)
            self._needs_reconcile = False
            settled += done
        return settled

    def reconcile(self) -> int:
        """Settle every `sent` job against the chain: placements, then period jobs."""
        settled = self.placements.reconcile()
        if self.periods is not None:
            settled += self.periods.reconcile()
        self.stats.reconciled += settled
        return settled

    # -- observation ----------------------------------------------------------------------

    def pending(self) -> int:
        """Place jobs still on their way (queued or sent): the backlog /health reports."""
        with Session(self.engine) as session:
            return chain_jobs.pending(session, [JobKind.place])

    def drain(self, *, timeout: float) -> None:
        """Wait until nothing is queued or sent (the writer must be running)."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{self.pending()} place jobs still pending after {timeout:.0f} s"
                    f" (last error: {self.stats.last_error})"
                )
            time.sleep(0.05)

    def status(self) -> NodeStatus:
        """For /health: the node's state plus the writer's backlog and last trouble."""
        pending = self.pending()
        status = self.gateway.status(queued_intents=pending)
        if status.status == "ok" and self.stats.last_error is not None:
            status.detail = f"writer retrying: {self.stats.last_error}"
        elif status.status == "ok" and not self.running:
            status.detail = "chain writer not running"
        return status
