"""The statement page of a period with payout rails and withholding (the rouble company of
tests/backend/test_period_withholding.py): gross, tax withheld, net and the rail in Russian and
English, the bank leaf's pseudo-address explained, and a payee held for an unknown tax status
told why; the CSV carries the same rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from lineage_api import Api
from test_api_periods import close
from test_period_withholding import rouble_company
from web_support import Browser

DINA = "/distributors/2/statements/1"


def test_a_taxed_bank_payout_is_shown_gross_withheld_and_net(api: Api) -> None:
    rouble_company(api)
    close(api, 1)
    browser = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    page: Any = browser.get(DINA)
    assert page.status_code == 200, page.text
    text = page.text
    assert "Выплата до налога" in text and "Удержан НДФЛ" in text
    assert "Выплата после налога" in text and "Банковский перевод" in text
    assert "Физическое лицо: компания удерживает НДФЛ" in text
    assert "псевдоадрес" in text
    for amount in ("40,00\u00a0₽", "-5,00\u00a0₽", "35,00\u00a0₽"):
        assert amount in text, amount
    browser.post("/language", {"language": "en", "next": DINA}, token_from=DINA)
    english: Any = browser.get(DINA)
    assert "Tax withheld" in english.text and "Bank transfer" in english.text
    download: Any = browser.get(DINA + ".csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    money = {row[0]: row[1] for row in rows if len(row) >= 3}
    assert money["Payout before tax (gross)"] == "40.00"
    assert money["Tax withheld"] == "-5.00"
    assert money["Payout (net)"] == "35.00"


def test_a_payee_without_a_tax_status_is_told_why_the_money_is_held(api: Api) -> None:
    rouble_company(api)
    close(api, 1)
    browser = Browser(TestClient(api.client.app))
    browser.login("finance@example.com")
    page: Any = browser.get("/distributors/1/statements/1")
    assert page.status_code == 200, page.text
    assert "Налоговый статус не указан" in page.text
