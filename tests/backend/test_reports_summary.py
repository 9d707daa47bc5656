"""The per-period sales summary (`PeriodSalesSummary`) the sales reports read: written by the
compute, it agrees with a full recomputation from the stored order lines, and the reports read
from it say exactly what they say line by line. The periods tests' small company (everyone
buys 2 x Tea, RUB, Moscow) plus orders by eye: a kit, a fee (not a sale), a second warehouse,
a retail customer, USD and KZT orders, a partly and a wholly returned line, a cancelled order."""

from __future__ import annotations

from typing import Any

import pytest
from lineage_api import Api
from sqlalchemy import delete
from sqlmodel import Session, col, select
from test_api_periods import company, post, today
from typer.testing import CliRunner

from backend.catalog.models import Product
from backend.cli import _register
from backend.cli import app as cli
from backend.core.model_base import OrderStatus, ProductCategory
from backend.genealogy.models import Distributor
from backend.genealogy.tree_path import is_within
from backend.orders.models import Order, OrderLine, RetailCustomer
from backend.periods.models import (
    Period,
    PeriodMemberSales,
    PeriodSalesSummary,
    PeriodStanding,
    PeriodTeam,
)
from backend.reports.package import period_sales
from backend.stock.models import Warehouse
from backend.worker.preview import PreviewJob
from ledger.money import numeric_code

__all__ = ["company"]  # the fixture, re-exported for pytest

Key = tuple[int, int, int, bool]
SALES = ("sales-periods", "sales-products", "sales-categories", "sales-warehouses")


def _product(sku: str, category: ProductCategory, price: int, pv: int) -> Product:
    return Product(
        sku=sku,
        name_ru=sku,
        name_en=sku,
        category=category,
        retail_price=price,
        wholesale_price=price * 4 // 5,
        currency="RUB",
        pv=pv,
        cv=pv if category == ProductCategory.product else 0,
    )


def _order(session: Session, model: Order, lines: list[tuple[Product, int, int, int]]) -> None:
    """``lines``: (product, quantity, returned, wholesale unit price in the order currency)."""
    session.add(model)
    session.flush()
    assert model.id is not None
    for number, (product, quantity, returned, unit) in enumerate(lines, start=1):
        amount = unit * quantity
        session.add(
            OrderLine(
                order_id=model.id,
                line_no=number,
                product_id=product.id,
                sku=product.sku,
                quantity=quantity,
                unit_price=unit,
                amount=amount,
                pv=product.pv * quantity,
                cv=product.cv * quantity,
                returned_quantity=returned,
                retail_unit=unit * 5 // 4,
                wholesale_unit=unit,
                vat_category="standard",
                vat_rate_bp=2000,
                net=amount - amount // 6,
                vat=amount // 6,
                gross=amount,
            )
        )


def add_orders(api: Api) -> None:
    with api.session() as session:
        first = session.get(Order, 1)
        assert first is not None and first.paid_at is not None
        tea = session.get(Product, 1)
        assert tea is not None
        kit = _product("KIT", ProductCategory.kit, 5000, 500)
        fee = _product("FEE", ProductCategory.fee, 2000, 0)
        spb = Warehouse(code="SPB", name="St Petersburg")
        session.add_all([kit, fee, spb])
        session.flush()
        assert spb.id is not None
        customer = RetailCustomer(first_name="R", last_name="C", distributor_id=3)
        session.add(customer)
        session.flush()

        def order(buyer: int, warehouse: int, currency: str, **more: Any) -> Order:
            return Order(
                distributor_id=buyer,
                warehouse_id=warehouse,
                currency=currency,
                status=more.pop("status", OrderStatus.paid),
                total_amount=0,
                total_pv=0,
                total_cv=0,
                created_by=first.created_by,
                paid_at=first.paid_at,
                **more,
            )

        _order(
            session,
            order(2, spb.id, "RUB"),
            [(tea, 3, 0, 800), (kit, 1, 0, 4000), (fee, 1, 0, 1600)],
        )
        _order(
            session,
            order(3, 1, "RUB", customer_id=customer.id),
            [(tea, 2, 1, 800), (kit, 2, 0, 4000)],
        )
        _order(session, order(4, spb.id, "USD"), [(tea, 1, 0, 10), (kit, 1, 0, 50)])
        _order(session, order(5, 1, "KZT"), [(tea, 5, 0, 500)])
        _order(session, order(6, 1, "RUB", status=OrderStatus.cancelled), [(tea, 4, 0, 800)])
        _order(session, order(3, 1, "RUB"), [(tea, 2, 2, 800)])
        session.commit()


def recomputed(
    session: Session, buyers: set[int] | None = None
) -> dict[Key, tuple[int, int, int, int, int]]:
    """Straight from the order lines (of ``buyers`` only, when given): (lines, orders,
    quantity, charged, pv) per key."""
    sums: dict[Key, list[int]] = {}
    seen: set[int] = set()
    rows = session.exec(
        select(OrderLine, Order, Product)
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .join(Product, col(Product.id) == col(OrderLine.product_id))
        .where(col(Order.paid_at).is_not(None))
        .order_by(col(OrderLine.id))
    ).all()
    for line, order, product in rows:
        kept = (
            0 if order.status == OrderStatus.cancelled else line.quantity - line.returned_quantity
        )
        if kept <= 0 or product.category == ProductCategory.fee:
            continue
        if buyers is not None and order.distributor_id not in buyers:
            continue
        retail = order.customer_id is not None
        key = (line.product_id, order.warehouse_id, numeric_code(order.currency), retail)
        held = sums.setdefault(key, [0, 0, 0, 0, 0])
        held[0] += 1
        if order.id not in seen:
            seen.add(order.id)  # type: ignore[arg-type]
            held[1] += 1
        held[2] += kept
        held[3] += (line.retail_unit if retail else line.wholesale_unit) * kept
        held[4] += line.pv * kept // line.quantity
    return {key: (a, b, c, d, e) for key, [a, b, c, d, e] in sums.items()}


def stored(session: Session, period: int) -> dict[Key, tuple[int, int, int, int, int]]:
    rows = session.exec(
        select(PeriodSalesSummary).where(col(PeriodSalesSummary.period_id) == period)
    ).all()
    return {
        (r.product_id, r.warehouse_id, r.currency, r.retail): (
            r.lines,
            r.orders,
            r.quantity,
            r.charged,
            r.pv,
        )
        for r in rows
    }


@pytest.fixture
def computed(company: Api) -> Api:
    api = company
    assert post(api, "/api/periods").status_code == 201
    add_orders(api)
    today(api)
    done = post(api, "/api/periods/1/compute")
    assert done.status_code == 200, done.text
    return api


def test_the_summary_agrees_with_the_order_lines(computed: Api) -> None:
    api = computed
    with api.session() as session:
        summary = stored(session, 1)
        assert summary == recomputed(session)
    rub, usd, kzt = numeric_code("RUB"), numeric_code("USD"), numeric_code("KZT")
    # By eye: the fixture's five Tea orders (2 each, Moscow, RUB); order 6's 3 Tea and a kit at
    # SPB (its fee is no sale); the retail order's 1 Tea kept of 2 and its 2 kits; USD and KZT
    # lines; nothing of the cancelled or the wholly returned order.
    assert summary[(1, 1, rub, False)] == (5, 5, 10, 8000, 1000)
    assert summary[(1, 2, rub, False)] == (1, 1, 3, 2400, 300)
    assert summary[(2, 2, rub, False)] == (1, 0, 1, 4000, 500)
    assert summary[(1, 1, rub, True)] == (1, 1, 1, 1000, 100)
    assert summary[(2, 1, rub, True)] == (1, 0, 2, 10000, 1000)
    assert summary[(1, 2, usd, False)] == (1, 1, 1, 10, 100)
    assert summary[(1, 1, kzt, False)] == (1, 1, 5, 2500, 500)
    assert sum(v[1] for v in summary.values()) == 9  # orders
    assert len(summary) == 8


def test_a_recompute_replaces_the_summary(computed: Api) -> None:
    api = computed
    with api.session() as session:
        line = session.exec(
            select(OrderLine).where(col(OrderLine.sku) == "KIT").order_by(col(OrderLine.id))
        ).first()
        assert line is not None
        line.returned_quantity = line.quantity  # the kit of order 6 comes back
        session.add(line)
        session.commit()
    assert post(api, "/api/periods/1/compute").status_code == 200
    with api.session() as session:
        assert stored(session, 1) == recomputed(session)
        assert (2, 2, numeric_code("RUB"), False) not in stored(session, 1)
        assert members_stored(session, 1) == members_recomputed(session)
        assert teams_stored(session) == teams_recomputed(session)


def test_reports_read_from_the_summary_as_from_the_lines(
    computed: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = computed

    def read(name: str) -> Any:
        found = api.client.get(f"/api/reports/{name}", headers=api.as_("auditor"))
        assert found.status_code == 200, found.text
        return found.json()

    fast = {name: read(name) for name in SALES}
    assert fast["sales-periods"]["rows"][0]["orders"] == 9
    assert fast["sales-periods"]["rows"][0]["lines"] == 12
    assert {r["code"] for r in fast["sales-warehouses"]["rows"]} == {"MSK", "SPB"}
    monkeypatch.setattr("backend.reports.sales.summary_sold", lambda *_: None)
    assert {name: read(name) for name in SALES} == fast


def members_recomputed(
    session: Session,
) -> dict[tuple[int, int], tuple[int, int, int, int, int]]:
    """Straight from the order lines: (lines, charged, retail part, pv, fees) per buyer and
    currency."""
    sums: dict[tuple[int, int], list[int]] = {}
    rows = session.exec(
        select(OrderLine, Order, Product)
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .join(Product, col(Product.id) == col(OrderLine.product_id))
        .where(col(Order.paid_at).is_not(None))
    ).all()
    for line, order, product in rows:
        kept = (
            0 if order.status == OrderStatus.cancelled else line.quantity - line.returned_quantity
        )
        if kept <= 0:
            continue
        held = sums.setdefault(
            (order.distributor_id, numeric_code(order.currency)), [0, 0, 0, 0, 0]
        )
        if product.category == ProductCategory.fee:
            held[4] += line.wholesale_unit * kept
            continue
        retail = order.customer_id is not None
        charged = (line.retail_unit if retail else line.wholesale_unit) * kept
        held[0] += 1
        held[1] += charged
        held[2] += charged if retail else 0
        held[3] += line.pv * kept // line.quantity
    return {key: (a, b, c, d, e) for key, [a, b, c, d, e] in sums.items()}


def members_stored(
    session: Session, period: int
) -> dict[tuple[int, int], tuple[int, int, int, int, int]]:
    rows = session.exec(
        select(PeriodMemberSales).where(col(PeriodMemberSales.period_id) == period)
    ).all()
    own = {
        (r.distributor_id, r.currency): (r.lines, r.charged, r.retail, r.pv, r.fees) for r in rows
    }
    return {key: figures for key, figures in own.items() if any(figures)}  # not team-only rows


def teams_recomputed(
    session: Session,
) -> tuple[dict[tuple[int, int], int], dict[int, tuple[int, int]]]:
    """Each person's placement subtree (themselves included), straight from the order lines and
    the stored standings: sales per currency, and (PV, active people)."""
    paths = {
        int(d.id or 0): d.tree_path
        for d in session.exec(select(Distributor))
        if d.tree_path is not None
    }
    sales: dict[tuple[int, int], int] = {}
    for (buyer, currency), figures in members_recomputed(session).items():
        for head, path in paths.items():
            if is_within(paths[buyer], path) and figures[1]:
                sales[(head, currency)] = sales.get((head, currency), 0) + figures[1]
    team: dict[int, tuple[int, int]] = {}
    for standing in session.exec(select(PeriodStanding).where(PeriodStanding.period_id == 1)):
        for head, path in paths.items():
            if is_within(paths[standing.distributor_id], path):
                pv, active = team.get(head, (0, 0))
                team[head] = (pv + standing.pv, active + int(standing.active))
    return sales, {head: sums for head, sums in team.items() if any(sums)}


def teams_stored(session: Session) -> tuple[dict[tuple[int, int], int], dict[int, tuple[int, int]]]:
    rows = session.exec(select(PeriodMemberSales).where(PeriodMemberSales.period_id == 1)).all()
    sales = {(r.distributor_id, r.currency): r.team_charged for r in rows if r.team_charged}
    team = {
        r.distributor_id: (r.pv, r.active)
        for r in session.exec(select(PeriodTeam).where(PeriodTeam.period_id == 1))
    }
    return sales, team


def test_the_sales_per_buyer_agree_with_the_order_lines(computed: Api) -> None:
    api = computed
    rub, usd = numeric_code("RUB"), numeric_code("USD")
    with api.session() as session:
        members = members_stored(session, 1)
        assert members == members_recomputed(session)
    # By eye: buyer 3's retail order keeps 1 Tea of 2 (1,000) and 2 kits (10,000) at retail
    # prices, its own order was wholly returned, and it bought the fixture's 2 Tea (1,600);
    # buyer 4's USD order is a Tea and a kit (10 + 50 dollars), apart from its roubles.
    assert members[(3, rub)] == (3, 12_600, 11_000, 1_300, 0)
    assert members[(4, usd)] == (2, 60, 0, 600, 0)
    # Buyer 2's fee (16.00 roubles) is no sale: kept apart for the compliance flags.
    assert members[(2, rub)][4] == 1_600
    # Each person's subtree (a leg's or a team's top): its sales, PV and active people.
    with api.session() as session:
        sales, team = teams_stored(session)
        assert (sales, team) == teams_recomputed(session)
    assert sales[(1, rub)] == sum(v[1] for (_, code), v in members.items() if code == rub)
    assert team[1][1] == 5  # everyone placed below the root bought 2 Tea: active
    # The sums are the period's: the per-product summary counts the same lines and money.
    with api.session() as session:
        summary = stored(session, 1)
    assert sum(v[0] for v in members.values()) == sum(v[0] for v in summary.values())
    assert sum(v[1] for v in members.values()) == sum(v[3] for v in summary.values())


TEAM = ("turnover-members", "turnover-movers", "sales-regions", "structure-legs")


def test_a_period_computed_before_the_sales_per_buyer_gets_them_from_its_package(
    computed: Api,
) -> None:
    """The reports read the per-buyer rows; a period without them (computed before they
    existed) has them made from its package's lines on first read: the same rows, the same
    reports, whichever reads first."""
    api = computed

    def read(name: str, **params: str) -> Any:
        found = api.client.get(f"/api/reports/{name}", params=params, headers=api.as_("auditor"))
        assert found.status_code == 200, found.text
        return found.json()

    def everything() -> dict[str, Any]:
        return {name: read(name) for name in TEAM} | {"team": read("turnover-periods", person="2")}

    before = everything()
    with api.session() as session:
        rows, teams = members_stored(session, 1), teams_stored(session)
        session.execute(delete(PeriodMemberSales))
        session.execute(delete(PeriodTeam))
        session.commit()
    assert everything() == before
    with api.session() as session:
        assert (members_stored(session, 1), teams_stored(session)) == (rows, teams)
    # Each member's sales are what their lines give, converted as the engine converts them.
    with api.session() as session:
        period = session.get(Period, 1)
        assert period is not None
        sales = period_sales(api.settings, period)
    by_line = sales.grouped(sales.distributor)
    shown = {row["id"]: row["sales"] for row in before["turnover-members"]["rows"]}
    assert shown == {i: by_line.get(i, 0) for i in shown}  # minor units
    assert shown[3] > 0 and len(shown) >= 5


def test_the_worker_and_the_command_make_missing_summaries(
    computed: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade the worker (when it starts) or `lineage period summaries` makes them,
    so no report request has to: the same rows the compute wrote."""
    api = computed
    with api.session() as session:
        rows, teams = members_stored(session, 1), teams_stored(session)

    def forget() -> None:
        with api.session() as session:
            session.execute(delete(PeriodMemberSales))
            session.execute(delete(PeriodTeam))
            session.commit()

    forget()
    job = PreviewJob(api.engine, api.settings, clock=api.clock)
    assert job.make_summaries() == [1]
    assert job.make_summaries() == []  # nothing lacks them now
    with api.session() as session:
        assert (members_stored(session, 1), teams_stored(session)) == (rows, teams)
    forget()
    monkeypatch.setenv("LINEAGE_DATABASE_URL", api.engine.url.render_as_string(False))
    _register()
    command = ["period", "summaries", "--data-dir", str(api.settings.data_dir)]
    ran = CliRunner().invoke(cli, command)
    assert ran.exit_code == 0, ran.output
    assert "summaries made for periods 1" in ran.output
    with api.session() as session:
        assert (members_stored(session, 1), teams_stored(session)) == (rows, teams)
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0 and "every computed period has its summaries" in again.output
