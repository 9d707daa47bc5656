"""The statement pages through the test client, on a company with an approved period (the
`company` fixture and `close()` of the periods' API tests): the list, a statement explained in
Russian and English, the CSV, another person's statement refused, and the empty state."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from test_api_periods import close, company, post, today
from web_support import Browser

from backend.core.money import format_money
from backend.periods.models import PeriodLinePublic
from backend.periods.statements import LineNote, line_notes
from backend.web.statements import decimal_text

__all__ = ["company"]  # the fixture, re-exported for pytest

DINA = "/distributors/2/statements/1"


def closed(api: Api) -> Api:
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    return api


def statement_json(api: Api, distributor: int) -> dict[str, Any]:
    read = api.client.get(f"/api/periods/1/statements/{distributor}", headers=api.as_("auditor"))
    assert read.status_code == 200, read.text
    return dict(read.json())


def test_my_statements_lists_the_approved_period_with_its_money(company: Api) -> None:
    api = closed(company)
    browser = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    home: Any = browser.get("/home")
    assert 'href="/statements"' in home.text  # the menu and the latest statement link to it
    page: Any = browser.get("/statements")
    assert page.status_code == 200
    assert "<h1>Мои выписки</h1>" in page.text and "1 выписка" in page.text
    assert f'href="{DINA}"' in page.text and "утверждён" in page.text
    body = statement_json(api, 2)
    payout = format_money(body["payout"], body["currency"], body["exponent"], locale="ru")
    assert payout in page.text and "\u00a0USDT" in payout  # the plan pays in USDT


def test_a_statement_explains_each_line_in_russian_and_english(company: Api) -> None:
    api = closed(company)
    body = statement_json(api, 2)
    browser = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    page: Any = browser.get(DINA)
    assert page.status_code == 200, page.text
    text = page.text
    assert "<h1>Выписка за период 1</h1>" in text
    assert "Бонус быстрого старта" in text and "D 3 (ID 3)" in text and "уровень 1" in text
    assert "баллов" in text or "балла" in text  # a points base, with its Russian plural
    assert "Выплачено полностью." in text
    assert body["leaf"] is not None and body["payout_root"] in text
    assert all(node in text for node in body["proof"])
    assert "Скачать CSV" in text and f'href="{DINA}.csv"' in text
    browser.post("/language", {"language": "en", "next": DINA}, token_from=DINA)
    english: Any = browser.get(DINA)
    assert "<h1>Statement for period 1</h1>" in english.text
    assert "Fast start bonus" in english.text and "level 1" in english.text
    assert "Paid in full." in english.text and "Download as CSV" in english.text


def test_a_held_balance_says_why_in_words(company: Api) -> None:
    api = closed(company)
    browser = Browser(TestClient(api.client.app))
    browser.login("finance@example.com")  # staff open anyone's statement
    page: Any = browser.get("/distributors/5/statements/1")
    assert page.status_code == 200
    assert "Нет кошелька для выплат" in page.text  # distributor 5 has no wallet
    assert "нет листа выплаты" in page.text  # nothing paid: no leaf to check
    listing: Any = browser.get("/distributors/5/statements")
    assert "Выписки: D 5" in listing.text and "/distributors/5/statements/1" in listing.text


def test_the_csv_has_translated_headers_and_decimal_amounts(company: Api) -> None:
    api = closed(company)
    body = statement_json(api, 2)
    browser = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    download: Any = browser.get(f"{DINA}.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert 'filename="statement-1-2.csv"' in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["Строка", "Бонус", "ID источника"]
    assert "Валюта" in header and "Выплачено" in header
    lines = rows[1 : 1 + len(body["lines"])]
    paid, currency = header.index("Выплачено"), header.index("Валюта")
    code, exponent = body["currency"], body["exponent"]
    for row, line in zip(lines, body["lines"], strict=True):
        assert row[paid] == decimal_text(line["amount"], exponent)
        assert "." in row[paid] and len(row[paid].split(".")[1]) == exponent
        assert row[currency] == code
    assert rows[1 + len(body["lines"])] == []
    totals = {row[0]: row[1:] for row in rows[2 + len(body["lines"]) :]}
    assert totals["К выплате"] == [decimal_text(body["payout"], exponent), code, ""]
    browser.post("/language", {"language": "en", "next": "/home"}, token_from="/home")
    english: Any = browser.get(f"{DINA}.csv")
    header = next(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert header[:3] == ["Line", "Bonus", "Source ID"] and "Currency" in header


def test_another_distributors_statement_is_a_403_page(company: Api) -> None:
    api = closed(company)
    browser = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    for path in ("/distributors/3/statements/1", "/distributors/3/statements/1.csv"):
        refused: Any = browser.get(path)
        assert refused.status_code == 403 and "Доступ запрещён" in refused.text
        assert "D 3" not in refused.text
    assert browser.get("/distributors/3/statements").status_code == 403  # type: ignore[attr-defined]
    assert browser.get("/distributors/2/statements/9").status_code == 404  # type: ignore[attr-defined]
    assert browser.get("/distributors/2/statements/x").status_code == 404  # type: ignore[attr-defined]


def test_an_unapproved_period_is_no_statement_for_the_distributor(company: Api) -> None:
    api = company
    post(api, "/api/periods")
    assert post(api, "/api/periods/1/compute").status_code == 200
    today(api)  # logins live in the present
    browser = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    empty: Any = browser.get("/statements")
    assert empty.status_code == 200 and "Выписок пока нет" in empty.text
    assert browser.get(DINA).status_code == 404  # type: ignore[attr-defined]
    staff = Browser(TestClient(api.client.app))
    staff.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    assert staff.get(DINA).status_code == 200  # type: ignore[attr-defined]
    assert 'href="/statements"' not in staff.client.get("/home").text  # not in a staff menu


def test_line_notes_tell_a_cap_from_a_level_not_qualified() -> None:
    def line(bonus: str, gross: int, amount: int) -> PeriodLinePublic:
        return PeriodLinePublic(
            line_no=1, bonus=bonus, source=3, level=1, payee=2, base=100, base_unit="points",
            base_exponent=0, rate=100_000, conversion=None, gross=gross, amount=amount,
            breakage=gross - amount, currency="RUB", exponent=2,
        )  # fmt: skip

    lines = [
        line("unilevel", 500, 0),
        line("unilevel", 500, 500),
        line("matching", 500, 200),
        line("matching", 500, 0),
    ]
    assert line_notes(lines) == [
        LineNote.not_qualified,
        LineNote.full,
        LineNote.capped,
        LineNote.cap_reached,
    ]
