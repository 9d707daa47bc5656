"""One period of a company of N distributors closed end to end on a managed Ganache: compute,
approve, anchor, fund and pay every line, each stage timed.

    uv run python bench/period_close.py --distributors 10000 [--seed N] [--keep DIR] [--save]

Set-up (timed apart, not in the total): a fresh data folder (a temporary one unless --keep),
SQLite migrated and seeded, a managed Ganache with the contracts deployed by brownie, and one
month of a company: N distributors enrolled through the service (`enrollment.enroll_many`, one
transaction per day of the month, every one with a random EIP-55 wallet) and all their
placements confirmed on chain by the chain writer; a catalog and two warehouses, retail
customers and orders placed, paid and shipped, all through the services the API calls
(`customers.create_customer`, `orders.place_order`, `pay_order`, `ship_order`). About
nine in ten distributors sell to a retail customer, whose profit alone is above the plan's
payout minimum, so most distributors get a payout line; the rest earn from their downline
(fast start, unilevel, binary, matching) or carry forward.

Timed, stage by stage: open the period, then `PeriodCloser.close` (the demo's closer, the path
finance takes through the API): compute (maker), approve (checker), anchor, fund the vault, pay
(payout plan, which reads the vault's paid flags, then every `payBatch` confirmed), with the one
chain writer settling each chain step. Afterwards: the period is paid, every leaf was paid
exactly once by the vault's `BatchPaid` events, `paidTotalOf` equals the payout total, gas per
paid line from the batches' receipts, and `lineage audit` of the period package against the
chain (--no-audit skips it). Prints a table; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from period_close_company import SetUp, build_company  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backend.audit import audit_package  # noqa: E402
from backend.audit.connect import open_reader  # noqa: E402
from backend.bootstrap import migrate, seed  # noqa: E402
from backend.chain.audit_reads import AuditReader  # noqa: E402
from backend.chain.gateway import ChainGateway  # noqa: E402
from backend.chain.payouts import PayoutChain  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.dev.demo.close import PeriodCloser  # noqa: E402
from backend.dev.deploy import ensure_deployment  # noqa: E402
from backend.dev.devchain import ManagedGanache  # noqa: E402
from backend.packages import read_package  # noqa: E402
from backend.periods import onchain  # noqa: E402
from backend.periods.models import Period, PeriodPayee, PeriodStatus  # noqa: E402
from backend.periods.service import package_dir  # noqa: E402
from backend.worker.writer import ChainWriter  # noqa: E402

STAGES = ("open", "compute", "approve", "anchor", "fund", "pay")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=30
    )
    return done.stdout.rstrip()


def target_seconds(distributors: int) -> float:
    return 60.0 if distributors <= 10_000 else 600.0


class TimedPayoutChain(PayoutChain):
    """`PayoutChain` that adds up the time the payout plan spends reading the paid flags."""

    def __init__(self, gateway: ChainGateway) -> None:
        super().__init__(gateway)
        self.flag_seconds = 0.0
        self.flag_reads = 0

    def paid_flags(self, period_id: int, indices: Sequence[int]) -> list[bool]:
        started = time.perf_counter()
        try:
            return super().paid_flags(period_id, indices)
        finally:
            self.flag_seconds += time.perf_counter() - started
            self.flag_reads += len(indices)


@dataclass
class Clock:
    """perf_counter marks: one at the start of each stage, one at the end."""

    marks: list[tuple[str, float]] = field(default_factory=list)

    def step(self, name: str) -> None:
        self.marks.append((name, time.perf_counter()))

    def stages(self, end: float) -> dict[str, float]:
        times = [t for _, t in self.marks] + [end]
        return {name: times[i + 1] - times[i] for i, (name, _) in enumerate(self.marks)}


# -- verification -----------------------------------------------------------------------------


@dataclass
class Checked:
    status: str
    lines: int
    payees: int
    batches: int
    gas: int
    payout_total: int
    paid_total: int
    paid_once: bool
    audit_ok: bool | None = None
    audit_seconds: float | None = None
    audit_findings: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.status == PeriodStatus.paid.value
            and self.paid_once
            and self.paid_total == self.payout_total
            and self.audit_ok is not False
        )


def verify(engine: Engine, chain: PayoutChain, reader: AuditReader, period_id: int) -> Checked:
    with Session(engine) as session:
        period = session.get(Period, period_id)
        assert period is not None
        batches = onchain.batches(session, period_id)
        payees = session.exec(
            select(func.count()).select_from(PeriodPayee).where(PeriodPayee.period_id == period_id)
        ).one()
        lines = int(period.leaf_count or 0)
        total = int(period.payout_total or 0)
        status = str(period.status)
    counts: Counter[int] = Counter()
    for batch in reader.payment_events(period_id).batches:
        counts.update(batch.indices)
    once = set(counts) == set(range(lines)) and set(counts.values()) <= {1}
    return Checked(
        status=status,
        lines=lines,
        payees=int(payees),
        batches=len(batches),
        gas=sum(b.gas_used or 0 for b in batches),
        payout_total=total,
        paid_total=chain.paid_total_of(period_id),
        paid_once=once,
    )


def run_audit(
    settings: Settings, rpc_url: str, deployment: Any, period_id: int, out: Checked
) -> None:
    started = time.perf_counter()
    files = read_package(package_dir(settings, period_id))
    report = audit_package(files, open_reader(deployment, rpc_url))
    out.audit_seconds = time.perf_counter() - started
    out.audit_ok = report.ok
    out.audit_findings = {k: v for k, v in report.count_by_check().items() if v}


# -- report -----------------------------------------------------------------------------------


def report(
    console: Console,
    args: argparse.Namespace,
    setup: SetUp,
    stages: dict[str, float],
    flags: TimedPayoutChain,
    checked: Checked,
    commit: str,
    dirty: list[str],
) -> dict[str, Any]:
    total = sum(stages.values())
    target = target_seconds(args.distributors)
    gas_per_line = checked.gas / checked.lines if checked.lines else 0.0
    meets = checked.ok and total <= target
    table = Table(title=f"period close: {args.distributors:,} distributors, one period, Ganache")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("set-up (not timed in total)", f"{setup.total:.1f} s")
    for name, seconds in setup.seconds.items():
        table.add_row(f"  {name}", f"{seconds:.1f} s")
    for name in STAGES:
        value = f"{stages.get(name, 0.0):.2f} s"
        if name == "pay":
            value += f" (of which plan's paid-flag reads {flags.flag_seconds:.1f} s)"
        table.add_row(name, value)
    table.add_row("total (open..paid)", f"{total:.2f} s")
    table.add_row("target", f"{target:.0f} s")
    table.add_row("meets target", "yes" if meets else "NO")
    table.add_row("status", checked.status)
    earners = checked.lines / args.distributors if args.distributors else 0.0
    table.add_row("payout lines", f"{checked.lines:,} ({earners:.0%} of distributors)")
    table.add_row("payees (incl. carry-forward)", f"{checked.payees:,}")
    table.add_row("batches", f"{checked.batches}")
    table.add_row("gas per paid line", f"{gas_per_line:,.0f}")
    table.add_row("payout total = paidTotalOf", f"{checked.paid_total == checked.payout_total}")
    table.add_row("every leaf paid exactly once", f"{checked.paid_once}")
    if checked.audit_ok is None:
        table.add_row("audit", "skipped")
    else:
        verdict = "pass" if checked.audit_ok else f"FAIL {checked.audit_findings}"
        table.add_row(
            "audit (lineage audit, not timed)", f"{verdict} in {checked.audit_seconds:.1f} s"
        )
    table.add_row("orders / retail customers", f"{setup.orders:,} / {setup.customers:,}")
    short = commit.split()[0] if commit else "?"
    table.add_row("commit", short + (" + uncommitted changes (below)" if dirty else ""))
    console.print(table)
    if dirty:
        console.print(
            f"uncommitted in the working tree while measured: {', '.join(dirty)}",
            soft_wrap=True,
            highlight=False,
        )
    figures: dict[str, Any] = {
        "bench": "period_close",
        "distributors": args.distributors,
        "seed": args.seed,
        "commit": commit,
        "dirty": dirty,
        "setup_s": round(setup.total, 2),
        "setup_parts_s": {k: round(v, 2) for k, v in setup.seconds.items()},
        "stages_s": {k: round(v, 3) for k, v in stages.items()},
        "paid_flag_reads_s": round(flags.flag_seconds, 3),
        "total_s": round(total, 3),
        "target_s": target,
        "status": checked.status,
        "lines": checked.lines,
        "payees": checked.payees,
        "batches": checked.batches,
        "gas_total": checked.gas,
        "gas_per_line": round(gas_per_line, 1),
        "payout_total": checked.payout_total,
        "paid_total": checked.paid_total,
        "paid_exactly_once": checked.paid_once,
        "audit_ok": checked.audit_ok,
        "audit_s": None if checked.audit_seconds is None else round(checked.audit_seconds, 2),
        "orders": setup.orders,
        "meets_target": meets,
    }
    console.print(json.dumps(figures), soft_wrap=True, highlight=False, markup=False)
    return figures


# -- main -------------------------------------------------------------------------------------


BENCH_PLAN = Path(__file__).resolve().parents[1] / "ledger" / "plans" / "binary_hybrid.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distributors", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", type=Path, help="data folder to create and keep (empty)")
    parser.add_argument("--save", action="store_true", help="write bench/results/...txt")
    parser.add_argument("--no-audit", action="store_true", help="skip lineage audit afterwards")
    args = parser.parse_args()
    if args.distributors < 1:
        parser.error("--distributors must be at least 1")
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"{args.keep} is not empty")
    console = Console(record=True, width=110)
    commit = git("log", "--oneline", "-1")
    dirty = [line[3:] for line in git("status", "--porcelain", "-uno").splitlines()]
    work = args.keep or Path(tempfile.mkdtemp(prefix="lineage-close-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    settings = Settings(
        data_dir=work,
        database_url=f"sqlite:///{(work / 'lineage.db').as_posix()}",
        deployment_file=work / "deployment.json",
        secret_key=SecretStr("x" * 40),
        admin_email="bench@example.com",
        admin_password=SecretStr("bench-password-1"),
    )
    # The bench company prices in US dollars and is paid in USDT, pegged 1:1: the fixed-point
    # binary hybrid plan needs no exchange rate (the company plan values points in roubles).
    shutil.copy(BENCH_PLAN, work / "plan.toml")
    setup = SetUp()
    console.print(
        f"# uv run python bench/period_close.py --distributors {args.distributors} "
        f"--seed {args.seed}  ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
        f"{os.cpu_count()} cores, commit {commit.split()[0] if commit else '?'})",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"data folder: {work}", highlight=False)
    engine = make_engine(settings.resolved_database_url)
    try:
        mark = time.perf_counter()
        migrate(engine)
        seed(engine, settings)
        setup.seconds["database"] = time.perf_counter() - mark
        mark = time.perf_counter()
        with ManagedGanache(work, port=free_port()) as node:
            deployment = ensure_deployment(
                rpc_url=node.rpc_url,
                record_path=settings.resolved_deployment_file,
                deployer_key=node.writer_key(),
                tree_width=settings.tree_width,
                root_id=settings.default_sponsor_id,
            )
            gateway = ChainGateway(node.rpc_url, deployment, private_key=node.writer_key())
            chain = TimedPayoutChain(gateway)
            writer = ChainWriter(engine, gateway, settings)
            closer = PeriodCloser(engine, settings, writer, chain)
            setup.seconds["ganache + deploy"] = time.perf_counter() - mark
            company, close_at = build_company(engine, settings, writer, args, rng, setup, console)
            console.print(
                f"set-up done in {setup.total:.1f} s; closing the period", highlight=False
            )

            assert company.admin.id is not None
            assert company.finance.id is not None and company.checker.id is not None
            clock = Clock()
            clock.step("open")
            period_id = closer.open(actor_id=company.admin.id, now=close_at)
            closer.close(
                period_id,
                maker_id=company.finance.id,
                checker_id=company.checker.id,
                now=close_at,
                step=clock.step,
            )
            stages = clock.stages(time.perf_counter())

            reader = AuditReader(node.rpc_url, deployment)
            checked = verify(engine, chain, reader, period_id)
            if not args.no_audit:
                run_audit(settings, node.rpc_url, deployment, period_id, checked)
            report(console, args, setup, stages, chain, checked, commit, dirty)
    finally:
        engine.dispose()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.save:
        out = ROOT / "bench" / "results" / f"period_close_{args.distributors}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(console.export_text())
    if not checked.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
