"""The company's details page `/admin/requisites` through the test client, on SQLite and
PostgreSQL: a wrong detail shown next to its field and nothing saved, a good form saved and
logged, the values and who changed them shown back; other roles refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from sqlmodel import Session, col, select
from web_support import Browser

from backend.admin_log.models import AdminLogEntry
from backend.company.models import CompanyRequisite
from backend.company.requisites import requisites

PATH = "/admin/requisites"
FORM = {
    "legal_name": "ООО «Линия»",
    "inn": "7701000001",
    "kpp": "770101001",
    "ogrn": "1027700000008",
    "legal_address": "г. Москва, ул. Примерная, д. 1",
    "bank_name": "ПАО Сбербанк",
    "bik": "044525225",
    "account": "40702810938000012345",
    "corr_account": "30101810400000000225",
    "director": "Иванова А. Б.",
    "chief_accountant": "",
}


def admin_office(api: Api) -> Browser:
    browser = Browser(TestClient(api.client.app))
    assert browser.login(ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    return browser


def test_wrong_details_are_shown_next_to_their_fields_and_nothing_is_saved(api: Api) -> None:
    admin = admin_office(api)
    page: Any = admin.get(PATH)
    assert page.status_code == 200 and 'href="/admin/requisites"' in page.text
    assert 'id="inn"' in page.text and 'id="chief_accountant"' in page.text
    bad = {**FORM, "inn": "7701000002", "account": "40702810938000012346", "kpp": ""}
    refused: Any = admin.post(PATH, bad, token_from=PATH)
    assert refused.status_code == 422
    for name in ("inn", "account"):
        assert f'id="{name}-error"' in refused.text
    assert 'id="kpp-error"' not in refused.text  # the INN is wrong: no KPP rule applies yet
    assert "Контрольная цифра не сходится" in refused.text
    assert 'value="7701000002"' in refused.text  # the form keeps what was typed
    with Session(api.engine) as session:
        assert session.exec(select(CompanyRequisite)).all() == []


def test_good_details_are_saved_logged_and_shown_back(api: Api) -> None:
    admin = admin_office(api)
    saved: Any = admin.post(PATH, FORM, token_from=PATH)
    assert saved.status_code == 303 and saved.headers["location"] == f"{PATH}?done=requisites_saved"
    with Session(api.engine) as session:
        stored = requisites(session)
        assert stored.inn == "7701000001" and stored.chief_accountant is None
        targets = session.exec(
            select(AdminLogEntry.target).where(
                col(AdminLogEntry.target).startswith("setting:requisites.")
            )
        ).all()
    assert len(targets) == 10 and "setting:requisites.inn" in targets
    shown: Any = admin.get(f"{PATH}?done=requisites_saved")
    assert 'role="status"' in shown.text and 'value="40702810938000012345"' in shown.text
    assert ADMIN_EMAIL in shown.text
    # The requisites page is in the admin's landing and tabs.
    assert 'href="/admin/requisites"' in admin.get("/admin").text  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ["finance", "auditor", "distributor"])
def test_other_roles_are_refused(api: Api, role: str) -> None:
    email = "dina@example.com" if role == "distributor" else f"{role}@example.com"
    office = Browser(TestClient(api.client.app))
    office.login(email)
    assert office.get(PATH).status_code == 403  # type: ignore[attr-defined]
    refused: Any = office.post(PATH, FORM, token_from="/home")
    assert refused.status_code == 403
    with Session(api.engine) as session:
        assert session.exec(select(CompanyRequisite)).all() == []
