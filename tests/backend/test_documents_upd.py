"""The UPD of a shipped order over the API on SQLite and PostgreSQL: status 1 (the company a
VAT payer) and 2 in Russian and the English commercial invoice carry every field of the form
(rows 1-8 with 5a/5b, the table's columns, the transfer part's rows 8-19), the VAT each order
line stored and the total in words; an unshipped, cancelled or unknown order is refused, so are
missing company details (named) and a warehouse without an address; a correction is a new
number whose row 1a names the original; the UPD series is numbered apart from the invoices.
PNGs of status 1 and 2 (Russian) and of the English document go to artifacts/documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from documents_kit import (
    WAREHOUSE_ADDRESS,
    make_order,
    pdf_png,
    pdf_text,
    set_company,
    ship,
)
from lineage_api import Api
from sqlmodel import Session, func, select

from backend.core.model_base import OrderStatus
from backend.documents import service
from backend.documents.models import Document, DocumentCounter
from backend.documents.words import amount_in_words
from backend.orders.models import Order
from backend.stock.models import Warehouse


def _upd(api: Api, order_id: int, language: str = "ru") -> dict[str, object]:
    issued = api.client.post(
        f"/api/orders/{order_id}/upd", json={"language": language}, headers=api.as_("finance")
    )
    assert issued.status_code == 200, issued.text
    body: dict[str, object] = issued.json()
    return body


def _pdf(api: Api, document_id: object) -> bytes:
    got = api.client.get(f"/api/documents/{document_id}/pdf", headers=api.as_("finance"))
    assert got.status_code == 200, got.text
    return got.content


def _text(pdf: bytes, tmp: Path) -> str:
    return " ".join(pdf_text(pdf, tmp, mode="-raw").split())


def _count(api: Api) -> int:
    with Session(api.engine) as session:
        return int(session.exec(select(func.count()).select_from(Document)).one())


def _shipped_order(api: Api) -> int:
    order_id = make_order(api.engine, api.distributor_id)
    ship(api.engine, order_id)
    api.clock.now = api.clock.now.replace(year=2026, month=5, day=16)
    return order_id


# Every status shows the parties, rows 5-8, the table's codes and the transfer part; status 1
# adds the VAT (the rates and amounts each line stored: 22 % and 10 % in 2026), status 2 prints
# "без НДС" and the amounts as charged.
COMMON_RU = [
    "Универсальный передаточный документ",
    "постановлению Правительства Российской Федерации от 26 декабря 2011 г. № 1137",
    "от 16 августа 2024 г. № 1096",
    "Счёт-фактура № 1 от 16 мая 2026 г.",
    "Исправление № — от —",
    "Продавец ООО «Линия»",
    "Адрес г. Москва, ул. Примерная, д. 1",
    "ИНН/КПП продавца 7701000001/770101001",
    "Грузоотправитель и его адрес ООО «Линия», склад «Склад», " + WAREHOUSE_ADDRESS,
    "Грузополучатель и его адрес Dina First",
    "К платёжно-расчётному документу № PP-7781 от 14 мая 2026 г.",
    "Документ об отгрузке № п/п 1–2 № 1 от 16 мая 2026 г.",
    "Счета-фактуры на аванс",
    "Покупатель Dina First",
    "ИНН/КПП покупателя —",
    "Валюта: наименование, код Российский рубль, 643",
    "Идентификатор государственного контракта",
    "Код вида товара",
    "условное обозначение (национальное)",
    "цифровой код",
    "Регистрационный номер декларации на товары",
    "Крем для рук «Лён», 75 мл 3304990000 796 шт 3",
    "Чай травяной 0902100000 796 шт 2",
    "643 Россия —",
    "156 Китай",
    "Всего к оплате",
    "Четыре тысячи семьсот три рубля 52 копейки",
    "Руководитель организации или иное уполномоченное лицо",
    "Главный бухгалтер или иное уполномоченное лицо",
    "Основание передачи (сдачи) / получения (приёмки) Заказ №",
    "Данные о транспортировке и грузе",
    "Товар (груз) передал",
    "Дата отгрузки, передачи (сдачи) 15 мая 2026 г.",
    "Отгружено со склада «Склад»",
    "Ответственный за правильность оформления факта хозяйственной жизни",
    "Товар (груз) получил",
    "Дата получения (приёмки)",
    "Иванова А. Б.",
    "Петров В. Г.",
]
UPD_FIELDS = {
    ("ru", 1): COMMON_RU
    + [
        "Статус: 1",
        "1 011,89 3 035,66 без акциза 22 % 667,84 3 703,50",  # cream: 3 x 1 234,50 with VAT
        "454,56 909,11 без акциза 10 % 90,91 1 000,02",  # tea: 2 x 500,01 with VAT
        "3 944,77 × 758,75 4 703,52",  # totals: columns 5, 8 and 9
    ],
    ("ru", 2): COMMON_RU
    + [
        "Статус: 2",
        "1 234,50 3 703,50 без акциза Без НДС Без НДС 3 703,50",
        "500,01 1 000,02 без акциза Без НДС Без НДС 1 000,02",
        "4 703,52 × Без НДС 4 703,52",
    ],
    ("en", 1): [
        "Commercial invoice and delivery note (UPD)",
        "Status: 1",
        "Commercial invoice No. 1 of May 16, 2026",
        "Seller ООО «Линия»",
        "Seller's INN/KPP 7701000001/770101001",
        'Shipper and its address ООО «Линия», warehouse "Склад", ' + WAREHOUSE_ADDRESS,
        "To payment document No. PP-7781 of May 14, 2026",
        "Shipping document Lines 1–2 No. 1 of May 16, 2026",
        "Currency: name, code Russian rouble, 643",
        "Flax hand cream, 75 ml 3304990000 796 pcs 3",
        "643 Russia —",
        "156 China",
        "1,011.89 3,035.66 no excise 22 % 667.84 3,703.50",
        "3,944.77 × 758.75 4,703.52",
        "Four thousand seven hundred and three roubles 52 kopecks",
        "Date of shipment, transfer (delivery) May 15, 2026",
        "Goods (cargo) received",
    ],
}


@pytest.mark.parametrize(("language", "status"), list(UPD_FIELDS))
def test_upd_fields_by_language_and_status(
    api: Api, tmp_path: Path, language: str, status: int
) -> None:
    set_company(api.engine, vat_payer="yes" if status == 1 else "no")
    order_id = _shipped_order(api)
    body = _upd(api, order_id, language)
    assert (body["kind"], body["number"], body["year"], body["order_id"]) == (
        "upd",
        1,
        2026,
        order_id,
    )
    assert body["distributor_id"] == api.distributor_id
    pdf = _pdf(api, body["id"])
    text = _text(pdf, tmp_path)
    for field in UPD_FIELDS[(language, status)]:
        assert field in text, f"{field!r} missing from the {language} status {status} UPD:\n{text}"
    with Session(api.engine) as session:
        stored = session.get(Document, body["id"])
        assert stored is not None
        fields = json.loads(stored.data)["fields"]
        assert fields["status"] == status
        # The words are the figures, and the figures are the order lines' sums.
        assert fields["total"] == 470352 == sum(line["amount"] for line in fields["lines"])
        assert fields["vat_total"] == (75875 if status == 1 else 0)
        assert fields["before_tax_total"] + fields["vat_total"] == fields["total"]
        assert fields["total_words"] == amount_in_words(470352, "RUB", 2, language)
        assert service.rerender(stored) == stored.pdf
    if status == 2:
        assert "758,75" not in text and "22 %" not in text  # no VAT on a status 2 UPD
    pages = pdf_png(pdf, f"upd-{language}-status{status}", tmp_path)
    assert pages
    from PIL import Image

    with Image.open(pages[0]) as first:
        assert first.width > first.height  # landscape A4, as the form is


def test_unshipped_cancelled_and_unknown_orders_are_refused(api: Api) -> None:
    set_company(api.engine)
    placed = make_order(api.engine, api.distributor_id)
    finance = api.as_("finance")
    refused = api.client.post(f"/api/orders/{placed}/upd", json={}, headers=finance)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "order_state" and "shipped" in error["message"]
    with Session(api.engine) as session:
        order = session.get(Order, placed)
        assert order is not None
        order.status = OrderStatus.cancelled
        session.add(order)
        session.commit()
    cancelled = api.client.post(f"/api/orders/{placed}/upd", json={}, headers=finance)
    assert cancelled.status_code == 409 and "cancelled" in cancelled.json()["error"]["message"]
    unknown = api.client.post("/api/orders/999/upd", json={}, headers=finance)
    assert unknown.status_code == 404
    language = api.client.post(
        f"/api/orders/{placed}/upd", json={"language": "de"}, headers=finance
    )
    assert language.status_code == 422
    denied = api.client.post(f"/api/orders/{placed}/upd", json={}, headers=api.as_("warehouse"))
    assert denied.status_code == 403
    assert _count(api) == 0


def test_missing_details_and_warehouse_address_are_named(api: Api) -> None:
    set_company(api.engine, vat_payer=None, director=None)
    order_id = _shipped_order(api)
    finance = api.as_("finance")
    refused = api.client.post(f"/api/orders/{order_id}/upd", json={}, headers=finance)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "requisites_missing"
    assert error["details"]["missing"] == ["director", "vat_payer"]
    with Session(api.engine) as session:
        from backend.company.models import CompanyRequisite

        session.add(
            CompanyRequisite(name="director", value="Иванова А. Б.", changed_at=api.clock.now)
        )
        session.add(CompanyRequisite(name="vat_payer", value="yes", changed_at=api.clock.now))
        order = session.get(Order, order_id)
        assert order is not None
        warehouse = session.get(Warehouse, order.warehouse_id)
        assert warehouse is not None
        warehouse.address = None
        session.add(warehouse)
        session.commit()
    no_address = api.client.post(f"/api/orders/{order_id}/upd", json={}, headers=finance)
    assert no_address.status_code == 409
    error = no_address.json()["error"]
    assert error["code"] == "warehouse_address_missing"
    assert "/admin/warehouses/" in error["message"]
    assert _count(api) == 0


def test_correction_names_the_original_in_row_1a(api: Api, tmp_path: Path) -> None:
    set_company(api.engine)
    order_id = _shipped_order(api)
    original = _upd(api, order_id)
    with Session(api.engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        warehouse = session.get(Warehouse, order.warehouse_id)
        assert warehouse is not None
        warehouse.address = "Московская обл., г. Подольск, ул. Новая, д. 9"
        session.add(warehouse)
        session.commit()
    api.clock.now = api.clock.now.replace(day=20)
    fixed = api.client.post(
        f"/api/documents/{original['id']}/correction",
        json={"reason": "адрес склада"},
        headers=api.as_("finance"),
    )
    assert fixed.status_code == 200, fixed.text
    body = fixed.json()
    assert body["corrects_id"] == original["id"] and body["revision"] == 1
    assert body["number"] == 2 and body["kind"] == "upd"
    pdf = _pdf(api, body["id"])
    text = _text(pdf, tmp_path)
    assert "Исправление № 1 от 20 мая 2026 г. к документу № 1 от 16 мая 2026 г." in text
    assert "Счёт-фактура № 2 от 20 мая 2026 г." in text
    assert "ул. Новая, д. 9" in text and "адрес склада" in text
    old = _text(_pdf(api, original["id"]), tmp_path)
    assert "ул. Складская" in old and "ул. Новая" not in old  # the original is untouched
    pdf_png(pdf, "upd-ru-correction", tmp_path)


def test_upd_series_is_numbered_apart_from_invoices(api: Api) -> None:
    set_company(api.engine)
    first = _shipped_order(api)
    second = make_order(api.engine, api.distributor_id, tag="b")
    ship(api.engine, second, reference="PP-7782")
    invoice = api.client.post(
        f"/api/orders/{first}/invoice", json={"language": "ru"}, headers=api.as_("finance")
    )
    assert invoice.status_code == 200 and invoice.json()["number"] == 1
    numbers = [
        _upd(api, first)["number"],
        _upd(api, first, "en")["number"],
        _upd(api, second)["number"],
    ]
    assert numbers == [1, 2, 3]
    again = _upd(api, first)  # issuing again returns the stored UPD
    assert again["number"] == 1
    with Session(api.engine) as session:
        counters = {
            row.kind: row.last_number
            for row in session.exec(select(DocumentCounter).where(DocumentCounter.year == 2026))
        }
    assert counters == {"invoice": 1, "upd": 3}
    assert _count(api) == 4
