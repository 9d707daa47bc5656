"""The admin action log: accounts, roles, passwords, prices and stock adjustments, hash-chained.

Entry ``n`` holds ``prev_hash`` = the hash of entry ``n - 1`` (32 zero bytes for the first) and
``hash = sha256(prev_hash bytes || canonical entry)``, where the canonical entry is the compact,
key-sorted UTF-8 JSON of ``seq``, ``at`` (UTC, microseconds, ``Z``), ``actor_id``, ``action``,
``target`` and ``payload``. Changing, removing or inserting any entry breaks every later link;
rewriting the whole tail to match is caught by the period packages, whose anchored inputs hash
commits to the head (``inputs/admin_log.json``) as it was at each computation.

An entry is written in the caller's transaction, so an action and its entry commit together or
not at all. Appends are serialised: the append takes the database's write lock (SQLite) or a
transaction-scoped advisory lock (PostgreSQL) before it reads the head, so concurrent appends
queue instead of forking; ``seq`` as primary key and a unique ``prev_hash`` are the last line.
Payloads never hold a password or a password hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log.models import (
    AdminAction,
    AdminLogEntry,
    AdminLogEntryPublic,
    AdminLogPublic,
    AdminLogVerification,
)
from backend.catalog.models import Product
from backend.core.config import Settings
from backend.core.db import begin_write
from backend.core.model_base import now_utc
from backend.periods.models import LOCKED, Period
from backend.periods.service import package_dir
from backend.stock.models import StockMovement
from backend.vat.models import VatRate
from ledger.inputs import ADMIN_LOG_GENESIS, AdminLogHead

HEAD_FILE = "inputs/admin_log.json"

#: pg_advisory_xact_lock key of the log ("admin_lo" as a signed 64-bit number).
_PG_LOCK_KEY = int.from_bytes(b"admin_lo", "big", signed=True)
#: Product fields that change what is sold at which price and with how much volume.
PRICED_FIELDS = (
    "category",
    "currency",
    "retail_price",
    "wholesale_price",
    "pv",
    "cv",
    "vat_category",
)


def canonical_entry(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    target: str,
    payload: Mapping[str, Any],
) -> bytes:
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": actor_id,
        "action": action,
        "target": target,
        "payload": payload,
    }
    return _json(body).encode()


def chain_hash(prev_hash: str, entry: bytes) -> str:
    return "0x" + hashlib.sha256(bytes.fromhex(prev_hash[2:]) + entry).hexdigest()


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def head(session: Session) -> AdminLogHead:
    """The last entry's seq and hash (0 and the genesis hash while the log is empty)."""
    row = session.exec(
        select(AdminLogEntry.seq, AdminLogEntry.hash).order_by(col(AdminLogEntry.seq).desc())
    ).first()
    return AdminLogHead(seq=0, hash=ADMIN_LOG_GENESIS) if row is None else AdminLogHead(*row)


def append(
    session: Session,
    action: AdminAction,
    target: str,
    *,
    actor_id: int | None,
    now: datetime | None = None,
    **payload: Any,
) -> AdminLogEntry:
    """Add one entry in the caller's transaction (no commit)."""
    _serialise(session)
    last = head(session)
    at = now or now_utc()
    seq = last.seq + 1
    entry = canonical_entry(
        seq=seq, at=at, actor_id=actor_id, action=action.value, target=target, payload=payload
    )
    row = AdminLogEntry(
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        target=target,
        payload=_json(payload),
        prev_hash=last.hash,
        hash=chain_hash(last.hash, entry),
    )
    session.add(row)
    session.flush()
    return row


def _serialise(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    else:
        begin_write(session)


# -- the actions, one call each from the services that perform them ---------------------------


def account_created(
    session: Session, user: User, *, actor: User | None, now: datetime | None
) -> None:
    append(
        session,
        AdminAction.account_created,
        f"user:{user.id}",
        actor_id=actor.id if actor is not None else None,
        now=now,
        email=user.email,
        role=_plain(user.role),
        is_active=user.is_active,
        distributor_id=user.distributor_id,
    )


def account_updated(
    session: Session,
    user: User,
    changes: Mapping[str, Any],
    *,
    password_reset: bool,
    actor: User,
    now: datetime | None,
) -> None:
    """Entries for what an admin's update really changes (call it before applying them)."""
    target, by = f"user:{user.id}", actor.id
    role = changes.get("role")
    if role is not None and role != user.role:
        log = AdminAction.role_changed
        append(session, log, target, actor_id=by, now=now, old=_plain(user.role), new=_plain(role))
    active = changes.get("is_active")
    if active is not None and active != user.is_active:
        log = AdminAction.account_activated if active else AdminAction.account_deactivated
        append(session, log, target, actor_id=by, now=now)
    if "full_name" in changes and changes["full_name"] != user.full_name:
        log = AdminAction.account_renamed
        append(
            session, log, target, actor_id=by, now=now, old=user.full_name, new=changes["full_name"]
        )
    if password_reset:
        append(session, AdminAction.password_reset, target, actor_id=by, now=now)


def setting_changed(
    session: Session, name: str, old: Any, new: Any, *, actor: User, now: datetime | None
) -> None:
    """A company setting changed: its value before (the effective one) and after."""
    append(
        session,
        AdminAction.setting_changed,
        f"setting:{name}",
        actor_id=actor.id,
        now=now,
        old=old,
        new=new,
    )


def see_as(
    session: Session, distributor_id: int, *, started: bool, actor: User, now: datetime | None
) -> None:
    """An admin opened (or closed) a partner's office as the partner sees it, read-only."""
    action = AdminAction.see_as_started if started else AdminAction.see_as_ended
    append(session, action, f"distributor:{distributor_id}", actor_id=actor.id, now=now)


def training_published(
    session: Session, slug: str, number: int, version: str, *, actor: User, now: datetime | None
) -> None:
    """A course's version made current from the admin's office (its number and hash)."""
    append(
        session,
        AdminAction.training_published,
        f"course:{slug}",
        actor_id=actor.id,
        now=now,
        number=number,
        version=version,
    )


def template_published(
    session: Session, kind: str, version: int, sha256: str, *, actor: User, now: datetime | None
) -> None:
    """A new version of the agreement's or the offer's text published (its number and hash)."""
    append(
        session,
        AdminAction.template_published,
        f"template:{kind}",
        actor_id=actor.id,
        now=now,
        version=version,
        sha256=sha256,
    )


def training_assigned(
    session: Session,
    slug: str,
    distributor_id: int,
    due_at: datetime | None,
    *,
    actor: User,
    now: datetime | None,
) -> None:
    """A course assigned to a partner by an admin."""
    append(
        session,
        AdminAction.training_assigned,
        f"distributor:{distributor_id}",
        actor_id=actor.id,
        now=now,
        course=slug,
        due_at=None if due_at is None else due_at.date().isoformat(),
    )


def password_changed(session: Session, user: User, *, now: datetime | None) -> None:
    append(session, AdminAction.password_changed, f"user:{user.id}", actor_id=user.id, now=now)


def product_created(
    session: Session, product: Product, *, actor: User | None, now: datetime | None
) -> None:
    fields = {name: _plain(getattr(product, name)) for name in ("sku", *PRICED_FIELDS)}
    append(
        session,
        AdminAction.product_created,
        f"product:{product.id}",
        actor_id=actor.id if actor is not None else None,
        now=now,
        **fields,
    )


def product_repriced(
    session: Session,
    product: Product,
    changes: Mapping[str, Any],
    *,
    actor: User | None,
    now: datetime | None,
) -> None:
    """An entry when an update changes a priced field (call it before applying the update)."""
    changed = {
        name: [_plain(getattr(product, name)), _plain(changes[name])]
        for name in PRICED_FIELDS
        if name in changes and _plain(changes[name]) != _plain(getattr(product, name))
    }
    if changed:
        append(
            session,
            AdminAction.price_changed,
            f"product:{product.id}",
            actor_id=actor.id if actor is not None else None,
            now=now,
            changes=changed,
        )


def list_price_set(
    session: Session,
    price_list_id: int,
    product_id: int,
    old: Mapping[str, int] | None,
    new: Mapping[str, int] | None,
    *,
    actor: User | None,
    now: datetime | None,
) -> None:
    """A price list item's prices set (``old`` None: added), changed, or removed (``new``
    None); each side is ``{"retail_price": ..., "wholesale_price": ...}``."""
    if old == new:
        return
    append(
        session,
        AdminAction.price_removed if new is None else AdminAction.price_changed,
        f"price_list:{price_list_id}/product:{product_id}",
        actor_id=actor.id if actor is not None else None,
        now=now,
        old=dict(old) if old is not None else None,
        new=dict(new) if new is not None else None,
    )


def vat_rate_added(
    session: Session, rate: VatRate, *, actor: User | None, now: datetime | None
) -> None:
    append(
        session,
        AdminAction.vat_rate_added,
        f"vat_rate:{rate.id}",
        actor_id=actor.id if actor is not None else None,
        now=now,
        country=rate.country,
        category=_plain(rate.category),
        rate_bp=rate.rate_bp,
        valid_from=rate.valid_from.isoformat(),
        valid_to=rate.valid_to.isoformat() if rate.valid_to is not None else None,
    )


def stock_adjusted(session: Session, movement: StockMovement) -> None:
    append(
        session,
        AdminAction.stock_adjusted,
        f"warehouse:{movement.warehouse_id}/product:{movement.product_id}",
        actor_id=movement.created_by,
        now=movement.created_at,
        delta=movement.on_hand_delta,
        reason=movement.reason,
        movement_id=movement.id,
    )


def rate_added(
    session: Session,
    base: str,
    quote: str,
    day: date,
    rate: str,
    source: str,
    *,
    actor: User | None,
    now: datetime | None,
) -> None:
    """An exchange rate stored (rates never change, so there is no old value)."""
    append(
        session,
        AdminAction.rate_added,
        f"exchange_rate:{base}/{quote}/{day.isoformat()}",
        actor_id=actor.id if actor is not None else None,
        now=now,
        base=base,
        quote=quote,
        day=day.isoformat(),
        rate=rate,
        source=source,
    )


def rates_imported(
    session: Session,
    source: str,
    quote: str,
    day: date,
    rates: Mapping[str, str],
    *,
    already_present: int,
    actor: User | None,
    now: datetime | None,
) -> None:
    """A rate file imported: the rates it added (base code -> decimal string), all in
    ``quote`` on ``day``, and how many of its rates were stored already."""
    append(
        session,
        AdminAction.rates_imported,
        f"exchange_rates:{quote}/{day.isoformat()}",
        actor_id=actor.id if actor is not None else None,
        now=now,
        source=source,
        quote=quote,
        day=day.isoformat(),
        rates=dict(rates),
        already_present=already_present,
    )


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# -- reading and verifying ----------------------------------------------------------------------


def page(
    session: Session,
    *,
    target: str | None,
    offset: int,
    limit: int,
    action: AdminAction | None = None,
    newest_first: bool = False,
) -> AdminLogPublic:
    """A page of entries in seq order (optionally of one target or one action; the newest
    first for a person reading the latest), with the current head."""
    query = select(AdminLogEntry)
    if target is not None:
        query = query.where(AdminLogEntry.target == target)
    if action is not None:
        query = query.where(AdminLogEntry.action == action)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = col(AdminLogEntry.seq).desc() if newest_first else col(AdminLogEntry.seq)
    rows = session.exec(query.order_by(order).offset(offset).limit(limit))
    last = head(session)
    return AdminLogPublic(
        items=[public(row) for row in rows],
        count=int(count),
        head_seq=last.seq,
        head_hash=last.hash,
    )


def actor_emails(session: Session, actor_ids: Iterable[int | None]) -> dict[int, str]:
    """Who acted, by e-mail, for the entries a page shows."""
    wanted = {actor for actor in actor_ids if actor is not None}
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.email).where(col(User.id).in_(wanted)))
    return {user_id: email for user_id, email in rows if user_id is not None}


def public(row: AdminLogEntry) -> AdminLogEntryPublic:
    return AdminLogEntryPublic.model_validate(row, update={"payload": json.loads(row.payload)})


def verify(
    session: Session, settings: Settings | None = None, *, batch: int = 5_000
) -> AdminLogVerification:
    """Recompute the chain from the first entry and, given the settings (for the packages),
    check that the log still holds the head each approved period's inputs commit to: a rewrite
    of the whole tail, or a truncated tail, chains again but no longer matches those."""
    expected_prev, checked = ADMIN_LOG_GENESIS, 0
    broken: tuple[int, str] | None = None
    for row in _all_entries(session, batch):
        problem = _broken(row, checked + 1, expected_prev)
        if problem is not None:
            broken = (row.seq, problem)
            break
        checked += 1
        expected_prev = row.hash
    last = head(session)
    commitments = _committed_heads(session, settings) if settings is not None else []
    result = AdminLogVerification(
        ok=broken is None,
        entries=checked,
        head_seq=last.seq,
        head_hash=last.hash,
        periods_checked=len(commitments),
        first_broken_seq=broken[0] if broken else None,
        first_broken_period=None,
        problem=broken[1] if broken else None,
    )
    if broken is None:
        for period_id, committed in commitments:
            problem = _not_held(session, period_id, committed)
            if problem is not None:
                result.ok, result.problem = False, problem
                result.first_broken_period = period_id
                if isinstance(committed, AdminLogHead):
                    result.first_broken_seq = committed.seq
                break
    return result


def _committed_heads(session: Session, settings: Settings) -> list[tuple[int, AdminLogHead | str]]:
    """(period, the head its package's inputs commit to, or why it cannot be read) for each
    approved period computed with a log head, in period order."""
    query = (
        select(Period)
        .where(col(Period.status).in_([s.value for s in LOCKED]))
        .order_by(col(Period.id))
    )
    heads: list[tuple[int, AdminLogHead | str]] = []
    for period in session.exec(query):
        files = json.loads(period.manifest or "{}").get("files", {})
        digest = files.get(HEAD_FILE)
        if digest is None:
            continue  # computed before the log existed
        path = package_dir(settings, period.id) / HEAD_FILE
        try:
            data = path.read_bytes()
        except OSError as exc:
            heads.append((period.id, f"period {period.id}: cannot read {path}: {exc.strerror}"))
            continue
        if "0x" + hashlib.sha256(data).hexdigest() != digest:
            heads.append((period.id, f"period {period.id}: {HEAD_FILE} differs from its manifest"))
            continue
        committed = json.loads(data)
        heads.append((period.id, AdminLogHead(seq=committed["seq"], hash=committed["hash"])))
    return heads


def _not_held(session: Session, period_id: int, committed: AdminLogHead | str) -> str | None:
    if isinstance(committed, str):
        return committed
    if committed.seq == 0:
        return None
    row = session.get(AdminLogEntry, committed.seq)
    if row is None:
        return (
            f"period {period_id}'s inputs commit to admin log entry {committed.seq}, which the "
            "log no longer has: entries were removed"
        )
    if row.hash != committed.hash:
        return (
            f"period {period_id}'s inputs commit to entry {committed.seq} with hash "
            f"{committed.hash}; the log's entry {committed.seq} hashes to {row.hash}: the log "
            "was rewritten"
        )
    return None


def _all_entries(session: Session, batch: int) -> Iterator[AdminLogEntry]:
    """Every entry in seq order, a page at a time (no cursor left open if the caller stops)."""
    after: int | None = None
    while True:
        query = select(AdminLogEntry).order_by(col(AdminLogEntry.seq)).limit(batch)
        if after is not None:
            query = query.where(col(AdminLogEntry.seq) > after)
        rows = list(session.exec(query))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq


def _broken(row: AdminLogEntry, seq: int, prev_hash: str) -> str | None:
    if row.seq != seq:
        return f"expected entry {seq} next, found {row.seq}: entries are missing"
    if row.prev_hash != prev_hash:
        return f"prev_hash {row.prev_hash} is not entry {seq - 1}'s hash {prev_hash}"
    try:
        payload = json.loads(row.payload)
    except ValueError:
        return "the payload is not JSON"
    entry = canonical_entry(
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        action=str(row.action),
        target=row.target,
        payload=payload,
    )
    if chain_hash(prev_hash, entry) != row.hash:
        return "the entry's content does not hash to its stored hash: it was changed"
    return None
