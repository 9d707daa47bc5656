"""Anchor, fund and pay periods of N synthetic payout lines through the service's chain writer on
a fresh Ganache, killing the writer at random points right after a broadcast (before its receipt
is read) and restarting it; afterwards every line must be paid exactly once.

    uv run python bench/period_pay.py --lines 3000 --periods 5 --crash-rate 0.5

Each period is written straight into the database (approved, with its payees' leaves: the
compute is benchmarked elsewhere), then goes through the same service functions as the API:
anchor job, funding job, payout plan, and the writer's rounds. Prints wall times, batches, gas
per paid line, crashes survived, and the exactly-once check from the vault's `BatchPaid` events.
"""

from __future__ import annotations

import argparse
import random
import socket
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.bootstrap import migrate, seed  # noqa: E402
from backend.chain.audit_reads import AuditReader  # noqa: E402
from backend.chain.gateway import ChainGateway, SignedTx  # noqa: E402
from backend.chain.payouts import PayoutChain  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.dev.deploy import ensure_deployment  # noqa: E402
from backend.dev.devchain import ManagedGanache  # noqa: E402
from backend.periods import onchain as periods_chain  # noqa: E402
from backend.periods.models import Period, PeriodPayee, PeriodStatus  # noqa: E402
from backend.worker.config import WriterConfig, WriterStopped  # noqa: E402
from backend.worker.writer import ChainWriter  # noqa: E402
from ledger.merkle import PayoutLeaf, PayoutTree  # noqa: E402

HASH = "0x" + "ab" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def add_period(session: Session, number: int, lines: int, rng: random.Random) -> PayoutTree:
    leaves = [
        PayoutLeaf(number, i, "0x" + f"{number:08x}{i + 1:032x}", rng.randint(1, 10**9))
        for i in range(lines)
    ]
    tree = PayoutTree(leaves)
    session.add(
        Period(
            id=number,
            start_day=number,
            end_day=number,
            status=PeriodStatus.approved,
            plan_hash=HASH,
            inputs_hash=HASH,
            results_hash=HASH,
            payout_root=tree.root_hex,
            payout_total=tree.total,
            leaf_count=len(tree),
        )
    )
    session.flush()
    for leaf in leaves:
        session.add(
            PeriodPayee(
                period_id=number,
                distributor_id=number * 10_000_000 + leaf.index,
                earned=leaf.amount,
                clawback=0,
                balance_in=0,
                payout=leaf.amount,
                balance_out=0,
                leaf_index=leaf.index,
                account=leaf.account,
                has_wallet=True,
            )
        )
    session.commit()
    return tree


class Crashing:
    """Writers that die after a broadcast with probability `rate`, restarted until idle."""

    def __init__(self, make: object, rate: float, rng: random.Random) -> None:
        self.make = make
        self.rate = rate
        self.rng = rng
        self.crashes = 0

    def hook(self, signed: SignedTx) -> None:
        if self.rng.random() < self.rate:
            self.crashes += 1
            raise WriterStopped

    def settle(self, done: object) -> None:
        while True:
            writer: ChainWriter = self.make(self.hook)  # type: ignore[operator]
            try:
                while not done():  # type: ignore[operator]
                    writer.run_once()
                return
            except WriterStopped:
                continue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--periods", type=int, default=5)
    parser.add_argument("--crash-rate", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="lineage-pay-"))
    settings = Settings(
        data_dir=work,
        secret_key=SecretStr("x" * 40),
        admin_email="bench@example.com",
        admin_password=SecretStr("bench-password-1"),
    )
    engine = make_engine(f"sqlite:///{work / 'lineage.db'}")
    migrate(engine)
    seed(engine, settings)
    with ManagedGanache(work, port=free_port()) as node:
        deployment = ensure_deployment(
            rpc_url=node.rpc_url,
            record_path=work / "deployment.json",
            deployer_key=node.writer_key(),
        )
        gateway = ChainGateway(node.rpc_url, deployment, private_key=node.writer_key())
        chain = PayoutChain(gateway)
        config = WriterConfig(idle_poll=0.01, pending_grace=0.2)

        def make(hook: object) -> ChainWriter:
            return ChainWriter(engine, gateway, settings, config=config, after_send=hook)  # type: ignore[arg-type]

        crashing = Crashing(make, args.crash_rate, rng)
        reader = AuditReader(node.rpc_url, deployment)
        for number in range(1, args.periods + 1):
            now = datetime.now(UTC)
            with Session(engine) as session:
                admin = session.exec(select(User)).first()
                assert admin is not None
                tree = add_period(session, number, args.lines, rng)
                started = time.perf_counter()
                periods_chain.request_anchor(session, number, actor=admin, now=now)
                periods_chain.request_funding(session, tree.total, actor=admin, now=now)

            def status(number: int = number) -> PeriodStatus:
                with Session(engine) as session:
                    period = session.get(Period, number)
                    assert period is not None
                    return period.status

            def jobs_done() -> bool:
                with Session(engine) as session:
                    return periods_chain.next_job(session) is None and not (
                        periods_chain.sent_jobs(session)
                    )

            crashing.settle(jobs_done)
            anchored = time.perf_counter()
            with Session(engine) as session:
                admin = session.exec(select(User)).first()
                assert admin is not None
                periods_chain.plan_payouts(
                    session,
                    number,
                    paid_flags=partial(chain.paid_flags, number),
                    vault_balance=chain.vault_balance,
                    actor=admin,
                    now=now,
                )
            crashing.settle(lambda: bool(status() == PeriodStatus.paid))
            paid = time.perf_counter()
            with Session(engine) as session:
                batches = periods_chain.batches(session, number)
            gas = sum(b.gas_used or 0 for b in batches)
            counts: Counter[int] = Counter()
            for batch in reader.payment_events(number).batches:
                counts.update(batch.indices)
            once = set(counts) == set(range(args.lines)) and set(counts.values()) == {1}
            total_ok = chain.paid_total_of(number) == tree.total
            print(  # noqa: T201
                f"period {number}: {args.lines} lines, anchor+fund {anchored - started:.1f} s, "
                f"plan+pay {paid - anchored:.1f} s in {len(batches)} batches, "
                f"{gas / args.lines:.0f} gas/line, "
                f"crashes so far {crashing.crashes}, every line paid once: {once and total_ok}"
            )
            if not (once and total_ok):
                raise SystemExit(1)
    print(f"ok: {crashing.crashes} crashes survived, nothing paid twice")  # noqa: T201


if __name__ == "__main__":
    main()
