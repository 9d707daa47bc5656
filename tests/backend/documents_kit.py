"""Test helpers for the documents tests: the company's details, an order with VAT lines and an
anchored period with statements, written as rows (what the orders and periods services would
have stored), on the `api` fixture's company (root 1, Dina = 2)."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

from bankfile_kit import COMPANY
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.catalog.models import Product
from backend.company.models import CompanyRequisite
from backend.core.days import EPOCH
from backend.core.model_base import OrderStatus, VatCategory
from backend.genealogy.models import Distributor
from backend.orders.models import Order, OrderLine, Payment
from backend.payees.models import PayeeProfile
from backend.periods.models import Period, PeriodLine, PeriodPayee
from backend.stock.models import Warehouse
from backend.vat.service import order_day, rate_in_force, split
from ledger.merkle import PayoutLeaf, leaf_hash
from ledger.plan import BONUS_TYPES

ARTIFACTS = Path(__file__).parents[2] / "artifacts" / "documents"
AT = datetime(2026, 5, 14, 9, 30, tzinfo=UTC)
ROOT = "0x" + "ab" * 32
ANCHOR_TX = "0x" + "cd" * 32
WALLET = "0x" + "11" * 20


def set_company(engine: Engine, *, vat_payer: str | None = "yes", **without: None) -> None:
    """The company's details (`bankfile_kit.COMPANY`, a VAT payer unless ``vat_payer`` says
    otherwise), less those named in ``without``."""
    with Session(engine) as session:
        for name, value in COMPANY.as_dict().items():
            if value is not None and name not in without:
                session.add(CompanyRequisite(name=name, value=value, changed_at=AT))
        if vat_payer is not None:
            session.add(CompanyRequisite(name="vat_payer", value=vat_payer, changed_at=AT))
        session.commit()


SHIPPED_AT = datetime(2026, 5, 15, 16, 5, tzinfo=UTC)
WAREHOUSE_ADDRESS = "Московская обл., г. Подольск, ул. Складская, д. 5"


def ship(engine: Engine, order_id: int, *, reference: str = "PP-7781") -> None:
    """The order paid (a payment of its total, ``reference``), shipped on 15 May 2026 from its
    warehouse, which gets an address (the UPD's shipper), its tea made in China (TN VED codes
    on both products): what the orders service and an admin would have stored."""
    with Session(engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        warehouse = session.get(Warehouse, order.warehouse_id)
        assert warehouse is not None
        warehouse.address = WAREHOUSE_ADDRESS
        session.add(
            Payment(
                order_id=order_id,
                amount=order.total_amount,
                currency=order.currency,
                reference=reference,
                paid_at=datetime(2026, 5, 14, 12, 0, tzinfo=UTC),
                recorded_by=1,
            )
        )
        for line in session.exec(select(OrderLine).where(OrderLine.order_id == order_id)):
            product = session.get(Product, line.product_id)
            assert product is not None
            tea = product.sku.startswith("TEA")
            product.tnved_code = "0902100000" if tea else "3304990000"
            product.origin_country = "156" if tea else "643"
            session.add(product)
        order.status = OrderStatus.shipped
        order.paid_at = datetime(2026, 5, 14, 12, 0, tzinfo=UTC)
        order.shipped_at = SHIPPED_AT
        session.add_all([order, warehouse])
        session.commit()


def make_order(engine: Engine, distributor_id: int, *, exempt: bool = False, tag: str = "") -> int:
    """An order of two products (a standard and a reduced VAT line, at the rates the dated VAT
    table has in force on the order's day: 22 % and 10 % in 2026; all exempt when ``exempt``)."""
    with Session(engine) as session:
        warehouse = Warehouse(code=f"W{distributor_id}{int(exempt)}{tag}", name="Склад")
        cream = Product(
            sku=f"CREAM-{int(exempt)}{tag}",
            name_ru="Крем для рук «Лён», 75 мл",
            name_en="Flax hand cream, 75 ml",
            retail_price=123450,
            wholesale_price=100000,
            currency="RUB",
        )
        tea = Product(
            sku=f"TEA-{int(exempt)}{tag}",
            name_ru="Чай травяной",
            name_en="Herbal tea",
            retail_price=50001,
            wholesale_price=40000,
            currency="RUB",
        )
        session.add_all([warehouse, cream, tea])
        session.flush()
        assert warehouse.id and cream.id and tea.id
        categories = (
            [VatCategory.exempt] * 2 if exempt else [VatCategory.standard, VatCategory.reduced]
        )
        rates = [rate_in_force(session, "RU", c, order_day(AT)) for c in categories]
        lines = [(cream, 3, 123450, categories[0]), (tea, 2, 50001, categories[1])]
        order = Order(
            distributor_id=distributor_id,
            warehouse_id=warehouse.id,
            currency="RUB",
            total_amount=sum(q * p for _, q, p, _c in lines),
            total_pv=0,
            total_cv=0,
            created_by=1,
            created_at=AT,
        )
        session.add(order)
        session.flush()
        assert order.id is not None
        for no, ((product, quantity, price, category), rate) in enumerate(
            zip(lines, rates, strict=True), start=1
        ):
            vat_split = split(quantity * price, category, rate)
            session.add(
                OrderLine(
                    order_id=order.id,
                    line_no=no,
                    product_id=product.id,
                    sku=product.sku,
                    quantity=quantity,
                    unit_price=price,
                    amount=vat_split.gross,
                    pv=0,
                    cv=0,
                    retail_unit=price,
                    wholesale_unit=price,
                    vat_category=category.value,
                    vat_rate_bp=rate,
                    net=vat_split.net,
                    vat=vat_split.vat,
                    gross=vat_split.gross,
                )
            )
        session.commit()
        return order.id


def add_partner(engine: Engine, first: str, last: str) -> int:
    with Session(engine) as session:
        partner = Distributor(
            first_name=first,
            last_name=last,
            sponsor_id=1,
            referral_code=f"R{first[:6]}{last[:6]}".upper(),
            search_name=f"{first} {last}".lower(),
        )
        session.add(partner)
        session.commit()
        assert partner.id is not None
        return partner.id


def make_period(engine: Engine, payees: dict[int, str | None], *, status: str = "anchored") -> int:
    """Period 1 (April 2026) in ``status`` with statements for ``payees`` (id -> tax status):
    a unilevel and a fast-start line each, the individual's tax withheld at 13 %."""
    unilevel = BONUS_TYPES.index("unilevel") + 1
    fast = BONUS_TYPES.index("fast_start") + 1
    with Session(engine) as session:
        session.add(
            Period(
                id=1,
                start_day=(date(2026, 4, 1) - EPOCH).days,
                end_day=(date(2026, 4, 30) - EPOCH).days,
                status=status,
                computations=1,
                payout_root=ROOT,
                currency="RUB",
                exponent=2,
                anchor_tx=ANCHOR_TX if status != "approved" else None,
            )
        )
        session.flush()
        line_no = 0
        for index, (who, tax_status) in enumerate(sorted(payees.items())):
            earned = 0
            for bonus, amount in ((unilevel, 1234567 + who), (unilevel, 1000), (fast, 50000)):
                line_no += 1
                session.add(
                    PeriodLine(
                        period_id=1,
                        line_no=line_no,
                        bonus=bonus,
                        source=1,
                        level=1,
                        currency=0,
                        payee=who,
                        base=amount,
                        rate=1_000_000,
                        gross=amount,
                        amount=amount,
                        breakage=0,
                    )
                )
                earned += amount
            withheld = earned * 13 // 100 if tax_status == "individual" else 0
            session.add(
                PeriodPayee(
                    period_id=1,
                    distributor_id=who,
                    earned=earned,
                    clawback=0,
                    balance_in=0,
                    payout=earned - withheld,
                    balance_out=0,
                    leaf_index=index,
                    account=WALLET,
                    has_wallet=True,
                    withheld=withheld,
                    gross=earned,
                    tax_status=tax_status,
                    rail="token",
                )
            )
            if tax_status is not None:
                session.add(
                    PayeeProfile(
                        distributor_id=who,
                        tax_status=tax_status,
                        rail="token",
                        inn="500100732259",
                        effective_at=datetime(2026, 4, 1, tzinfo=UTC),
                    )
                )
        session.commit()
    return 1


def leaf_of(engine: Engine, who: int) -> str:
    with Session(engine) as session:
        payee = session.get(PeriodPayee, (1, who))
        assert payee is not None and payee.leaf_index is not None and payee.account
        leaf = PayoutLeaf(1, payee.leaf_index, payee.account, payee.payout)
        return "0x" + leaf_hash(leaf).hex()


def pdf_text(pdf: bytes, tmp: Path, *, mode: str = "-layout") -> str:
    """The PDF's text; ``mode="-raw"`` keeps the content's order (a narrow table cell's
    wrapped words stay together, where the layout mode interleaves neighbouring cells)."""
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", mode, str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def pdf_meta(pdf: bytes, tmp: Path) -> str:
    """The PDF's XMP metadata (where PDF/A declares its part and conformance)."""
    path = tmp / "meta.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdfinfo", "-meta", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def pdf_png(pdf: bytes, name: str, tmp: Path) -> list[Path]:
    """Each page as a PNG under artifacts/documents (``name``-1.png, ...)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = tmp / f"{name}.pdf"
    path.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "110", "-png", str(path), str(ARTIFACTS / name)], check=True)
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))
