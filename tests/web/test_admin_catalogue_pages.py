"""The admin office's plan, catalogue, price lists and warehouses through the test client, on
SQLite and PostgreSQL: the embedded plan in words (ranks, each bonus's percentages) with the
hash a period's manifest records, the plan a period ran with from its package; a product added;
a price typed as a person writes it reaching the API in minor units, a bad one refused next to
its field with nothing written; warehouses added and changed; every other role refused."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from test_api_periods import close, make_company, post
from web_support import Browser

from backend.periods.service import DEFAULT_PLAN, package_dir
from ledger.plan import load_plan, plan_hash

PAGES = [
    "/admin/plan",
    "/admin/plan/periods/1",
    "/admin/catalogue",
    "/admin/catalogue/products/1",
    "/admin/catalogue/price-lists",
    "/admin/catalogue/price-lists/1",
    "/admin/warehouses",
    "/admin/warehouses/1",
]
FORMS = [
    "/admin/catalogue/products",
    "/admin/catalogue/products/1",
    "/admin/catalogue/price-lists",
    "/admin/catalogue/price-lists/1",
    "/admin/catalogue/price-lists/1/items",
    "/admin/catalogue/price-lists/1/items/1/removal",
    "/admin/warehouses",
    "/admin/warehouses/1",
]
TEA = {
    "sku": "TEA-1",
    "name_ru": "Чай травяной",
    "name_en": "Herbal tea",
    "category": "product",
    "currency": "RUB",
    "retail_price": "1 220,00",
    "wholesale_price": "976",
    "pv": "10",
    "cv": "8",
    "vat_category": "reduced",
    "active": "on",
}


@pytest.fixture
def admin(browser: Browser) -> Browser:
    assert browser.login(ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    return browser


def text_of(page: str) -> str:
    """The page's words, tags dropped and spaces folded (money keeps its no-break spaces)."""
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def send(browser: Browser, path: str, data: dict[str, str], token_from: str) -> Any:
    return browser.post(path, data, token_from=token_from)


def error_next_to(page: str, field: str) -> str:
    """The error shown under `field` (its input names it by aria-describedby)."""
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), f"{field} is not marked"
    found = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', page)
    assert found, f"no error next to {field}"
    return html.unescape(found.group(1))


def price_list(api: Api, list_id: int) -> dict[str, Any]:
    response = api.client.get(f"/api/price-lists/{list_id}", headers=api.as_("admin"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def a_price_list(api: Api, admin_browser: Browser) -> None:
    """TEA-1 (made on the page) and a rouble price list "Россия"."""
    made = send(admin_browser, "/admin/catalogue/products", TEA, "/admin/catalogue")
    assert made.status_code == 303, made.text
    created = api.client.post(
        "/api/price-lists", json={"name": "Россия", "currency": "RUB"}, headers=api.as_("admin")
    )
    assert created.status_code == 201, created.text


# -- the plan --------------------------------------------------------------------------------


def test_plan_page_reads_the_embedded_plan_in_words(admin: Browser) -> None:
    response: Any = admin.get("/admin/plan")
    assert response.status_code == 200
    page = response.text
    words = text_of(page)
    embedded = load_plan(DEFAULT_PLAN.read_bytes())
    assert f'<code class="wrap" id="plan-hash">{plan_hash(embedded)}</code>' in page
    assert "Binary hybrid (roubles)" in words
    assert "Стоимость одного балла (PV) 100,00\u00a0₽" in words
    # Every rank with its requirements, Silver's legs in words.
    ranks = text_of(page.split('id="ranks"')[1].split("</table>")[0])
    for rank in ("1. Member", "2. Bronze", "3. Silver", "4. Gold", "5. Diamond"):
        assert rank in ranks
    assert "3. Silver 40 PV 2\u00a0000 PV 50\u00a0% группового объёма" in ranks
    assert "2 ветки с рангом Bronze или выше" in ranks
    assert "3 ветки с рангом Gold или выше" in ranks

    # Each bonus's percentages: fast start 20/10/5, unilevel 5/4/3 from Member/Member/Bronze,
    # binary 10 % up to Silver, 12 % Gold, 14 % Diamond with its caps, matching 10/5/5.
    def bonus(kind: str) -> str:
        return text_of(page.split(f'id="bonus-{kind}"')[1].split("</section>")[0])

    assert "1 20\u00a0% любой ранг 2 10\u00a0% любой ранг 3 5\u00a0% любой ранг" in bonus(
        "fast_start"
    )
    assert "1 5\u00a0% Member 2 4\u00a0% Member 3 3\u00a0% Bronze" in bonus("unilevel")
    binary = bonus("binary")
    assert "Silver 10\u00a0% 2\u00a0500,000000\u00a0USDT" in binary
    assert "Gold 12\u00a0% 5\u00a0000,000000\u00a0USDT" in binary
    assert "Diamond 14\u00a0% 15\u00a0000,000000\u00a0USDT" in binary
    assert "1 10\u00a0% Bronze 2 5\u00a0% Silver 3 5\u00a0% Gold" in bonus("matching")
    assert "Бонусы с объёма в сумме не более (доля CV периода) 40\u00a0%" in words
    assert "Период с выплатами выше этой доли продаж нельзя утвердить 50\u00a0%" in words
    assert "бинарное: две ветки под каждым партнёром" in words
    # The plan as stored, collapsed, and no period computed yet.
    stored = page.split('<details class="stored">')[1]
    assert html.unescape(stored).count('name = "Binary hybrid (roubles)"') == 1
    assert "Ни один период ещё не рассчитан." in words


def test_plan_hash_is_the_one_the_period_package_records(api: Api) -> None:
    make_company(api)
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    manifest = json.loads((package_dir(api.settings, 1) / "manifest.json").read_text())
    admin = Browser(api.client)
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    page: Any = admin.get("/admin/plan")
    assert f'id="plan-hash">{manifest["planHash"]}<' in page.text
    uses = page.text.split('id="plan-uses"')[1].split("</table>")[0]
    assert manifest["planHash"] in uses and 'href="/admin/plan/periods/1"' in uses
    assert "действующий план" in text_of(uses)
    # The period's own plan, from its package: the same hash, the same plan in force.
    period: Any = admin.get("/admin/plan/periods/1")
    assert period.status_code == 200
    assert f'id="plan-hash">{manifest["planHash"]}<' in period.text
    assert "Это действующий сейчас план." in text_of(period.text)
    # Period 2 has no package yet; a package whose plan was changed is refused in words.
    assert post(api, "/api/periods").status_code == 201
    missing: Any = admin.get("/admin/plan/periods/2")
    assert missing.status_code == 409
    assert "Этот период ещё не рассчитан" in text_of(missing.text)
    stored = package_dir(api.settings, 1) / "plan.toml"
    stored.write_bytes(stored.read_bytes().replace(b"Binary", b"Binery"))
    changed: Any = admin.get("/admin/plan/periods/1")
    assert changed.status_code == 409
    assert "пакет изменён после расчёта" in text_of(changed.text)
    assert admin.get("/admin/plan/periods/99").status_code == 404  # type: ignore[attr-defined]


# -- products --------------------------------------------------------------------------------


def test_a_product_added_on_the_page_is_the_apis(admin: Browser, api: Api) -> None:
    made: Any = send(admin, "/admin/catalogue/products", TEA, "/admin/catalogue")
    assert made.status_code == 303
    assert made.headers["location"] == "/admin/catalogue?done=product_added"
    products = api.client.get("/api/products", headers=api.as_("admin")).json()["items"]
    assert [
        (p["sku"], p["retail_price"], p["wholesale_price"], p["pv"], p["cv"]) for p in products
    ] == [("TEA-1", 122_000, 97_600, 10, 8)]
    assert products[0]["vat_category"] == "reduced" and products[0]["active"] is True
    # The same admin-log entry the API writes, by this admin.
    log = api.client.get("/api/admin-log", headers=api.as_("admin")).json()["items"]
    assert [e["target"] for e in log if e["action"] == "product_created"] == [
        f"product:{products[0]['id']}"
    ]
    listed: Any = admin.get("/admin/catalogue?done=product_added")
    words = text_of(listed.text)
    assert "Товар добавлен." in words
    assert (
        "TEA-1 — изменить Чай травяной Herbal tea товар 1\u00a0220,00\u00a0₽ 976,00\u00a0₽ 10 / 8"
        in words
    )


def test_product_refusals_stand_next_to_their_fields(admin: Browser, api: Api) -> None:
    send(admin, "/admin/catalogue/products", TEA, "/admin/catalogue")
    again: Any = send(admin, "/admin/catalogue/products", TEA, "/admin/catalogue")
    assert again.status_code == 422
    assert error_next_to(again.text, "sku") == "Товар с таким артикулом уже есть."
    kit = TEA | {"sku": "KIT", "category": "kit", "cv": "5"}
    refused: Any = send(admin, "/admin/catalogue/products", kit, "/admin/catalogue")
    assert refused.status_code == 422
    assert "нет комиссионного объёма" in error_next_to(refused.text, "cv")
    dear = TEA | {"sku": "DEAR", "wholesale_price": "2 000"}
    refused = send(admin, "/admin/catalogue/products", dear, "/admin/catalogue")
    assert error_next_to(refused.text, "wholesale_price") == (
        "Оптовая цена не может быть выше розничной."
    )
    bad = TEA | {"sku": "bad sku!", "pv": "1.5", "retail_price": "12,345"}
    refused = send(admin, "/admin/catalogue/products", bad, "/admin/catalogue")
    assert "латинские буквы" in error_next_to(refused.text, "sku")
    assert "целое число баллов" in error_next_to(refused.text, "pv")
    assert error_next_to(refused.text, "retail_price") == "Не более 2 знаков после запятой."
    # What the person typed comes back in the form.
    assert 'value="bad sku!"' in refused.text
    products = api.client.get("/api/products", headers=api.as_("admin")).json()["items"]
    assert [p["sku"] for p in products] == ["TEA-1"]


def test_a_product_is_changed_on_its_page(admin: Browser, api: Api) -> None:
    send(admin, "/admin/catalogue/products", TEA, "/admin/catalogue")
    form = TEA | {"name_en": "Mountain tea", "retail_price": "1300.5", "active": ""}
    saved: Any = send(admin, "/admin/catalogue/products/1", form, "/admin/catalogue/products/1")
    assert saved.status_code == 303
    product = api.client.get("/api/products/1", headers=api.as_("admin")).json()
    assert (product["name_en"], product["retail_price"], product["active"]) == (
        "Mountain tea",
        130_050,
        False,
    )
    kit = form | {"category": "kit"}  # CV 8 stays: the service refuses a kit with CV
    refused: Any = send(admin, "/admin/catalogue/products/1", kit, "/admin/catalogue/products/1")
    assert refused.status_code == 422
    assert "нет комиссионного объёма" in error_next_to(refused.text, "cv")
    product = api.client.get("/api/products/1", headers=api.as_("admin")).json()
    assert product["category"] == "product"


# -- price lists -----------------------------------------------------------------------------


def test_a_price_typed_on_the_page_reaches_the_api(admin: Browser, api: Api) -> None:
    a_price_list(api, admin)
    page = "/admin/catalogue/price-lists/1"
    added: Any = send(
        admin,
        f"{page}/items",
        {"product_id": "1", "retail_price": "1 234,50", "wholesale_price": "1000.5"},
        page,
    )
    assert added.status_code == 303
    assert [(i["product_id"], i["retail_price"], i["wholesale_price"]) for i in price_list(
        api, 1
    )["items"]] == [(1, 123_450, 100_050)]  # fmt: skip
    changed: Any = send(
        admin,
        f"{page}/items",
        {"product_id": "1", "retail_price": "1,300.00", "wholesale_price": "990"},
        page,
    )
    assert changed.status_code == 303
    assert price_list(api, 1)["items"][0]["retail_price"] == 130_000
    shown = text_of(admin.client.get(page + "?done=price_set").text)
    assert "Цена сохранена." in shown
    assert "TEA-1 Чай травяной 1\u00a0300,00\u00a0₽ 990,00\u00a0₽" in shown
    # The change form comes pre-filled for the product picked.
    prefilled = admin.client.get(page + "?product=1").text
    assert 'name="retail_price" type="text" value="1300.00"' in prefilled
    log = api.client.get("/api/admin-log", headers=api.as_("admin")).json()["items"]
    assert [e["action"] for e in log if e["target"] == "price_list:1/product:1"] == [
        "price_changed",
        "price_changed",
    ]


def test_a_bad_price_is_refused_next_to_its_field_and_nothing_written(
    admin: Browser, api: Api
) -> None:
    a_price_list(api, admin)
    page = "/admin/catalogue/price-lists/1"
    refused: Any = send(
        admin,
        f"{page}/items",
        {"product_id": "1", "retail_price": "12,3x", "wholesale_price": "10"},
        page,
    )
    assert refused.status_code == 422
    assert error_next_to(refused.text, "retail_price") == (
        "Введите сумму в виде 1 234,50 или 1234.50: цифры и один десятичный разделитель."
    )
    assert 'value="12,3x"' in refused.text
    above: Any = send(
        admin,
        f"{page}/items",
        {"product_id": "1", "retail_price": "10", "wholesale_price": "11"},
        page,
    )
    assert error_next_to(above.text, "wholesale_price") == (
        "Оптовая цена не может быть выше розничной."
    )
    nothing: Any = send(
        admin,
        f"{page}/items",
        {"product_id": "", "retail_price": "1", "wholesale_price": "1"},
        page,
    )
    assert error_next_to(nothing.text, "product_id") == "Выберите товар."
    assert price_list(api, 1)["items"] == []
    log = api.client.get("/api/admin-log", headers=api.as_("admin")).json()["items"]
    assert not [e for e in log if e["target"].startswith("price_list:")]


def test_price_lists_by_currency_added_renamed_and_an_item_removed(
    admin: Browser, api: Api
) -> None:
    a_price_list(api, admin)
    made: Any = send(
        admin,
        "/admin/catalogue/price-lists",
        {"name": "Казахстан", "currency": "KZT", "active": "on"},
        "/admin/catalogue/price-lists",
    )
    assert made.status_code == 303 and made.headers["location"].startswith(
        "/admin/catalogue/price-lists/2"
    )
    taken: Any = send(
        admin,
        "/admin/catalogue/price-lists",
        {"name": "Россия", "currency": "RUB"},
        "/admin/catalogue/price-lists",
    )
    assert error_next_to(taken.text, "name") == "Прайс-лист с таким названием уже есть."
    listing = admin.client.get("/admin/catalogue/price-lists").text
    assert listing.index('id="currency-KZT"') < listing.index('id="currency-RUB"')
    renamed: Any = send(
        admin, "/admin/catalogue/price-lists/2", {"name": "Казахстан 2027"}, "/admin/catalogue"
    )
    assert renamed.status_code == 303
    assert price_list(api, 2)["name"] == "Казахстан 2027" and price_list(api, 2)["active"] is False
    clash: Any = send(
        admin, "/admin/catalogue/price-lists/2", {"name": "Россия"}, "/admin/catalogue"
    )
    assert error_next_to(clash.text, "list-name") == "Прайс-лист с таким названием уже есть."
    page = "/admin/catalogue/price-lists/1"
    item = {"product_id": "1", "retail_price": "100", "wholesale_price": "80"}
    assert send(admin, f"{page}/items", item, page).status_code == 303
    removed: Any = send(admin, f"{page}/items/1/removal", {}, page)
    assert removed.status_code == 303
    assert price_list(api, 1)["items"] == []
    assert "Товар исключён из прайс-листа." in text_of(
        admin.client.get(removed.headers["location"]).text
    )


# -- warehouses ------------------------------------------------------------------------------


def test_warehouses_are_added_and_changed(admin: Browser, api: Api) -> None:
    form = {"code": "MSK-1", "name": "Москва, Южный порт", "country": "ru", "active": "on"}
    made: Any = send(admin, "/admin/warehouses", form, "/admin/warehouses")
    assert made.status_code == 303
    houses = api.client.get("/api/warehouses", headers=api.as_("admin")).json()["items"]
    assert [(w["code"], w["name"], w["country"], w["active"]) for w in houses] == [
        ("MSK-1", "Москва, Южный порт", "RU", True)
    ]
    again: Any = send(admin, "/admin/warehouses", form, "/admin/warehouses")
    assert error_next_to(again.text, "code") == "Склад с таким кодом уже есть."
    bad = {"code": "a b", "name": "", "country": "Russia"}
    refused: Any = send(admin, "/admin/warehouses", bad, "/admin/warehouses")
    assert refused.status_code == 422
    assert "латинские буквы" in error_next_to(refused.text, "code")
    assert error_next_to(refused.text, "name") == "Введите название (до 200 символов)."
    assert "Две латинские буквы" in error_next_to(refused.text, "country")
    house_id = houses[0]["id"]
    edit = f"/admin/warehouses/{house_id}"
    saved: Any = send(admin, edit, {"name": "Москва", "country": "", "active": ""}, edit)
    assert saved.status_code == 303
    house = api.client.get(f"/api/warehouses/{house_id}", headers=api.as_("admin")).json()
    assert (house["name"], house["country"], house["active"]) == ("Москва", None, False)
    listed = text_of(admin.client.get("/admin/warehouses").text)
    assert "MSK-1 — изменить Москва — неактивен" in listed
    wrong: Any = send(admin, edit, {"name": "Москва", "country": "RUS"}, edit)
    assert wrong.status_code == 422 and "Две латинские буквы" in error_next_to(
        wrong.text, "country"
    )


# -- who may --------------------------------------------------------------------------------


OTHERS = ["finance@example.com", "auditor@example.com", "warehouse@example.com", "dina@example.com"]


@pytest.mark.parametrize("email", OTHERS)
def test_other_roles_are_refused_every_page_and_form(browser: Browser, email: str) -> None:
    assert browser.login(email).status_code == 303  # type: ignore[attr-defined]
    token = browser.token("/profile")
    for path in PAGES:
        assert browser.get(path).status_code == 403, path  # type: ignore[attr-defined]
    for path in FORMS:
        answer: Any = browser.client.post(
            path, data={"csrf_token": token, "name": "x"}, follow_redirects=False
        )
        assert answer.status_code == 403, path


def test_the_admin_office_tabs_and_the_menu(admin: Browser) -> None:
    page = admin.client.get("/admin/catalogue/price-lists").text
    tabs = page.split('class="tabs"')[1].split("</nav>")[0]
    assert '<a href="/admin/catalogue" aria-current="page">' in tabs
    sub = page.split('class="subtabs"')[1].split("</nav>")[0]
    assert '<a href="/admin/catalogue/price-lists" aria-current="page">' in sub
    assert '<a href="/admin/catalogue">' in sub


def test_plan_source_is_the_data_folder_plan_when_there_is_one(admin: Browser, api: Api) -> None:
    custom = DEFAULT_PLAN.read_text().replace('name = "Binary hybrid (roubles)"', 'name = "Ours"')
    Path(api.settings.data_dir).mkdir(parents=True, exist_ok=True)
    (api.settings.data_dir / "plan.toml").write_text(custom)
    page = admin.client.get("/admin/plan").text
    assert '<h2 id="plan-summary">Ours</h2>' in page
    assert plan_hash(load_plan(custom)) in page
