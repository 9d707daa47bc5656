"""A partner's settlements with figures a person can check by eye, written as rows (what the
orders, periods and chain services would have stored) on the `api` fixture's company: Dina
(distributor 2) in roubles, from February to June 2026.

Before March (the opening balance):
  05.02 order A paid 10 000,00 (credit), 10.02 shipped (debit 10 000,00)
  20.02 order B paid  2 500,00 (credit)           -> opening: the company owes 2 500,00
March to May:
  02.03 order B shipped                 debit 2 500,00
  10.03 order C paid (3 x 1 200,00)     credit 3 600,00
  12.03 order C shipped                 debit 3 600,00
  20.03 one piece of C returned         credit 1 200,00
  30.04 period 1's commission           credit 5 000,00 (act: gross 5 000,00)
  05.05 period 1 paid in tokens         debit 4 350,00, tax withheld debit 650,00
  21.05 order D paid                    credit   800,00 (shipped 02.06: after the range)
  31.05 period 2 clawed back 200,00     debit    200,00
  debits 11 300,00, credits 10 600,00, closing -2 500 + 11 300 - 10 600 = -1 800,00:
  the company owes Dina 1 800,00 (order D prepaid 800,00 + the return 1 200,00 - 200,00).
Left out: a retail customer's order of Dina's and an order in tenge (another statement).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from documents_kit import WALLET
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.catalog.models import Product
from backend.chain_jobs.models import ChainJob, JobKind, JobStatus
from backend.core.days import EPOCH
from backend.core.model_base import MovementKind, OrderStatus, VatCategory
from backend.orders.models import Order, OrderLine, Payment, RetailCustomer
from backend.payees.models import PayeeProfile
from backend.periods.models import Period, PeriodPayee
from backend.stock.models import StockMovement, Warehouse

TX = "0x" + "ef" * 32
OPENING, DEBIT, CREDIT, CLOSING = -250000, 1130000, 1060000, -180000


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


def _order(
    session: Session,
    partner: int,
    unit: int,
    quantity: int,
    *,
    paid: str,
    shipped: str | None = None,
    returned: tuple[str, int] | None = None,
    currency: str = "RUB",
    customer: int | None = None,
    tag: str,
) -> int:
    warehouse = Warehouse(code=f"R{tag}", name="Склад")
    product = Product(
        sku=f"REC-{tag}",
        name_ru="Товар",
        name_en="Goods",
        retail_price=unit,
        wholesale_price=unit,
        currency=currency,
    )
    session.add_all([warehouse, product])
    session.flush()
    assert warehouse.id and product.id
    total = unit * quantity
    status = OrderStatus.shipped if shipped else OrderStatus.paid
    order = Order(
        distributor_id=partner,
        customer_id=customer,
        warehouse_id=warehouse.id,
        status=status,
        currency=currency,
        total_amount=total,
        total_pv=0,
        total_cv=0,
        created_by=1,
        created_at=at(paid),
        paid_at=at(paid),
        shipped_at=at(shipped) if shipped else None,
    )
    session.add(order)
    session.flush()
    assert order.id is not None
    session.add(
        OrderLine(
            order_id=order.id,
            line_no=1,
            product_id=product.id,
            sku=product.sku,
            quantity=quantity,
            unit_price=unit,
            amount=total,
            pv=0,
            cv=0,
            retail_unit=unit,
            wholesale_unit=unit,
            vat_category=VatCategory.exempt.value,
            vat_rate_bp=0,
            net=total,
            vat=0,
            gross=total,
            returned_quantity=returned[1] if returned else 0,
        )
    )
    session.add(
        Payment(
            order_id=order.id,
            amount=total,
            currency=currency,
            reference=f"п/п {tag}",
            paid_at=at(paid),
            recorded_by=1,
        )
    )
    if returned:
        session.add(
            StockMovement(
                warehouse_id=warehouse.id,
                product_id=product.id,
                kind=MovementKind.return_,
                quantity=returned[1],
                on_hand_delta=returned[1],
                reserved_delta=0,
                order_id=order.id,
                created_at=at(returned[0]),
            )
        )
    return order.id


def _period(session: Session, period_id: int, start: date, end: date) -> None:
    session.add(
        Period(
            id=period_id,
            start_day=(start - EPOCH).days,
            end_day=(end - EPOCH).days,
            status="paid",
            computations=1,
            payout_root="0x" + "ab" * 32,
            currency="RUB",
            exponent=2,
            anchor_tx="0x" + "cd" * 32,
        )
    )
    session.flush()


def make_settlements(engine: Engine, partner: int) -> dict[str, int]:
    """Dina's settlements above; the order ids by letter."""
    with Session(engine) as session:
        session.add(
            PayeeProfile(
                distributor_id=partner,
                tax_status="individual",
                rail="token",
                inn="500100732259",
                effective_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        ids = {
            "A": _order(
                session, partner, 1000000, 1, paid="2026-02-05", shipped="2026-02-10", tag="A"
            ),
            "B": _order(
                session, partner, 250000, 1, paid="2026-02-20", shipped="2026-03-02", tag="B"
            ),
            "C": _order(
                session,
                partner,
                120000,
                3,
                paid="2026-03-10",
                shipped="2026-03-12",
                returned=("2026-03-20", 1),
                tag="C",
            ),
            "D": _order(
                session, partner, 80000, 1, paid="2026-05-21", shipped="2026-06-02", tag="D"
            ),
            "KZT": _order(
                session,
                partner,
                5000000,
                1,
                paid="2026-03-15",
                shipped="2026-03-16",
                currency="KZT",
                tag="K",
            ),
        }
        customer = RetailCustomer(first_name="Ivan", last_name="Retail", distributor_id=partner)
        session.add(customer)
        session.flush()
        ids["retail"] = _order(
            session,
            partner,
            70000,
            1,
            paid="2026-03-11",
            shipped="2026-03-12",
            customer=customer.id,
            tag="E",
        )
        _period(session, 1, date(2026, 4, 1), date(2026, 4, 30))
        _period(session, 2, date(2026, 5, 1), date(2026, 5, 31))
        session.add(
            PeriodPayee(
                period_id=1,
                distributor_id=partner,
                earned=500000,
                clawback=0,
                balance_in=0,
                payout=435000,
                balance_out=0,
                leaf_index=0,
                account=WALLET,
                has_wallet=True,
                withheld=65000,
                tax_status="individual",
                rail="token",
            )
        )
        session.add(
            PeriodPayee(
                period_id=2,
                distributor_id=partner,
                earned=0,
                clawback=20000,
                balance_in=0,
                payout=0,
                balance_out=-20000,
                tax_status="individual",
                rail="token",
            )
        )
        session.add(
            ChainJob(
                kind=JobKind.pay,
                status=JobStatus.confirmed,
                subject_id=1,
                amount=435000,
                payload={"period_id": 1, "seq": 0, "indices": [0], "amount": 435000},
                tx_hash=TX,
                result={"paid": [0], "failed": [], "skipped": []},
                confirmed_at=at("2026-05-05"),
            )
        )
        session.commit()
    return ids
