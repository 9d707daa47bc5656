"""The one chain writer: one loop, one nonce. Each round it reconciles when in doubt, sends a
`placeBatch` of queued placements, then at most one period transaction (anchor, funding or a
`payBatch`, `backend.worker.period_jobs`), all on its own nonce.

Why nothing is sent twice:
- Every transaction is signed here first, so its hash and nonce are known before it leaves; the
  intents are marked `sent` with both, and committed, BEFORE the broadcast. A crash at any point
  leaves either queued intents (nothing was broadcast) or sent intents naming the transaction.
- Before sending anything after a start or an error, the writer reconciles every `sent` intent
  with the chain: a mined transaction confirms them (block and hash from the receipt); otherwise
  `placementOf` decides: placed with the same data -> confirmed (block and hash from the `Placed`
  event), placed differently -> failed, not placed -> queued again. The next transaction then
  reuses the account's next unmined nonce, so a lost transaction and its replacement can never
  both be mined. (And the registry itself rejects a second placement of an id.)
- Intents go out in id order, which is the order the placements were written: a parent's intent
  always precedes its children's. A reverted batch is taken apart: already-placed entries are
  confirmed, the first entry the chain refuses (found by simulating prefixes) is marked failed
  with the decoded custom error, the rest go back to the queue. Errors that are not about one
  placement (a missing role, a paused contract, an unreachable node) fail nothing: the writer
  backs off and tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.chain.deployment import ChainStatus
from backend.chain.gateway import (
    ChainError,
    ChainGateway,
    ChainUnavailable,
    PlacementRequest,
    Reverted,
    SignedTx,
)
from backend.core.config import Settings
from backend.core.model_base import IntentStatus
from backend.models.outbox import ChainIntent
from backend.services import outbox
from backend.worker.config import WriterConfig, WriterStopped
from backend.worker.period_jobs import PeriodJobs

log = logging.getLogger("lineage.chain.writer")

# Custom errors that blame one placement request; anything else is the writer's problem.
PLACEMENT_ERRORS = frozenset(
    {
        "InvalidDistributorId",
        "AlreadyPlaced",
        "UnknownSponsor",
        "UnknownParent",
        "PositionBeyondWidth",
        "PositionOccupied",
    }
)


@dataclass
class WriterStats:
    batches: int = 0
    confirmed: int = 0
    failed: int = 0
    reconciled: int = 0
    sent_hashes: list[str] = field(default_factory=list)
    last_error: str | None = None


def _request(intent: ChainIntent) -> PlacementRequest:
    payload = intent.payload
    return PlacementRequest(
        id=int(payload["id"]),
        sponsor=int(payload["sponsor"]),
        parent=int(payload["parent"]),
        position=int(payload["position"]),
    )


def _ids(intents: Sequence[ChainIntent]) -> list[int]:
    return [intent.id for intent in intents if intent.id is not None]


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
        self._nonce: int | None = None
        self._needs_reconcile = True
        self._suspect = False  # simulate before sending until a batch passes again
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
                # set if this happened between marking intents sent and confirming them.
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
        transaction; returns the intents and jobs settled."""
        settled = 0
        if self._needs_reconcile:
            settled += self.reconcile()
            self._nonce = self.gateway.nonce("latest")
            self._needs_reconcile = False
        settled += self._send_next_batch()
        if self.periods is not None:
            assert self._nonce is not None
            self._needs_reconcile = True  # until a period step returns, the truth is on chain
            done, self._nonce = self.periods.run_once(self._nonce)
            self._needs_reconcile = False
            settled += done
        return settled

    def reconcile(self) -> int:
        """Settle every `sent` intent against the chain, and the head of the queue too (the
        root's intent is placed by the registry's constructor, not by the writer)."""
        settled = 0
        while True:
            with Session(self.engine) as session:
                sent = outbox.fetch_by_status(session, IntentStatus.sent, limit=1000)
            if not sent:
                break
            by_tx: dict[str | None, list[ChainIntent]] = defaultdict(list)
            for intent in sent:
                by_tx[intent.tx_hash].append(intent)
            for tx_hash, intents in by_tx.items():
                settled += self._reconcile_sent(tx_hash, intents)
        with Session(self.engine) as session:
            head = outbox.fetch_queued(session, limit=self.config.batch_size, kind=outbox.PLACE)
        settled += len(self._confirm_placed(head, requeue_rest=False))
        if self.periods is not None:
            settled += self.periods.reconcile()
        self.stats.reconciled += settled
        return settled

    def _reconcile_sent(self, tx_hash: str | None, intents: list[ChainIntent]) -> int:
        receipt = self.gateway.receipt(tx_hash) if tx_hash else None
        if receipt is None and tx_hash is not None:
            nonce = intents[0].nonce
            if nonce is not None and self.gateway.nonce("latest") <= nonce:
                # Not mined and its nonce not used yet: it may still be in a mempool.
                try:
                    receipt = self.gateway.wait_receipt(tx_hash, timeout=self.config.pending_grace)
                except ChainUnavailable:
                    receipt = None
        if receipt is not None and receipt.succeeded:
            self._mark_confirmed(_ids(intents), receipt.block_number, receipt.tx_hash)
            return len(intents)
        # Reverted, dropped, or never broadcast: the chain's own record decides.
        left = self._confirm_placed(intents, requeue_rest=True)
        return len(intents) - len(left)

    def _confirm_placed(
        self, intents: Sequence[ChainIntent], *, requeue_rest: bool
    ) -> list[ChainIntent]:
        """Confirm intents the chain already holds, fail those it holds differently; return
        the rest (requeued when they were `sent`)."""
        if not intents:
            return []
        requests = [_request(intent) for intent in intents]
        on_chain = self.gateway.placements_of([request.id for request in requests])
        matching: list[ChainIntent] = []
        rest: list[ChainIntent] = []
        for intent, request, placement in zip(intents, requests, on_chain, strict=True):
            if placement is None:
                rest.append(intent)
            elif placement.matches(request):
                matching.append(intent)
            else:
                self._mark_failed(
                    _ids([intent]),
                    f"the chain already holds a different placement of {request.id}: "
                    f"sponsor {placement.sponsor}, parent {placement.parent}, "
                    f"position {placement.position}",
                )
        if matching:
            events = self.gateway.placed_events(_request(intent).id for intent in matching)
            groups: dict[tuple[int, str], list[int]] = defaultdict(list)
            for intent in matching:
                found = events.get(_request(intent).id)
                if found is None:
                    raise ChainError(f"no Placed event for {_request(intent).id} on chain")
                assert intent.id is not None
                groups[found].append(intent.id)
            for (block, tx_hash), ids in groups.items():
                self._mark_confirmed(ids, block, tx_hash)
        if requeue_rest:
            sent = [intent for intent in rest if intent.status == IntentStatus.sent]
            if sent:
                with Session(self.engine) as session:
                    outbox.requeue(session, _ids(sent))
        return rest

    def _send_next_batch(self) -> int:
        started = time.perf_counter()
        with Session(self.engine) as session:
            intents = outbox.fetch_queued(session, limit=self.config.batch_size, kind=outbox.PLACE)
        if not intents:
            return 0
        requests = [_request(intent) for intent in intents]
        if self._suspect and self._simulate(requests) is not None:
            # Something was refused last time: find out before spending gas on it again.
            return self._take_apart(intents)
        self._suspect = False
        assert self._nonce is not None
        signed = self.gateway.sign_place_batch(requests, nonce=self._nonce)
        with Session(self.engine) as session:
            outbox.mark_sent(session, _ids(intents), tx_hash=signed.tx_hash, nonce=signed.nonce)
        self.stats.sent_hashes.append(signed.tx_hash)
        self._needs_reconcile = True  # until the receipt is in, the truth is on chain
        sending = time.perf_counter()
        self.gateway.broadcast(signed)
        if self.after_send is not None:
            self.after_send(signed)
        self._nonce = signed.nonce + 1
        receipt = self.gateway.wait_receipt(signed.tx_hash, timeout=self.config.receipt_timeout)
        mined = time.perf_counter()
        self.stats.batches += 1
        if receipt.succeeded:
            self._mark_confirmed(_ids(intents), receipt.block_number, receipt.tx_hash)
            self._needs_reconcile = False
            log.info(
                "placed %d in block %d (%s): chain %.2f s, bookkeeping %.2f s",
                len(intents),
                receipt.block_number,
                receipt.tx_hash,
                mined - sending,
                time.perf_counter() - mined + sending - started,
            )
            return len(intents)
        settled = self._take_apart(intents)
        self._needs_reconcile = False
        return settled

    def _take_apart(self, intents: Sequence[ChainIntent]) -> int:
        """A reverted batch: confirm what is placed, fail the first refused entry, requeue
        the rest. Raises (failing nothing) when the refusal is not about one placement."""
        rest = self._confirm_placed(intents, requeue_rest=False)
        settled = len(intents) - len(rest)
        if rest:
            self._suspect = True
            culprit, reason = self._first_refused([_request(intent) for intent in rest])
            if culprit is None:
                with Session(self.engine) as session:
                    outbox.requeue(session, _ids(rest))
                if reason is not None:
                    raise ChainError(f"placeBatch reverted: {reason}")
                raise ChainError("placeBatch reverted, but its entries simulate fine now")
            self._mark_failed(_ids([rest[culprit]]), reason or "refused by the chain")
            settled += 1
            others = [intent for i, intent in enumerate(rest) if i != culprit]
            with Session(self.engine) as session:
                outbox.requeue(session, _ids(others))
        return settled

    def _first_refused(self, requests: list[PlacementRequest]) -> tuple[int | None, str | None]:
        """Index of the first request the chain refuses on its own account, and why."""
        failure = self._simulate(requests)
        if failure is None:
            return None, None
        if failure.error_name not in PLACEMENT_ERRORS:
            return None, failure.reason
        low, high = 1, len(requests)  # the shortest failing prefix has length in [low, high]
        reason = failure.reason
        while low < high:
            middle = (low + high) // 2
            prefix_failure = self._simulate(requests[:middle])
            if prefix_failure is None:
                low = middle + 1
            else:
                high, reason = middle, prefix_failure.reason
        return low - 1, reason

    def _simulate(self, requests: Sequence[PlacementRequest]) -> Reverted | None:
        try:
            self.gateway.simulate_place_batch(requests)
        except Reverted as exc:
            return exc
        return None

    # -- bookkeeping ----------------------------------------------------------------------

    def _mark_confirmed(self, ids: Sequence[int], block: int, tx_hash: str) -> None:
        with Session(self.engine) as session:
            outbox.mark_confirmed(session, ids, block_number=block, tx_hash=tx_hash)
        self.stats.confirmed += len(ids)

    def _mark_failed(self, ids: Sequence[int], reason: str) -> None:
        log.warning("chain intents %s failed: %s", list(ids), reason)
        with Session(self.engine) as session:
            outbox.mark_failed(session, ids, error=reason)
        self.stats.failed += len(ids)

    # -- observation ----------------------------------------------------------------------

    def pending(self) -> int:
        """Intents still on their way (queued or sent)."""
        with Session(self.engine) as session:
            query = select(func.count()).select_from(ChainIntent)
            query = query.where(
                col(ChainIntent.status).in_([IntentStatus.queued, IntentStatus.sent])
            )
            return int(session.exec(query).one())

    def drain(self, *, timeout: float) -> None:
        """Wait until nothing is queued or sent (the writer must be running)."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{self.pending()} chain intents still pending after {timeout:.0f} s"
                    f" (last error: {self.stats.last_error})"
                )
            time.sleep(0.05)

    def status(self) -> ChainStatus:
        """For /health: the node's state plus the writer's backlog and last trouble."""
        pending = self.pending()
        status = self.gateway.status(queued_intents=pending)
        if status.status == "ok" and self.stats.last_error is not None:
            status.detail = f"writer retrying: {self.stats.last_error}"
        elif status.status == "ok" and not self.running:
            status.detail = "chain writer not running"
        return status
