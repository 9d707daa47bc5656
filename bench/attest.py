"""Attest a period of N bank lines on a fresh Ganache through the service's chain writer, and
again while killing the writer at random right after a broadcast (before its receipt is read);
afterwards every line must be attested exactly once.

    uv run python bench/attest.py --lines 10000 --crash-rate 0.5

Each period is written straight into the database (approved, every leaf a bank line under its
pseudo-address: the compute and the statement's matching are benchmarked elsewhere), anchored
and planned (no token line: the period becomes `paying`) through the service, then its lines go
to the one chain-job queue as attest jobs of `ATTEST_LINES` lines with their references, as a
statement upload queues them, and the writer's rounds run until the period is `paid`. Prints a
table (lines, batches, seconds, lines per second, gas per line, kills, lines attested exactly
once from the vault's `BatchAttested` events) and, last, the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backend import chain_jobs  # noqa: E402
from backend.accounts.models import User  # noqa: E402
from backend.bank_payouts.service import ATTEST_LINES, attest_jobs  # noqa: E402
from backend.bootstrap import migrate, seed  # noqa: E402
from backend.chain.audit_reads import AuditReader  # noqa: E402
from backend.chain.gateway import ChainGateway, SignedTx  # noqa: E402
from backend.chain.payouts import PayoutChain  # noqa: E402
from backend.chain_jobs import AttestJob  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.dev.deploy import ensure_deployment  # noqa: E402
from backend.dev.devchain import ManagedGanache  # noqa: E402
from backend.periods import onchain as periods_chain  # noqa: E402
from backend.periods.models import Period, PeriodPayee, PeriodStatus  # noqa: E402
from backend.worker.config import WriterConfig, WriterStopped  # noqa: E402
from backend.worker.writer import ChainWriter  # noqa: E402
from ledger.merkle import PayoutLeaf, PayoutTree  # noqa: E402
from ledger.rails import bank_account  # noqa: E402

HASH = "0x" + "ab" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def add_period(session: Session, number: int, lines: int, rng: random.Random) -> PayoutTree:
    leaves = [
        PayoutLeaf(
            number, i, "0x" + bank_account(number, 1_000_000 + i).hex(), rng.randint(1, 10**7)
        )
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
                distributor_id=1_000_000 + leaf.index,
                earned=leaf.amount,
                clawback=0,
                balance_in=0,
                payout=leaf.amount,
                balance_out=0,
                leaf_index=leaf.index,
                account=leaf.account,
                has_wallet=False,
                rail="bank",
            )
        )
    session.commit()
    return tree


class Crashing:
    """Writers that die after a broadcast with probability `rate`, restarted until done."""

    def __init__(self, make: object, rate: float, rng: random.Random) -> None:
        self.make = make
        self.rate = rate
        self.rng = rng
        self.kills = 0

    def hook(self, signed: SignedTx) -> None:
        if self.rng.random() < self.rate:
            self.kills += 1
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


def run_period(
    engine: object, chain: PayoutChain, reader: AuditReader, crashing: Crashing, number: int,
    lines: int, rng: random.Random,
) -> dict[str, object]:  # fmt: skip
    now = datetime.now(UTC)
    with Session(engine) as session:  # type: ignore[arg-type]
        admin = session.exec(select(User)).first()
        assert admin is not None
        tree = add_period(session, number, lines, rng)
        periods_chain.request_anchor(session, number, actor=admin, now=now)

    def status() -> PeriodStatus:
        with Session(engine) as session:  # type: ignore[arg-type]
            period = session.get(Period, number)
            assert period is not None
            return period.status

    crashing.settle(lambda: status() == PeriodStatus.anchored)
    with Session(engine) as session:  # type: ignore[arg-type]
        admin = session.exec(select(User)).first()
        assert admin is not None
        periods_chain.plan_payouts(
            session,
            number,
            paid_flags=lambda indices: [False] * len(indices),
            vault_balance=chain.vault_balance,
            actor=admin,
            now=now,
        )
        for seq, start in enumerate(range(0, lines, ATTEST_LINES), start=1):
            indices = list(range(start, min(start + ATTEST_LINES, lines)))
            refs = [
                "0x" + (number << 128 | index + 1).to_bytes(32, "big").hex() for index in indices
            ]
            amount = sum(tree.leaf(index).amount for index in indices)
            job = AttestJob(period_id=number, seq=seq, indices=indices, refs=refs, amount=amount)
            chain_jobs.enqueue(session, job, now=now)
        session.commit()
    kills_before = crashing.kills
    started = time.perf_counter()
    crashing.settle(lambda: status() == PeriodStatus.paid)
    seconds = time.perf_counter() - started
    with Session(engine) as session:  # type: ignore[arg-type]
        jobs = attest_jobs(session, number)
    gas = sum(job.gas_used or 0 for job in jobs)
    measured = sum(len(job.attest().indices) for job in jobs if job.gas_used)
    counts = Counter(line.index for line in reader.attested_lines(number))
    once = sum(1 for index in range(lines) if counts[index] == 1)
    exact = once == lines and set(counts) == set(range(lines))
    return {
        "period": number,
        "lines": lines,
        "batches": len(jobs),
        "seconds": round(seconds, 1),
        "lines_per_second": round(lines / seconds, 1),
        "gas_per_line": round(gas / measured) if measured else None,
        "kills": crashing.kills - kills_before,
        "attested_once": once,
        "paid_total_ok": chain.paid_total_of(number) == tree.total,
        "ok": exact and chain.paid_total_of(number) == tree.total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--crash-rate", type=float, default=0.5, help="for the second period")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="lineage-attest-"))
    settings = Settings(
        data_dir=work,
        secret_key=SecretStr("x" * 40),
        admin_email="bench@example.com",
        admin_password=SecretStr("bench-password-1"),
    )
    engine = make_engine(f"sqlite:///{work / 'lineage.db'}")
    migrate(engine)
    seed(engine, settings)
    rows = []
    with ManagedGanache(work, port=free_port()) as node:
        deployment = ensure_deployment(
            rpc_url=node.rpc_url,
            record_path=work / "deployment.json",
            deployer_key=node.writer_key(),
        )
        gateway = ChainGateway(node.rpc_url, deployment, private_key=node.writer_key())
        chain = PayoutChain(gateway)
        reader = AuditReader(node.rpc_url, deployment)
        config = WriterConfig(idle_poll=0.01, pending_grace=0.2)

        def make(hook: object) -> ChainWriter:
            return ChainWriter(engine, gateway, settings, config=config, after_send=hook)  # type: ignore[arg-type]

        for number, rate in ((1, 0.0), (2, args.crash_rate)):
            crashing = Crashing(make, rate, rng)
            rows.append(
                run_period(engine, chain, reader, crashing, number, args.lines, rng)
                | {"crash_rate": rate}
            )
    head = ("period", "crash_rate", "lines", "batches", "seconds", "lines_per_second",
            "gas_per_line", "kills", "attested_once", "ok")  # fmt: skip
    print(" | ".join(head))  # noqa: T201
    for row in rows:
        print(" | ".join(str(row[key]) for key in head))  # noqa: T201
    print(json.dumps({"bench": "attest", "runs": rows}))  # noqa: T201
    if not all(row["ok"] for row in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
