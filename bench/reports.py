"""Server time of each report's first page, and an XLSX export of 100,000 rows with its memory.

    uv run python bench/reports.py [--databases sqlite] [--distributors 100000]
        [--order-lines N] [--runs 20] [--xlsx-rows 100000]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/lineage_bench_reports]
    uv run python bench/reports.py --databases postgres --distributors 1000000 \
        --order-lines 5000000 [--periods 2] [--leader]

The company is `bench/office.py`'s (the downline bench's random tree), loaded into a SQLite
file under var/bench/, or into the PostgreSQL database `--url` names by the downline bench's
COPY loader; each is made once and reused (a file or database per size, the period packages in
var/bench/). Every distributor but the root has one order, paid in January 2026, of
`--order-lines` / (n - 1) lines (default one line each; the first ones one more when it does
not divide) of ten products, from two warehouses, written in bulk (COPY on PostgreSQL); the
binary hybrid plan's monthly calendar; and period 1 opened and computed by the real `compute`
(so its package, standings, lines and payees are the service's own). With `--periods 2`,
period 1 is approved through the service by a second finance user and February's orders (two
of every three distributors buy 1 to 4 units again) are computed as period 2, so every window
holds two periods and the movers and changes compare them. Summaries a period lacks are made
first, as the worker makes them when it starts. Each registered report is then asked for
through the real app (`/api/reports/{name}`, an admin's token, FastAPI's TestClient): the time
around each request, p95 of `--runs`, and with `--leader` again as the leader of the root's
larger first-level team (about half the company) for the reports a leader may see; a report of
cohort retention, when one is registered, also over 24 months. The XLSX export
writes `--xlsx-rows` rows of a payouts-shaped report with `backend.reports.export.write_xlsx`
(write-only mode) into a file in a fresh process, timed, with the peak resident memory the
writing adds, beside a tenth as many rows to show the memory stays flat. Prints a table; the
last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import downline  # noqa: E402  (the PostgreSQL loader)
import office  # noqa: E402  (the company and its SQLite loader)
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.bootstrap import seed  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.core.model_base import Role  # noqa: E402
from backend.core.security import create_access_token  # noqa: E402
from backend.genealogy.models import Distributor  # noqa: E402
from backend.genealogy.tree_path import subtree_end  # noqa: E402
from backend.main import create_app  # noqa: E402
from backend.orders.models import Order, OrderLine  # noqa: E402
from backend.periods import compute, service  # noqa: E402
from backend.periods.member_sales import make_missing  # noqa: E402
from backend.periods.models import Period, PeriodStatus  # noqa: E402
from backend.rates.models import ExchangeRate  # noqa: E402
from backend.reports.export import write_xlsx  # noqa: E402
from backend.reports.framework import Chart, Column, Kind, Report  # noqa: E402
from backend.reports.registry import REPORTS  # noqa: E402

SECRET = "bench-secret-key-of-at-least-32-characters"
PAID = datetime(2026, 1, 15, 12, tzinfo=UTC)
CHUNK = 20_000
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lineage_bench_reports"


def settings_for(data: Path) -> Settings:
    return Settings(
        data_dir=data,
        admin_email="admin@bench.example",
        admin_password="admin-password-1",  # type: ignore[arg-type]
        secret_key=SECRET,  # type: ignore[arg-type]
    )


PRODUCTS = 10
PRODUCT_COLUMNS = (
    "id, sku, name_ru, name_en, description_ru, description_en, category, retail_price,"
    " wholesale_price, currency, pv, cv, vat_category, active, created_at, updated_at"
)
ORDER_COLUMNS = (
    "id, distributor_id, warehouse_id, status, currency, total_amount, total_pv, total_cv,"
    " created_by, created_at, paid_at"
)
LINE_COLUMNS = (
    "id, order_id, line_no, product_id, sku, quantity, unit_price, amount, pv, cv,"
    " returned_quantity, clawback, retail_unit, wholesale_unit, vat_category, vat_rate_bp, net,"
    " vat, gross"
)


def order_rows(n: int, lines: int, admin: int) -> tuple[list[tuple[Any, ...]], Any]:
    """One order per distributor 2..n (their id), and a generator of its lines: `lines` in all,
    spread evenly (the first orders one more when it does not divide), product by line id."""
    orders = n - 1
    each, extra = divmod(lines, orders)
    heads = [(d, d, 1 + d % 2, "paid", "RUB", 0, 0, 0, admin, PAID, PAID) for d in range(2, n + 1)]

    def line_rows() -> Any:
        line = 0
        for d in range(2, n + 1):
            for number in range(1, each + (1 if d - 2 < extra else 0) + 1):
                line += 1
                product = 1 + line % PRODUCTS
                yield (line, d, number, product, f"P{product:02d}", 1, 800, 800, 100, 100, 0, 0) + (
                    1000,
                    800,
                    "standard",
                    2000,
                    667,
                    133,
                    800,
                )

    return heads, line_rows()


def write_orders(conn: Any, heads: list[tuple[Any, ...]], line_rows: Any) -> None:
    """Orders and their lines in bulk: COPY on PostgreSQL, batched inserts on SQLite."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cur:
            with cur.copy(f"COPY sales_order ({ORDER_COLUMNS}) FROM STDIN") as copy:
                for row in heads:
                    copy.write_row(row)
            with cur.copy(f"COPY order_line ({LINE_COLUMNS}) FROM STDIN") as copy:
                for row in line_rows:
                    copy.write_row(row)
        return
    marks = ", ".join("?" * len(heads[0]))
    for start in range(0, len(heads), CHUNK):
        conn.exec_driver_sql(
            f"INSERT INTO sales_order ({ORDER_COLUMNS}) VALUES ({marks})",
            heads[start : start + CHUNK],
        )
    marks = ", ".join("?" * len(LINE_COLUMNS.split(",")))
    batch: list[tuple[Any, ...]] = []
    for row in line_rows:
        batch.append(row)
        if len(batch) == CHUNK:
            conn.exec_driver_sql(f"INSERT INTO order_line ({LINE_COLUMNS}) VALUES ({marks})", batch)
            batch = []
    if batch:
        conn.exec_driver_sql(f"INSERT INTO order_line ({LINE_COLUMNS}) VALUES ({marks})", batch)


def renumber(engine: Engine) -> None:
    """PostgreSQL's sequences past the copied ids, and the tables' statistics fresh."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("sales_order", "order_line"):
            conn.exec_driver_sql(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def prepare(engine: Engine, settings: Settings, n: int, lines: int) -> int:
    """Catalog, orders, rates and a computed period 1 (once); the admin's user id."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    plan = office.PLAN.read_text().replace(
        "[rounding]", '[calendar]\nperiod = "monthly"\nstart = 2026-01-01\n\n[rounding]'
    )
    (settings.data_dir / "plan.toml").write_text(plan)
    seed(engine, settings)
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.email == settings.admin_email)).one()
        assert admin.id is not None
        admin_id = admin.id
        period = session.get(Period, 1)
        # January's lines (period 2's, when made, are February's).
        counted = session.exec(
            sa.select(sa.func.count())
            .select_from(OrderLine)
            .join(Order, col(Order.id) == col(OrderLine.order_id))
            .where(col(Order.paid_at) < datetime(2026, 2, 1, tzinfo=UTC))
        ).one()[0]  # type: ignore[call-overload]
        if period is not None and period.manifest:
            if counted != lines:
                raise SystemExit(
                    f"this database's period 1 counts {counted:,} order lines, not {lines:,}:"
                    " name another database (--url) or file for another size"
                )
            return admin_id
    started = time.perf_counter()
    # Orders written once: a run stopped during the compute keeps them for the next.
    if counted != lines:
        postgres = engine.dialect.name == "postgresql"
        with engine.begin() as conn:
            for table in ("order_line", "sales_order", "product", "warehouse", "exchange_rate"):
                conn.execute(sa.text(f"DELETE FROM {table}"))
            conn.execute(
                sa.text(
                    f"INSERT INTO product ({PRODUCT_COLUMNS})"
                    " VALUES (:id, :sku, :name, :name, '', '', :category, 1000, 800, 'RUB',"
                    " 100, 100, 'standard', :active, :t, :t)"
                ),
                [
                    {
                        "id": i,
                        "sku": f"P{i:02d}",
                        "name": f"Товар {i}",
                        "category": "product",
                        "active": True,
                        "t": PAID,
                    }
                    for i in range(1, PRODUCTS + 1)
                ],
            )
            conn.execute(
                sa.text(
                    "INSERT INTO warehouse (id, code, name, active, created_at)"
                    " VALUES (1, 'MSK', 'Moscow', :a, :t), (2, 'SPB', 'St Petersburg', :a, :t)"
                ),
                {"t": PAID, "a": True},
            )
            conn.execute(
                ExchangeRate.__table__.insert(),  # type: ignore[attr-defined]
                [
                    {
                        "base": "USD",
                        "quote": "RUB",
                        "day": date(2026, 1, 1),
                        "rate": "81.2345",
                        "source": "bench",
                    }
                ],
            )
            heads, line_rows = order_rows(n, lines, admin_id)
            write_orders(conn, heads, line_rows)
        if postgres:
            renumber(engine)
        took = time.perf_counter() - started
        print(f"{lines:,} order lines written in {took:.0f} s", file=sys.stderr)
    loaded = time.perf_counter() - started
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.email == settings.admin_email)).one()
        now = datetime(2026, 2, 2, tzinfo=UTC)
        if session.get(Period, 1) is None:
            service.open_next(session, settings, actor=admin, now=now)
        compute.compute(session, settings, 1, actor=admin, now=now)
    took = time.perf_counter() - started - loaded
    print(f"period 1 computed in {took:.0f} s", file=sys.stderr)
    return admin_id


SECOND = datetime(2026, 2, 14, 12, tzinfo=UTC)
CHECKER = "checker@bench.example"


def second_orders(n: int, first_order: int, first_line: int, admin: int) -> tuple[list[Any], Any]:
    """February's orders: two of every three distributors buy again (those whose id is not a
    multiple of three), one line of 1 to 4 units by id, so GV rises and falls across the
    tree; ids after January's."""
    buyers = [d for d in range(2, n + 1) if d % 3]
    heads = [
        (first_order + k, d, 1 + d % 2, "paid", "RUB", 0, 0, 0, admin, SECOND, SECOND)
        for k, d in enumerate(buyers)
    ]

    def line_rows() -> Any:
        for k, d in enumerate(buyers):
            u, product = 1 + d % 4, 1 + d % PRODUCTS
            yield (first_line + k, first_order + k, 1, product, f"P{product:02d}", u, 800) + (
                800 * u,
                100 * u,
                100 * u,
                0,
                0,
                1000,
                800,
                "standard",
                2000,
                667 * u,
                133 * u,
                800 * u,
            )

    return heads, line_rows()


def prepare_second(engine: Engine, settings: Settings, n: int, admin_id: int) -> None:
    """Period 1 approved through the service by a second finance user (maker-checker), then
    February's orders written and period 2 opened and computed (once): every report's window
    then holds two computed periods, and the movers and changes compare them."""
    with Session(engine) as session:
        second = session.get(Period, 2)
        if second is not None and second.manifest:
            return
        started = time.perf_counter()
        checker = session.exec(select(User).where(User.email == CHECKER)).first()
        if checker is None:
            checker = User(
                email=CHECKER, full_name="Checker", role=Role.finance, hashed_password="!"
            )
            session.add(checker)
            session.commit()
        first = session.get(Period, 1)
        assert first is not None
        if first.status == PeriodStatus.computed:
            compute.approve(
                session,
                settings,
                1,
                computation=first.computations,
                actor=checker,
                now=datetime(2026, 2, 3, tzinfo=UTC),
            )
        if second is None:
            top = session.exec(sa.select(sa.func.max(OrderLine.id))).one()[0]  # type: ignore[call-overload]
            orders = session.exec(sa.select(sa.func.max(Order.id))).one()[0]  # type: ignore[call-overload]
            heads, lines = second_orders(n, int(orders) + 1, int(top) + 1, admin_id)
            with engine.begin() as conn:
                write_orders(conn, heads, lines)
            if engine.dialect.name == "postgresql":
                renumber(engine)
            admin = session.get(User, admin_id)
            assert admin is not None
            service.open_next(session, settings, actor=admin, now=datetime(2026, 3, 2, tzinfo=UTC))
        admin = session.get(User, admin_id)
        assert admin is not None
        compute.compute(session, settings, 2, actor=admin, now=datetime(2026, 3, 2, tzinfo=UTC))
    print(f"period 2 computed in {time.perf_counter() - started:.0f} s", file=sys.stderr)


LEADER = "leader@bench.example"


def leader_of_most(engine: Engine) -> tuple[int, int]:
    """A distributor's user for the root's child with the most people placed below (about
    half the company in the bench's random tree), made once; (user id, their team's size)."""
    with Session(engine) as session:
        best: tuple[int, int] | None = None
        for child in session.exec(select(Distributor).where(Distributor.tree_depth == 1)):
            path = child.tree_path
            assert path is not None and child.id is not None
            size = session.exec(
                sa.select(sa.func.count())
                .select_from(Distributor)
                .where(col(Distributor.tree_path) >= path)
                .where(col(Distributor.tree_path) < subtree_end(path))
            ).one()[0]  # type: ignore[call-overload]
            if best is None or size > best[1]:
                best = (child.id, int(size))
        assert best is not None, "the company has nobody below its root"
        user = session.exec(select(User).where(User.email == LEADER)).first()
        if user is None:
            user = User(
                email=LEADER,
                role=Role.distributor,
                distributor_id=best[0],
                hashed_password="!",
            )
            session.add(user)
            session.commit()
            session.refresh(user)
        assert user.id is not None and user.distributor_id == best[0]
        return user.id, best[1]


def measure(
    engine: Engine, settings: Settings, user: int, runs: int, only: set[str] | None = None
) -> dict[str, float]:
    """p95 ms of each registered report's first page the user may see (a leader is refused
    the company's compliance and disclosure figures: left out); a cohort retention report (by
    its name) also over the 24 months before the period's end."""
    app = create_app(settings, engine=engine)
    token = create_access_token(subject=user, secret=SECRET, minutes=600, now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {token}"}
    asks: list[tuple[str, str, dict[str, str]]] = [(name, name, {}) for name in REPORTS]
    asks += [
        (f"{name} (24 months)", name, {"from": "2024-02-01", "to": "2026-01-31"})
        for name in REPORTS
        if "retention" in name or "cohort" in name
    ]
    asks = [ask for ask in asks if only is None or ask[1] in only]
    found: dict[str, float] = {}
    with TestClient(app) as client:
        for label, name, query in asks:
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(f"/api/reports/{name}", params=query, headers=headers)
                samples.append(time.perf_counter() - started)
                if response.status_code == 403:
                    break
                assert response.status_code == 200, response.text
            else:
                found[label] = office.p95(samples) * 1000
    return found


def xlsx(rows: int) -> tuple[float, float]:
    """Seconds and the peak resident memory (MiB) above the process's own before writing,
    for `rows` rows written to a file, in a fresh process (`--xlsx-only`)."""
    done = subprocess.run(
        [sys.executable, __file__, "--xlsx-only", str(rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, mib = done.stdout.split()
    return float(seconds), float(mib)


def xlsx_here(rows: int) -> tuple[float, float]:
    report = Report(
        name="payouts-top",
        title="Top earners",
        columns=[
            Column("id", "ID"),
            Column("name", "Name", Kind.text),
            Column("earned", "Earned", Kind.money),
            Column("pct", "Share", Kind.pct),
        ],
        rows=[],
        chart=Chart("bar", "name", ("earned",)),
        scope="company",
        periods=[1],
        currency="USDT",
        exponent=6,
    )
    generated = (
        [i, f"Имя Фамилия {i}", Decimal(10_000_000 + i).scaleb(-6), Decimal(i % 10_000).scaleb(-4)]
        for i in range(rows)
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryFile() as target:
        started = time.perf_counter()
        write_xlsx(report, str, target, generated)
        took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return took, (peak - before) / 1024


def company_engine(kind: str, n: int, name: str, url: str, seed: int) -> Engine:
    """The company's database, loaded once: a SQLite file, or the PostgreSQL database `url`."""
    if kind == "sqlite":
        company = office.Company.build(n, seed)
        return office.load_sqlite(office.SQLITE_DIR / f"{name}.db", company, seed)
    downline.ensure_database(url)
    downline.load(url, n, seed)
    return make_engine(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--distributors", type=int, default=100_000)
    parser.add_argument("--order-lines", type=int, default=0, help="default: one per person")
    parser.add_argument("--url", default=URL)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--xlsx-only", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--only", default="", help="these reports only (comma-separated names)")
    parser.add_argument(
        "--leader", action="store_true", help="also as the leader of the largest team"
    )
    parser.add_argument(
        "--periods", type=int, choices=(1, 2), default=1, help="2: period 1 approved, 2 computed"
    )
    args = parser.parse_args()
    if args.xlsx_only:
        took, mib = xlsx_here(args.xlsx_only)
        print(f"{took:.3f} {mib:.1f}")
        return
    n = args.distributors
    lines = args.order_lines or n - 1
    figures: dict[str, dict[str, float]] = {}
    for kind in args.databases.split(","):
        # The SQLite file and the packages' folder are named by the size; PostgreSQL's database
        # is --url's (one per size).
        name = f"reports-{n}" + ("" if lines == n - 1 else f"-{lines}")
        if kind != "sqlite":
            name = f"reports-{kind}-{n}-{lines}"
        engine = company_engine(kind, n, name, args.url, args.seed)
        settings = settings_for(office.SQLITE_DIR / name)
        try:
            admin = prepare(engine, settings, n, lines)
            if args.periods == 2:
                prepare_second(engine, settings, n, admin)
            made = time.perf_counter()
            with Session(engine) as session:  # as the worker does when it starts
                done = make_missing(session, settings)
            if done:
                took = time.perf_counter() - made
                print(f"summaries of periods {done} made in {took:.0f} s", file=sys.stderr)
            if kind != "sqlite":  # as autovacuum does within a minute of the compute's inserts
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")
            only = set(args.only.split(",")) if args.only else None
            figures[kind] = measure(engine, settings, admin, args.runs, only)
            if args.leader:
                leader, size = leader_of_most(engine)
                team = f"{kind}, a leader of {size:,}"
                figures[team] = measure(engine, settings, leader, args.runs, only)
        finally:
            engine.dispose()
    small_s, small_mib = xlsx(args.xlsx_rows // 10)
    big_s, big_mib = xlsx(args.xlsx_rows)
    for kind, times in figures.items():
        label = kind.replace("sqlite", "SQLite").replace("postgres", "PostgreSQL")
        print(f"{label}, {n:,} distributors, {lines:,} order lines; p95 of {args.runs}, ms")
        for name, ms in times.items():
            print(f"  {name:<32} {ms:8.1f}")
    print(f"XLSX {args.xlsx_rows // 10:>7,} rows: {small_s:6.2f} s, peak +{small_mib:6.1f} MiB RSS")
    print(f"XLSX {args.xlsx_rows:>7,} rows: {big_s:6.2f} s, peak +{big_mib:6.1f} MiB RSS")
    print(
        json.dumps(
            {
                "bench": "reports",
                "distributors": n,
                "order_lines": lines,
                "runs": args.runs,
                "p95_ms": {
                    kind: {k: round(v, 1) for k, v in times.items()}
                    for kind, times in figures.items()
                },
                "xlsx": {
                    "rows": args.xlsx_rows,
                    "seconds": round(big_s, 2),
                    "peak_rss_added_mib": round(big_mib, 1),
                    "tenth_rows_peak_rss_added_mib": round(small_mib, 1),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
