"""The partner agreement and the commercial offer (issue 17, item 5) over the API, on SQLite
and PostgreSQL: the agreement in Russian and English with the partner's details, its
acceptance recorded with the stored PDF's SHA-256, a new version asking again while the old
acceptance stays, concurrent accepts recording one acceptance, refusals (missing company
details, an unknown placeholder) writing nothing, and the offer from a price list. PNGs of
both kinds in both languages go to artifacts/documents."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from documents_kit import pdf_png, pdf_text, set_company
from lineage_api import ADMIN_EMAIL, Api, error_code
from sqlmodel import Session, func, select
from test_races import race

from backend.accounts.models import User
from backend.admin_log.models import AdminAction, AdminLogEntry
from backend.core.errors import Invalid
from backend.core.model_base import Language
from backend.documents import versions
from backend.documents.models import AgreementAcceptance, Document, TemplateKind
from backend.payees.models import PayeeProfile


def _squash(text: str) -> str:
    return " ".join(text.split())


def _count(api: Api, table: Any) -> int:
    with Session(api.engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def _agreement(api: Api, language: str = "ru") -> dict[str, Any]:
    got = api.client.get(f"/api/agreement?language={language}", headers=api.as_("distributor"))
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def _accept(api: Api, version: int, language: str = "ru") -> dict[str, Any]:
    done = api.client.post(
        "/api/agreement/acceptance",
        json={"version": version, "language": language},
        headers=api.as_("distributor"),
    )
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


def _publish_v2(api: Api, extra: str = "\n\n## 9. Addendum\n\nA new clause.\n") -> int:
    with Session(api.engine) as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        texts = versions.repository_texts(TemplateKind.agreement)
        texts = {language: text + extra for language, text in texts.items()}
        row, new = versions.publish(
            session, TemplateKind.agreement, texts, actor=admin, now=api.clock.now
        )
        assert new
        return row.version


def _tax_status(api: Api) -> None:
    with Session(api.engine) as session:
        session.add(
            PayeeProfile(
                distributor_id=api.distributor_id,
                tax_status="self_employed",
                rail="bank",
                inn="500100732259",
                effective_at=api.clock.now - timedelta(days=1),
            )
        )
        session.commit()


AGREEMENT_FIELDS = {
    "ru": [
        "Партнёрский договор № 1 от",
        "редакция текста 1",
        "ООО «Линия»",
        "ИНН 7701000001",
        "ОГРН 1027700000008",
        "Иванова А. Б.",
        "Dina First",
        "самозанятый",
        "500100732259",
        "не гарантирует Партнёру никакого дохода",
        "За привлечение новых партнёров как таковое",
        "Заключение договора электронным способом",
        "Срок действия и расторжение",
        "БИК 044525225",
        "40702810938000012345",
        "Принят в электронной форме в личном кабинете партнёром № 2",
    ],
    "en": [
        "Partner agreement No. 1 of",
        "text version 1",
        "ООО «Линия»",
        "INN 7701000001",
        "Dina First",
        "self-employed",
        "500100732259",
        "guarantees the Partner no income",
        "Nothing is paid for recruiting as such",
        "Acceptance by electronic means",
        "Term and termination",
        "BIC 044525225",
        "Accepted electronically in the partner's office by partner No. 2",
    ],
}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_accepting_issues_the_agreement_and_records_its_pdf_hash(
    api: Api, tmp_path: Path, language: str
) -> None:
    set_company(api.engine)
    _tax_status(api)
    shown = _agreement(api, language)
    assert shown["version"] == 1 and shown["acceptance_needed"] is True
    assert shown["accepted"] is None and shown["history"] == []
    assert "Dina First" in shown["text"] and "{{" not in shown["text"]
    accepted = _accept(api, 1, language)
    assert accepted["version"] == 1 and accepted["distributor_id"] == api.distributor_id
    pdf = api.client.get(
        f"/api/documents/{accepted['document_id']}/pdf", headers=api.as_("distributor")
    )
    assert pdf.status_code == 200
    # The recorded hash is the stored PDF's, as served.
    assert accepted["pdf_sha256"] == hashlib.sha256(pdf.content).hexdigest()
    assert pdf.headers["X-Content-SHA256"] == accepted["pdf_sha256"]
    with Session(api.engine) as session:
        document = session.get(Document, accepted["document_id"])
        assert document is not None
        assert (document.kind, document.subject, document.number) == (
            "agreement",
            "agreement:2:1",
            1,
        )
        assert document.distributor_id == api.distributor_id
    text = _squash(pdf_text(pdf.content, tmp_path))
    for field in AGREEMENT_FIELDS[language]:
        assert field in text, f"{field!r} missing from the {language} agreement:\n{text}"
    assert pdf_png(pdf.content, f"agreement-{language}", tmp_path)
    after = _agreement(api, language)
    assert after["acceptance_needed"] is False and after["accepted"]["id"] == accepted["id"]


def test_a_second_accept_returns_the_first(api: Api) -> None:
    set_company(api.engine)
    first = _accept(api, 1)
    again = _accept(api, 1, "en")  # the other language too: one acceptance per version
    assert again == first
    assert _count(api, AgreementAcceptance) == 1 and _count(api, Document) == 1


def test_concurrent_accepts_of_one_version_record_one_acceptance(api: Api) -> None:
    set_company(api.engine)
    headers = api.as_("distributor")

    def accept(client: Any, index: int) -> Any:
        body = {"version": 1, "language": "ru" if index % 2 else "en"}
        return client.post("/api/agreement/acceptance", json=body, headers=headers)

    answers = race(api, 8, accept)
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["id"] for a in answers}) == 1
    assert _count(api, AgreementAcceptance) == 1
    with Session(api.engine) as session:
        row = session.exec(select(AgreementAcceptance)).one()
        document = session.get(Document, row.document_id)
        assert document is not None and row.pdf_sha256 == hashlib.sha256(document.pdf).hexdigest()
        # A language that lost the race may have issued its document and rolled it back with
        # its acceptance: the numbers stay gap-free.
        numbers = sorted(session.exec(select(Document.number)).all())
        assert numbers == list(range(1, len(numbers) + 1))


def test_a_new_version_asks_again_and_keeps_the_old_acceptance(api: Api) -> None:
    set_company(api.engine)
    first = _accept(api, 1)
    version = _publish_v2(api)
    assert version == 2
    shown = _agreement(api)
    assert shown["version"] == 2 and shown["acceptance_needed"] is True
    assert shown["accepted"] is None and [h["version"] for h in shown["history"]] == [1]
    assert "A new clause." in shown["text"]
    stale = api.client.post(
        "/api/agreement/acceptance", json={"version": 1}, headers=api.as_("distributor")
    )
    assert stale.status_code == 409 and error_code(stale) == "version_changed"
    second = _accept(api, 2)
    assert second["id"] != first["id"] and second["document_id"] != first["document_id"]
    listed = api.client.get(
        f"/api/distributors/{api.distributor_id}/acceptances", headers=api.as_("auditor")
    )
    assert listed.status_code == 200
    assert [(row["version"], row["id"]) for row in listed.json()] == [
        (2, second["id"]),
        (1, first["id"]),
    ]
    with Session(api.engine) as session:
        logged = session.exec(
            select(AdminLogEntry).where(AdminLogEntry.action == AdminAction.template_published)
        ).all()
        assert [entry.target for entry in logged] == ["template:agreement"]


def test_a_partner_may_not_list_acceptances_and_an_unknown_partner_is_404(api: Api) -> None:
    listed = api.client.get(
        f"/api/distributors/{api.distributor_id}/acceptances", headers=api.as_("distributor")
    )
    assert listed.status_code == 403
    unknown = api.client.get("/api/distributors/999/acceptances", headers=api.as_("finance"))
    assert unknown.status_code == 404


def test_accepting_without_company_details_is_refused_and_writes_nothing(api: Api) -> None:
    set_company(api.engine, director=None, bik=None)
    refused = api.client.post(
        "/api/agreement/acceptance", json={"version": 1}, headers=api.as_("distributor")
    )
    assert refused.status_code == 409 and error_code(refused) == "requisites_missing"
    assert refused.json()["error"]["details"]["missing"] == ["bik", "director"]
    assert _count(api, AgreementAcceptance) == 0 and _count(api, Document) == 0


def test_an_unknown_placeholder_is_refused_by_name_and_unchanged_text_publishes_nothing(
    api: Api,
) -> None:
    texts = versions.repository_texts(TemplateKind.agreement)
    with Session(api.engine) as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        bad = dict(texts)
        bad[Language.en] = texts[Language.en] + "\nPassport: {{ partner_passport }}\n"
        with pytest.raises(Invalid) as refused:
            versions.publish(session, TemplateKind.agreement, bad, actor=admin, now=api.clock.now)
        assert refused.value.code == "unknown_placeholder"
        assert refused.value.details["unknown"] == ["partner_passport"]
        assert refused.value.details["language"] == "en"
        assert "{{partner_passport}}" in refused.value.message
        same, new = versions.publish(
            session, TemplateKind.agreement, texts, actor=admin, now=api.clock.now
        )
        assert (same.version, new) == (1, False)
    assert _count(api, AdminLogEntry) == 0 or not _logged_templates(api)


def _logged_templates(api: Api) -> list[AdminLogEntry]:
    with Session(api.engine) as session:
        return list(
            session.exec(
                select(AdminLogEntry).where(AdminLogEntry.action == AdminAction.template_published)
            )
        )


def make_price_list(api: Api) -> int:
    admin = api.as_("admin")
    ids = []
    for sku, ru, en, retail, wholesale in (
        ("CREAM", "Крем для рук «Лён»", "Flax hand cream", 123450, 98760),
        ("TEA", "Чай травяной", "Herbal tea", 50000, 40000),
    ):
        product = {
            "sku": sku, "name_ru": ru, "name_en": en, "retail_price": retail,
            "wholesale_price": wholesale, "currency": "RUB",
        }  # fmt: skip
        made = api.client.post("/api/products", json=product, headers=admin)
        assert made.status_code == 201, made.text
        ids.append((made.json()["id"], retail, wholesale))
    made = api.client.post(
        "/api/price-lists", json={"name": "Опт 2026", "currency": "RUB"}, headers=admin
    )
    assert made.status_code == 201, made.text
    list_id: int = made.json()["id"]
    for pid, retail, wholesale in ids:
        item = {"product_id": pid, "retail_price": retail, "wholesale_price": wholesale}
        put = api.client.put(f"/api/price-lists/{list_id}/items", json=item, headers=admin)
        assert put.status_code == 200, put.text
    return list_id


OFFER_FIELDS = {
    "ru": [
        "Коммерческое предложение № 1 от",
        "ООО «Альфа»",
        "ИНН 7707083893",
        "«Опт 2026»",
        "Крем для рук «Лён»",
        "Чай травяной",
        "987,60",
        "1 234,50",
        "400,00",
        "Действительно до",
        "Иванова А. Б.",
    ],
    "en": [
        "Commercial offer No. 1 of",
        "ООО «Альфа»",
        "Flax hand cream",
        "Herbal tea",
        "987.60",
        "1,234.50",
        "400.00",
        "Valid until",
    ],
}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_offer_for_a_prospect_from_a_price_list(api: Api, tmp_path: Path, language: str) -> None:
    set_company(api.engine)
    list_id = make_price_list(api)
    until = (api.clock.now + timedelta(days=30)).date().isoformat()
    request = {
        "prospect_name": "ООО «Альфа»",
        "prospect_inn": "7707083893",
        "price_list_id": list_id,
        "valid_until": until,
        "language": language,
    }
    issued = api.client.post("/api/offers", json=request, headers=api.as_("finance"))
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert (body["kind"], body["number"], body["distributor_id"]) == ("offer", 1, None)
    again = api.client.post("/api/offers", json=request, headers=api.as_("admin"))
    assert again.json()["id"] == body["id"]
    pdf = api.client.get(f"/api/documents/{body['id']}/pdf", headers=api.as_("finance"))
    text = _squash(pdf_text(pdf.content, tmp_path))
    for field in OFFER_FIELDS[language]:
        assert field in text, f"{field!r} missing from the {language} offer:\n{text}"
    assert pdf_png(pdf.content, f"offer-{language}", tmp_path)


def test_offer_refusals(api: Api) -> None:
    set_company(api.engine)
    list_id = make_price_list(api)
    finance = api.as_("finance")
    today = api.clock.now.date()
    base = {"distributor_id": api.distributor_id, "price_list_id": list_id}
    cases = [
        ({**base, "valid_until": (today - timedelta(days=1)).isoformat()}, 422, "valid_until_past"),
        (
            {**base, "prospect_name": "ООО «Бета»", "valid_until": today.isoformat()},
            422,
            "recipient",
        ),
        (
            {
                "prospect_name": "ООО «Бета»",
                "prospect_inn": "7707083890",
                "price_list_id": list_id,
                "valid_until": today.isoformat(),
            },
            422,
            "prospect_inn",
        ),  # fmt: skip
        ({**base, "price_list_id": 999, "valid_until": today.isoformat()}, 404, "not_found"),
    ]
    for request, status, code in cases:
        refused = api.client.post("/api/offers", json=request, headers=finance)
        assert (refused.status_code, error_code(refused)) == (status, code), refused.text
    partner = api.client.post(
        "/api/offers",
        json={**base, "valid_until": today.isoformat()},
        headers=api.as_("distributor"),
    )
    assert partner.status_code == 403
    assert _count(api, Document) == 0
    made = api.client.post(
        "/api/offers", json={**base, "valid_until": today.isoformat()}, headers=finance
    )
    assert made.status_code == 200 and made.json()["distributor_id"] == api.distributor_id
