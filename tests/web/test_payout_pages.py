"""The partner's payouts and tax status page (`/payout`) through the test client, on SQLite and
PostgreSQL: the empty state and the form, errors next to their fields that save nothing, a
bank profile saved and shown with its history (accounts masked), the English page, the admin's
read-only "see as" view without the form, and staff kept out of a partner's page."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from sqlalchemy import func
from sqlmodel import Session, select
from web_support import Browser

from backend.payees.models import PayeeProfile

ACCOUNT = "40817810000000001234"  # valid with Sberbank's BIK
BANK = {
    "tax_status": "individual",
    "rail": "bank",
    "inn": "",
    "bank_account": "4081 7810 0000 0000 1234",
    "bik": "044525225",
    "corr_account": "30101810400000000225",
    "bank_name": "ПАО Сбербанк",
}


def dina(browser: Browser) -> Browser:
    assert browser.login("dina@example.com").status_code == 303  # type: ignore[attr-defined]
    return browser


def save(browser: Browser, **fields: str) -> Any:
    return browser.post("/payout", BANK | fields, token_from="/payout")


def rows(api: Api) -> int:
    with Session(api.engine) as session:
        return session.exec(select(func.count()).select_from(PayeeProfile)).one()


def test_the_page_before_anything_is_chosen(browser: Browser) -> None:
    page: Any = dina(browser).get("/payout")
    assert page.status_code == 200
    assert "<h1>Выплаты и налоговый статус</h1>" in page.text
    assert '<a href="/payout" aria-current="page">Выплаты</a>' in page.text  # the menu
    assert "Пока не выбрано" in page.text and "Изменений пока нет." in page.text
    for name in ("inn", "bank_account", "bik", "corr_account"):
        assert re.search(
            rf'<input id="{name}" name="{name}" type="text" inputmode="numeric"', page.text
        )
    assert page.text.count('type="radio"') == 6


def test_a_wrong_inn_is_shown_beside_its_field_and_saves_nothing(
    browser: Browser, api: Api
) -> None:
    refused = save(dina(browser), inn="500100732258")
    assert refused.status_code == 422
    html = refused.text
    assert 'aria-invalid="true" aria-describedby="inn-hint inn-error"' in html
    assert '<p class="error" id="inn-error">Контрольные цифры ИНН не сходятся' in html
    assert 'value="4081 7810 0000 0000 1234"' in html  # what was typed stays in the form
    assert 'id="bik-error"' not in html
    missing = browser.post("/payout", {"bank_account": ACCOUNT}, token_from="/payout")
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert 'id="tax_status-error"' in missing.text and 'id="rail-error"' in missing.text  # type: ignore[attr-defined]
    key = save(browser, bank_account=ACCOUNT[:-1] + "5", corr_account="301018104")
    assert 'id="bank_account-error">Номер счёта не сходится с БИК' in key.text
    assert 'id="corr_account-error">Корреспондентский счёт — 20 цифр' in key.text
    token = save(browser, rail="token")
    assert 'id="rail-error">Токены переводятся на ваш кошелёк, а он ещё не указан' in token.text
    assert rows(api) == 0


def test_a_bank_profile_is_saved_and_kept_in_the_history(browser: Browser, api: Api) -> None:
    saved = save(dina(browser))
    assert saved.status_code == 303 and saved.headers["location"] == "/payout?saved=1"
    page: Any = browser.get("/payout?saved=1")
    assert "Реквизиты для выплат сохранены." in page.text
    assert f'<code class="wrap">{ACCOUNT}</code>' in page.text  # in force: in full
    assert "БИК 044525225, корр. счёт 30101810400000000225" in page.text
    assert 'value="individual" aria-describedby="tax_status-individual-hint" checked' in page.text
    api.clock.advance(hours=1)
    assert save(browser, tax_status="self_employed", inn="500100732259").status_code == 303
    history = browser.get("/payout").text.split('id="history"')[1]  # type: ignore[attr-defined]
    assert history.count("•••• 1234") == 2 and ACCOUNT not in history
    cells = re.findall(r'data-label="Налоговый статус">([^<]+)<', history)
    assert cells == ["Самозанятый (налог на профессиональный доход)", "Физическое лицо"]
    assert history.count('data-label="Кем внесено">вами<') == 2
    switched = browser.post(
        "/language", {"language": "en", "next": "/payout"}, token_from="/payout"
    )
    assert switched.status_code == 303  # type: ignore[attr-defined]
    english = browser.get("/payout").text  # type: ignore[attr-defined]
    assert "<h1>Payouts and tax status</h1>" in english and "Self-employed" in english


def test_an_admin_sees_the_page_read_only_and_staff_cannot_open_it(
    browser: Browser, api: Api
) -> None:
    assert save(dina(browser)).status_code == 303
    admin = Browser(TestClient(api.client.app))
    assert admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert admin.get("/payout").status_code == 403  # type: ignore[attr-defined]
    form = {"distributor_id": str(api.distributor_id)}
    assert admin.post("/admin/see-as", form, token_from="/admin").status_code == 303  # type: ignore[attr-defined]
    seen: Any = admin.get("/payout")
    assert seen.status_code == 200 and 'class="see-as"' in seen.text
    assert f'<code class="wrap">{ACCOUNT}</code>' in seen.text
    assert 'action="/payout"' not in seen.text and 'type="radio"' not in seen.text
    refused: Any = admin.post("/payout", BANK | {"tax_status": "company"}, token_from="/payout")
    assert refused.status_code == 403 and "только для просмотра" in refused.text
    assert rows(api) == 1
    finance = Browser(TestClient(api.client.app))
    assert finance.login("finance@example.com").status_code == 303  # type: ignore[attr-defined]
    assert finance.get("/payout").status_code == 403  # type: ignore[attr-defined]
