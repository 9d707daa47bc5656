"""The partner documents' pages through the test client, on SQLite and PostgreSQL: finance
issues a closed period's acts from its acts page (the issued act's number and PDF shown after,
the refusals in words: the missing company details listed and linked, no tax status) and an
order's invoice; a distributor lists and downloads their own documents only; the auditor lists
every document with its hashes and filters; every other role refused."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from documents_kit import add_partner, make_order, make_period, set_company
from lineage_api import Api, add_user
from sqlmodel import Session, func, select
from web_support import Browser

from backend.core.model_base import Role
from backend.documents.models import Document

FINANCE, AUDITOR, DINA = "finance@example.com", "auditor@example.com", "dina@example.com"
POST_FORM = re.compile(r'<form method="post" action="([^"]*)"')


def person(browser: Browser, email: str) -> Browser:
    assert browser.login(email).status_code == 303  # type: ignore[attr-defined]
    return browser


def post(browser: Browser, path: str) -> Any:
    return browser.post(path, {}, token_from="/home")


def documents(api: Api) -> list[Document]:
    with Session(api.engine) as session:
        return list(session.exec(select(Document).order_by(Document.id)))  # type: ignore[arg-type]


def count(api: Api) -> int:
    with Session(api.engine) as session:
        return int(session.exec(select(func.count()).select_from(Document)).one())


def issue(api: Api, path: str, language: str = "ru") -> None:
    done = api.client.post(path, json={"language": language}, headers=api.as_("finance"))
    assert done.status_code == 200, done.text


def test_finance_issues_an_act_from_the_periods_acts_page(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    other = add_partner(api.engine, "Oleg", "Second")
    make_period(api.engine, {api.distributor_id: "individual", other: None})
    finance = person(browser, FINANCE)
    period: Any = finance.get("/finance/periods/1")
    assert period.status_code == 200 and 'href="/finance/periods/1/acts"' in period.text
    page: Any = finance.get("/finance/periods/1/acts")
    assert page.status_code == 200
    assert f'action="/finance/periods/1/acts/{api.distributor_id}"' in page.text
    assert "Выставить акт" in page.text and "Dina First" in page.text
    assert "не указан" in page.text  # Oleg has no tax status: said before anyone presses
    issued = post(finance, f"/finance/periods/1/acts/{api.distributor_id}")
    assert issued.status_code == 303
    assert issued.headers["location"] == f"/finance/periods/1/acts#payee-{api.distributor_id}"
    (act,) = documents(api)
    assert (act.kind, act.number, act.distributor_id, act.language) == (
        "act",
        1,
        api.distributor_id,
        "ru",
    )
    after: Any = finance.get("/finance/periods/1/acts")
    assert f'href="/documents/{act.id}/pdf"' in after.text and "№ 1" in after.text
    assert f'action="/finance/periods/1/acts/{api.distributor_id}"' not in after.text
    # Issuing again gives the stored act, not a second number.
    assert post(finance, f"/finance/periods/1/acts/{api.distributor_id}").status_code == 303
    assert count(api) == 1
    # No tax status: refused in words, nothing written.
    refused = post(finance, f"/finance/periods/1/acts/{other}")
    assert refused.status_code == 409 and count(api) == 1
    assert "не было налогового статуса" in refused.text
    pdf: Any = finance.get(f"/documents/{act.id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == act.pdf_sha256


def test_missing_company_details_are_listed_and_linked(api: Api, browser: Browser) -> None:
    set_company(api.engine, director=None, inn=None)
    make_period(api.engine, {api.distributor_id: "self_employed"})
    finance = person(browser, FINANCE)
    refused = post(finance, f"/finance/periods/1/acts/{api.distributor_id}")
    assert refused.status_code == 409 and count(api) == 0
    assert 'href="/admin/requisites"' in refused.text
    listed = re.search(r"<ul>(.*?)</ul>", refused.text[refused.text.index("act-error") :], re.S)
    assert listed is not None
    assert "<li>ИНН</li>" in listed.group(1) and "<li>Руководитель</li>" in listed.group(1)


def test_an_open_period_has_no_acts_to_issue(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    make_period(api.engine, {api.distributor_id: "individual"}, status="approved")
    finance = person(browser, FINANCE)
    page: Any = finance.get("/finance/periods/1/acts")
    assert page.status_code == 200 and "Выставить акт" not in page.text
    refused = post(finance, f"/finance/periods/1/acts/{api.distributor_id}")
    assert refused.status_code == 409 and count(api) == 0
    assert finance.get("/finance/periods/77/acts").status_code == 404  # type: ignore[attr-defined]


def test_finance_issues_an_orders_invoice_and_lands_on_its_pdf(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    order_id = make_order(api.engine, api.distributor_id)
    finance = person(browser, FINANCE)
    issued = post(finance, f"/finance/orders/{order_id}/invoice")
    assert issued.status_code == 303
    (invoice,) = documents(api)
    assert issued.headers["location"] == f"/documents/{invoice.id}/pdf"
    pdf: Any = finance.get(issued.headers["location"])
    assert pdf.status_code == 200 and pdf.content == invoice.pdf
    assert post(finance, "/finance/orders/999/invoice").status_code == 404


def test_the_distributor_lists_and_downloads_their_own(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    other = add_partner(api.engine, "Oleg", "Second")
    dina = person(browser, DINA)
    empty: Any = dina.get("/documents")
    assert empty.status_code == 200 and "Документов пока нет" in empty.text
    assert 'href="/documents"' in empty.text  # the menu entry
    make_period(api.engine, {api.distributor_id: "individual", other: "individual"})
    for who in (api.distributor_id, other):
        issue(api, f"/api/periods/1/acts/{who}")
    order_id = make_order(api.engine, api.distributor_id)
    issue(api, f"/api/orders/{order_id}/invoice")
    mine, theirs, invoice = documents(api)
    listed: Any = dina.get("/documents")
    assert f'href="/documents/{mine.id}/pdf"' in listed.text
    assert f'href="/documents/{invoice.id}/pdf"' in listed.text
    assert f'href="/documents/{theirs.id}/pdf"' not in listed.text
    assert "Акт об оказании услуг" in listed.text and "Счёт на оплату" in listed.text
    assert f"Заказ № {order_id}" in listed.text and "Период 1" in listed.text
    pdf: Any = dina.get(f"/documents/{mine.id}/pdf")
    assert hashlib.sha256(pdf.content).hexdigest() == mine.pdf_sha256
    assert dina.get(f"/documents/{theirs.id}/pdf").status_code == 403  # type: ignore[attr-defined]


def test_the_auditor_lists_every_document_with_hashes(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    other = add_partner(api.engine, "Oleg", "Second")
    make_period(api.engine, {api.distributor_id: "individual", other: "company"})
    for who in (api.distributor_id, other):
        issue(api, f"/api/periods/1/acts/{who}", "en")
    first, second = documents(api)
    auditor = person(browser, AUDITOR)
    page: Any = auditor.get("/audit/documents")
    assert page.status_code == 200
    assert set(POST_FORM.findall(page.text)) == {"/language", "/logout"}  # read-only
    for document in (first, second):
        assert document.pdf_sha256 in page.text and document.data_sha256 in page.text
    assert 'href="/audit/documents"' in page.text  # the audit tabs and menu
    narrowed: Any = auditor.get(f"/audit/documents?partner={other}&period=1&kind=act")
    assert second.pdf_sha256 in narrowed.text and first.pdf_sha256 not in narrowed.text
    none: Any = auditor.get("/audit/documents?kind=invoice")
    assert "Нет документов" in none.text and first.pdf_sha256 not in none.text
    bad: Any = auditor.get("/audit/documents?kind=waybill")
    assert bad.status_code == 404  # the pages answer a malformed query as an unknown page
    pdf: Any = auditor.get(f"/documents/{first.id}/pdf")
    assert hashlib.sha256(pdf.content).hexdigest() == first.pdf_sha256


def test_other_roles_are_refused(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    make_period(api.engine, {api.distributor_id: "individual"})
    act = api.client.post(
        f"/api/periods/1/acts/{api.distributor_id}",
        json={"language": "ru"},
        headers=api.as_("finance"),
    )
    assert act.status_code == 200
    pdf = f"/documents/{act.json()['id']}/pdf"
    add_user(api.engine, "admin2@example.com", Role.admin)
    refused = {
        DINA: ["/finance/periods/1/acts", "/audit/documents"],
        FINANCE: ["/documents", "/audit/documents"],
        AUDITOR: ["/documents", "/finance/periods/1/acts"],
        "warehouse@example.com": ["/documents", "/audit/documents", pdf],
        "admin2@example.com": ["/documents", "/finance/periods/1/acts", "/audit/documents"],
    }
    for email, paths in refused.items():
        browser.client.cookies.clear()
        someone = person(browser, email)
        for path in paths:
            assert someone.get(path).status_code == 403, (email, path)  # type: ignore[attr-defined]
        if email == DINA:
            forged = post(someone, f"/finance/periods/1/acts/{api.distributor_id}")
            assert forged.status_code == 403
