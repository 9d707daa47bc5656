"""The finance office's reconciliation statements page through the test client, on SQLite and
PostgreSQL: each bad input refused beside its field (and nothing written), the company's
missing details listed, a statement issued and listed with its PDF, the same form again giving
the stored one; the partner lists theirs on /documents; other roles refused."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from documents_kit import set_company
from lineage_api import Api
from reconciliation_kit import make_settlements
from sqlmodel import Session, func, select
from web_support import Browser

from backend.documents.models import Document

FINANCE, AUDITOR, DINA = "finance@example.com", "auditor@example.com", "dina@example.com"
PATH = "/finance/reconciliation"


def person(browser: Browser, email: str) -> Browser:
    assert browser.login(email).status_code == 303  # type: ignore[attr-defined]
    return browser


def count(api: Api) -> int:
    with Session(api.engine) as session:
        return int(session.exec(select(func.count()).select_from(Document)).one())


def form(api: Api, **changed: str) -> dict[str, str]:
    values = {
        "partner": str(api.distributor_id),
        "from": "2026-03-01",
        "to": "2026-05-31",
        "currency": "RUB",
        "language": "ru",
    }
    return values | changed


def error_of(page: Any, field: str) -> str:
    """The error shown beside ``field`` (its input says so with aria-describedby)."""
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page.text, re.S)
    assert found is not None, page.text
    assert f'id="{field}"' in page.text and 'aria-invalid="true"' in page.text
    return found.group(1).strip()


def test_bad_input_is_refused_beside_its_field(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    make_settlements(api.engine, api.distributor_id)
    finance = person(browser, FINANCE)
    # The pages run on the fixture's clock (today): the settlements are of early 2026.
    tomorrow = (api.clock.now.date() + timedelta(days=1)).isoformat()
    cases = [
        ({"to": "2026-02-01"}, 422, "to", "Последний день раньше первого."),
        ({"to": tomorrow}, 422, "to", "Последний день не может быть позже сегодняшнего."),
        ({"from": "2025-05-30"}, 422, "from", "не больше 366 дней"),
        ({"from": "31.05.2026"}, 422, "from", "Введите дату в виде 2026-03-01."),
        ({"partner": "abc"}, 422, "partner", "Введите ID партнёра"),
        ({"partner": "999"}, 404, "partner", "Партнёра с таким ID нет"),
        ({"currency": "US$"}, 422, "currency", "Введите код валюты"),
        ({"currency": "USD"}, 409, "currency", "его валюты: KZT, RUB."),
    ]
    for changed, status, field, text in cases:
        page: Any = finance.post(PATH, form(api, **changed), token_from=PATH)
        assert page.status_code == status, (changed, page.headers.get("location"), page.text)
        assert text in error_of(page, field), (changed, error_of(page, field))
        assert "Акт сверки не выставлен" in page.text or status != 422
        # What was typed stays in the form.
        for value in changed.values():
            assert f'value="{value}"' in page.text
    assert count(api) == 0


def test_missing_company_details_are_listed(api: Api, browser: Browser) -> None:
    set_company(api.engine, chief_accountant=None)
    make_settlements(api.engine, api.distributor_id)
    finance = person(browser, FINANCE)
    page: Any = finance.post(PATH, form(api), token_from=PATH)
    assert page.status_code == 409 and count(api) == 0
    assert 'href="/admin/requisites"' in page.text and "<li>Главный бухгалтер</li>" in page.text


def test_finance_issues_a_statement_and_the_partner_lists_it(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    make_settlements(api.engine, api.distributor_id)
    finance = person(browser, FINANCE)
    periods: Any = finance.get("/finance/periods")
    assert f'href="{PATH}"' in periods.text  # the finance tabs
    empty: Any = finance.get(PATH)
    assert empty.status_code == 200 and "Актов сверки пока нет" in empty.text
    issued: Any = finance.post(PATH, form(api, currency="rub"), token_from=PATH)
    assert issued.status_code == 303
    with Session(api.engine) as session:
        (document,) = session.exec(select(Document)).all()
    assert issued.headers["location"] == f"{PATH}?issued={document.id}#issued"
    assert (document.kind, document.number, document.language) == ("reconciliation", 1, "ru")
    assert document.subject == f"reconciliation:{api.distributor_id}:RUB:2026-03-01:2026-05-31"
    shown: Any = finance.get(issued.headers["location"])
    assert f"Акт сверки № 1 за {api.clock.now.year} для партнёра" in shown.text
    assert f'href="/documents/{document.id}/pdf"' in shown.text
    assert "RUB, 2026-03-01 – 2026-05-31" in shown.text
    again: Any = finance.post(PATH, form(api), token_from=PATH)
    assert again.headers["location"] == issued.headers["location"] and count(api) == 1
    browser.client.cookies.clear()
    dina = person(browser, DINA)
    mine: Any = dina.get("/documents")
    assert "Акт сверки" in mine.text and "RUB, 2026-03-01 – 2026-05-31" in mine.text
    pdf: Any = dina.get(f"/documents/{document.id}/pdf")
    assert hashlib.sha256(pdf.content).hexdigest() == document.pdf_sha256
    assert dina.get(PATH).status_code == 403  # type: ignore[attr-defined]
    forged: Any = dina.post(PATH, form(api), token_from="/home")
    assert forged.status_code == 403 and count(api) == 1
    browser.client.cookies.clear()
    auditor = person(browser, AUDITOR)
    assert auditor.get(PATH).status_code == 403  # type: ignore[attr-defined]
