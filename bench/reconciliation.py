"""A partner's reconciliation statement for a whole year: the time to gather its rows and to
issue it (gather, lock the series, render the PDF/A-3b, insert), for a partner ordering once a
week and one ordering every day.

    uv run python bench/reconciliation.py [--orders 52 365]

A fresh SQLite database (migrated), the company's details, one partner per size with
``--orders`` orders spread over 2025 (each paid, then shipped the next day), twelve monthly
anchored periods with their commission paid in tokens (commission, payout and tax rows). The
statement covers 2025-01-01 to 2025-12-31. Prints a table; the last line is JSON. Target: a
year of weekly orders issued in <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from documents import COMPANY  # noqa: E402  (bench/documents.py: the same company)
from sqlmodel import Session  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.bootstrap import migrate  # noqa: E402
from backend.catalog.models import Product  # noqa: E402
from backend.chain_jobs.models import ChainJob, JobKind, JobStatus  # noqa: E402
from backend.company.models import CompanyRequisite  # noqa: E402
from backend.core.days import EPOCH  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.core.model_base import Language, OrderStatus, Role  # noqa: E402
from backend.documents import service  # noqa: E402
from backend.documents.reconciliation import reconciliation_fields  # noqa: E402
from backend.genealogy.models import Distributor  # noqa: E402
from backend.orders.models import Order, OrderLine, Payment  # noqa: E402
from backend.periods.models import Period, PeriodPayee  # noqa: E402
from backend.stock.models import Warehouse  # noqa: E402

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
START, END = date(2025, 1, 1), date(2025, 12, 31)


def world(engine: object, sizes: list[int]) -> User:
    with Session(engine) as session:  # type: ignore[arg-type]
        user = User(email="finance@example.com", role=Role.finance, hashed_password="x")
        session.add(user)
        for name, value in COMPANY.items():
            session.add(CompanyRequisite(name=name, value=value, changed_at=NOW))
        warehouse = Warehouse(code="W1", name="Склад")
        product = Product(
            sku="P1",
            name_ru="Товар",
            name_en="Goods",
            retail_price=1,
            wholesale_price=1,
            currency="RUB",
        )
        session.add_all([warehouse, product])
        session.flush()
        for month in range(1, 13):
            first = date(2025, month, 1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            session.add(
                Period(
                    id=month,
                    start_day=(first - EPOCH).days,
                    end_day=(last - EPOCH).days,
                    status="paid",
                    computations=1,
                    payout_root="0x" + "ab" * 32,
                    currency="RUB",
                    exponent=2,
                )
            )
        session.flush()
        for who, orders in enumerate(sizes, start=1):
            session.add(
                Distributor(
                    first_name=f"Партнёр{who}",
                    last_name="Тестовый",
                    referral_code=f"B{who:06d}",
                    search_name=f"partner {who}",
                )
            )
            session.flush()
            for n in range(orders):
                paid = datetime(2025, 1, 1, 10, tzinfo=UTC) + timedelta(days=n * 364 // orders)
                amount = 150_000 + 37 * n
                order = Order(
                    distributor_id=who,
                    warehouse_id=warehouse.id or 0,
                    status=OrderStatus.shipped,
                    currency="RUB",
                    total_amount=amount,
                    total_pv=0,
                    total_cv=0,
                    created_by=1,
                    created_at=paid,
                    paid_at=paid,
                    shipped_at=paid + timedelta(days=1),
                )
                session.add(order)
                session.flush()
                session.add(
                    OrderLine(
                        order_id=order.id or 0,
                        line_no=1,
                        product_id=product.id or 0,
                        sku="P1",
                        quantity=1,
                        unit_price=amount,
                        amount=amount,
                        pv=0,
                        cv=0,
                        retail_unit=amount,
                        wholesale_unit=amount,
                        vat_category="exempt",
                        vat_rate_bp=0,
                        net=amount,
                        vat=0,
                        gross=amount,
                    )
                )
                session.add(
                    Payment(
                        order_id=order.id or 0,
                        amount=amount,
                        currency="RUB",
                        reference=f"п/п {n}",
                        paid_at=paid,
                        recorded_by=1,
                    )
                )
            for month in range(1, 13):
                earned = 1_000_000 + month * 1_000 + who
                withheld = earned * 13 // 100
                session.add(
                    PeriodPayee(
                        period_id=month,
                        distributor_id=who,
                        earned=earned,
                        clawback=0,
                        balance_in=0,
                        payout=earned - withheld,
                        balance_out=0,
                        leaf_index=who - 1,
                        account="0x" + f"{who:040x}",
                        withheld=withheld,
                        tax_status="individual",
                        rail="token",
                    )
                )
        for month in range(1, 13):
            session.add(
                ChainJob(
                    kind=JobKind.pay,
                    status=JobStatus.confirmed,
                    subject_id=month,
                    payload={"period_id": month, "seq": 0, "indices": [], "amount": 0},
                    tx_hash="0x" + f"{month:064x}",
                    result={"paid": list(range(len(sizes))), "failed": [], "skipped": []},
                    confirmed_at=datetime(2025, month, 28, tzinfo=UTC) + timedelta(days=5),
                )
            )
        session.commit()
        session.refresh(user)
        return user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, nargs="+", default=[52, 365])
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        migrate(engine)
        finance = world(engine, args.orders)
        for who, orders in enumerate(args.orders, start=1):
            with Session(engine) as session:
                started = time.perf_counter()
                fields = reconciliation_fields(session, who, "RUB", START, END, Language.ru)
                gather = time.perf_counter() - started
            with Session(engine) as session:
                started = time.perf_counter()
                document = service.issue_reconciliation(
                    session,
                    who,
                    currency="RUB",
                    start=START,
                    end=END,
                    language=Language.ru,
                    actor=finance,
                    now=NOW,
                )
                issued = time.perf_counter() - started
                started = time.perf_counter()
                service.issue_reconciliation(
                    session,
                    who,
                    currency="RUB",
                    start=START,
                    end=END,
                    language=Language.ru,
                    actor=finance,
                    now=NOW,
                )
                stored = time.perf_counter() - started
            results.append(
                {
                    "orders": orders,
                    "rows": len(fields["rows"]),
                    "gather_ms": round(gather * 1000, 1),
                    "issue_ms": round(issued * 1000, 1),
                    "stored_ms": round(stored * 1000, 2),
                    "pdf_kib": round(len(document.pdf) / 1024, 1),
                    "closing": fields["closing"],
                }
            )
        engine.dispose()
    header = ("orders a year", "rows", "gather", "issue (render)", "again (stored)", "PDF")
    print("  ".join(f"{h:>15}" for h in header))
    for r in results:
        cells = (
            r["orders"],
            r["rows"],
            f"{r['gather_ms']} ms",
            f"{r['issue_ms']} ms",
            f"{r['stored_ms']} ms",
            f"{r['pdf_kib']} KiB",
        )
        print("  ".join(f"{c!s:>15}" for c in cells))
    met = results[0]["issue_ms"] <= 2000
    print(f"target: a year of weekly orders issued in <= 2 s: {'met' if met else 'NOT met'}")
    print(json.dumps({"bench": "reconciliation", "results": results, "target_met": met}))


if __name__ == "__main__":
    main()
