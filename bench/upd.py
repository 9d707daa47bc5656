"""One UPD on demand: the time from the request to the stored document (gather the shipped
order, lock the series, render the landscape PDF/A-3b, insert), p50 and p95 of ``--orders``
UPDs of ``--lines`` lines each, and how many pages such a UPD takes.

    uv run python bench/upd.py [--orders 10] [--lines 30]

A fresh SQLite database (migrated), the company's details (a VAT payer), one warehouse with an
address, ``--lines`` products and ``--orders`` shipped orders of every product; each UPD is a
different order's, so every call issues. Prints a table; the last line is JSON. Target: one
UPD <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.bootstrap import migrate  # noqa: E402
from backend.catalog.models import Product  # noqa: E402
from backend.company.models import CompanyRequisite  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.core.model_base import Language, OrderStatus, Role, VatCategory  # noqa: E402
from backend.documents import service  # noqa: E402
from backend.genealogy.models import Distributor  # noqa: E402
from backend.orders.models import Order, OrderLine  # noqa: E402
from backend.stock.models import Warehouse  # noqa: E402
from backend.vat.service import split  # noqa: E402

COMPANY = {
    "legal_name": "ООО «Линия»",
    "inn": "7701000001",
    "kpp": "770101001",
    "legal_address": "г. Москва, ул. Примерная, д. 1",
    "director": "Иванова А. Б.",
    "chief_accountant": "Петров В. Г.",
    "vat_payer": "yes",
}
NOW = datetime(2026, 5, 16, 9, 30, tzinfo=UTC)
SHIPPED = datetime(2026, 5, 15, 16, 0, tzinfo=UTC)


def world(engine: object, orders: int, lines: int) -> User:
    with Session(engine) as session:  # type: ignore[arg-type]
        user = User(email="finance@example.com", role=Role.finance, hashed_password="x")
        partner = Distributor(
            first_name="Дина", last_name="Первая", referral_code="DINA1", search_name="дина"
        )
        warehouse = Warehouse(code="MSK", name="Москва", address="г. Подольск, ул. Складская, 5")
        session.add_all([user, partner, warehouse])
        for name, value in COMPANY.items():
            session.add(CompanyRequisite(name=name, value=value, changed_at=NOW))
        products = [
            Product(
                sku=f"SKU-{n}",
                name_ru=f"Товар {n}: крем для рук, 75 мл",
                name_en=f"Product {n}: hand cream, 75 ml",
                retail_price=10_000 + n * 37,
                wholesale_price=9_000,
                currency="RUB",
                origin_country="643" if n % 3 else "156",
                tnved_code="3304990000",
            )
            for n in range(lines)
        ]
        session.add_all(products)
        session.flush()
        assert user.id and partner.id and warehouse.id
        for _ in range(orders):
            order = Order(
                distributor_id=partner.id,
                warehouse_id=warehouse.id,
                currency="RUB",
                total_amount=0,
                total_pv=0,
                total_cv=0,
                created_by=user.id,
                created_at=SHIPPED,
                status=OrderStatus.shipped,
                shipped_at=SHIPPED,
            )
            session.add(order)
            session.flush()
            assert order.id is not None
            for no, product in enumerate(products, start=1):
                assert product.id is not None
                gross = product.retail_price * 2
                vat = split(gross, VatCategory.standard, 2200)
                session.add(
                    OrderLine(
                        order_id=order.id,
                        line_no=no,
                        product_id=product.id,
                        sku=product.sku,
                        quantity=2,
                        unit_price=product.retail_price,
                        amount=gross,
                        pv=0,
                        cv=0,
                        retail_unit=product.retail_price,
                        wholesale_unit=product.wholesale_price,
                        vat_category="standard",
                        vat_rate_bp=2200,
                        net=vat.net,
                        vat=vat.vat,
                        gross=vat.gross,
                    )
                )
                order.total_amount += gross
        session.commit()
        session.refresh(user)
        return user


def pages(pdf: bytes, folder: str) -> int:
    """The page count as poppler's ``pdfinfo`` reads it."""
    path = Path(folder) / "upd.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    assert found is not None
    return int(found.group(1))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--lines", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        migrate(engine)
        finance = world(engine, args.orders, args.lines)
        times: list[float] = []
        sizes: list[int] = []
        page_counts: list[int] = []
        for order_id in range(1, args.orders + 1):
            with Session(engine) as session:
                started = time.perf_counter()
                document = service.issue_upd(
                    session,
                    order_id,
                    language=Language.ru if order_id % 2 else Language.en,
                    actor=finance,
                    now=NOW,
                )
                times.append(time.perf_counter() - started)
                sizes.append(len(document.pdf))
                page_counts.append(pages(document.pdf, folder))
        engine.dispose()
    first = times[0]
    p50, p95 = statistics.median(times), pct(times, 0.95)
    rows = [
        ("UPDs issued", f"{args.orders} ({args.lines} lines each)"),
        ("first UPD (imports, fonts)", f"{first * 1000:.0f} ms"),
        ("one UPD p50", f"{p50 * 1000:.0f} ms"),
        ("one UPD p95", f"{p95 * 1000:.0f} ms"),
        ("pages per UPD", str(statistics.median(page_counts))),
        ("PDF size p50", f"{statistics.median(sizes) / 1024:.1f} KiB"),
        ("target: one UPD <= 1 s", "met" if p95 <= 1.0 else "NOT met"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print(
        json.dumps(
            {
                "bench": "upd",
                "orders": args.orders,
                "lines": args.lines,
                "first_ms": round(first * 1000, 1),
                "p50_ms": round(p50 * 1000, 1),
                "p95_ms": round(p95 * 1000, 1),
                "pages_p50": statistics.median(page_counts),
                "pdf_bytes_p50": statistics.median(sizes),
                "target_met": p95 <= 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()
