"""The agreement's pages through the test client, on SQLite and PostgreSQL: the partner's
refusals (no company details yet, the box not ticked, a version replaced while reading) write
nothing; the admin's editor refuses an unknown placeholder beside its text by name and
publishes nothing for an unchanged text; staff read a partner's acceptances on their record;
an admin seeing the partner's office reads the page without the form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from documents_kit import set_company
from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from sqlmodel import Session, func, select
from test_agreements import make_price_list
from web_support import Browser

from backend.admin_log.models import AdminAction, AdminLogEntry
from backend.documents import versions
from backend.documents.models import AgreementAcceptance, Document, DocumentTemplate, TemplateKind


def dina(browser: Browser) -> Browser:
    assert browser.login("dina@example.com").status_code == 303  # type: ignore[attr-defined]
    return browser


def admin(api: Api) -> Browser:
    person = Browser(TestClient(api.client.app))
    assert person.login(ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    return person


def count(api: Api, table: Any, *where: Any) -> int:
    with Session(api.engine) as session:
        return int(session.exec(select(func.count()).select_from(table).where(*where)).one())


def accept(browser: Browser, version: int = 1, agree: bool = True) -> Any:
    form = {"version": str(version)} | ({"agree": "yes"} if agree else {})
    return browser.post("/agreement", form, token_from="/agreement")


def test_without_company_details_the_page_says_so_and_has_no_form(
    browser: Browser, api: Api
) -> None:
    page: Any = dina(browser).get("/agreement")
    assert page.status_code == 409
    assert "реквизиты компании заполнены не полностью" in page.text
    assert 'action="/agreement"' not in page.text
    home: Any = browser.get("/home")
    assert 'id="agreement-banner"' in home.text  # version 1 waits all the same


def test_the_box_must_be_ticked_and_a_replaced_version_is_shown_again(
    browser: Browser, api: Api
) -> None:
    set_company(api.engine)
    dina(browser)
    unticked = accept(browser, agree=False)
    assert unticked.status_code == 422
    assert '<p class="error" id="agree-error">Отметьте, что вы прочитали договор' in unticked.text
    assert 'aria-describedby="agree-error"' in unticked.text
    publish = admin(api).post(
        "/admin/templates/agreement",
        {
            "body_ru": versions.repository_texts(TemplateKind.agreement)[versions.Language.ru]
            + "\nНовый пункт.\n",
            "body_en": versions.repository_texts(TemplateKind.agreement)[versions.Language.en],
        },
        token_from="/admin/templates/agreement",
    )
    assert publish.status_code == 303
    stale = accept(browser, version=1)
    assert stale.status_code == 409
    assert "опубликована новая редакция договора" in stale.text
    assert "Новый пункт." in stale.text and 'name="version" value="2"' in stale.text
    assert count(api, AgreementAcceptance) == 0 and count(api, Document) == 0
    done = accept(browser, version=2)
    assert done.status_code == 303 and done.headers["location"] == "/agreement?accepted=1"
    assert count(api, AgreementAcceptance) == 1


def test_an_unknown_placeholder_is_refused_beside_its_text_and_unchanged_publishes_nothing(
    api: Api,
) -> None:
    person = admin(api)
    texts = versions.repository_texts(TemplateKind.agreement)
    form = {
        "body_ru": texts[versions.Language.ru],
        "body_en": texts[versions.Language.en] + "\nPassport: {{passport_number}}\n",
    }
    refused: Any = person.post(
        "/admin/templates/agreement", form, token_from="/admin/templates/agreement"
    )
    assert refused.status_code == 422
    assert (
        '<p class="error" id="body_en-error">Неизвестная подстановка: {{passport_number}}.'
        in refused.text
    )
    assert "Passport: {{passport_number}}" in refused.text  # the text typed stays in the form
    assert count(api, DocumentTemplate, DocumentTemplate.kind == "agreement") == 1
    unchanged: Any = person.post(
        "/admin/templates/agreement",
        {"body_ru": texts[versions.Language.ru], "body_en": texts[versions.Language.en]},
        token_from="/admin/templates/agreement",
    )
    assert unchanged.headers["location"] == "/admin/templates/agreement?done=unchanged"
    assert count(api, DocumentTemplate, DocumentTemplate.kind == "agreement") == 1
    assert count(api, AdminLogEntry, AdminLogEntry.action == AdminAction.template_published) == 0
    listing: Any = person.get("/admin/templates")
    assert listing.status_code == 200
    assert '<a href="/admin/templates/offer">Коммерческое предложение</a>' in listing.text


def test_staff_read_acceptances_on_the_record_and_see_as_has_no_form(
    browser: Browser, api: Api
) -> None:
    set_company(api.engine)
    assert accept(dina(browser)).status_code == 303
    with Session(api.engine) as session:
        row = session.exec(select(AgreementAcceptance)).one()
    own: Any = browser.get(f"/distributors/{api.distributor_id}")
    assert "Акцепты партнёрского договора" not in own.text
    auditor = Browser(TestClient(api.client.app))
    assert auditor.login("auditor@example.com").status_code == 303  # type: ignore[attr-defined]
    record: Any = auditor.get(f"/distributors/{api.distributor_id}")
    assert "Акцепты партнёрского договора" in record.text
    assert row.pdf_sha256 in record.text and f"/documents/{row.document_id}/pdf" in record.text
    person = admin(api)
    form = {"distributor_id": str(api.distributor_id)}
    assert person.post("/admin/see-as", form, token_from="/admin").status_code == 303  # type: ignore[attr-defined]
    seen: Any = person.get("/agreement")
    assert seen.status_code == 200 and "Вы приняли редакцию 1" in seen.text
    assert 'action="/agreement"' not in seen.text


def test_finance_issues_an_offer_with_errors_beside_their_fields(
    browser: Browser, api: Api
) -> None:
    set_company(api.engine)
    list_id = make_price_list(api)
    finance = Browser(TestClient(api.client.app))
    assert finance.login("finance@example.com").status_code == 303  # type: ignore[attr-defined]
    page: Any = finance.get("/offers")
    assert page.status_code == 200 and '<a href="/offers" aria-current="page">' in page.text
    assert f'<option value="{list_id}"' in page.text
    form = {
        "prospect_name": "ООО «Альфа»",
        "prospect_inn": "7707083890",  # one digit off
        "price_list_id": str(list_id),
        "valid_until": (api.clock.now.date() + timedelta(days=10)).isoformat(),
        "language": "ru",
    }
    wrong: Any = finance.post("/offers", form, token_from="/offers")
    assert wrong.status_code == 422
    assert '<p class="error" id="prospect_inn-error">' in wrong.text
    assert 'aria-describedby="prospect_inn-error"' in wrong.text
    both: Any = finance.post(
        "/offers", form | {"prospect_inn": "", "distributor_id": "2"}, token_from="/offers"
    )
    assert both.status_code == 422 and 'id="recipient-error"' in both.text
    assert count(api, Document) == 0
    done: Any = finance.post("/offers", form | {"prospect_inn": "7707083893"}, token_from="/offers")
    assert done.status_code == 303 and done.headers["location"].startswith("/offers?issued=")
    listed: Any = finance.get(done.headers["location"])
    assert (
        "Предложение оформлено" in listed.text and f"№ 1 за {api.clock.now.year} г." in listed.text
    )
    with Session(api.engine) as session:
        offer = session.exec(select(Document)).one()
    assert offer.kind == "offer" and offer.pdf_sha256 in listed.text
    assert dina(browser).get("/offers").status_code == 403  # type: ignore[attr-defined]
