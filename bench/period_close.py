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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402
from web3 import Web3  # noqa: E402

from backend.audit import audit_package  # noqa: E402
from backend.audit.connect import open_reader  # noqa: E402
from backend.bootstrap import migrate, seed  # noqa: E402
from backend.catalog import service as catalog  # noqa: E402
from backend.catalog.models import ProductCreate  # noqa: E402
from backend.chain.audit_reads import AuditReader  # noqa: E402
from backend.chain.gateway import ChainGateway  # noqa: E402
from backend.chain.payouts import PayoutChain  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.core.model_base import ChainStatus, MovementKind, ProductCategory  # noqa: E402
from backend.dev.demo.close import PeriodCloser, settle  # noqa: E402
from backend.dev.demo.company import FIRST, Company, CompanyBuilder, at, month_starts  # noqa: E402
from backend.dev.deploy import ensure_deployment  # noqa: E402
from backend.dev.devchain import ManagedGanache  # noqa: E402
from backend.genealogy import enrollment  # noqa: E402
from backend.genealogy.models import Distributor, DistributorCreate, Placement  # noqa: E402
from backend.genealogy.tree_cache import PlacementTreeCache  # noqa: E402
from backend.orders import customers  # noqa: E402
from backend.orders import service as orders  # noqa: E402
from backend.orders.models import (  # noqa: E402
    OrderCreate,
    OrderLine,
    OrderLineIn,
    PaymentIn,
    RetailCustomerCreate,
)
from backend.packages import read_package  # noqa: E402
from backend.periods.models import Period, PeriodBatch, PeriodPayee, PeriodStatus  # noqa: E402
from backend.periods.service import package_dir  # noqa: E402
from backend.stock import service as stock  # noqa: E402
from backend.stock.models import WarehouseCreate  # noqa: E402
from backend.worker.writer import ChainWriter  # noqa: E402

STAGES = ("open", "compute", "approve", "anchor", "fund", "pay")
ENROLL_DAYS = 27  # days 2..28 of the month, as the demo company
ORDER_SESSION_BUYERS = 1_000  # buyers whose orders share one session (each call commits)
USD = 1_000_000  # the payout token's minor units per unit (6 decimals)
# (retail, wholesale, pv, cv): a retail sale of one unit earns the seller retail - wholesale,
# at least 20 USDT, the plan's payout minimum; own orders of 1-2 units make them active.
PRODUCTS = (
    (60 * USD, 40 * USD, 60, 48),
    (75 * USD, 50 * USD, 75, 60),
    (90 * USD, 60 * USD, 90, 72),
    (120 * USD, 80 * USD, 110, 88),
    (150 * USD, 100 * USD, 130, 104),
)


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
class SetUp:
    seconds: dict[str, float] = field(default_factory=dict)
    distributors: int = 0
    customers: int = 0
    orders: int = 0
    order_lines: int = 0

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


@dataclass
class Clock:
    """perf_counter marks: one at the start of each stage, one at the end."""

    marks: list[tuple[str, float]] = field(default_factory=list)

    def step(self, name: str) -> None:
        self.marks.append((name, time.perf_counter()))

    def stages(self, end: float) -> dict[str, float]:
        times = [t for _, t in self.marks] + [end]
        return {name: times[i + 1] - times[i] for i, (name, _) in enumerate(self.marks)}


# -- set-up -----------------------------------------------------------------------------------


def random_wallet(rng: random.Random) -> str:
    return str(Web3.to_checksum_address(f"0x{rng.getrandbits(160):040x}"))


def spread(count: int, days: int) -> list[int]:
    """The enrollment wave builds up over the month (as the demo's)."""
    weights = [1.0 + 2.0 * d / days for d in range(days)]
    total = sum(weights)
    shares = [int(count * w / total) for w in weights]
    shares[-1] += count - sum(shares)
    return shares


def make_catalog(
    engine: Engine, company: Company, settings: Settings, now: datetime
) -> tuple[list[tuple[int, str, int, int, int, int]], list[int]]:
    """Products (id, sku, retail, wholesale, pv, cv) and two warehouses, stocked."""
    products: list[tuple[int, str, int, int, int, int]] = []
    warehouses: list[int] = []
    assert company.admin.id is not None
    with Session(engine) as session:
        for number, (retail, wholesale, pv, cv) in enumerate(PRODUCTS, start=1):
            made = catalog.create_product(
                session,
                ProductCreate(
                    sku=f"BENCH-{number:03d}",
                    name_ru=f"Товар {number}",
                    name_en=f"Bench product {number}",
                    category=ProductCategory.product,
                    retail_price=retail,
                    wholesale_price=wholesale,
                    currency="USD",
                    pv=pv,
                    cv=cv,
                ),
            )
            assert made.id is not None
            products.append((made.id, made.sku, retail, wholesale, pv, cv))
        for code, name in (("MSK", "Moscow"), ("SPB", "St Petersburg")):
            house = stock.create_warehouse(
                session, WarehouseCreate(code=code, name=f"Bench {name}", country="RU")
            )
            assert house.id is not None
            warehouses.append(house.id)
        for house_id in warehouses:
            for product_id, *_ in products:
                stock.move(
                    session,
                    warehouse_id=house_id,
                    product_id=product_id,
                    kind=MovementKind.receipt,
                    quantity=10_000_000,
                    actor_id=company.admin.id,
                    default_threshold=settings.low_stock_default,
                    now=now,
                )
        session.commit()
    return products, warehouses


def enroll(
    engine: Engine,
    settings: Settings,
    company: Company,
    count: int,
    rng: random.Random,
    tick: Callable[[int], None],
) -> dict[int, date]:
    """N distributors through the enrollment service, one transaction per day; id -> day."""
    trees = PlacementTreeCache(width=settings.tree_width, root_id=settings.default_sponsor_id)
    first = company.months[0]
    days = [first + timedelta(days=d) for d in range(1, ENROLL_DAYS + 1)]
    joined: dict[int, date] = {}
    known = [settings.default_sponsor_id]
    for day, wave in zip(days, spread(count, len(days)), strict=True):
        batch: list[DistributorCreate] = []
        for _ in range(wave):
            number = len(joined) + len(batch) + 2
            # Older distributors have had longer to recruit: favour the front of the list.
            sponsor = known[int(len(known) * rng.random() ** 1.6)]
            batch.append(
                DistributorCreate(
                    first_name=rng.choice(FIRST),
                    last_name=f"Bench-{number:06d}",
                    country="RU",
                    wallet=random_wallet(rng),
                    sponsor_id=sponsor,
                )
            )
        if not batch:
            continue
        with Session(engine) as session:
            made = enrollment.enroll_many(
                session, batch, actor=company.admin, settings=settings, trees=trees, now=at(day, 10)
            )
            ids = [int(d.id) for d in made if d.id is not None]
        known.extend(ids)
        joined.update(dict.fromkeys(ids, day))
        tick(len(ids))
    return joined


def write_orders(
    engine: Engine,
    settings: Settings,
    company: Company,
    joined: dict[int, date],
    products: list[tuple[int, str, int, int, int, int]],
    warehouses: list[int],
    rng: random.Random,
    result: SetUp,
) -> None:
    """Retail customers and shipped orders through the services the API calls (create the
    customer; place, pay and ship the order), each at its moment of the month."""
    last_day = company.months[0] + timedelta(days=ENROLL_DAYS)
    threshold = settings.low_stock_default
    buyers = list(joined.items())

    def order(session: Session, buyer: int, day: date, customer: int | None, hour: int) -> None:
        retail = customer is not None
        picks = rng.sample(products, 1 if retail else rng.randint(1, 2))
        quantities = [rng.randint(1, 2) for _ in picks]
        warehouse = rng.choice(warehouses)
        placed = at(day, hour, rng.randrange(30))
        data = OrderCreate(
            distributor_id=buyer,
            customer_id=customer,
            warehouse_id=warehouse,
            lines=[
                OrderLineIn(product_id=p[0], quantity=q)
                for p, q in zip(picks, quantities, strict=True)
            ],
        )
        made, _ = orders.place_order(
            session,
            data,
            actor=company.admin,
            idempotency_key=None,
            default_threshold=threshold,
            now=placed,
        )
        assert made.id is not None
        payment = PaymentIn(
            amount=made.total_amount, currency=made.currency, reference=f"BENCH-{made.id}"
        )
        orders.pay_order(
            session,
            made.id,
            payment,
            actor=company.finance,
            idempotency_key=None,
            now=placed + timedelta(minutes=30),
        )
        orders.ship_order(
            session,
            made.id,
            actor=company.admin,
            now=placed + timedelta(hours=3),
            default_threshold=threshold,
        )
        result.orders += 1

    for start in range(0, len(buyers), ORDER_SESSION_BUYERS):
        with Session(engine) as session:
            for buyer, day in buyers[start : start + ORDER_SESSION_BUYERS]:
                span = (last_day - day).days
                if rng.random() < 0.9:
                    order(session, buyer, day + timedelta(days=rng.randint(0, span)), None, 11)
                if rng.random() < 0.9:
                    customer = customers.create_customer(
                        session,
                        RetailCustomerCreate(
                            first_name=rng.choice(FIRST),
                            last_name=f"Customer-{buyer:06d}",
                            distributor_id=buyer,
                        ),
                        actor=company.admin,
                    )
                    assert customer.id is not None
                    result.customers += 1
                    sale_day = day + timedelta(days=rng.randint(0, span))
                    order(session, buyer, sale_day, customer.id, 15)
    with Session(engine) as session:
        lines = session.exec(select(func.count()).select_from(OrderLine)).one()
    result.order_lines = int(lines)


def pending_placements(engine: Engine) -> int:
    with Session(engine) as session:
        query = (
            select(func.count())
            .select_from(Placement)
            .where(col(Placement.chain_status) != ChainStatus.confirmed)
        )
        return int(session.exec(query).one())


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
        batches = list(session.exec(select(PeriodBatch).where(PeriodBatch.period_id == period_id)))
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


def build_company(
    engine: Engine,
    settings: Settings,
    writer: ChainWriter,
    args: argparse.Namespace,
    rng: random.Random,
    setup: SetUp,
    console: Console,
) -> tuple[Company, datetime]:
    """The month's company, every placement confirmed on chain; the moment to close at."""
    month = month_starts(1, datetime.now(UTC).date())[0]
    following = (month + timedelta(days=32)).replace(day=1)
    close_at = min(at(following + timedelta(days=1), 9), datetime.now(UTC))
    builder = CompanyBuilder(engine, settings, seed=args.seed)

    mark = time.perf_counter()
    company = builder.users([month])  # finance maker and checker, auditor; root backdated
    products, warehouses = make_catalog(engine, company, settings, at(month, 1))
    done = [0]

    def tick(count: int) -> None:
        done[0] += count
        if done[0] % 10_000 < count:
            console.print(f"  enrolled {done[0]:,}", highlight=False)

    joined = enroll(engine, settings, company, args.distributors, rng, tick)
    company.distributor_ids = list(joined)
    setup.distributors = len(joined)
    setup.seconds["enroll (service)"] = time.perf_counter() - mark

    mark = time.perf_counter()
    write_orders(engine, settings, company, joined, products, warehouses, rng, setup)
    setup.seconds["orders (service)"] = time.perf_counter() - mark

    mark = time.perf_counter()
    settle(writer, rounds=100_000)
    left = pending_placements(engine)
    if left:
        raise SystemExit(f"{left} placements are not confirmed on chain after the writer settled")
    setup.seconds["placements on chain"] = time.perf_counter() - mark
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Distributor)).one()
    console.print(
        f"company: {int(count):,} distributors (with the root), {setup.orders:,} orders, "
        f"every placement confirmed on chain",
        highlight=False,
    )
    return company, close_at


if __name__ == "__main__":
    main()
