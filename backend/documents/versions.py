"""The agreement's and the offer's texts as versioned content (issue 17, item 5).

A text is Markdown with ``{{placeholders}}`` in Russian and English; the repository keeps the
company's starter texts (`texts/<kind>.<language>.md`), published as version 1 of each kind on
first start (`sync_repository_templates`); after that the admin edits and publishes in the
office (`publish`, logged as ``template_published``). A version is never changed: an edit is
the next number, and publishing a text equal to the current one publishes nothing. A
placeholder the renderer does not fill is refused on save, by name (`check_texts`), so a
partner never receives a document with a hole in it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.core.db import begin_write
from backend.core.errors import Invalid, NotFound
from backend.core.model_base import Language
from backend.documents.models import DocumentTemplate, TemplateKind

TEXTS = Path(__file__).parent / "texts"
MAX_TEXT = 100_000  # characters per language: an agreement is a few pages
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

COMPANY_FIELDS = (
    "company_name",
    "company_inn",
    "company_kpp",
    "company_ogrn",
    "company_address",
    "company_bank",
    "company_bik",
    "company_account",
    "company_corr_account",
    "company_director",
)
#: What each kind's renderer fills in (`agreement.agreement_values`, `offer.offer_values`).
PLACEHOLDERS: dict[TemplateKind, tuple[str, ...]] = {
    TemplateKind.agreement: COMPANY_FIELDS
    + ("partner_name", "partner_id", "partner_tax_status", "partner_inn", "version"),
    TemplateKind.offer: COMPANY_FIELDS
    + ("recipient_name", "price_list", "currency", "valid_until", "version"),
}
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def text_sha256(body_ru: str, body_en: str) -> str:
    """The version's fingerprint: both texts, each length-prefixed (no ambiguity at the seam)."""
    digest = hashlib.sha256()
    for body in (body_ru, body_en):
        encoded = body.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return digest.hexdigest()


def placeholders_in(body: str) -> list[str]:
    """The placeholder names a text uses, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in PLACEHOLDER.finditer(body)))


def check_texts(kind: TemplateKind, texts: Mapping[Language, str]) -> dict[Language, str]:
    """The texts normalised (line ends, trailing spaces), or `Invalid`: ``text_empty``,
    ``text_too_long`` or ``unknown_placeholder`` (``details``: the language and the names)."""
    known = set(PLACEHOLDERS[kind])
    checked: dict[Language, str] = {}
    for language in Language:
        body = texts.get(language, "").replace("\r\n", "\n").strip()
        where = {"language": language.value}
        if not body:
            raise Invalid(f"the {language.value} text is empty", code="text_empty", details=where)
        if len(body) > MAX_TEXT:
            raise Invalid(
                f"the {language.value} text is longer than {MAX_TEXT} characters",
                code="text_too_long",
                details=where,
            )
        unknown = [name for name in placeholders_in(body) if name not in known]
        if unknown:
            listed = ", ".join("{{" + name + "}}" for name in unknown)
            raise Invalid(
                f"the {language.value} text uses placeholders nothing fills: {listed}",
                code="unknown_placeholder",
                details={**where, "unknown": unknown, "known": list(PLACEHOLDERS[kind])},
            )
        checked[language] = body + "\n"
    return checked


def escape_markdown(value: str) -> str:
    """A value put into a Markdown text as plain words (a name with ``*`` stays a name)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", " ".join(value.split()))


def fill(body: str, values: Mapping[str, str]) -> str:
    """The text with every placeholder replaced by its value (escaped for Markdown)."""
    return PLACEHOLDER.sub(lambda match: escape_markdown(values[match.group(1)]), body)


def current(session: Session, kind: TemplateKind) -> DocumentTemplate:
    """The kind's newest version (404 ``template_missing`` before any is published)."""
    row = session.exec(
        select(DocumentTemplate)
        .where(DocumentTemplate.kind == kind.value)
        .order_by(col(DocumentTemplate.version).desc())
    ).first()
    if row is None:
        raise NotFound(f"no {kind.value} text is published yet", code="template_missing")
    return row


def history(session: Session, kind: TemplateKind) -> list[DocumentTemplate]:
    """Every version of the kind, newest first."""
    return list(
        session.exec(
            select(DocumentTemplate)
            .where(DocumentTemplate.kind == kind.value)
            .order_by(col(DocumentTemplate.version).desc())
        )
    )


def publish(
    session: Session,
    kind: TemplateKind,
    texts: Mapping[Language, str],
    *,
    actor: User | None,
    now: datetime,
) -> tuple[DocumentTemplate, bool]:
    """The version for these texts and whether it is new: the current one when the texts equal
    it, else the next number (logged when an admin publishes it). Refusals write nothing."""
    checked = check_texts(kind, texts)
    sha = text_sha256(checked[Language.ru], checked[Language.en])
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        # Two admins publishing at once: one number each, in turn.
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": kind})
    latest = session.exec(
        select(DocumentTemplate)
        .where(DocumentTemplate.kind == kind.value)
        .order_by(col(DocumentTemplate.version).desc())
    ).first()
    if latest is not None and latest.sha256 == sha:
        session.rollback()
        return latest, False
    row = DocumentTemplate(
        kind=kind.value,
        version=(latest.version if latest is not None else 0) + 1,
        body_ru=checked[Language.ru],
        body_en=checked[Language.en],
        sha256=sha,
        published_at=now,
        published_by=actor.id if actor is not None else None,
    )
    session.add(row)
    session.flush()
    if actor is not None:
        admin_log.template_published(session, kind.value, row.version, sha, actor=actor, now=now)
    session.commit()
    session.refresh(row)
    return row, True


def repository_texts(kind: TemplateKind, root: Path = TEXTS) -> dict[Language, str]:
    return {
        language: (root / f"{kind.value}.{language.value}.md").read_text(encoding="utf-8")
        for language in Language
    }


def sync_repository_templates(
    session: Session, now: datetime, *, root: Path = TEXTS
) -> list[DocumentTemplate]:
    """The repository's starter texts as version 1 of each kind that has none yet. Later
    versions are the office's: a start-up never overrides what an admin published."""
    published: list[DocumentTemplate] = []
    for kind in TemplateKind:
        exists = session.exec(
            select(DocumentTemplate.id).where(DocumentTemplate.kind == kind.value)
        ).first()
        if exists is None:
            row, _new = publish(session, kind, repository_texts(kind, root), actor=None, now=now)
            published.append(row)
    return published
