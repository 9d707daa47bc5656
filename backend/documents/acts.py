"""The act of services (акт об оказании услуг) of a partner for an anchored period: the
partner's commission as services rendered under the partner agreement, worded for their tax
status, with the anchored root, their leaf and a QR code to the statement page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.days import date_of
from backend.core.errors import Conflict, NotFound
from backend.core.model_base import Language
from backend.documents.models import Document, DocumentKind
from backend.documents.render import N_
from backend.documents.store import Gather, KindSpec, issue, register
from backend.documents.words import amount_in_words
from backend.genealogy.models import Distributor
from backend.payees.service import in_force
from backend.periods.models import Period, PeriodLine, PeriodPayee, PeriodStatus
from ledger.merkle import PayoutLeaf, leaf_hash
from ledger.plan import BONUS_TYPES

#: Periods whose statements are anchored on chain: an act can cite the root.
CLOSED = frozenset({PeriodStatus.anchored, PeriodStatus.paying, PeriodStatus.paid})
NEEDS = ("legal_name", "inn", "legal_address", "director")
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
    return issue(
        session,
        kind=DocumentKind.act,
        subject=f"act:{period_id}:{distributor_id}",
        language=language,
        gather=lambda: act_fields(session, period_id, distributor_id, language, site),
        links={"period_id": period_id, "distributor_id": distributor_id},
        actor=actor,
        now=now,
    )


def _regather(session: Session, original: Document, site: str) -> Gather:
    period_id, partner = original.period_id, original.distributor_id
    language = Language(original.language)
    assert period_id is not None and partner is not None
    return lambda: act_fields(session, period_id, partner, language, site)


register(DocumentKind.act, KindSpec(needs=NEEDS, regather=_regather))


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
