"""The partner agreement (партнёрский договор) and its acceptance (issue 17, item 5).

The current version of the agreement's text (`versions`), filled with the company's details
and the partner's (name, number, tax status and INN as their payout profile says now), is what
the partner reads in their office. Accepting it issues the agreement as a document (kind
``agreement``, subject ``agreement:<partner>:<version>``, numbered and frozen by the store) and
writes an `AgreementAcceptance` in the document's own transaction: partner, version, document,
the PDF's SHA-256 and the time. Acceptances are never changed or removed; accepting a version
again returns the first acceptance (one row per partner and version, also under concurrent
requests); a newer version published later asks for a new acceptance, the old ones stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.company.requisites import CompanyRequisites
from backend.core.errors import Conflict, NotFound
from backend.core.model_base import Language
from backend.documents.models import (
    AgreementAcceptance,
    Document,
    DocumentKind,
    DocumentTemplate,
    TemplateKind,
)
from backend.documents.render import N_, translate
from backend.documents.store import Gather, KindSpec, company_for, issue, register
from backend.documents.versions import current, fill
from backend.genealogy.models import Distributor
from backend.payees.service import in_force

NEEDS = (
    "legal_name",
    "inn",
    "ogrn",
    "legal_address",
    "bank_name",
    "bik",
    "account",
    "corr_account",
    "director",
)
TAX_STATUS_WORDS = {
    "individual": N_("private individual"),
    "self_employed": N_("self-employed (professional income tax)"),
    "sole_proprietor": N_("sole proprietor"),
    "company": N_("legal entity"),
}
NOT_GIVEN = N_("not given")


def company_values(company: CompanyRequisites, language: str) -> dict[str, str]:
    """The ``company_*`` placeholders' values (a detail not given reads "not given")."""
    given = company.as_dict()
    names = {
        "company_name": "legal_name",
        "company_inn": "inn",
        "company_kpp": "kpp",
        "company_ogrn": "ogrn",
        "company_address": "legal_address",
        "company_bank": "bank_name",
        "company_bik": "bik",
        "company_account": "account",
        "company_corr_account": "corr_account",
        "company_director": "director",
    }
    return {
        placeholder: given[name] or translate(language, NOT_GIVEN)
        for placeholder, name in names.items()
    }


def _partner(session: Session, distributor_id: int) -> Distributor:
    partner = session.get(Distributor, distributor_id)
    if partner is None:
        raise NotFound(f"distributor {distributor_id} not found")
    return partner


def agreement_values(
    session: Session,
    distributor_id: int,
    template: DocumentTemplate,
    language: str,
    company: CompanyRequisites,
    now: datetime,
) -> dict[str, str]:
    partner = _partner(session, distributor_id)
    profile = in_force(session, now, distributor_ids=[distributor_id]).get(distributor_id)
    status = TAX_STATUS_WORDS.get(profile.tax_status) if profile is not None else None
    return company_values(company, language) | {
        "partner_name": f"{partner.first_name} {partner.last_name}",
        "partner_id": str(distributor_id),
        "partner_tax_status": translate(language, status or NOT_GIVEN),
        "partner_inn": (profile.inn if profile is not None else None)
        or translate(language, NOT_GIVEN),
        "version": str(template.version),
    }


def agreement_text(
    session: Session,
    distributor_id: int,
    template: DocumentTemplate,
    language: Language,
    company: CompanyRequisites,
    now: datetime,
) -> str:
    """The version's text in ``language`` with the company's and the partner's details."""
    body = template.body_ru if language == Language.ru else template.body_en
    values = agreement_values(session, distributor_id, template, language.value, company, now)
    return fill(body, values)


def agreement_fields(
    session: Session,
    distributor_id: int,
    template: DocumentTemplate,
    language: Language,
    now: datetime,
) -> dict[str, Any]:
    company = company_for(session, DocumentKind.agreement)
    partner = _partner(session, distributor_id)
    return {
        "template": {"version": template.version, "sha256": template.sha256},
        "partner": {"id": distributor_id, "name": f"{partner.first_name} {partner.last_name}"},
        "text": agreement_text(session, distributor_id, template, language, company, now),
    }


@dataclass(frozen=True)
class AgreementState:
    """What the partner's page and ``GET /api/agreement`` show."""

    template: DocumentTemplate
    accepted: AgreementAcceptance | None
    history: list[AgreementAcceptance]

    @property
    def acceptance_needed(self) -> bool:
        return self.accepted is None


def acceptances(session: Session, distributor_id: int) -> list[AgreementAcceptance]:
    """The partner's acceptances, newest version first (404 for an unknown partner)."""
    _partner(session, distributor_id)
    return list(
        session.exec(
            select(AgreementAcceptance)
            .where(AgreementAcceptance.distributor_id == distributor_id)
            .order_by(col(AgreementAcceptance.version).desc())
        )
    )


def state(session: Session, distributor_id: int) -> AgreementState:
    template = current(session, TemplateKind.agreement)
    history = acceptances(session, distributor_id)
    accepted = next((row for row in history if row.template_id == template.id), None)
    return AgreementState(template=template, accepted=accepted, history=history)


def acceptance_needed(session: Session, distributor_id: int) -> bool:
    """Whether the newest agreement waits for the partner's acceptance (no text: no)."""
    template = session.exec(
        select(DocumentTemplate.id)
        .where(DocumentTemplate.kind == TemplateKind.agreement.value)
        .order_by(col(DocumentTemplate.version).desc())
    ).first()
    if template is None:
        return False
    found = session.exec(
        select(AgreementAcceptance.id).where(
            AgreementAcceptance.distributor_id == distributor_id,
            AgreementAcceptance.template_id == template,
        )
    ).first()
    return found is None


def _accepted(
    session: Session, distributor_id: int, template_id: int
) -> AgreementAcceptance | None:
    return session.exec(
        select(AgreementAcceptance).where(
            AgreementAcceptance.distributor_id == distributor_id,
            AgreementAcceptance.template_id == template_id,
        )
    ).first()


def accept(
    session: Session,
    distributor_id: int,
    *,
    version: int,
    language: Language,
    actor: User,
    now: datetime,
) -> AgreementAcceptance:
    """The partner's acceptance of ``version`` (the one they read): the agreement issued and
    the acceptance written together, or the acceptance recorded before. 409
    ``version_changed`` when a newer version was published meanwhile, ``requisites_missing``
    when the company's details are incomplete (nothing written)."""
    _partner(session, distributor_id)
    template = current(session, TemplateKind.agreement)
    if template.version != version:
        raise Conflict(
            f"version {version} is not the current agreement: version {template.version} is",
            code="version_changed",
            details={"current": template.version},
        )
    assert template.id is not None
    template_id = template.id
    found = _accepted(session, distributor_id, template_id)
    if found is not None:
        return found
    at = now.replace(microsecond=0)

    def record(session: Session, document: Document) -> None:
        assert document.id is not None
        session.add(
            AgreementAcceptance(
                distributor_id=distributor_id,
                template_id=template_id,
                version=template.version,
                document_id=document.id,
                pdf_sha256=document.pdf_sha256,
                accepted_at=at,
                accepted_by=actor.id,
            )
        )

    try:
        issue(
            session,
            kind=DocumentKind.agreement,
            subject=f"agreement:{distributor_id}:{template.version}",
            language=language,
            gather=lambda: agreement_fields(session, distributor_id, template, language, at),
            links={"distributor_id": distributor_id},
            actor=actor,
            now=at,
            record=record,
        )
    except IntegrityError:
        # The same version accepted at the same moment in the other language: that one stands.
        session.rollback()
    found = _accepted(session, distributor_id, template_id)
    if found is None:  # the document exists without its acceptance: never written so
        raise Conflict("the agreement was issued without its acceptance", code="acceptance_lost")
    return found


def _regather(session: Session, original: Document, site: str) -> Gather:
    raise Conflict(
        "an accepted agreement is not corrected: publish a new version for a new acceptance",
        code="not_correctable",
    )


register(DocumentKind.agreement, KindSpec(needs=NEEDS, regather=_regather))
