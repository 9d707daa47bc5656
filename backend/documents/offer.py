"""The commercial offer (коммерческое предложение): the current offer text filled with the
company's details and the recipient (a partner, or a prospect company by name), then the
chosen price list's products at their wholesale prices and the date the offer holds until.
Finance or an admin issues it; the same request again (same recipient, list, date, language
and text version) returns the stored document."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.catalog.models import PriceList, PriceListItem, Product
from backend.core import ru_checks
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.model_base import Language
from backend.documents.agreement import NEEDS, company_values
from backend.documents.models import (
    Document,
    DocumentKind,
    DocumentTemplate,
    OfferRequest,
    TemplateKind,
)
from backend.documents.render import BABEL_LOCALE
from backend.documents.store import Gather, KindSpec, company_for, exponent_of, issue, register
from backend.documents.versions import current, fill
from backend.genealogy.models import Distributor


def _recipient(session: Session, request: OfferRequest) -> dict[str, Any]:
    if (request.distributor_id is None) == (request.prospect_name is None):
        raise Invalid(
            "name either a partner (distributor_id) or a prospect company (prospect_name)",
            code="recipient",
        )
    if request.distributor_id is not None:
        partner = session.get(Distributor, request.distributor_id)
        if partner is None:
            raise NotFound(f"distributor {request.distributor_id} not found")
        name = f"{partner.first_name} {partner.last_name}"
        return {"name": name, "inn": None, "partner": request.distributor_id}
    assert request.prospect_name is not None
    name = " ".join(request.prospect_name.split())
    if not name:
        raise Invalid("the prospect's name is empty", code="recipient")
    if request.prospect_inn is not None and (
        problem := ru_checks.inn_problem(request.prospect_inn)
    ):
        raise Invalid(f"the prospect's INN is wrong ({problem})", code="prospect_inn")
    return {"name": name, "inn": request.prospect_inn, "partner": None}


def _lines(session: Session, price_list_id: int, language: Language) -> list[dict[str, Any]]:
    rows = session.exec(
        select(PriceListItem, Product)
        .join(Product, col(Product.id) == col(PriceListItem.product_id))
        .where(PriceListItem.price_list_id == price_list_id, col(Product.active))
        .order_by(col(Product.sku))
    ).all()
    return [
        {
            "no": no,
            "sku": product.sku,
            "name": product.name_ru if language == Language.ru else product.name_en,
            "wholesale_price": item.wholesale_price,
            "retail_price": item.retail_price,
        }
        for no, (item, product) in enumerate(rows, start=1)
    ]


def offer_fields(
    session: Session,
    request: OfferRequest,
    template: DocumentTemplate,
    price_list: PriceList,
) -> dict[str, Any]:
    language = request.language
    company = company_for(session, DocumentKind.offer)
    recipient = _recipient(session, request)
    assert price_list.id is not None
    lines = _lines(session, price_list.id, language)
    if not lines:
        raise Conflict(
            f"price list {price_list.id} has no active products to offer", code="price_list_empty"
        )
    until = str(format_date(request.valid_until, "long", locale=BABEL_LOCALE[language.value]))
    values = company_values(company, language.value) | {
        "recipient_name": recipient["name"],
        "price_list": price_list.name,
        "currency": price_list.currency,
        "valid_until": until,
        "version": str(template.version),
    }
    body = template.body_ru if language == Language.ru else template.body_en
    return {
        "template": {"version": template.version, "sha256": template.sha256},
        "recipient": recipient,
        "price_list": {"id": price_list.id, "name": price_list.name},
        "currency": price_list.currency,
        "exponent": exponent_of(price_list.currency),
        "valid_until": request.valid_until.isoformat(),
        "lines": lines,
        "text": fill(body, values),
    }


def _subject(request: OfferRequest, template: DocumentTemplate) -> str:
    key = request.model_dump(mode="json", exclude={"language"}) | {"version": template.version}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode("utf-8")).hexdigest()
    return f"offer:{digest[:48]}"


def issue_offer(session: Session, request: OfferRequest, *, actor: User, now: datetime) -> Document:
    """The offer (the stored one when this request was issued before). 422 when the date has
    passed or the recipient is not one of the two; 404 for an unknown partner or price list;
    409 ``price_list_empty``, ``requisites_missing``, ``template_missing``."""
    if request.valid_until < now.astimezone(UTC).date():
        raise Invalid(
            f"the offer would expire before it is issued ({request.valid_until.isoformat()})",
            code="valid_until_past",
        )
    _recipient(session, request)
    price_list = session.get(PriceList, request.price_list_id)
    if price_list is None:
        raise NotFound(f"price list {request.price_list_id} not found")
    template = current(session, TemplateKind.offer)
    return issue(
        session,
        kind=DocumentKind.offer,
        subject=_subject(request, template),
        language=request.language,
        gather=lambda: offer_fields(session, request, template, price_list),
        links={"distributor_id": request.distributor_id},
        actor=actor,
        now=now,
    )


def _regather(session: Session, original: Document, site: str) -> Gather:
    fields = json.loads(original.data)["fields"]
    recipient = fields["recipient"]
    request = OfferRequest(
        distributor_id=recipient["partner"],
        prospect_name=None if recipient["partner"] is not None else recipient["name"],
        prospect_inn=recipient["inn"],
        price_list_id=fields["price_list"]["id"],
        valid_until=date.fromisoformat(fields["valid_until"]),
        language=Language(original.language),
    )
    template = session.exec(
        select(DocumentTemplate).where(
            DocumentTemplate.kind == TemplateKind.offer.value,
            DocumentTemplate.version == fields["template"]["version"],
        )
    ).one()
    price_list = session.get(PriceList, request.price_list_id)
    if price_list is None:
        raise NotFound(f"price list {request.price_list_id} not found")
    return lambda: offer_fields(session, request, template, price_list)


register(DocumentKind.offer, KindSpec(needs=NEEDS, regather=_regather))
