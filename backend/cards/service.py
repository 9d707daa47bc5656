"""Cards: the partner's settings (alias, shown contacts, blocks, free text), the public read,
the visit and sign-up counts, the company's pitch blocks and the review of free texts.

Errors a person can fix are `Invalid` with a `code` and `details={"field": ...}`, so a form
can put the message next to its field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.admin_log.models import AdminAction
from backend.cards.claims import find_claims
from backend.cards.models import (
    CardBlock,
    CardBlockCreate,
    CardBlockUpdate,
    CardTextPublic,
    CardTextsPublic,
    PartnerCard,
    TextStatus,
)
from backend.core.db import begin_write
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.model_base import DistributorStatus
from backend.genealogy.models import Distributor

ALIAS_MIN, ALIAS_MAX = 3, 32
MAX_BLOCKS = 3
MAX_TEXT = 600
# Latin letters, digits and single hyphens inside; starts with a letter (never a bare number,
# which would read as a distributor id).
_ALIAS = re.compile(r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$")
# Words the site's own paths use, or that would pass a card off as the company's.
RESERVED_ALIASES = frozenset(
    {
        "about", "account", "accounts", "admin", "api", "app", "auth", "blog", "card", "cards",
        "company", "contact", "distributor", "distributors", "docs", "help", "home", "info",
        "join", "login", "logout", "mail", "me", "new", "news", "null", "office", "p", "password",
        "privacy", "profile", "register", "root", "signup", "static", "statements", "support",
        "team", "terms", "undefined", "www",
    }
)  # fmt: skip
IMPERSONATING = ("admin", "lineage", "official", "support", "moderator")
_MESSENGER = re.compile(r"^[\w@+.:/ -]{2,64}$")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CardSettings:
    """What the partner sets on their card (the profile's form)."""

    alias: str
    enabled: bool
    show_email: bool
    show_phone: bool
    show_messenger: bool
    block_ids: list[int]
    free_text: str


@dataclass(frozen=True)
class PublicCard:
    card: PartnerCard
    distributor: Distributor
    blocks: list[CardBlock]


@dataclass(frozen=True)
class CardCounts:
    has_card: bool
    alias: str | None
    enabled: bool
    visits: int
    signups: int


def _refuse(field: str, code: str, message: str) -> Invalid:
    return Invalid(message, code=code, details={"field": field})


def check_alias(value: str) -> str:
    """The alias as stored (lower case), or `Invalid` naming the rule it breaks."""
    alias = value.strip().lower()
    if not ALIAS_MIN <= len(alias) <= ALIAS_MAX:
        raise _refuse(
            "alias", "alias_length", f"an alias has {ALIAS_MIN} to {ALIAS_MAX} characters"
        )
    if not _ALIAS.match(alias):
        raise _refuse(
            "alias",
            "alias_charset",
            "an alias has Latin letters, digits and single hyphens, and starts with a letter",
        )
    if alias in RESERVED_ALIASES or any(word in alias for word in IMPERSONATING):
        raise _refuse("alias", "alias_reserved", f"{alias!r} is reserved")
    return alias


def clean_text(value: str) -> str | None:
    """Free text without control characters (newlines kept), trimmed; None when empty."""
    text = _CONTROL.sub("", value.replace("\r\n", "\n")).strip()
    if len(text) > MAX_TEXT:
        raise _refuse("free_text", "text_length", f"at most {MAX_TEXT} characters")
    return text or None


def card_of(session: Session, distributor_id: int) -> PartnerCard | None:
    return session.get(PartnerCard, distributor_id)


def _own_card(session: Session, distributor_id: int, now: datetime) -> PartnerCard:
    card = session.get(PartnerCard, distributor_id)
    if card is None:
        card = PartnerCard(distributor_id=distributor_id, updated_at=now)
    return card


def update_card(session: Session, actor: User, data: CardSettings, *, now: datetime) -> PartnerCard:
    """The partner's own card; a new free text is checked for earnings claims and published
    at once only without one (otherwise it waits for an admin, and the card keeps showing the
    text approved before)."""
    if actor.distributor_id is None:
        raise Forbidden("only a distributor has a card", code="out_of_scope")
    alias = check_alias(data.alias) if data.alias.strip() else None
    if data.enabled and alias is None:
        raise _refuse("alias", "alias_missing", "a public card needs an alias")
    current = session.get(PartnerCard, actor.distributor_id)
    if data.show_messenger and (current is None or current.messenger is None):
        raise _refuse("show_messenger", "messenger_missing", "give the messenger to show it")
    block_ids = list(dict.fromkeys(data.block_ids))
    if len(block_ids) > MAX_BLOCKS:
        raise _refuse("block_ids", "too_many_blocks", f"at most {MAX_BLOCKS} blocks")
    if block_ids:
        active = set(
            session.exec(
                select(CardBlock.id).where(col(CardBlock.id).in_(block_ids), col(CardBlock.active))
            )
        )
        if set(block_ids) - active:
            raise _refuse("block_ids", "unknown_block", "a chosen block is not offered any more")
    text = clean_text(data.free_text)
    if alias is not None:
        taken = session.exec(
            select(PartnerCard.distributor_id).where(
                PartnerCard.alias == alias, PartnerCard.distributor_id != actor.distributor_id
            )
        ).first()
        if taken is not None:
            raise _refuse("alias", "alias_taken", f"{alias!r} is taken")
    card = _own_card(session, actor.distributor_id, now)
    card.alias = alias
    card.enabled = data.enabled
    card.show_email = data.show_email
    card.show_phone = data.show_phone
    card.show_messenger = data.show_messenger
    card.block_ids = block_ids
    if text != card.free_text:
        _submit_text(card, text, now=now)
    card.updated_at = now
    session.add(card)
    try:
        session.commit()
    except IntegrityError:  # another partner took the alias since the check above
        session.rollback()
        raise _refuse("alias", "alias_taken", f"{alias!r} is taken") from None
    session.refresh(card)
    return card


def clean_messenger(value: str) -> str | None:
    messenger = value.strip() or None
    if messenger is not None and not _MESSENGER.match(messenger):
        raise _refuse("messenger", "messenger_invalid", "2 to 64 letters, digits, @ . _ - + : /")
    return messenger


def set_messenger(session: Session, actor: User, value: str, *, now: datetime) -> PartnerCard:
    """The partner's messenger contact (`@name`, a link); empty removes it (and hides it)."""
    if actor.distributor_id is None:
        raise Forbidden("only a distributor has a card", code="out_of_scope")
    messenger = clean_messenger(value)
    card = _own_card(session, actor.distributor_id, now)
    card.messenger = messenger
    card.show_messenger = card.show_messenger and messenger is not None
    card.updated_at = now
    session.add(card)
    session.commit()
    session.refresh(card)
    return card


def _submit_text(card: PartnerCard, text: str | None, *, now: datetime) -> None:
    card.free_text = text
    card.text_revision += 1
    card.text_submitted_at = now if text is not None else None
    card.text_reviewed_at = None
    card.text_reviewed_by = None
    hits = find_claims(text) if text is not None else []
    card.text_hits = hits
    if text is None:
        card.text_status = TextStatus.none
        card.published_text = None
    elif hits:
        card.text_status = TextStatus.pending
    else:
        card.text_status = TextStatus.approved
        card.published_text = text


def public_card(session: Session, alias: str) -> PublicCard:
    """The card at `/p/<alias>`: enabled, of a partner who is not terminated; else 404."""
    card = session.exec(select(PartnerCard).where(PartnerCard.alias == alias.lower())).first()
    distributor = session.get(Distributor, card.distributor_id) if card is not None else None
    if (
        card is None
        or not card.enabled
        or distributor is None
        or distributor.status == DistributorStatus.terminated
    ):
        raise NotFound(f"no card at {alias!r}")
    return PublicCard(card, distributor, blocks_by_id(session, card.block_ids))


def blocks_by_id(session: Session, ids: list[int]) -> list[CardBlock]:
    """The active blocks among `ids`, in the partner's order (a retired block disappears)."""
    if not ids:
        return []
    found = {
        b.id: b
        for b in session.exec(
            select(CardBlock).where(col(CardBlock.id).in_(ids), col(CardBlock.active))
        )
    }
    return [found[i] for i in ids if i in found]


_CARD = PartnerCard.metadata.tables["partner_card"]


def count_visit(session: Session, distributor_id: int) -> None:
    """One more visit, as one atomic UPDATE (no read, no lost counts under load)."""
    session.connection().execute(
        _CARD.update()
        .where(_CARD.c.distributor_id == distributor_id)
        .values(visits=_CARD.c.visits + 1)
    )
    session.commit()


def count_signup(session: Session, distributor_id: int, *, now: datetime) -> None:
    """One more sign-up under this partner (the row is made if they have no card yet)."""
    updated = session.connection().execute(
        _CARD.update()
        .where(_CARD.c.distributor_id == distributor_id)
        .values(signups=_CARD.c.signups + 1)
    )
    if updated.rowcount == 0:
        session.add(PartnerCard(distributor_id=distributor_id, signups=1, updated_at=now))
    try:
        session.commit()
    except IntegrityError:  # a twin sign-up made the row first
        session.rollback()
        count_signup(session, distributor_id, now=now)


def card_counts(session: Session, distributor_id: int) -> CardCounts:
    card = session.get(PartnerCard, distributor_id)
    if card is None:
        return CardCounts(False, None, False, 0, 0)
    return CardCounts(card.alias is not None, card.alias, card.enabled, card.visits, card.signups)


# -- the company's blocks ------------------------------------------------------------------------


def list_blocks(session: Session, *, active_only: bool) -> list[CardBlock]:
    query = select(CardBlock).order_by(col(CardBlock.id))
    if active_only:
        query = query.where(col(CardBlock.active))
    return list(session.exec(query))


def add_block(session: Session, data: CardBlockCreate, *, actor: User, now: datetime) -> CardBlock:
    block = CardBlock(text_ru=data.text_ru.strip(), text_en=data.text_en.strip(), created_at=now)
    if not block.text_ru or not block.text_en:
        raise Invalid("a block needs its text in both languages")
    session.add(block)
    session.flush()
    admin_log.append(
        session,
        AdminAction.card_block_added,
        f"card_block:{block.id}",
        actor_id=actor.id,
        now=now,
        text_ru=block.text_ru,
        text_en=block.text_en,
    )
    session.commit()
    session.refresh(block)
    return block


def update_block(
    session: Session, block_id: int, data: CardBlockUpdate, *, actor: User, now: datetime
) -> CardBlock:
    block = session.get(CardBlock, block_id)
    if block is None:
        raise NotFound(f"card block {block_id} not found")
    changes = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None
    }
    if any(value == "" for value in changes.values()):
        raise Invalid("a block needs its text in both languages")
    changed = {
        name: [getattr(block, name), value]
        for name, value in changes.items()
        if getattr(block, name) != value
    }
    if changed:
        block.sqlmodel_update(changes)
        session.add(block)
        admin_log.append(
            session,
            AdminAction.card_block_changed,
            f"card_block:{block.id}",
            actor_id=actor.id,
            now=now,
            changes=changed,
        )
        session.commit()
        session.refresh(block)
    return block


# -- review of free texts ------------------------------------------------------------------------


def pending_texts(session: Session, *, offset: int, limit: int) -> CardTextsPublic:
    """Texts waiting for a decision, the oldest first."""
    query = select(PartnerCard, Distributor).join(
        Distributor, col(Distributor.id) == col(PartnerCard.distributor_id)
    )
    query = query.where(PartnerCard.text_status == TextStatus.pending)
    total = session.exec(
        select(func.count())
        .select_from(PartnerCard)
        .where(PartnerCard.text_status == TextStatus.pending)
    ).one()
    rows = session.exec(
        query.order_by(col(PartnerCard.text_submitted_at), col(PartnerCard.distributor_id))
        .offset(offset)
        .limit(limit)
    ).all()
    return CardTextsPublic(items=[_text_public(card, person) for card, person in rows], count=total)


def _text_public(card: PartnerCard, person: Distributor) -> CardTextPublic:
    return CardTextPublic(
        distributor_id=card.distributor_id,
        name=f"{person.first_name} {person.last_name}",
        alias=card.alias,
        text=card.free_text,
        status=card.text_status,
        hits=card.text_hits,
        revision=card.text_revision,
        submitted_at=card.text_submitted_at,
        reviewed_at=card.text_reviewed_at,
        reviewed_by=card.text_reviewed_by,
    )


def decide(
    session: Session,
    distributor_id: int,
    *,
    revision: int,
    approve: bool,
    actor: User,
    now: datetime,
) -> CardTextPublic:
    """Approve (publish) or reject the pending text the reviewer read (`revision`): a text
    the partner changed since is refused (409), so nobody publishes words they did not see."""
    begin_write(session)
    card = session.exec(
        select(PartnerCard).where(PartnerCard.distributor_id == distributor_id).with_for_update()
    ).first()
    if card is None:
        raise NotFound(f"distributor {distributor_id} has no card")
    if card.text_revision != revision:
        raise Conflict(
            f"the text changed since revision {revision} (now {card.text_revision}): read it again",
            code="text_changed",
        )
    if card.text_status != TextStatus.pending:
        raise Conflict(f"the text is {card.text_status}, not pending", code="text_not_pending")
    card.text_status = TextStatus.approved if approve else TextStatus.rejected
    if approve:
        card.published_text = card.free_text
    card.text_reviewed_at = now
    card.text_reviewed_by = actor.id
    session.add(card)
    admin_log.append(
        session,
        AdminAction.card_text_approved if approve else AdminAction.card_text_rejected,
        f"distributor:{distributor_id}",
        actor_id=actor.id,
        now=now,
        revision=revision,
        hits=card.text_hits,
    )
    session.commit()
    session.refresh(card)
    person = session.get(Distributor, distributor_id)
    assert person is not None
    return _text_public(card, person)


__all__ = [
    "CardCounts",
    "CardSettings",
    "PublicCard",
    "add_block",
    "blocks_by_id",
    "card_counts",
    "card_of",
    "check_alias",
    "clean_messenger",
    "count_signup",
    "count_visit",
    "decide",
    "list_blocks",
    "pending_texts",
    "public_card",
    "set_messenger",
    "update_block",
    "update_card",
]
