"""Partner documents over the API on SQLite and PostgreSQL: the invoice and the act in Russian
and English carry every required field and their totals in words, a second issue returns the
stored document (same hash), a re-render gives the same bytes, a correction is a new numbered
document referencing the original, and refusals (missing company details, unknown order, open
period, no tax status) write nothing. PNGs of each kind and language go to artifacts/documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from documents_kit import (
    ANCHOR_TX,
    ROOT,
    add_partner,
    leaf_of,
    make_order,
    make_period,
    pdf_meta,
    pdf_png,
    pdf_text,
    set_company,
)
from lineage_api import Api
from sqlmodel import Session, func, select

from backend.documents import series, service
from backend.documents.models import Document
from backend.documents.words import amount_in_words


def _issue(api: Api, path: str, language: str = "ru", role: str = "finance") -> dict[str, object]:
    issued = api.client.post(path, json={"language": language}, headers=api.as_(role))
    assert issued.status_code == 200, issued.text
    body: dict[str, object] = issued.json()
    return body


def _pdf(api: Api, document_id: object, role: str = "finance") -> bytes:
    got = api.client.get(f"/api/documents/{document_id}/pdf", headers=api.as_(role))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    return got.content


def _count(api: Api) -> int:
    with Session(api.engine) as session:
        return int(session.exec(select(func.count()).select_from(Document)).one())


def _squash(text: str) -> str:
    return " ".join(text.split())


INVOICE_FIELDS = {
    "ru": [
        "Счёт на оплату № 1 от 14 мая 2026 г.",
        "ООО «Линия»",
        "ИНН 7701000001",
        "КПП 770101001",
        "ОГРН 1027700000008",
        "г. Москва, ул. Примерная, д. 1",
        "ПАО Сбербанк",
        "БИК 044525225",
        "40702810938000012345",
        "30101810400000000225",
        "Dina First",
        "Крем для рук «Лён», 75 мл",
        "Чай травяной",
        "22 %",
        "10 %",
        "1 234,50",
        "3 703,50",
        "667,84",
        "Итого",
        "В том числе НДС",
        "Всего к оплате",
        "4 703,52",
        "758,75",
        "Четыре тысячи семьсот три рубля 52 копейки",
        "Иванова А. Б.",
        "Петров В. Г.",
    ],
    "en": [
        "Invoice No. 1 of May 14, 2026",
        "ООО «Линия»",
        "INN 7701000001",
        "Flax hand cream, 75 ml",
        "Herbal tea",
        "1,234.50",
        "4,703.52",
        "758.75",
        "Including VAT",
        "Four thousand seven hundred and three roubles 52 kopecks",
        "Director",
        "Chief accountant",
    ],
}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_invoice_fields_words_and_stable_bytes(api: Api, tmp_path: Path, language: str) -> None:
    set_company(api.engine)
    order_id = make_order(api.engine, api.distributor_id)
    api.clock.now = api.clock.now.replace(year=2026, month=5, day=14)
    body = _issue(api, f"/api/orders/{order_id}/invoice", language)
    assert (body["kind"], body["number"], body["year"], body["revision"]) == ("invoice", 1, 2026, 0)
    assert body["organisation"] == "7701000001" and body["distributor_id"] == api.distributor_id
    pdf = _pdf(api, body["id"])
    text = _squash(pdf_text(pdf, tmp_path))
    for field in INVOICE_FIELDS[language]:
        assert field in text, f"{field!r} missing from the {language} invoice:\n{text}"
    # The words are the figures: 3 x 1 234,50 + 2 x 500,01 = 4 703,52.
    assert amount_in_words(370350 + 100002, "RUB", 2, language) in text
    assert pdf[:8] == b"%PDF-1.7" and "pdfaid:part" in pdf_meta(pdf, tmp_path)  # PDF/A-3b
    assert pdf_png(pdf, f"invoice-{language}", tmp_path)
    with Session(api.engine) as session:
        stored = session.get(Document, body["id"])
        assert stored is not None
        assert service.rerender(stored) == stored.pdf  # the stored data gives the same bytes
        data = json.loads(stored.data)
        assert data["fields"]["total"] == 470352 and data["fields"]["vat_total"] == 75875


ACT_FIELDS = {
    ("ru", "individual"): [
        "Акт об оказании услуг № 1",
        "за период 1: с 1 апреля 2026 г. по 30 апреля 2026 г.",
        "Dina First",
        "физическое лицо",
        "ИНН 500100732259",
        "ООО «Линия»",
        "Линейный бонус",
        "Бонус быстрого старта",
        "12 355,69",
        "500,00",
        "Вознаграждение до удержания налога: 12 855,69",
        "Удержан НДФЛ: 1 671,23",
        "К выплате: 11 184,46",
        "Заказчик: ООО «Линия»",
        "налоговый агент",
    ],
    ("en", "self_employed"): [
        "Act of services No. 1",
        "Commission for period 1",
        "Rosa Self",
        "self-employed",
        "Unilevel bonus",
        "Moy Nalog",
        "12,855.70",
        "Principal: ООО «Линия»",
    ],
    ("ru", "company"): ["Roman Firm", "юридическое лицо", "не удерживается", "первичным"],
}


@pytest.mark.parametrize(("language", "status"), list(ACT_FIELDS))
def test_act_fields_by_tax_status(api: Api, tmp_path: Path, language: str, status: str) -> None:
    set_company(api.engine)
    names = {"individual": None, "self_employed": ("Rosa", "Self"), "company": ("Roman", "Firm")}
    person = names[status]
    who = api.distributor_id if person is None else add_partner(api.engine, *person)
    make_period(api.engine, {who: status, 1: "individual"})
    api.clock.now = api.clock.now.replace(year=2026, month=5, day=14)
    body = _issue(api, f"/api/periods/1/acts/{who}", language)
    assert (body["kind"], body["period_id"], body["distributor_id"]) == ("act", 1, who)
    pdf = _pdf(api, body["id"])
    raw = pdf_text(pdf, tmp_path)
    text = _squash(raw)
    for field in ACT_FIELDS[(language, status)]:
        assert field in text, f"{field!r} missing from the {language} {status} act:\n{text}"
    compact = "".join(raw.split())  # a hash may wrap
    for digest in (leaf_of(api.engine, who), ROOT, ANCHOR_TX):
        assert digest in compact
    with Session(api.engine) as session:
        stored = session.get(Document, body["id"])
        assert stored is not None
        fields = json.loads(stored.data)["fields"]
        assert sum(line["amount"] for line in fields["lines"]) == fields["earned"]
        assert fields["gross"] - fields["withheld"] == fields["net"]
        words = amount_in_words(fields["net"], "RUB", 2, language)
        assert words in text and fields["net_words"] == words
        assert service.rerender(stored) == stored.pdf
    assert pdf_png(pdf, f"act-{language}-{status}", tmp_path)


def test_second_issue_returns_the_stored_document(api: Api) -> None:
    set_company(api.engine)
    order_id = make_order(api.engine, api.distributor_id)
    first = _issue(api, f"/api/orders/{order_id}/invoice")
    api.clock.advance(days=1)
    again = _issue(api, f"/api/orders/{order_id}/invoice")
    assert again == first  # same id, number, hashes, date
    english = _issue(api, f"/api/orders/{order_id}/invoice", "en")
    assert english["id"] != first["id"] and english["number"] == 2
    assert _count(api) == 2
    # No update path: the API has none, and the stored bytes are what the hash says.
    pdf = _pdf(api, first["id"], role="auditor")
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == first["pdf_sha256"]


def test_correction_is_a_new_document_referencing_the_original(api: Api, tmp_path: Path) -> None:
    set_company(api.engine)
    order_id = make_order(api.engine, api.distributor_id)
    original = _issue(api, f"/api/orders/{order_id}/invoice")
    reason = {"reason": "новый адрес"}
    same = api.client.post(
        f"/api/documents/{original['id']}/correction", json=reason, headers=api.as_("finance")
    )
    assert same.status_code == 409 and same.json()["error"]["code"] == "nothing_to_correct"
    with Session(api.engine) as session:
        from backend.company.models import CompanyRequisite

        row = session.get(CompanyRequisite, "legal_address")
        assert row is not None
        row.value = "г. Москва, ул. Новая, д. 2"
        session.add(row)
        session.commit()
    fixed = api.client.post(
        f"/api/documents/{original['id']}/correction", json=reason, headers=api.as_("finance")
    )
    assert fixed.status_code == 200, fixed.text
    body = fixed.json()
    assert body["corrects_id"] == original["id"] and body["revision"] == 1
    assert body["number"] == 2 and body["id"] != original["id"]
    text = _squash(pdf_text(_pdf(api, body["id"]), tmp_path))
    assert "Исправление № 1" in text and "к документу № 1" in text and "новый адрес" in text
    assert "ул. Новая, д. 2" in text
    old = _squash(pdf_text(_pdf(api, original["id"]), tmp_path))
    assert "ул. Примерная" in old and "ул. Новая" not in old  # the original is untouched
    pdf_png(_pdf(api, body["id"]), "invoice-ru-correction", tmp_path)


def test_missing_company_details_refuse_with_the_list(api: Api) -> None:
    set_company(api.engine, bik=None, director=None)
    order_id = make_order(api.engine, api.distributor_id)
    refused = api.client.post(
        f"/api/orders/{order_id}/invoice", json={"language": "ru"}, headers=api.as_("finance")
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "requisites_missing"
    assert error["details"]["missing"] == ["bik", "director"]
    assert _count(api) == 0


def test_bad_input_refused_and_nothing_written(api: Api) -> None:
    set_company(api.engine)
    finance = api.as_("finance")
    unknown = api.client.post("/api/orders/999/invoice", json={}, headers=finance)
    assert unknown.status_code == 404, unknown.text
    make_period(api.engine, {api.distributor_id: "individual"}, status="approved")
    not_anchored = api.client.post(f"/api/periods/1/acts/{api.distributor_id}", headers=finance)
    assert not_anchored.status_code == 422  # no body
    not_anchored = api.client.post(
        f"/api/periods/1/acts/{api.distributor_id}", json={}, headers=finance
    )
    assert not_anchored.status_code == 409
    assert not_anchored.json()["error"]["code"] == "period_state"
    no_period = api.client.post(
        f"/api/periods/7/acts/{api.distributor_id}", json={}, headers=finance
    )
    assert no_period.status_code == 404
    language = api.client.post("/api/orders/1/invoice", json={"language": "de"}, headers=finance)
    assert language.status_code == 422
    assert _count(api) == 0


def test_no_tax_status_and_who_may_read(api: Api) -> None:
    set_company(api.engine)
    other = add_partner(api.engine, "Olga", "Other")
    make_period(api.engine, {api.distributor_id: "individual", other: None})
    unknown = api.client.post(f"/api/periods/1/acts/{other}", json={}, headers=api.as_("finance"))
    assert unknown.status_code == 409
    assert unknown.json()["error"]["code"] == "tax_status_unknown"
    mine = _issue(api, f"/api/periods/1/acts/{api.distributor_id}")
    order_id = make_order(api.engine, other)
    theirs = _issue(api, f"/api/orders/{order_id}/invoice")
    # The distributor lists and downloads their own, not the other partner's invoice.
    listed = api.client.get("/api/documents", headers=api.as_("distributor")).json()
    assert [item["id"] for item in listed["items"]] == [mine["id"]]
    assert _pdf(api, mine["id"], role="distributor")[:4] == b"%PDF"
    foreign = api.client.get(f"/api/documents/{theirs['id']}/pdf", headers=api.as_("distributor"))
    assert foreign.status_code == 403
    # The auditor lists per partner and period; nobody but finance issues.
    audit = api.client.get(
        f"/api/documents?distributor_id={api.distributor_id}&period_id=1",
        headers=api.as_("auditor"),
    ).json()
    assert audit["count"] == 1 and audit["items"][0]["id"] == mine["id"]
    denied = api.client.post(f"/api/orders/{order_id}/invoice", json={}, headers=api.as_("auditor"))
    assert denied.status_code == 403


def test_kept_fonts_give_the_bytes_of_fresh_ones(api: Api) -> None:
    """Each thread keeps one WeasyPrint font configuration (a configuration per document left
    its fonts in memory: a render process grew ~0.3 MiB an act). Kept or fresh, the bytes are
    the same: the stored act, rendered again here and on a new thread (a fresh configuration)."""
    import threading

    from backend.documents import render

    set_company(api.engine)
    make_period(api.engine, {api.distributor_id: "individual"})
    api.clock.now = api.clock.now.replace(year=2026, month=5, day=14)
    body = _issue(api, f"/api/periods/1/acts/{api.distributor_id}")
    with Session(api.engine) as session:
        stored = session.get(Document, body["id"])
        assert stored is not None
        data = series.flat(json.loads(stored.data))
    kept = render._font_config()
    assert render._font_config() is kept
    elsewhere: dict[str, object] = {}

    def on_a_new_thread() -> None:
        elsewhere["config"] = render._font_config()
        elsewhere["pdf"] = render.render_pdf(data)

    thread = threading.Thread(target=on_a_new_thread)
    thread.start()
    thread.join()
    assert elsewhere["config"] is not kept
    assert render.render_pdf(data) == render.render_pdf(data) == elsewhere["pdf"] == stored.pdf
