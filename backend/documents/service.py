"""Issuing, listing and reading documents (see `backend.documents.models`).

Issuing: the subject is checked and its data gathered (refusals come before anything is
written: an unknown order or partner 404, an open period or missing company details 409 with
the list of what is missing), then one write unit locks the series' counter (PostgreSQL:
``SELECT ... FOR UPDATE``; SQLite: the database's write lock, `begin_write`), looks again for
the same document (a concurrent request may have issued it), takes the next number, renders
the PDF from the frozen data and inserts the row; a failure anywhere rolls the number back with
the row. Issuing a document that exists returns the stored one, bytes unchanged.

Who may: finance issues (the policy tables); a distributor reads only documents about
themself; staff read all.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.catalog.models import Product
from backend.company.requisites import CompanyRequisites, missing, requisites
from backend.core.days import date_of
from backend.core.db import begin_write, is_postgres
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.core.model_base import Language, OrderStatus, Role
from backend.documents.models import Document, DocumentCounter, DocumentKind
from backend.documents.render import N_, render_pdf
from backend.documents.words import amount_in_words
from backend.genealogy.models import Distributor
from backend.orders.models import Order, OrderLine, RetailCustomer
from backend.payees.service import in_force
from backend.periods.models import Period, PeriodLine, PeriodPayee, PeriodStatus
from ledger.merkle import PayoutLeaf, leaf_hash
from ledger.money import ISO_CURRENCIES
from ledger.plan import BONUS_TYPES

#: Periods whose statements are anchored on chain: an act can cite the root.
CLOSED = frozenset({PeriodStatus.anchored, PeriodStatus.paying, PeriodStatus.paid})
#: What each kind needs of the company (and the KPP with a 10-digit INN: `_needed`).
NEEDS = {
    DocumentKind.invoice: (
        "legal_name",
        "inn",
        "legal_address",
        "bank_name",
        "bik",
        "account",
        "corr_account",
        "director",
        "chief_accountant",
    ),
    DocumentKind.act: ("legal_name", "inn", "legal_address", "director"),
}
BONUS_NAMES = {
    "retail": N_("Retail profit"),
    "fast_start": N_("Fast start bonus"),
    "unilevel": N_("Unilevel bonus"),
    "binary": N_("Binary bonus"),
    "matrix": N_("Matrix bonus"),
    "matrix_completion": N_("Matrix completion bonus"),
    "stairstep": N_("Stair-step bonus"),
    "generation": N_("Generation bonus"),
    "matching": N_("Matching bonus"),
}
STATUS_NAMES = {
    "individual": N_("individual"),
    "self_employed": N_("self-employed (professional income tax)"),
    "sole_proprietor": N_("sole proprietor"),
    "company": N_("legal entity"),
}


def canonical(data: dict[str, Any]) -> str:
    """The frozen data as stored and hashed: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _needed(kind: DocumentKind, company: CompanyRequisites) -> tuple[str, ...]:
    needs = NEEDS[kind]
    return needs + (("kpp",) if company.inn is None or len(company.inn) == 10 else ())


def company_for(session: Session, kind: DocumentKind) -> CompanyRequisites:
    """The company's details, or 409 ``requisites_missing`` listing what the kind needs."""
    company = requisites(session)
    lacking = missing(company, _needed(kind, company))
    if lacking:
        raise Conflict(
            f"the company's details lack {', '.join(lacking)}: an admin sets them on "
            "/admin/requisites before a document can be issued",
            code="requisites_missing",
            details={"missing": lacking},
        )
    return company


def _seller(company: CompanyRequisites) -> dict[str, str | None]:
    return company.as_dict()


# ---- gathering the data of each kind --------------------------------------------------------


def invoice_fields(session: Session, order_id: int, language: Language) -> dict[str, Any]:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    if order.status == OrderStatus.cancelled:
        raise Conflict(f"order {order_id} is cancelled: no invoice", code="order_state")
    rows = session.exec(
        select(OrderLine, Product.name_ru, Product.name_en)
        .join(Product, col(Product.id) == col(OrderLine.product_id))
        .where(OrderLine.order_id == order_id)
        .order_by(col(OrderLine.line_no))
    ).all()
    lines: list[dict[str, Any]] = [
        {
            "no": line.line_no,
            "sku": line.sku,
            "name": name_ru if language == Language.ru else name_en,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "vat_category": str(line.vat_category),
            "vat_rate_bp": line.vat_rate_bp,
            "vat": line.vat,
            "amount": line.gross,
        }
        for line, name_ru, name_en in rows
    ]
    distributor = session.get(Distributor, order.distributor_id)
    assert distributor is not None  # a foreign key
    if order.customer_id is not None:
        customer = session.get(RetailCustomer, order.customer_id)
        assert customer is not None
        name, inn, partner = f"{customer.first_name} {customer.last_name}", None, None
    else:
        profile = in_force(session, order.created_at, distributor_ids=[order.distributor_id])
        inn = profile[order.distributor_id].inn if order.distributor_id in profile else None
        name, partner = f"{distributor.first_name} {distributor.last_name}", order.distributor_id
    buyer = {"name": name, "inn": inn, "partner": partner}
    total = sum(int(line["amount"]) for line in lines)
    exponent = _exponent(order.currency)
    return {
        "order": {"id": order_id, "date": order.created_at.astimezone(UTC).date().isoformat()},
        "buyer": buyer,
        "currency": order.currency,
        "exponent": exponent,
        "lines": lines,
        "total": total,
        "vat_total": sum(int(line["vat"]) for line in lines),
        "vat_exempt": all(line["vat_category"] == "exempt" for line in lines),
        "total_words": amount_in_words(total, order.currency, exponent, language.value),
    }


def _exponent(currency: str) -> int:
    return ISO_CURRENCIES[currency][1] if currency in ISO_CURRENCIES else 2


def act_fields(
    session: Session, period_id: int, distributor_id: int, language: Language, site: str
) -> dict[str, Any]:
    period = session.get(Period, period_id)
    if period is None:
        raise NotFound(f"period {period_id} not found")
    if period.status not in CLOSED or period.payout_root is None:
        raise Conflict(
            f"period {period_id} is {period.status}: acts are issued for anchored periods",
            code="period_state",
        )
    partner = session.get(Distributor, distributor_id)
    if partner is None:
        raise NotFound(f"distributor {distributor_id} not found")
    payee = session.get(PeriodPayee, (period_id, distributor_id))
    if payee is None:
        raise NotFound(
            f"distributor {distributor_id} has no statement in period {period_id}",
            code="no_statement",
        )
    if payee.tax_status is None:
        raise Conflict(
            f"distributor {distributor_id} had no tax status at the end of period {period_id}: "
            "the act's wording depends on it",
            code="tax_status_unknown",
        )
    grouped = session.exec(
        select(PeriodLine.bonus, func.count(), func.sum(PeriodLine.amount))
        .where(PeriodLine.period_id == period_id, PeriodLine.payee == distributor_id)
        .group_by(col(PeriodLine.bonus))
        .order_by(col(PeriodLine.bonus))
    ).all()
    lines = [
        {
            "bonus": BONUS_TYPES[bonus - 1],
            "name": BONUS_NAMES.get(BONUS_TYPES[bonus - 1], BONUS_TYPES[bonus - 1]),
            "count": int(count),
            "amount": int(amount or 0),
        }
        for bonus, count, amount in grouped
    ]
    end = datetime.combine(date_of(period.end_day) + timedelta(days=1), time(), UTC)
    profile = in_force(session, end, distributor_ids=[distributor_id]).get(distributor_id)
    leaf = None
    if payee.leaf_index is not None and payee.account is not None:
        stored = PayoutLeaf(period_id, payee.leaf_index, payee.account, payee.payout)
        leaf = {
            "index": payee.leaf_index,
            "account": payee.account,
            "amount": payee.payout,
            "hash": "0x" + leaf_hash(stored).hex(),
        }
    currency, exponent = period.currency or "", period.exponent or 0
    return {
        "period": {
            "id": period_id,
            "start": date_of(period.start_day).isoformat(),
            "end": date_of(period.end_day).isoformat(),
            "root": period.payout_root,
            "anchor_tx": period.anchor_tx,
        },
        "partner": {
            "id": distributor_id,
            "name": f"{partner.first_name} {partner.last_name}",
            "tax_status": payee.tax_status,
            "inn": profile.inn if profile is not None else None,
        },
        "status_name": STATUS_NAMES.get(payee.tax_status, payee.tax_status),
        "currency": currency,
        "exponent": exponent,
        "lines": lines,
        "earned": payee.earned,
        "clawback": payee.clawback,
        "balance_in": payee.balance_in,
        "balance_out": payee.balance_out,
        "gross": payee.gross,
        "withheld": payee.withheld,
        "net": payee.payout,
        "gross_words": amount_in_words(payee.gross, currency, exponent, language.value),
        "net_words": amount_in_words(payee.payout, currency, exponent, language.value),
        "leaf": leaf,
        "statement_url": f"{site.rstrip('/')}/distributors/{distributor_id}/statements/{period_id}",
    }


# ---- issuing ---------------------------------------------------------------------------------

# The write unit renders the PDF while it holds the series' lock (the number is in the PDF).
# Within a process the issues queue here rather than on the database: SQLite's writers would
# otherwise wait on its busy timeout (5 s) while twenty renders run one after another.
_ISSUING = threading.Lock()


def _find(session: Session, kind: str, subject: str, language: str) -> Document | None:
    """The original (revision 0) of a subject in a language."""
    return session.exec(
        select(Document).where(
            Document.kind == kind,
            Document.subject == subject,
            Document.language == language,
            Document.revision == 0,
        )
    ).first()


def _lock_counter(session: Session, kind: str, organisation: str, year: int) -> DocumentCounter:
    """The series' counter row, created at 0 when new, locked until the commit."""
    values = {"kind": kind, "organisation": organisation, "year": year, "last_number": 0}
    table = DocumentCounter.__table__  # type: ignore[attr-defined]
    insert = (postgresql.insert if is_postgres(session) else sqlite.insert)(table)
    session.execute(insert.values(**values).on_conflict_do_nothing())
    return session.exec(
        select(DocumentCounter)
        .where(
            DocumentCounter.kind == kind,
            DocumentCounter.organisation == organisation,
            DocumentCounter.year == year,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _issue(
    session: Session,
    *,
    kind: DocumentKind,
    subject: str,
    language: Language,
    gather: Callable[[], dict[str, Any]],
    links: dict[str, int | None],
    actor: User,
    now: datetime,
    original: Document | None = None,
    reason: str | None = None,
) -> Document:
    if original is None:
        found = _find(session, kind.value, subject, language.value)
        if found is not None:
            return found
    company = company_for(session, kind)
    fields = gather()
    assert company.inn is not None
    issued_at = now.astimezone(UTC).replace(microsecond=0)
    with _ISSUING:
        try:
            return _write(
                session,
                kind=kind,
                subject=subject,
                language=language,
                company=company,
                fields=fields,
                links=links,
                actor=actor,
                issued_at=issued_at,
                original=original,
                reason=reason,
            )
        except BaseException:
            session.rollback()  # the number goes back with the row
            raise


def _write(
    session: Session,
    *,
    kind: DocumentKind,
    subject: str,
    language: Language,
    company: CompanyRequisites,
    fields: dict[str, Any],
    links: dict[str, int | None],
    actor: User,
    issued_at: datetime,
    original: Document | None,
    reason: str | None,
) -> Document:
    assert company.inn is not None
    begin_write(session)
    counter = _lock_counter(session, kind.value, company.inn, issued_at.year)
    revision = 0
    corrects = None
    if original is None:
        found = _find(session, kind.value, subject, language.value)
        if found is not None:  # issued while this request waited for the lock
            session.rollback()
            return found
    else:
        latest = session.exec(
            select(Document)
            .where(
                Document.kind == kind.value,
                Document.subject == subject,
                Document.language == language.value,
            )
            .order_by(col(Document.revision).desc())
        ).first()
        assert latest is not None
        if json.loads(latest.data)["fields"] == fields and _seller_of(latest) == _seller(company):
            session.rollback()
            raise Conflict(
                f"document {latest.id} already says this: nothing to correct",
                code="nothing_to_correct",
                details={"document_id": latest.id},
            )
        revision = latest.revision + 1
        corrects = {
            "id": original.id,
            "number": original.number,
            "date": original.issued_at.astimezone(UTC).date().isoformat(),
            "reason": reason,
        }
    counter.last_number += 1
    data = {
        "kind": kind.value,
        "language": language.value,
        "number": counter.last_number,
        "revision": revision,
        "corrects": corrects,
        "issued_at": issued_at.isoformat(),
        "date": issued_at.date().isoformat(),
        "seller": _seller(company),
        "fields": fields,
    }
    frozen = canonical(data)
    pdf = render_pdf(flat(data))
    document = Document(
        kind=kind.value,
        organisation=company.inn,
        year=issued_at.year,
        number=counter.last_number,
        subject=subject,
        revision=revision,
        order_id=links.get("order_id"),
        period_id=links.get("period_id"),
        distributor_id=links.get("distributor_id"),
        language=language.value,
        data=frozen,
        data_sha256=sha256(frozen.encode("utf-8")),
        pdf=pdf,
        pdf_sha256=sha256(pdf),
        corrects_id=original.id if original is not None else None,
        issued_at=issued_at,
        issued_by=actor.id,
    )
    session.add(counter)
    session.add(document)
    session.commit()
    session.refresh(document)
    return document


def _seller_of(document: Document) -> dict[str, Any]:
    seller: dict[str, Any] = json.loads(document.data)["seller"]
    return seller


def flat(data: dict[str, Any]) -> dict[str, Any]:
    """What a template sees: the envelope with the kind's fields beside it."""
    shown = {key: value for key, value in data.items() if key != "fields"}
    shown.update(data["fields"])
    return shown


def issue_invoice(
    session: Session, order_id: int, *, language: Language, actor: User, now: datetime
) -> Document:
    """The invoice for payment of an order (the stored one when it was issued)."""
    order = session.get(Order, order_id)
    return _issue(
        session,
        kind=DocumentKind.invoice,
        subject=f"order:{order_id}",
        language=language,
        gather=lambda: invoice_fields(session, order_id, language),
        links={
            "order_id": order_id if order else None,
            "distributor_id": order.distributor_id if order else None,
        },
        actor=actor,
        now=now,
    )


def issue_act(
    session: Session,
    period_id: int,
    distributor_id: int,
    *,
    language: Language,
    actor: User,
    now: datetime,
    site: str,
) -> Document:
    """The act of services of a partner for an anchored period (the stored one when issued);
    ``site`` is the public address the QR code's statement link starts with."""
    return _issue(
        session,
        kind=DocumentKind.act,
        subject=f"act:{period_id}:{distributor_id}",
        language=language,
        gather=lambda: act_fields(session, period_id, distributor_id, language, site),
        links={"period_id": period_id, "distributor_id": distributor_id},
        actor=actor,
        now=now,
    )


def correct(
    session: Session,
    document_id: int,
    *,
    reason: str,
    actor: User,
    now: datetime,
    site: str,
) -> Document:
    """A corrective document for ``document_id`` (or for the original it corrects): the data
    gathered again as it stands now, a new number, ``corrects_id`` = the original. 409
    ``nothing_to_correct`` when the latest revision already says the same."""
    document = get(session, document_id, actor=actor)
    original = session.get(Document, document.corrects_id) if document.corrects_id else document
    assert original is not None and original.id is not None
    kind, language = DocumentKind(original.kind), Language(original.language)
    gather: Callable[[], dict[str, Any]]
    if kind == DocumentKind.invoice:
        order_id = original.order_id
        assert order_id is not None
        gather = lambda: invoice_fields(session, order_id, language)  # noqa: E731
    else:
        period_id, partner = original.period_id, original.distributor_id
        assert period_id is not None and partner is not None
        gather = lambda: act_fields(session, period_id, partner, language, site)  # noqa: E731
    return _issue(
        session,
        kind=kind,
        subject=original.subject,
        language=language,
        gather=gather,
        links={
            "order_id": original.order_id,
            "period_id": original.period_id,
            "distributor_id": original.distributor_id,
        },
        actor=actor,
        now=now,
        original=original,
        reason=reason,
    )


# ---- reading ---------------------------------------------------------------------------------


def _may_read(actor: User, document: Document) -> bool:
    if actor.role == Role.distributor:
        return actor.distributor_id is not None and document.distributor_id == actor.distributor_id
    return True


def get(session: Session, document_id: int, *, actor: User) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"document {document_id} not found")
    if not _may_read(actor, document):
        raise Forbidden("a distributor reads only their own documents", code="out_of_scope")
    return document


def listing(
    session: Session,
    *,
    actor: User,
    distributor_id: int | None = None,
    period_id: int | None = None,
    kind: DocumentKind | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Document], int]:
    """Documents, newest first, filtered; a distributor sees only their own."""
    if actor.role == Role.distributor:
        if distributor_id is not None and distributor_id != actor.distributor_id:
            raise Forbidden("a distributor reads only their own documents", code="out_of_scope")
        distributor_id = actor.distributor_id if actor.distributor_id is not None else -1
    query = select(Document)
    if distributor_id is not None:
        query = query.where(Document.distributor_id == distributor_id)
    if period_id is not None:
        query = query.where(Document.period_id == period_id)
    if kind is not None:
        query = query.where(Document.kind == kind.value)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Document.id).desc()).offset(offset).limit(limit))
    return list(rows), int(count)


def rerender(document: Document) -> bytes:
    """The PDF made again from the stored data (equal to the stored PDF: `test_documents`)."""
    return render_pdf(flat(json.loads(document.data)))


@dataclass(frozen=True)
class PayeeActs:
    """One payee of a period as the acts page lists them: their gross and tax status at the
    period's end, and the acts issued for them (every language and revision, oldest first)."""

    distributor_id: int
    name: str
    tax_status: str | None
    gross: int
    acts: list[Document]


def period_acts(session: Session, period_id: int) -> tuple[Period, list[PayeeActs]]:
    """A period's payees with their issued acts, by distributor id (404 for an unknown period)."""
    period = session.get(Period, period_id)
    if period is None:
        raise NotFound(f"period {period_id} not found")
    payees = session.exec(
        select(PeriodPayee, Distributor.first_name, Distributor.last_name)
        .join(Distributor, col(Distributor.id) == col(PeriodPayee.distributor_id))
        .where(PeriodPayee.period_id == period_id)
        .order_by(col(PeriodPayee.distributor_id))
    ).all()
    issued: dict[int, list[Document]] = {}
    for document in session.exec(
        select(Document)
        .where(Document.period_id == period_id, Document.kind == DocumentKind.act.value)
        .order_by(col(Document.id))
    ):
        if document.distributor_id is not None:
            issued.setdefault(document.distributor_id, []).append(document)
    return period, [
        PayeeActs(
            distributor_id=payee.distributor_id,
            name=f"{first} {last}",
            tax_status=payee.tax_status,
            gross=payee.gross,
            acts=issued.get(payee.distributor_id, []),
        )
        for payee, first, last in payees
    ]
