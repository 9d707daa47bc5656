"""The placement work the chain writer runs: place jobs out in `placeBatch` transactions.

`ChainWriter` (`backend.worker.writer`) runs this first in each round, on its one nonce.
Why nothing is sent twice:
- Every transaction is signed first, so its hash and nonce are known before it leaves; the
  jobs are marked `sent` with both, and committed, BEFORE the broadcast. A crash at any point
  leaves either queued jobs (nothing was broadcast) or sent jobs naming the transaction.
- Before sending anything after a start or an error, the writer reconciles every `sent` job
  with the chain: a mined transaction confirms them (block and hash from the receipt); otherwise
  `placementOf` decides: placed with the same data -> confirmed (block and hash from the `Placed`
  event), placed differently -> failed, not placed -> queued again. The next transaction then
  reuses the account's next unmined nonce, so a lost transaction and its replacement can never
  both be mined. (And the registry itself rejects a second placement of an id.)
- Jobs go out in id order, which is the order the placements were written: a parent's job
  always precedes its children's. A reverted batch is taken apart: already-placed entries are
  confirmed, the first entry the chain refuses (found by simulating prefixes) is marked failed
  with the decoded custom error, the rest go back to the queue. Errors that are not about one
  placement (a missing role, a paused contract, an unreachable node) fail nothing: the writer
  backs off and tries again.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend import chain_jobs
from backend.chain.gateway import (
    ChainError,
    ChainGateway,
    ChainUnavailable,
    PlacementRequest,
    Reverted,
    SignedTx,
)
from backend.chain_jobs import ChainJob, JobKind, JobStatus
from backend.genealogy.onchain import confirm_placements
from backend.worker.config import WriterConfig

log = logging.getLogger("lineage.chain.writer")

PLACE = (JobKind.place,)

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


def _request(job: ChainJob) -> PlacementRequest:
    place = job.place()
    return PlacementRequest(
        id=place.id, sponsor=place.sponsor, parent=place.parent, position=place.position
    )


def _ids(jobs: Sequence[ChainJob]) -> list[int]:
    return [job.id for job in jobs if job.id is not None]


class PlacementJobs:
    """`reconcile()` and `run_once(nonce) -> (settled, next_nonce)` for the writer."""

    def __init__(
        self,
        engine: Engine,
        gateway: ChainGateway,
        stats: WriterStats,
        *,
        config: WriterConfig | None = None,
        after_send: Callable[[SignedTx], None] | None = None,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.stats = stats
        self.config = config or WriterConfig()
        self.after_send = after_send
        self._suspect = False  # simulate before sending until a batch passes again

    # -- reconcile ------------------------------------------------------------------------

    def reconcile(self) -> int:
        """Settle every `sent` place job against the chain, and the head of the queue too (the
        root's job is done by the registry's constructor, not by the writer)."""
        settled = 0
        while True:
            with Session(self.engine) as session:
                sent = chain_jobs.sent(session, PLACE, limit=1000)
            if not sent:
                break
            by_tx: dict[str | None, list[ChainJob]] = defaultdict(list)
            for job in sent:
                by_tx[job.tx_hash].append(job)
            for tx_hash, jobs in by_tx.items():
                settled += self._reconcile_sent(tx_hash, jobs)
        with Session(self.engine) as session:
            head = chain_jobs.queued(session, PLACE, limit=self.config.batch_size)
        settled += len(head) - len(self._confirm_placed(head, requeue_rest=False))
        return settled

    def _reconcile_sent(self, tx_hash: str | None, jobs: list[ChainJob]) -> int:
        receipt = self.gateway.receipt(tx_hash) if tx_hash else None
        if receipt is None and tx_hash is not None:
            nonce = jobs[0].nonce
            if nonce is not None and self.gateway.nonce("latest") <= nonce:
                # Not mined and its nonce not used yet: it may still be in a mempool.
                try:
                    receipt = self.gateway.wait_receipt(tx_hash, timeout=self.config.pending_grace)
                except ChainUnavailable:
                    receipt = None
        if receipt is not None and receipt.succeeded:
            self._mark_confirmed(_ids(jobs), receipt.block_number, receipt.tx_hash)
            return len(jobs)
        # Reverted, dropped, or never broadcast: the chain's own record decides.
        left = self._confirm_placed(jobs, requeue_rest=True)
        return len(jobs) - len(left)

    def _confirm_placed(self, jobs: Sequence[ChainJob], *, requeue_rest: bool) -> list[ChainJob]:
        """Confirm jobs the chain already holds, fail those it holds differently; return the
        rest (requeued when they were `sent`)."""
        if not jobs:
            return []
        requests = [_request(job) for job in jobs]
        on_chain = self.gateway.placements_of([request.id for request in requests])
        matching: list[tuple[ChainJob, PlacementRequest]] = []
        rest: list[ChainJob] = []
        for job, request, placement in zip(jobs, requests, on_chain, strict=True):
            if placement is None:
                rest.append(job)
            elif placement.matches(request):
                matching.append((job, request))
            else:
                self._mark_failed(
                    _ids([job]),
                    f"the chain already holds a different placement of {request.id}: "
                    f"sponsor {placement.sponsor}, parent {placement.parent}, "
                    f"position {placement.position}",
                )
        if matching:
            events = self.gateway.placed_events(request.id for _, request in matching)
            groups: dict[tuple[int, str], list[int]] = defaultdict(list)
            for job, request in matching:
                found = events.get(request.id)
                if found is None:
                    raise ChainError(f"no Placed event for {request.id} on chain")
                assert job.id is not None
                groups[found].append(job.id)
            for (block, tx_hash), ids in groups.items():
                self._mark_confirmed(ids, block, tx_hash)
        if requeue_rest:
            sent = [job for job in rest if job.status == JobStatus.sent]
            if sent:
                with Session(self.engine) as session:
                    chain_jobs.requeue(session, _ids(sent))
        return rest

    # -- one batch ------------------------------------------------------------------------

    def run_once(self, nonce: int) -> tuple[int, int]:
        """Send at most one `placeBatch`; returns the jobs settled and the next nonce."""
        started = time.perf_counter()
        with Session(self.engine) as session:
            jobs = chain_jobs.queued(session, PLACE, limit=self.config.batch_size)
        if not jobs:
            return 0, nonce
        requests = [_request(job) for job in jobs]
        if self._suspect and self._simulate(requests) is not None:
            # Something was refused last time: find out before spending gas on it again.
            return self._take_apart(jobs), nonce
        self._suspect = False
        signed = self.gateway.sign_place_batch(requests, nonce=nonce)
        with Session(self.engine) as session:
            chain_jobs.mark_sent(session, _ids(jobs), tx_hash=signed.tx_hash, nonce=signed.nonce)
        self.stats.sent_hashes.append(signed.tx_hash)
        sending = time.perf_counter()
        self.gateway.broadcast(signed)
        if self.after_send is not None:
            self.after_send(signed)
        receipt = self.gateway.wait_receipt(signed.tx_hash, timeout=self.config.receipt_timeout)
        mined = time.perf_counter()
        self.stats.batches += 1
        if receipt.succeeded:
            self._mark_confirmed(_ids(jobs), receipt.block_number, receipt.tx_hash)
            log.info(
                "placed %d in block %d (%s): chain %.2f s, bookkeeping %.2f s",
                len(jobs),
                receipt.block_number,
                receipt.tx_hash,
                mined - sending,
                time.perf_counter() - mined + sending - started,
            )
            return len(jobs), signed.nonce + 1
        return self._take_apart(jobs), signed.nonce + 1

    def _take_apart(self, jobs: Sequence[ChainJob]) -> int:
        """A reverted batch: confirm what is placed, fail the first refused entry, requeue
        the rest. Raises (failing nothing) when the refusal is not about one placement."""
        rest = self._confirm_placed(jobs, requeue_rest=False)
        settled = len(jobs) - len(rest)
        if rest:
            self._suspect = True
            culprit, reason = self._first_refused([_request(job) for job in rest])
            if culprit is None:
                with Session(self.engine) as session:
                    chain_jobs.requeue(session, _ids(rest))
                if reason is not None:
                    raise ChainError(f"placeBatch reverted: {reason}")
                raise ChainError("placeBatch reverted, but its entries simulate fine now")
            self._mark_failed(_ids([rest[culprit]]), reason or "refused by the chain")
            settled += 1
            others = [job for i, job in enumerate(rest) if i != culprit]
            with Session(self.engine) as session:
                chain_jobs.requeue(session, _ids(others))
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
            confirm_placements(session, ids, block_number=block, tx_hash=tx_hash)
        self.stats.confirmed += len(ids)

    def _mark_failed(self, ids: Sequence[int], reason: str) -> None:
        log.warning("place jobs %s failed: %s", list(ids), reason)
        with Session(self.engine) as session:
            chain_jobs.mark_failed(session, ids, error=reason)
        self.stats.failed += len(ids)
