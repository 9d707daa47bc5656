"""The public sign-up ("Join my team"): who the sponsor is, the form's one-time token, the
throttle per client address, and the enrollment itself.

A script that fills the form a thousand times meets three things:

- the form token: issued with the page, signed (HMAC with the app's secret) over a random
  nonce, the sponsor and the time it was issued; a submit uses it up (its nonce is stored,
  so replaying one captured request works once), it is refused younger than the minimum fill
  time (a person reads and types for a few seconds) and older than its lifetime;
- the throttle: sign-ups per client address in a fixed window, counted atomically like
  failed logins (`backend.accounts.login_throttle`);
- the usual checks of enrollment: one login per e-mail.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.cards.models import SignupThrottle, SignupToken
from backend.cards.service import count_signup
from backend.core.config import Settings
from backend.core.errors import Conflict, Invalid, NotFound, TooManyRequests
from backend.core.model_base import DistributorStatus, Role
from backend.genealogy.enrollment import enroll_one
from backend.genealogy.models import Distributor, DistributorCreate
from backend.genealogy.tree_cache import PlacementTreeCache

_TOKENS = SignupToken.metadata.tables["signup_token"]
_THROTTLE = SignupThrottle.metadata.tables["signup_throttle"]


class SignupRefused(Invalid):
    """The form itself is refused (not a field): forged, replayed, too fast or too old."""


@dataclass(frozen=True)
class Sponsor:
    id: int
    first_name: str
    last_name: str
    referral_code: str


@dataclass(frozen=True)
class Signup:
    first_name: str
    last_name: str
    email: str
    phone: str | None
    password: str


def sponsor_by_code(session: Session, code: str) -> Sponsor:
    """The partner a referral code names, if they may take new people (else 404)."""
    found = session.exec(
        select(Distributor).where(Distributor.referral_code == code.strip().upper()[:16])
    ).first()
    if found is None or found.status == DistributorStatus.terminated or found.tree_path is None:
        raise NotFound(f"no partner has referral code {code!r}")
    assert found.id is not None
    return Sponsor(found.id, found.first_name, found.last_name, found.referral_code)


def sponsor_by_id(session: Session, distributor_id: int) -> Sponsor:
    found = session.get(Distributor, distributor_id)
    if found is None:
        raise NotFound(f"distributor {distributor_id} not found")
    return sponsor_by_code(session, found.referral_code)


# -- the form token --------------------------------------------------------------------------


def _signature(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"signup-form|{body}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def issue_token(secret: str, sponsor_id: int, *, now: datetime) -> str:
    body = f"{secrets.token_hex(16)}.{sponsor_id}.{int(now.timestamp())}"
    return f"{body}.{_signature(secret, body)}"


def redeem_token(
    session: Session, secret: str, token: str, *, settings: Settings, now: datetime
) -> int:
    """Use up a form token; the sponsor it was issued for. `SignupRefused` (code
    `form_invalid`, `form_used`, `form_too_fast` or `form_expired`) otherwise."""
    parts = token.split(".")
    if len(parts) != 4 or not all(parts) or len(token) > 120:
        raise SignupRefused("the form token is malformed", code="form_invalid")
    nonce, sponsor, issued, signature = parts
    body = f"{nonce}.{sponsor}.{issued}"
    if not hmac.compare_digest(signature, _signature(secret, body)):
        raise SignupRefused("the form token is not ours", code="form_invalid")
    issued_at = datetime.fromtimestamp(int(issued), UTC)
    lifetime = timedelta(seconds=settings.signup_form_max_age_seconds)
    age = (now - issued_at).total_seconds()
    if age > lifetime.total_seconds():
        raise SignupRefused("the form has expired", code="form_expired")
    session.commit()
    session.connection().execute(_TOKENS.delete().where(_TOKENS.c.used_at < now - lifetime))
    try:
        session.connection().execute(_TOKENS.insert().values(nonce=nonce, used_at=now))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SignupRefused("this form was sent already", code="form_used") from None
    if age < settings.signup_min_fill_seconds:
        raise SignupRefused(
            "the form came back faster than a person fills it", code="form_too_fast"
        )
    return int(sponsor)


# -- the throttle ----------------------------------------------------------------------------


def count_attempt(
    session: Session, client_address: str, *, settings: Settings, now: datetime
) -> None:
    """Count a sign-up from this address; 429 over `signup_max_per_address` in the window.
    One upsert decides (see `backend.accounts.login_throttle` for why that is race-free)."""
    window = timedelta(seconds=settings.signup_window_seconds)
    key = f"address:{client_address[:64]}"
    session.commit()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_THROTTLE).values(key=key, attempts=1, window_start=now)
    ended = _THROTTLE.c.window_start <= now - window
    upsert = statement.on_conflict_do_update(
        index_elements=[_THROTTLE.c.key],
        set_={
            "attempts": sa.case((ended, 1), else_=_THROTTLE.c.attempts + 1),
            "window_start": sa.case(
                (ended, statement.excluded.window_start), else_=_THROTTLE.c.window_start
            ),
        },
    ).returning(_THROTTLE.c.attempts, _THROTTLE.c.window_start)
    row = session.connection().execute(upsert).one()
    session.connection().execute(_THROTTLE.delete().where(_THROTTLE.c.window_start <= now - window))
    session.commit()
    if row.attempts > settings.signup_max_per_address:
        start = (
            row.window_start.replace(tzinfo=UTC)
            if row.window_start.tzinfo is None
            else row.window_start
        )
        retry_after = max(1, math.ceil((start + window - now).total_seconds()))
        raise TooManyRequests(
            "too many sign-ups from this address; try again later",
            retry_after_seconds=retry_after,
            details={"retry_after_seconds": retry_after},
        )


# -- the enrollment --------------------------------------------------------------------------


def join(
    session: Session,
    data: Signup,
    *,
    sponsor_id: int,
    settings: Settings,
    trees: PlacementTreeCache,
    now: datetime,
) -> User:
    """Enroll the visitor under the sponsor, with a distributor login; their account.

    Through the genealogy's enrollment, exactly as when the sponsor enrolls someone through
    the API (the same admission checks, placement strategy and chain job): the actor is the
    sponsor's distributor identity, held only for this call and never stored."""
    sponsor = sponsor_by_id(session, sponsor_id)
    email = data.email.strip().lower()
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Invalid(
            "an account with this e-mail exists", code="email_taken", details={"field": "email"}
        )
    acting_sponsor = User(
        email=f"card-{sponsor.id}@sign-up.invalid",
        role=Role.distributor,
        hashed_password="",
        distributor_id=sponsor.id,
    )
    person = DistributorCreate(
        first_name=data.first_name,
        last_name=data.last_name,
        email=email,
        phone=data.phone,
        password=data.password,
        sponsor_id=sponsor.id,
    )
    try:
        enrolled = enroll_one(
            session, person, actor=acting_sponsor, settings=settings, trees=trees, now=now
        )
    except IntegrityError:  # a twin submit with the same e-mail won the race
        session.rollback()
        raise Invalid(
            "an account with this e-mail exists", code="email_taken", details={"field": "email"}
        ) from None
    distributor_id = enrolled.distributor.id
    user = session.exec(select(User).where(User.distributor_id == distributor_id)).first()
    if user is None:  # enroll_one writes the login with the distributor; this cannot happen
        raise Conflict("the account was not created")
    count_signup(session, sponsor.id, now=now)
    session.refresh(user)
    return user
