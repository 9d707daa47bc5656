"""The period work the chain writer runs: anchor jobs, vault funding, payout batches, and the
attestation of bank lines paid by transfer (attest jobs, `attestBatch`).

`ChainWriter` (`backend.worker.writer`) runs this after its placements in each round, on its
one nonce: reconcile first (placements, then period jobs), then a placement batch, then at most
one period transaction. The same rules as for placements keep anything from happening twice:
- a job or batch is marked `sent` with its hash and nonce, and committed, before the broadcast;
- after a start or an error every `sent` row is settled from the chain before anything is sent:
  its receipt when mined; else an anchor by `payoutTermsOf` (same root -> confirmed), a pay or
  attest batch by `isPaid` of its lines (all paid -> confirmed), and otherwise it goes back to
  the queue and is sent again on the account's next unmined nonce (so a lost transaction and
  its replacement cannot both be mined);
- the contracts are the last guard: an anchor is write-once, and the vault skips paid lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.bank_payouts import service as bank_payouts
from backend.chain.gateway import ChainError, ChainGateway, ChainUnavailable, Receipt, SignedTx
from backend.chain.payouts import AnchorTerms, PayoutChain
from backend.chain_jobs import ChainJob, JobKind
from backend.core.config import Settings
from backend.periods import onchain as periods_chain
from backend.periods.service import get_period
from backend.periods.statements import payout_tree
from backend.worker.config import WriterConfig
from ledger.merkle import PayoutTree

log = logging.getLogger("lineage.chain.periods")


class PeriodJobs:
    """`reconcile()` and `run_once(nonce) -> (settled, next_nonce)` for the writer."""

    def __init__(
        self,
        engine: Engine,
        gateway: ChainGateway,
        settings: Settings,
        *,
        config: WriterConfig | None = None,
        after_send: Callable[[SignedTx], None] | None = None,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.settings = settings
        self.config = config or WriterConfig()
        self.after_send = after_send
        self.chain = PayoutChain(gateway)
        # The payout tree of the period being paid: its leaves are fixed once approved, and
        # rebuilding it for every batch would cost ~1 s a batch at 100,000 lines.
        self._tree: tuple[int, str, PayoutTree] | None = None

    def chain_block(self) -> dict[str, object]:
        deployment = self.gateway.deployment
        return {"chainId": deployment.chainId, "contracts": deployment.contracts.model_dump()}

    # -- reconcile ------------------------------------------------------------------------

    def reconcile(self) -> int:
        settled = 0
        with Session(self.engine) as session:
            for job in periods_chain.sent_jobs(session):
                settled += self._reconcile_job(session, job)
            for batch in periods_chain.sent_batches(session):
                settled += self._reconcile_batch(session, batch)
            for attest in bank_payouts.sent_attests(session):
                settled += self._reconcile_attest(session, attest)
        return settled

    def _mined(self, tx_hash: str | None, nonce: int | None) -> Receipt | None:
        if tx_hash is None:
            return None
        receipt = self.gateway.receipt(tx_hash)
        if receipt is None and nonce is not None and self.gateway.nonce("latest") <= nonce:
            try:  # not mined and its nonce unused: it may still be in a mempool
                receipt = self.gateway.wait_receipt(tx_hash, timeout=self.config.pending_grace)
            except ChainUnavailable:
                receipt = None
        return receipt

    def _reconcile_job(self, session: Session, job: ChainJob) -> int:
        receipt = self._mined(job.tx_hash, job.nonce)
        if receipt is not None and receipt.succeeded:
            self._confirm_job(session, job, receipt.block_number, receipt.tx_hash, receipt.gas_used)
            return 1
        if job.kind == JobKind.anchor:
            period_id = job.anchor().period_id
            period = get_period(session, period_id)
            terms = self.gateway.payout_terms_of(period_id)
            if terms is not None:
                if terms.payout_root.lower() != (period.payout_root or "").lower():
                    periods_chain.fail_job(
                        session, job, f"the chain holds another root {terms.payout_root}"
                    )
                    return 1
                found = self.chain.anchor_event(period_id)
                if found is None:
                    raise ChainError(f"period {period_id} anchored without an event")
                self._confirm_job(session, job, found[0], found[1])
                return 1
        why = "reverted" if receipt is not None else "not mined"
        periods_chain.requeue(session, job, f"{why}: {job.tx_hash}; sent again")
        return 0

    def _reconcile_batch(self, session: Session, batch: ChainJob) -> int:
        receipt = self._mined(batch.tx_hash, batch.nonce)
        if receipt is not None and receipt.succeeded:
            self._confirm_batch(session, batch, receipt)
            return 1
        pay = batch.pay()
        flags = self.chain.paid_flags(pay.period_id, pay.indices)
        if all(flags):
            periods_chain.confirm_batch(
                session,
                batch,
                block=None,
                tx_hash=batch.tx_hash,
                gas_used=None,
                paid=[],
                failed=[],
                skipped=list(pay.indices),
                note="every line found paid on chain (isPaid) after a restart",
            )
            return 1
        why = "reverted" if receipt is not None else "not mined"
        periods_chain.requeue(session, batch, f"{why}: {batch.tx_hash}; sent again")
        return 0

    def _reconcile_attest(self, session: Session, job: ChainJob) -> int:
        receipt = self._mined(job.tx_hash, job.nonce)
        if receipt is not None and receipt.succeeded:
            self._confirm_attest(session, job, receipt)
            return 1
        attest = job.attest()
        if all(self.chain.paid_flags(attest.period_id, attest.indices)):
            bank_payouts.confirm_attest(
                session,
                job,
                block=None,
                tx_hash=job.tx_hash,
                gas_used=None,
                attested=[],
                skipped=list(attest.indices),
                note="every line found attested on chain (isPaid) after a restart",
            )
            return 1
        why = "reverted" if receipt is not None else "not mined"
        periods_chain.requeue(session, job, f"{why}: {job.tx_hash}; sent again")
        return 0

    # -- one step -------------------------------------------------------------------------

    def run_once(self, nonce: int) -> tuple[int, int]:
        with Session(self.engine) as session:
            job = periods_chain.next_job(session)
            if job is not None:
                return self._send_job(session, job, nonce)
            batch = periods_chain.next_batch(session)
            if batch is not None:
                return self._send_batch(session, batch, nonce)
            attest = bank_payouts.next_attest(session)
            if attest is not None:
                return self._send_attest(session, attest, nonce)
        return 0, nonce

    def _send(self, session: Session, row: ChainJob, signed: SignedTx) -> Receipt:
        periods_chain.mark_sent(session, row, tx_hash=signed.tx_hash, nonce=signed.nonce)
        self.gateway.broadcast(signed)
        if self.after_send is not None:
            self.after_send(signed)
        return self.gateway.wait_receipt(signed.tx_hash, timeout=self.config.receipt_timeout)

    def _send_job(self, session: Session, job: ChainJob, nonce: int) -> tuple[int, int]:
        if job.kind == JobKind.anchor:
            period = get_period(session, job.anchor().period_id)
            if None in (period.payout_root, period.inputs_hash, period.plan_hash):
                periods_chain.fail_job(session, job, "the period has no computed hashes")
                return 1, nonce
            terms = AnchorTerms(
                period_id=period.id,
                payout_root=str(period.payout_root),
                total=int(period.payout_total or 0),
                leaf_count=int(period.leaf_count or 0),
                inputs_hash=str(period.inputs_hash),
                plan_hash=str(period.plan_hash),
                results_hash=str(period.results_hash),
            )
            signed = self.chain.sign_anchor(terms, nonce=nonce)
        else:
            signed = self.chain.sign_mint_to_vault(job.fund().amount, nonce=nonce)
        receipt = self._send(session, job, signed)
        if receipt.succeeded:
            self._confirm_job(session, job, receipt.block_number, receipt.tx_hash, receipt.gas_used)
        elif job.kind == JobKind.anchor and self._reconcile_job(session, job):
            pass  # anchored before (write-once): settled from the chain's own record
        else:
            reason = self.gateway.revert_reason(receipt.tx_hash)
            log.warning("chain job %s (%s) reverted: %s", job.id, job.kind, reason)
            periods_chain.fail_job(session, job, reason)
        return 1, signed.nonce + 1

    def _payout_tree(self, session: Session, period_id: int) -> PayoutTree:
        root = str(get_period(session, period_id).payout_root or "")
        if self._tree is not None and self._tree[:2] == (period_id, root):
            return self._tree[2]
        tree = payout_tree(session, period_id)
        if tree is None:
            raise ChainError(f"period {period_id} has no payout tree")
        if tree.root_hex.lower() != root.lower():
            raise ChainError(f"period {period_id}: the stored lines do not give its root {root}")
        self._tree = (period_id, root, tree)
        return tree

    def _send_batch(self, session: Session, batch: ChainJob, nonce: int) -> tuple[int, int]:
        pay = batch.pay()
        tree = self._payout_tree(session, pay.period_id)
        signed = self.chain.sign_pay_batch(pay.period_id, tree.multiproof(pay.indices), nonce=nonce)
        receipt = self._send(session, batch, signed)
        if receipt.succeeded:
            self._confirm_batch(session, batch, receipt)
            return 1, signed.nonce + 1
        reason = self.gateway.revert_reason(receipt.tx_hash)
        periods_chain.requeue(session, batch, f"reverted: {reason}")
        raise ChainError(f"payBatch of period {pay.period_id} #{pay.seq} reverted: {reason}")

    def _send_attest(self, session: Session, job: ChainJob, nonce: int) -> tuple[int, int]:
        attest = job.attest()
        tree = self._payout_tree(session, attest.period_id)
        proof = tree.multiproof(attest.indices)
        refs = dict(zip(attest.indices, attest.refs, strict=True))
        ordered = [refs[leaf.index] for leaf in proof.leaves]  # the proof's leaf order
        signed = self.chain.sign_attest_batch(attest.period_id, proof, ordered, nonce=nonce)
        receipt = self._send(session, job, signed)
        if receipt.succeeded:
            self._confirm_attest(session, job, receipt)
            return 1, signed.nonce + 1
        reason = self.gateway.revert_reason(receipt.tx_hash)
        periods_chain.requeue(session, job, f"reverted: {reason}")
        raise ChainError(
            f"attestBatch of period {attest.period_id} #{attest.seq} reverted: {reason}"
        )

    # -- bookkeeping ----------------------------------------------------------------------

    def _confirm_job(
        self, session: Session, job: ChainJob, block: int, tx: str, gas_used: int | None = None
    ) -> None:
        periods_chain.confirm_job(
            session,
            self.settings,
            job,
            block=block,
            tx_hash=tx,
            gas_used=gas_used,
            chain=self.chain_block(),
        )

    def _confirm_batch(self, session: Session, batch: ChainJob, receipt: Receipt) -> None:
        pay = batch.pay()
        outcome = self.chain.batch_outcome(receipt.tx_hash, pay.period_id)
        if outcome.failed:
            log.warning(
                "period %s batch %s: transfers failed for leaves %s (claimable)",
                pay.period_id,
                pay.seq,
                outcome.failed,
            )
        periods_chain.confirm_batch(
            session,
            batch,
            block=receipt.block_number,
            tx_hash=receipt.tx_hash,
            gas_used=receipt.gas_used,
            paid=outcome.paid,
            failed=outcome.failed,
            skipped=outcome.skipped,
        )

    def _confirm_attest(self, session: Session, job: ChainJob, receipt: Receipt) -> None:
        attest = job.attest()
        outcome = self.chain.attest_outcome(receipt.tx_hash, attest.period_id)
        bank_payouts.confirm_attest(
            session,
            job,
            block=receipt.block_number,
            tx_hash=receipt.tx_hash,
            gas_used=receipt.gas_used,
            attested=outcome.attested,
            skipped=outcome.skipped,
        )
