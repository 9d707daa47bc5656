"""The company `bench/period_close.py` closes a period of: one month of N distributors, their
catalog, customers and orders, all through the services the API calls, and every placement
confirmed on chain by the chain writer. Timed apart from the close (`SetUp`).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from rich.console import Console
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from web3 import Web3

from backend.catalog import service as catalog
from backend.catalog.models import ProductCreate
from backend.core.config import Settings
from backend.core.model_base import ChainStatus, MovementKind, ProductCategory
from backend.dev.demo.close import settle
from backend.dev.demo.company import FIRST, Company, CompanyBuilder, at, month_starts, pay_and_ship
from backend.genealogy import enrollment
from backend.genealogy.models import Distributor, DistributorCreate, Placement
from backend.genealogy.tree_cache import PlacementTreeCache
from backend.orders import customers
from backend.orders import service as orders
from backend.orders.models import (
    OrderCreate,
    OrderLine,
    OrderLineIn,
    RetailCustomerCreate,
)
from backend.stock import service as stock
from backend.stock.models import WarehouseCreate
from backend.worker.writer import ChainWriter

ENROLL_DAYS = 27  # days 2..28 of the month, as the demo company
ORDER_SESSION_BUYERS = 1_000  # buyers whose orders share one session (each call commits)
USD = 100  # cents: products are priced in US dollars (the payout token is pegged to them)
# (retail, wholesale, pv, cv): a retail sale of one unit earns the seller retail - wholesale,
# at least 20 USDT, the plan's payout minimum; own orders of 1-2 units make them active.
PRODUCTS = (
    (60 * USD, 40 * USD, 60, 48),
    (75 * USD, 50 * USD, 75, 60),
    (90 * USD, 60 * USD, 90, 72),
    (120 * USD, 80 * USD, 110, 88),
    (150 * USD, 100 * USD, 130, 104),
)


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
        pay_and_ship(session, company, made, placed=placed, reference="BENCH", threshold=threshold)
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
