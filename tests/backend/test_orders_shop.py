"""The partner's shop in the orders domain (`backend.orders.shop`), on SQLite and PostgreSQL:
which price list and warehouses apply, the catalogue at the partner's prices, the cart, the
quote's checks per line, placing a cart (once per key; nothing left behind by a refusal) and
the partner's orders."""

from __future__ import annotations

from typing import Any

import pytest
from lineage_api import Api, add_user
from sqlalchemy import func
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.core.errors import Forbidden, Invalid
from backend.core.model_base import OrderStatus, Role
from backend.orders import shop
from backend.orders.models import Order, OrderLine, RetailCustomer
from backend.stock.models import StockMovement
from backend.stock.service import InsufficientStock

TEA, CREAM, KIT = 1, 2, 3
MSK, ALA, SPB = 1, 2, 3


@pytest.fixture
def company(api: Api) -> Api:
    """TEA, CREAM (reduced VAT) and KIT in roubles; a tenge list with TEA and CREAM; Moscow,
    Almaty and an inactive St Petersburg, 5 of each product in Moscow and Almaty; Dina in
    Russia, Asel in Kazakhstan (a login), Oleg without a country."""
    admin = api.as_("admin")

    def ok(response: Any) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    for sku, name_ru, wholesale, retail, vat in (
        ("TEA", "Чай травяной", 800, 1000, "standard"),
        ("CREAM", "Крем для рук", 400, 500, "reduced"),
        ("KIT", "Стартовый набор", 1500, 1500, "standard"),
    ):
        product = {
            "sku": sku,
            "name_ru": name_ru,
            "name_en": sku.title(),
            "wholesale_price": wholesale,
            "retail_price": retail,
            "currency": "RUB",
            "vat_category": vat,
            "pv": 10,
            "cv": 0 if sku == "KIT" else 10,
            "category": "kit" if sku == "KIT" else "product",
        }
        ok(api.client.post("/api/products", json=product, headers=admin))
    ok(api.client.post("/api/price-lists", json={"name": "KZ", "currency": "KZT"}, headers=admin))
    for product_id, wholesale, retail in ((TEA, 5000, 6000), (CREAM, 2500, 3000)):
        item = {"product_id": product_id, "wholesale_price": wholesale, "retail_price": retail}
        ok(api.client.put("/api/price-lists/1/items", json=item, headers=admin))
    for code, country in (("MSK", "RU"), ("ALA", "KZ"), ("SPB", "RU")):
        house = {"code": code, "name": code, "country": country}
        ok(api.client.post("/api/warehouses", json=house, headers=admin))
    ok(api.client.patch("/api/warehouses/3", json={"active": False}, headers=admin))
    for house in (MSK, ALA):
        for product_id in (TEA, CREAM, KIT):
            receipt = {"product_id": product_id, "quantity": 5}
            ok(api.client.post(f"/api/warehouses/{house}/receipts", json=receipt, headers=admin))
    ok(
        api.client.patch(
            f"/api/distributors/{api.distributor_id}", json={"country": "RU"}, headers=admin
        )
    )
    for email, first, country in (
        ("asel@example.com", "Asel", "KZ"),
        ("oleg@example.com", "Oleg", None),
    ):
        person = {"first_name": first, "last_name": "P", "country": country}
        made = ok(api.client.post("/api/distributors", json=person, headers=admin))
        add_user(api.engine, email, Role.distributor, made["id"])
    return api


def user(session: Session, email: str = "dina@example.com") -> User:
    return session.exec(select(User).where(User.email == email)).one()


def vat_settings(api: Api) -> dict[str, Any]:
    return {"now": api.clock(), "vat_country": "RU", "vat_exempt": False}


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.exec(select(func.count()).select_from(table)).one()
        for table in (Order, OrderLine, StockMovement)
    )


def test_a_country_pays_in_its_own_currency() -> None:
    assert shop.country_currency("KZ") == "KZT"
    assert shop.country_currency("RU") == "RUB"
    assert shop.country_currency(None) is None


def test_terms_follow_the_partners_country(company: Api) -> None:
    with company.session() as session:
        russian = shop.terms_for(session, user(session))
        assert russian.price_list is None  # no rouble list: the products' own prices
        assert [h.id for h in russian.warehouses] == [MSK]  # St Petersburg is inactive
        kazakh = shop.terms_for(session, user(session, "asel@example.com"))
        assert kazakh.price_list_id == 1 and [h.id for h in kazakh.warehouses] == [ALA]
        nowhere = shop.terms_for(session, user(session, "oleg@example.com"))
        assert nowhere.price_list is None and [h.id for h in nowhere.warehouses] == [MSK, ALA]
        assert kazakh.warehouse(MSK) is kazakh.warehouses[0]  # not theirs: their first
    admin = company.as_("admin")
    company.client.patch("/api/price-lists/1", json={"active": False}, headers=admin)
    with company.session() as session:
        assert shop.terms_for(session, user(session, "asel@example.com")).price_list is None


def test_the_catalogue_prices_for_the_partner_and_finds_cyrillic_in_any_case(
    company: Api,
) -> None:
    with company.session() as session:
        terms = shop.terms_for(session, user(session, "asel@example.com"))
        common = {"category": None, "offset": 0, "limit": 10} | vat_settings(company)
        offers, total = shop.catalogue(session, terms, retail=False, q=None, **common)
        assert total == 2 and [(o.product.sku, o.unit, o.currency) for o in offers] == [
            ("TEA", 5000, "KZT"),
            ("CREAM", 2500, "KZT"),
        ]
        assert offers[0].available == {ALA: 5}
        assert offers[1].vat is not None and offers[1].vat.rate_bp == 1000  # reduced 10 %
        retail, _ = shop.catalogue(session, terms, retail=True, q="крем", **common)
        assert [(o.product.sku, o.unit) for o in retail] == [("CREAM", 3000)]
        upper, _ = shop.catalogue(session, terms, retail=False, q="ЧАЙ", **common)
        assert [o.product.sku for o in upper] == ["TEA"]


def test_the_cart_adds_changes_removes_and_refuses_what_an_order_cannot_hold() -> None:
    cart = shop.Cart().adding(TEA, 2).adding(CREAM, 1).adding(TEA, 3)
    assert cart.lines == (shop.CartLine(TEA, 5), shop.CartLine(CREAM, 1))
    assert cart.with_quantity(TEA, 0).lines == (shop.CartLine(CREAM, 1),)
    for wrong in (-1, shop.MAX_QUANTITY + 1):
        with pytest.raises(Invalid):
            cart.with_quantity(TEA, wrong)
    full = shop.Cart(tuple(shop.CartLine(i, 1) for i in range(1, shop.MAX_LINES + 1)))
    with pytest.raises(Invalid) as refused:
        full.adding(shop.MAX_LINES + 1, 1)
    assert refused.value.code == "cart_full"
    assert full.adding(1, 1).quantity_of(1) == 2  # an existing line still grows


def test_a_quote_names_each_lines_problem_and_counts_only_what_can_be_ordered(
    company: Api,
) -> None:
    company.client.patch("/api/products/2", json={"active": False}, headers=company.as_("admin"))
    with company.session() as session:
        terms = shop.terms_for(session, user(session, "asel@example.com"))
        cart = shop.Cart((shop.CartLine(TEA, 6), shop.CartLine(CREAM, 1), shop.CartLine(KIT, 1)))
        cart = cart.adding(99, 1)
        quote = shop.quote(session, terms, cart, **vat_settings(company))
        problems = {line.product_id: line.problem for line in quote.lines}
        assert problems == {
            TEA: shop.LineProblem.short,  # 5 in Almaty
            CREAM: shop.LineProblem.not_for_sale,
            KIT: shop.LineProblem.not_listed,
            99: shop.LineProblem.gone,
        }
        assert (quote.total, quote.total_pv, quote.currency) == (6 * 5000, 60, "KZT")
        assert quote.total_vat + quote.total_net == quote.total and not quote.orderable
        fine = shop.quote(
            session, terms, shop.Cart((shop.CartLine(TEA, 5),)), **vat_settings(company)
        )
        assert fine.orderable and fine.warehouse is not None and fine.warehouse.id == ALA


def test_placing_a_cart_is_once_per_key_and_a_refusal_leaves_nothing(company: Api) -> None:
    common = {"default_threshold": 0} | vat_settings(company)
    with company.session() as session:
        dina = user(session)
        terms = shop.terms_for(session, dina)
        before = counts(session)
        too_many = shop.quote(
            session,
            terms,
            shop.Cart((shop.CartLine(TEA, 1), shop.CartLine(CREAM, 6))),
            **vat_settings(company),
        )
        with pytest.raises(InsufficientStock) as refused:
            shop.place_cart(session, dina, terms, too_many, key="k1", **common)
        assert refused.value.details["product_id"] == CREAM
        assert counts(session) == before
        cart = shop.Cart((shop.CartLine(TEA, 2),), customer_id=None)
        priced = shop.quote(session, terms, cart, **vat_settings(company))
        order, created = shop.place_cart(session, dina, terms, priced, key="k2", **common)
        again, created_again = shop.place_cart(session, dina, terms, priced, key="k2", **common)
        assert created and not created_again and again.id == order.id
        assert (order.total_amount, order.currency, order.warehouse_id) == (1600, "RUB", MSK)
        assert counts(session)[0] == before[0] + 1


def test_orders_of_a_partner_and_of_their_customer_only(company: Api) -> None:
    with company.session() as session:
        dina, asel = user(session), user(session, "asel@example.com")
        customer = RetailCustomer(first_name="Olga", last_name="K", distributor_id=2)
        session.add(customer)
        session.commit()
        assert customer.id is not None
        terms = shop.terms_for(session, dina)
        cart = shop.Cart((shop.CartLine(TEA, 1),), customer_id=customer.id)
        priced = shop.quote(session, terms, cart, **vat_settings(company))
        assert priced.customer is not None and priced.total == 1000  # retail
        common = {"default_threshold": 0} | vat_settings(company)
        order, _ = shop.place_cart(session, dina, terms, priced, key="c", **common)
        own, _ = shop.place_cart(
            session,
            dina,
            terms,
            shop.quote(
                session, terms, shop.Cart((shop.CartLine(KIT, 1),)), **vat_settings(company)
            ),
            key="o",
            **common,
        )
        items, names, total = shop.orders_of(session, dina, offset=0, limit=10)
        assert [o.id for o in items] == [own.id, order.id] and total == 2  # the newest first
        assert names == {customer.id: customer}
        theirs, _, _ = shop.orders_of(session, dina, customer_id=customer.id, offset=0, limit=10)
        assert [o.id for o in theirs] == [order.id]
        with pytest.raises(Forbidden):
            shop.orders_of(session, asel, customer_id=customer.id, offset=0, limit=10)
        assert shop.orders_of(session, asel, offset=0, limit=10)[2] == 0
        assert order.id is not None
        detail = shop.order_detail(session, order.id, actor=dina)
        assert detail.total_gross == 1000 and detail.total_vat + detail.total_net == 1000
        assert detail.customer is not None and detail.payment is None
        assert detail.payment_state == shop.PaymentState.awaiting
        with pytest.raises(Forbidden):
            shop.order_detail(session, order.id, actor=asel)
        order.status = OrderStatus.cancelled
        assert shop.payment_state(order) == shop.PaymentState.unpaid
