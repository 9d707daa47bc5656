"""The reconciliation statement (акт сверки взаимных расчётов; statement of account) of a
partner for a date range in one currency, as the company's books see it.

Rows, each dated and citing its document, debit = the partner owes the company more or the
company paid, credit = the partner paid or the company owes more:

- a shipped order of the partner's own (not a retail customer's), on its shipping day: debit
  (the sale is made when the goods leave; an order paid and not shipped is a prepayment, so the
  company owes the goods meanwhile). Its invoice and UPD numbers are cited when issued;
- goods returned, on the day the warehouse took them back: credit, at the line's unit price;
- a payment received for such an order: credit (a paid order cancelled stays owed to the
  partner: Lineage records no refunds);
- the commission accrued in a closed (anchored) period, on its last day: credit (the period's
  earnings less the clawbacks for returns; a negative accrual is a debit). Its act is cited;
- the payout of that commission, on the day it was made (a token batch's confirmation with its
  transaction, or the bank's execution day with the payment order's number): debit, net of
  tax, beside a debit row for the personal income tax the company withheld and pays to the
  budget on the partner's behalf, so payout + tax = the act's gross. Amounts held for the
  partner (no wallet, below the minimum) stay owed to them until a later period pays them.

One currency per statement, chosen explicitly: a partner's orders in roubles and commissions
in a payout token are two statements, never converted (each amount is as its document states
it). A currency in which the partner has no movement up to the range's end is refused (409
``currency_unused``, the partner's currencies listed). The opening balance is every row before
the range; the closing balance is the opening plus the range's debits less its credits; a
positive balance is the partner's debt to the company, a negative one the company's debt.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.bank_payouts.models import BankPayment, Outcome
from backend.chain_jobs.models import ChainJob, JobKind, JobStatus
from backend.core.days import date_of
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.model_base import Language, MovementKind
from backend.documents.acts import CLOSED
from backend.documents.models import Document, DocumentKind
from backend.documents.store import Gather, KindSpec, exponent_of, issue, register
from backend.documents.words import amount_in_words
from backend.genealogy.models import Distributor
from backend.orders.models import Order, OrderLine, Payment
from backend.payees.service import in_force
from backend.periods.models import Period, PeriodPayee
from backend.stock.models import StockMovement

NEEDS = ("legal_name", "inn", "legal_address", "director", "chief_accountant")
#: The longest range one statement covers (a leap year; a longer one is two statements).
MAX_DAYS = 366
# Rows of one day in the order a bookkeeper reads them: what was sold, returned, paid, earned.
_ORDER = {
    "shipment": 0,
    "return": 1,
    "payment": 2,
    "commission": 3,
    "commission_reversal": 3,
    "payout": 4,
    "tax": 5,
}


def check_range(start: date, end: date, today: date) -> None:
    """422 with the offending field named (``details.field``) for a range that cannot be a
    statement: reversed, ending after today, or longer than `MAX_DAYS`."""
    if start > end:
        raise Invalid(
            f"the range starts ({start}) after it ends ({end})",
            code="range_reversed",
            details={"field": "to"},
        )
    if end > today:
        raise Invalid(
            f"the range ends in the future ({end}, today is {today})",
            code="range_future",
            details={"field": "to"},
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(
            f"the range covers {(end - start).days + 1} days; a statement covers at most "
            f"{MAX_DAYS}",
            code="range_too_long",
            details={"field": "from", "max_days": MAX_DAYS},
        )


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _numbers(
    session: Session, kind: DocumentKind, language: str, *, partner: int | None = None
) -> dict[int, int]:
    """The number of each order's (invoice, UPD) or period's (act, of ``partner``) document of
    ``kind``: the original, in the statement's language when it was issued in it."""
    column = col(Document.period_id) if kind == DocumentKind.act else col(Document.order_id)
    query = select(column, Document.number, Document.language).where(
        Document.kind == kind.value, Document.revision == 0
    )
    if partner is not None:
        query = query.where(Document.distributor_id == partner)
    found: dict[int, int] = {}
    for linked, number, lang in session.exec(query.order_by(col(Document.id))):
        if linked is not None and (linked not in found or lang == language):
            found[int(linked)] = int(number)
    return found


def _order_rows(
    session: Session, partner: int, currency: str, end: date, language: str
) -> list[dict[str, Any]]:
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    own = (
        Order.distributor_id == partner,
        col(Order.customer_id).is_(None),
        Order.currency == currency,
    )
    rows: list[dict[str, Any]] = []
    invoices = _numbers(session, DocumentKind.invoice, language, partner=partner)
    upds = _numbers(session, DocumentKind.upd, language, partner=partner)
    for order in session.exec(
        select(Order).where(*own, col(Order.shipped_at).is_not(None), col(Order.shipped_at) < until)
    ):
        assert order.id is not None and order.shipped_at is not None
        rows.append(
            {
                "date": _day(order.shipped_at).isoformat(),
                "kind": "shipment",
                "order": order.id,
                "invoice": invoices.get(order.id),
                "upd": upds.get(order.id),
                "debit": order.total_amount,
                "credit": 0,
                "key": order.id,
            }
        )
    for payment in session.exec(
        select(Payment)
        .join(Order, col(Order.id) == col(Payment.order_id))
        .where(*own, Payment.currency == currency, col(Payment.paid_at) < until)
    ):
        assert payment.id is not None
        rows.append(
            {
                "date": _day(payment.paid_at).isoformat(),
                "kind": "payment",
                "order": payment.order_id,
                "invoice": invoices.get(payment.order_id),
                "reference": payment.reference,
                "debit": 0,
                "credit": payment.amount,
                "key": payment.id,
            }
        )
    # Returns: each warehouse movement back, at its order line's unit price (an order has one
    # line per product: `pricing` refuses repeats).
    prices = {
        (order_id, product_id): unit_price
        for order_id, product_id, unit_price in session.exec(
            select(OrderLine.order_id, OrderLine.product_id, OrderLine.unit_price)
            .join(Order, col(Order.id) == col(OrderLine.order_id))
            .where(*own)
        )
    }
    for movement in session.exec(
        select(StockMovement)
        .join(Order, col(Order.id) == col(StockMovement.order_id))
        .where(
            *own,
            StockMovement.kind == MovementKind.return_,
            col(StockMovement.created_at) < until,
        )
    ):
        assert movement.id is not None and movement.order_id is not None
        price = prices.get((movement.order_id, movement.product_id), 0)
        rows.append(
            {
                "date": _day(movement.created_at).isoformat(),
                "kind": "return",
                "order": movement.order_id,
                "quantity": movement.quantity,
                "debit": 0,
                "credit": movement.quantity * price,
                "key": movement.id,
            }
        )
    return rows


def _paid_by_token(session: Session, period_id: int) -> dict[int, ChainJob]:
    """Leaf index -> the confirmed pay job that paid it."""
    paid: dict[int, ChainJob] = {}
    for job in session.exec(
        select(ChainJob).where(
            ChainJob.kind == JobKind.pay,
            ChainJob.subject_id == period_id,
            ChainJob.status == JobStatus.confirmed,
        )
    ):
        for index in (job.result or {}).get("paid") or []:
            paid[int(index)] = job
    return paid


def _commission_rows(
    session: Session, partner: int, currency: str, end: date, language: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    acts = _numbers(session, DocumentKind.act, language, partner=partner)
    for payee, period in session.exec(
        select(PeriodPayee, Period)
        .join(Period, col(Period.id) == col(PeriodPayee.period_id))
        .where(
            PeriodPayee.distributor_id == partner,
            Period.currency == currency,
            col(Period.status).in_([status.value for status in CLOSED]),
        )
        .order_by(col(Period.id))
    ):
        last = date_of(period.end_day)
        accrued = payee.earned - payee.clawback
        if last <= end and accrued:
            rows.append(
                {
                    "date": last.isoformat(),
                    "kind": "commission" if accrued > 0 else "commission_reversal",
                    "period": period.id,
                    "act": acts.get(period.id),
                    "debit": max(-accrued, 0),
                    "credit": max(accrued, 0),
                    "key": period.id,
                }
            )
        if payee.leaf_index is None or payee.gross <= 0:
            continue
        paid_on, reference, rail = _payout_of(session, period.id, payee.leaf_index)
        if paid_on is None or paid_on > end:
            continue
        payout = {"date": paid_on.isoformat(), "period": period.id, "key": period.id}
        rows.append(
            payout
            | {"kind": "payout", "rail": rail, "reference": reference}
            | {"debit": payee.payout, "credit": 0}
        )
        if payee.withheld:
            rows.append(payout | {"kind": "tax", "debit": payee.withheld, "credit": 0})
    return rows


def _payout_of(
    session: Session, period_id: int, index: int
) -> tuple[date | None, str | None, str | None]:
    """When and how a period's leaf was paid: the bank's execution day and payment order
    number, or the confirmed token batch's day and transaction; (None, ...) while unpaid."""
    bank = session.exec(
        select(BankPayment).where(
            BankPayment.period_id == period_id,
            BankPayment.line_index == index,
            BankPayment.outcome == Outcome.matched.value,
        )
    ).first()
    if bank is not None:
        day = bank.document_date or _day(bank.created_at)
        return day, bank.document_number, "bank"
    job = _paid_by_token(session, period_id).get(index)
    if job is not None:
        moment = job.confirmed_at or job.updated_at
        return _day(moment), job.tx_hash, "token"
    return None, None, None


def _currencies(session: Session, partner: int) -> list[str]:
    orders = session.exec(
        select(Order.currency)
        .where(Order.distributor_id == partner, col(Order.customer_id).is_(None))
        .distinct()
    ).all()
    periods = session.exec(
        select(Period.currency)
        .join(PeriodPayee, col(PeriodPayee.period_id) == col(Period.id))
        .where(PeriodPayee.distributor_id == partner, col(Period.currency).is_not(None))
        .distinct()
    ).all()
    return sorted({str(code) for code in [*orders, *periods] if code})


def _exponent(session: Session, currency: str) -> int:
    stated = session.exec(
        select(func.max(Period.exponent)).where(Period.currency == currency)
    ).one()
    return int(stated) if stated is not None else exponent_of(currency)


def reconciliation_fields(
    session: Session,
    distributor_id: int,
    currency: str,
    start: date,
    end: date,
    language: Language,
) -> dict[str, Any]:
    """The statement's frozen data: the partner, every row up to ``end`` split into the
    opening balance and the range's rows, the turnovers, the closing balance and its words."""
    partner = session.get(Distributor, distributor_id)
    if partner is None:
        raise NotFound(f"distributor {distributor_id} not found", details={"field": "partner"})
    everything = _order_rows(session, distributor_id, currency, end, language.value)
    everything += _commission_rows(session, distributor_id, currency, end, language.value)
    if not everything:
        used = _currencies(session, distributor_id)
        raise Conflict(
            f"distributor {distributor_id} has no settlements in {currency} up to {end}"
            + (f" (they have in {', '.join(used)})" if used else ""),
            code="currency_unused",
            details={"field": "currency", "currencies": used},
        )
    everything.sort(key=lambda row: (row["date"], _ORDER[row["kind"]], row["key"]))
    first = start.isoformat()
    before = [row for row in everything if row["date"] < first]
    rows = [
        {name: value for name, value in row.items() if name != "key"}
        for row in everything
        if row["date"] >= first
    ]
    opening = sum(row["debit"] - row["credit"] for row in before)
    debit = sum(int(row["debit"]) for row in rows)
    credit = sum(int(row["credit"]) for row in rows)
    closing = opening + debit - credit
    exponent = _exponent(session, currency)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    profile = in_force(session, until, distributor_ids=[distributor_id]).get(distributor_id)
    return {
        "partner": {
            "id": distributor_id,
            "name": f"{partner.first_name} {partner.last_name}",
            "inn": profile.inn if profile is not None else None,
        },
        "currency": currency,
        "exponent": exponent,
        "start": first,
        "end": end.isoformat(),
        "opening": opening,
        "rows": rows,
        "debit": debit,
        "credit": credit,
        "closing": closing,
        "debtor": "partner" if closing > 0 else "company" if closing < 0 else None,
        "closing_words": amount_in_words(abs(closing), currency, exponent, language.value),
    }


def subject_of(distributor_id: int, currency: str, start: date, end: date) -> str:
    return f"reconciliation:{distributor_id}:{currency}:{start.isoformat()}:{end.isoformat()}"


def issue_reconciliation(
    session: Session,
    distributor_id: int,
    *,
    currency: str,
    start: date,
    end: date,
    language: Language,
    actor: User,
    now: datetime,
) -> Document:
    """The partner's statement for the range in ``currency`` (the stored one when the same
    statement was issued: the same partner, currency, range and language)."""
    check_range(start, end, _day(now))
    if session.get(Distributor, distributor_id) is None:
        raise NotFound(f"distributor {distributor_id} not found", details={"field": "partner"})
    return issue(
        session,
        kind=DocumentKind.reconciliation,
        subject=subject_of(distributor_id, currency, start, end),
        language=language,
        gather=lambda: reconciliation_fields(
            session, distributor_id, currency, start, end, language
        ),
        links={"distributor_id": distributor_id},
        actor=actor,
        now=now,
    )


def _regather(session: Session, original: Document, site: str) -> Gather:
    _, partner, currency, start, end = original.subject.split(":")
    language = Language(original.language)
    return lambda: reconciliation_fields(
        session,
        int(partner),
        currency,
        date.fromisoformat(start),
        date.fromisoformat(end),
        language,
    )


register(DocumentKind.reconciliation, KindSpec(needs=NEEDS, regather=_regather))


def issued(session: Session, *, limit: int = 50) -> list[Document]:
    """The latest reconciliation statements, newest first (the finance page lists them)."""
    return list(
        session.exec(
            select(Document)
            .where(Document.kind == DocumentKind.reconciliation.value)
            .order_by(col(Document.id).desc())
            .limit(limit)
        )
    )
