"""The UPD and the order's documents in the offices through the test client, on SQLite and
PostgreSQL: finance opens an order's page and finds the invoice button always and the UPD
button once the order has shipped; pressing it lands on the UPD's PDF and lists it on the
staff's and the partner's order page; an unshipped order's UPD is refused in words; the
warehouse sees the documents but no buttons; the admin sets a product's codes, a warehouse's
address and the company's VAT status on their forms, a wrong code refused next to its field."""

from __future__ import annotations

import re
from typing import Any

from documents_kit import WAREHOUSE_ADDRESS, make_order, set_company, ship
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from sqlmodel import Session, select
from web_support import Browser

from backend.catalog.models import Product
from backend.company.requisites import requisites
from backend.documents.models import Document
from backend.orders.models import Order
from backend.stock.models import Warehouse

FINANCE, DINA, WAREHOUSE = "finance@example.com", "dina@example.com", "warehouse@example.com"
POST_FORM = re.compile(r'<form method="post" action="([^"]*)"')


def person(browser: Browser, email: str, password: str | None = None) -> Browser:
    browser.client.cookies.clear()
    logged_in = browser.login(email, password) if password else browser.login(email)
    assert logged_in.status_code == 303  # type: ignore[attr-defined]
    return browser


def post(browser: Browser, path: str, data: dict[str, str] | None = None) -> Any:
    return browser.post(path, data or {}, token_from="/home")


def documents(api: Api) -> list[Document]:
    with Session(api.engine) as session:
        return list(session.exec(select(Document).order_by(Document.id)))  # type: ignore[arg-type]


def test_finance_issues_the_upd_from_the_orders_page(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    order_id = make_order(api.engine, api.distributor_id)
    finance = person(browser, FINANCE)
    listing: Any = finance.get("/finance/orders")  # the finance office's way to the order
    assert listing.status_code == 200
    assert f'href="/finance/orders/{order_id}"' in listing.text
    assert f"Партнёр № {api.distributor_id}" in listing.text
    assert 'href="/finance/orders"' in listing.text  # its tab
    page: Any = finance.get(f"/finance/orders/{order_id}")
    assert page.status_code == 200
    forms = POST_FORM.findall(page.text)
    assert f"/finance/orders/{order_id}/invoice" in forms
    assert f"/finance/orders/{order_id}/upd" not in forms  # not shipped yet
    assert f"/warehouse/orders/{order_id}/shipment" not in forms  # finance does not ship
    assert "УПД выставляется после отгрузки заказа" in page.text
    refused = post(finance, f"/finance/orders/{order_id}/upd")
    assert refused.status_code == 409 and 'id="document-refused"' in refused.text
    assert "УПД — после отгрузки заказа" in refused.text
    assert documents(api) == []

    ship(api.engine, order_id)
    shipped: Any = finance.get(f"/finance/orders/{order_id}")
    assert f"/finance/orders/{order_id}/upd" in POST_FORM.findall(shipped.text)
    issued = post(finance, f"/finance/orders/{order_id}/upd")
    assert issued.status_code == 303
    (upd,) = documents(api)
    assert (upd.kind, upd.number, upd.language, upd.order_id) == ("upd", 1, "ru", order_id)
    assert issued.headers["location"] == f"/documents/{upd.id}/pdf"
    pdf: Any = finance.get(issued.headers["location"])
    assert pdf.status_code == 200 and pdf.content == upd.pdf
    listed: Any = finance.get(f"/finance/orders/{order_id}")
    assert f'href="/documents/{upd.id}/pdf"' in listed.text and "УПД № 1 за 2026" in listed.text
    assert post(finance, "/finance/orders/999/upd").status_code == 404

    # The warehouse sees the order's documents, and no document buttons.
    keeper = person(browser, WAREHOUSE)
    theirs: Any = keeper.get(f"/warehouse/orders/{order_id}")
    assert f'href="/documents/{upd.id}/pdf"' in theirs.text
    assert not [form for form in POST_FORM.findall(theirs.text) if "/finance/" in form]
    assert post(keeper, f"/finance/orders/{order_id}/upd").status_code == 403
    assert keeper.get(f"/finance/orders/{order_id}").status_code == 403  # type: ignore[attr-defined]

    # Dina finds it on her order's page and downloads it.
    dina = person(browser, DINA)
    own: Any = dina.get(f"/shop/orders/{order_id}")
    assert own.status_code == 200
    assert f'href="/documents/{upd.id}/pdf"' in own.text and "Скачать PDF (ru)" in own.text
    assert dina.get(f"/documents/{upd.id}/pdf").content == upd.pdf  # type: ignore[attr-defined]
    assert dina.get(f"/finance/orders/{order_id}").status_code == 403  # type: ignore[attr-defined]


def test_missing_details_and_address_are_said_on_the_orders_page(
    api: Api, browser: Browser
) -> None:
    set_company(api.engine, vat_payer=None)
    order_id = make_order(api.engine, api.distributor_id)
    ship(api.engine, order_id)
    finance = person(browser, FINANCE)
    refused = post(finance, f"/finance/orders/{order_id}/upd")
    assert refused.status_code == 409 and 'id="document-refused"' in refused.text
    assert "<li>Плательщик НДС</li>" in refused.text and 'href="/admin/requisites"' in refused.text
    with Session(api.engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        warehouse = session.get(Warehouse, order.warehouse_id)
        assert warehouse is not None
        warehouse.address = None
        session.add(warehouse)
        session.commit()
    invoice = post(finance, f"/finance/orders/{order_id}/invoice")
    assert invoice.status_code == 303  # the invoice for payment needs neither
    with Session(api.engine) as session:
        from backend.company.models import CompanyRequisite

        session.add(CompanyRequisite(name="vat_payer", value="yes", changed_at=api.clock.now))
        session.commit()
    no_address = post(finance, f"/finance/orders/{order_id}/upd")
    assert no_address.status_code == 409 and "не указан адрес" in no_address.text
    assert [document.kind for document in documents(api)] == ["invoice"]


def test_a_partners_order_page_without_documents_says_so(api: Api, browser: Browser) -> None:
    order_id = make_order(api.engine, api.distributor_id)
    page: Any = person(browser, DINA).get(f"/shop/orders/{order_id}")
    assert page.status_code == 200 and "По этому заказу документов пока нет" in page.text


def test_admin_sets_codes_address_and_vat_status(api: Api, browser: Browser) -> None:
    order_id = make_order(api.engine, api.distributor_id)
    with Session(api.engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        product = session.exec(select(Product).where(Product.sku == "CREAM-0")).one()
        product_id, warehouse_id = product.id, order.warehouse_id
    admin = person(browser, ADMIN_EMAIL, ADMIN_PASSWORD)
    form: Any = admin.get(f"/admin/catalogue/products/{product_id}")
    assert 'name="okei_code"' in form.text and 'name="origin_country"' in form.text
    assert '<option value="796" selected>' in form.text
    fields = {
        "name_ru": "Крем для рук «Лён», 75 мл",
        "name_en": "Flax hand cream, 75 ml",
        "category": "product",
        "retail_price": "1 234,50",
        "wholesale_price": "1 000,00",
        "pv": "0",
        "cv": "0",
        "vat_category": "standard",
        "okei_code": "778",
        "origin_country": "112",
        "tnved_code": "33049900",
        "active": "on",
    }
    wrong = post(admin, f"/admin/catalogue/products/{product_id}", fields)
    assert wrong.status_code == 422
    assert 'id="tnved_code-error"' in wrong.text and "Десять цифр кода ТН ВЭД" in wrong.text
    saved = post(
        admin, f"/admin/catalogue/products/{product_id}", fields | {"tnved_code": "3304 990000"}
    )
    assert saved.status_code == 303
    unknown_unit = post(
        admin, f"/admin/catalogue/products/{product_id}", fields | {"okei_code": "1"}
    )
    assert unknown_unit.status_code == 422 and "Выберите единицу измерения" in unknown_unit.text
    with Session(api.engine) as session:
        product = session.get(Product, product_id)
        assert product is not None
        assert (product.okei_code, product.origin_country, product.tnved_code) == (
            "778",
            "112",
            "3304990000",
        )

    moved = post(
        admin,
        f"/admin/warehouses/{warehouse_id}",
        {"name": "Склад", "country": "RU", "address": f"  {WAREHOUSE_ADDRESS} ", "active": "on"},
    )
    assert moved.status_code == 303
    with Session(api.engine) as session:
        warehouse = session.get(Warehouse, warehouse_id)
        assert warehouse is not None and warehouse.address == WAREHOUSE_ADDRESS

    page: Any = admin.get("/admin/requisites")
    assert '<select id="vat_payer" name="vat_payer"' in page.text
    values = {"vat_payer": "no"}
    assert post(admin, "/admin/requisites", values).status_code == 303
    assert post(admin, "/admin/requisites", {"vat_payer": "maybe"}).status_code == 422
    with Session(api.engine) as session:
        assert requisites(session).vat_payer == "no"
