"""Idempotent enrollment: the `Idempotency-Key` of a single or batch enrollment, per account.

The key is claimed by inserting its `enrollment_request` row as the enrollment's first write,
in the enrollment's transaction; the unique (created_by, idempotency_key) makes a concurrent
twin wait for that transaction and then fail, and the twin answers with the first result. A
failed enrollment rolls its claim back, so a retry after an error enrolls afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.core.errors import Conflict
from backend.genealogy.models import DistributorCreate, EnrollmentRequest


def request_hash(items: Sequence[DistributorCreate], *, batch: bool) -> str:
    """What a retry must repeat. Passwords are left out (only whether one was given is in):
    nothing derived from a password is kept but its argon2 hash."""
    people = [
        item.model_dump(mode="json", exclude={"password"}) | {"login": item.password is not None}
        for item in items
    ]
    canonical = json.dumps({"batch": batch, "items": people}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def earlier(session: Session, actor: User, key: str, digest: str) -> list[int] | None:
    """The distributor ids the key already enrolled, or None; 409 for a different request."""
    found = session.exec(
        select(EnrollmentRequest).where(
            EnrollmentRequest.created_by == actor.id, EnrollmentRequest.idempotency_key == key
        )
    ).first()
    if found is None:
        return None
    if found.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used for a different enrollment",
            code="idempotency_key_reused",
        )
    return list(found.distributor_ids)


def claim(
    session: Session, actor: User, key: str, digest: str, *, now: datetime
) -> EnrollmentRequest:
    """Insert the key's row now (IntegrityError if a twin holds or has committed it)."""
    assert actor.id is not None
    request = EnrollmentRequest(
        created_by=actor.id, idempotency_key=key, request_hash=digest, created_at=now
    )
    session.add(request)
    session.flush()
    return request


def record(session: Session, request: EnrollmentRequest, distributor_ids: list[int]) -> None:
    request.distributor_ids = distributor_ids
    session.add(request)
