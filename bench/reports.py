"""Server time of each report's first page, and an XLSX export of 100,000 rows with its memory.

    uv run python bench/reports.py [--distributors 100000] [--runs 20] [--xlsx-rows 100000]

The company is `bench/office.py`'s (the downline bench's random tree, loaded into a SQLite file
under var/bench/, made once), with one Tea per distributor bought and paid in January 2026 (one
order line each, in bulk), the binary hybrid plan's monthly calendar, and period 1 opened and
computed by the real `compute` (so its package, standings, lines and payees are the service's
own). Each report is then asked for through the real app (`/api/reports/{name}`, an admin's
token, FastAPI's TestClient): the time around each request, p95 of `--runs`. The XLSX export
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import office  # noqa: E402  (the company and its SQLite loader)
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.bootstrap import seed  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.security import create_access_token  # noqa: E402
from backend.main import create_app  # noqa: E402
from backend.periods import compute, service  # noqa: E402
from backend.periods.models import Period  # noqa: E402
from backend.rates.models import ExchangeRate  # noqa: E402
from backend.reports.export import write_xlsx  # noqa: E402
from backend.reports.framework import Chart, Column, Kind, Report  # noqa: E402
from backend.reports.registry import REPORTS  # noqa: E402

SECRET = "bench-secret-key-of-at-least-32-characters"
PAID = datetime(2026, 1, 15, 12, tzinfo=UTC)
CHUNK = 20_000


def settings_for(data: Path) -> Settings:
    return Settings(
        data_dir=data,
        admin_email="admin@bench.example",
        admin_password="admin-password-1",  # type: ignore[arg-type]
        secret_key=SECRET,  # type: ignore[arg-type]
    )


def prepare(engine: Engine, settings: Settings, n: int) -> int:
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
        if session.get(Period, 1) is not None and session.get(Period, 1).manifest:  # type: ignore[union-attr]
            return admin.id
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO product (sku, name_ru, name_en, description_ru, description_en,"
                " category, retail_price, wholesale_price, currency, pv, cv, vat_category,"
                " active, created_at, updated_at) VALUES ('TEA', 'Чай', 'Tea', '', '',"
                " 'product', 1000, 800, 'RUB', 100, 100, 'standard', 1, :t, :t)"
            ),
            {"t": PAID},
        )
        conn.execute(
            sa.text(
                "INSERT INTO warehouse (code, name, active, created_at)"
                " VALUES ('MSK', 'Moscow', 1, :t)"
            ),
            {"t": PAID},
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
        for start in range(2, n + 1, CHUNK):
            ids = range(start, min(start + CHUNK, n + 1))
            conn.execute(
                sa.text(
                    "INSERT INTO sales_order (id, distributor_id, warehouse_id, status, currency,"
                    " total_amount, total_pv, total_cv, created_by, created_at, paid_at)"
                    " VALUES (:id, :id, 1, 'paid', 'RUB', 800, 100, 100, :admin, :t, :t)"
                ),
                [{"id": i, "admin": admin.id, "t": PAID} for i in ids],
            )
            conn.execute(
                sa.text(
                    "INSERT INTO order_line (id, order_id, line_no, product_id, sku, quantity,"
                    " unit_price, amount, pv, cv, returned_quantity, clawback, retail_unit,"
                    " wholesale_unit, vat_category, vat_rate_bp, net, vat, gross)"
                    " VALUES (:id, :id, 1, 1, 'TEA', 1, 800, 800, 100, 100, 0, 0, 1000, 800,"
                    " 'standard', 2000, 667, 133, 800)"
                ),
                [{"id": i} for i in ids],
            )
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.email == settings.admin_email)).one()
        now = datetime(2026, 2, 2, tzinfo=UTC)
        service.open_next(session, settings, actor=admin, now=now)
        compute.compute(session, settings, 1, actor=admin, now=now)
        assert admin.id is not None
        admin_id = admin.id
    took = time.perf_counter() - started
    print(f"orders and period 1 computed in {took:.0f} s", file=sys.stderr)
    return admin_id


def measure(engine: Engine, settings: Settings, admin: int, runs: int) -> dict[str, float]:
    app = create_app(settings, engine=engine)
    token = create_access_token(subject=admin, secret=SECRET, minutes=600, now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {token}"}
    found: dict[str, float] = {}
    with TestClient(app) as client:
        for name in REPORTS:
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(f"/api/reports/{name}", headers=headers)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            found[name] = office.p95(samples) * 1000
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--distributors", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--xlsx-only", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.xlsx_only:
        took, mib = xlsx_here(args.xlsx_only)
        print(f"{took:.3f} {mib:.1f}")
        return
    n = args.distributors
    company = office.Company.build(n, args.seed)
    engine = office.load_sqlite(office.SQLITE_DIR / f"reports-{n}.db", company, args.seed)
    settings = settings_for(office.SQLITE_DIR / f"reports-{n}")
    try:
        admin = prepare(engine, settings, n)
        times = measure(engine, settings, admin, args.runs)
    finally:
        engine.dispose()
    small_s, small_mib = xlsx(args.xlsx_rows // 10)
    big_s, big_mib = xlsx(args.xlsx_rows)
    print(f"SQLite, {n:,} distributors, {n - 1:,} order lines; p95 of {args.runs}, ms")
    for name, ms in times.items():
        print(f"  {name:<22} {ms:8.1f}")
    print(f"XLSX {args.xlsx_rows // 10:>7,} rows: {small_s:6.2f} s, peak +{small_mib:6.1f} MiB RSS")
    print(f"XLSX {args.xlsx_rows:>7,} rows: {big_s:6.2f} s, peak +{big_mib:6.1f} MiB RSS")
    print(
        json.dumps(
            {
                "bench": "reports",
                "database": "sqlite",
                "distributors": n,
                "runs": args.runs,
                "p95_ms": {k: round(v, 1) for k, v in times.items()},
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
