"""Accounts: login with throttling, and account administration."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from backend.accounts import login_throttle
from backend.accounts.models import PasswordChange, User, UserCreate, UserUpdate
from backend.admin_log import service as admin_log
from backend.core.config import Settings
from backend.core.errors import Conflict, Invalid, NotFound, Unauthorized
from backend.core.model_base import DistributorStatus, Language, Role
from backend.core.security import hash_password, verify_password
from backend.genealogy.models import Distributor


def generated_password() -> str:
    """A temporary password an admin hands over once (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    client_address: str,
    settings: Settings,
    now: datetime,
) -> User:
    """The active user with these credentials. Every attempt is counted per account and per
    client address before the password is checked; over either limit the answer is 429 until
    the window has passed, right password or not (`login_throttle`)."""
    email = email.strip().lower()
    keys = login_throttle.keys_for(email, client_address)
    login_throttle.count_attempt(session, keys, settings=settings, now=now)
    user = session.exec(select(User).where(User.email == email)).first()
    # Give the connection back before the password check: argon2 costs tens of milliseconds
    # of CPU, and a burst of logins holding connections through it starves every other request.
    session.commit()
    if not verify_password(password, user.hashed_password if user else None) or user is None:
        # Old windows only matter while they last; prune them as we go.
        login_throttle.prune(session, settings=settings, now=now)
        raise Unauthorized("wrong email or password")
    login_throttle.give_back(session, keys)
    if not user.is_active:
        raise Unauthorized("this account is disabled", code="account_disabled")
    if user.distributor_id is not None:
        linked = session.get(Distributor, user.distributor_id)
        if linked is not None and linked.status == DistributorStatus.terminated:
            raise Unauthorized(
                f"distributor {linked.id} was terminated; its login is closed",
                code="distributor_terminated",
            )
    return user


def end_sessions(
    session: Session, *, user_id: int | None = None, distributor_id: int | None = None
) -> None:
    """Every token issued so far to the account (by id, or the one linked to a distributor)
    stops working: it carries the old version. In the caller's transaction; no commit."""
    if (user_id is None) == (distributor_id is None):
        raise ValueError("name the account by user_id or by distributor_id")
    which = (
        col(User.id) == user_id
        if user_id is not None
        else col(User.distributor_id) == distributor_id
    )
    session.execute(update(User).where(which).values(token_version=col(User.token_version) + 1))


def log_out(session: Session, user: User) -> None:
    """Logs out every session of the account, not only the caller's (tokens are stateless)."""
    assert user.id is not None
    end_sessions(session, user_id=user.id)
    session.commit()


def create_user(
    session: Session, data: UserCreate, *, actor: User | None = None, now: datetime | None = None
) -> User:
    _check_link(session, data.role, data.distributor_id)
    if session.exec(select(User.id).where(User.email == data.email)).first() is not None:
        raise Conflict(f"an account for {data.email} exists", code="email_taken")
    user = User.model_validate(data, update={"hashed_password": hash_password(data.password)})
    session.add(user)
    session.flush()
    admin_log.account_created(session, user, actor=actor, now=now)
    session.commit()
    return user


def update_user(
    session: Session, user_id: int, data: UserUpdate, *, actor: User, now: datetime | None = None
) -> User:
    user = get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] is None:
        raise Invalid("role cannot be removed")
    if "is_active" in changes and changes["is_active"] is None:
        raise Invalid("is_active must be true or false")
    if user.id == actor.id and (
        changes.get("role", Role.admin) != Role.admin or changes.get("is_active") is False
    ):
        raise Conflict("an admin cannot demote or disable themself", code="self_demotion")
    if "role" in changes:
        _check_link(session, changes["role"], user.distributor_id)
    password = changes.pop("password", None)
    admin_log.account_updated(
        session, user, changes, password_reset=password is not None, actor=actor, now=now
    )
    ends_sessions = (
        password is not None
        or changes.get("role", user.role) != user.role
        or changes.get("is_active", user.is_active) is False
    )
    if password is not None:
        user.hashed_password = hash_password(password)
    user.sqlmodel_update(changes)
    session.add(user)
    if ends_sessions:
        assert user.id is not None
        end_sessions(session, user_id=user.id)
    session.commit()
    return user


def change_password(
    session: Session, user: User, data: PasswordChange, *, now: datetime | None = None
) -> None:
    if not verify_password(data.current_password, user.hashed_password):
        raise Invalid("the current password is wrong")
    user.hashed_password = hash_password(data.new_password)
    admin_log.password_changed(session, user, now=now)
    session.add(user)
    assert user.id is not None
    # Whoever else holds a token (a stolen one included) is logged out; so is the caller.
    end_sessions(session, user_id=user.id)
    session.commit()


def confirm_password(user: User, password: str) -> None:
    """For a change that needs the person, not just their open session (where payouts go):
    `Invalid` unless `password` is the account's."""
    if not verify_password(password, user.hashed_password):
        raise Invalid("the password is wrong", code="wrong_password")


def set_language(session: Session, user: User, language: Language) -> User:
    """The language the person reads the pages in, remembered on their account."""
    user.language = language
    session.add(user)
    session.commit()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def list_users(
    session: Session,
    *,
    offset: int,
    limit: int,
    text: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
) -> tuple[list[User], int]:
    """A page of accounts by id, optionally those whose e-mail or name holds `text` (any
    case), of one role, or only the active (or inactive) ones; with how many match."""
    query = select(User)
    if text and text.strip():
        # Lower-cased on both sides, and as typed too: SQLite's lower() folds ASCII only.
        lowered = f"%{_like_escaped(text.strip().lower())}%"
        typed = f"%{_like_escaped(text.strip())}%"
        name = func.coalesce(col(User.full_name), "")
        query = query.where(
            or_(
                func.lower(col(User.email)).like(lowered, escape="\\"),
                func.lower(name).like(lowered, escape="\\"),
                name.like(typed, escape="\\"),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.is_active == active)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    users = session.exec(query.order_by(col(User.id)).offset(offset).limit(limit)).all()
    return list(users), total


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def seen_as(session: Session, distributor_id: int, *, language: Language) -> tuple[User, str]:
    """The account a partner's office is shown as (an admin's read-only "see as"), and the
    partner's name: their own login, or, when they have none, an account made for rendering
    only (never added to the session, so never saved). `NotFound` for no such distributor."""
    distributor = session.get(Distributor, distributor_id)
    if distributor is None:
        raise NotFound(f"distributor {distributor_id} not found")
    name = f"{distributor.first_name} {distributor.last_name}"
    linked = session.exec(select(User).where(User.distributor_id == distributor_id)).first()
    if linked is not None:
        return linked, name
    unsaved = User(
        email=distributor.email or "",
        full_name=name,
        role=Role.distributor,
        hashed_password="",
        distributor_id=distributor_id,
        language=language,
    )
    return unsaved, name


def _check_link(session: Session, role: Role, distributor_id: int | None) -> None:
    if role == Role.distributor and distributor_id is None:
        raise Invalid("a distributor account needs distributor_id", code="distributor_required")
    if role != Role.distributor and distributor_id is not None:
        raise Invalid(
            "only distributor accounts are linked to a distributor", code="distributor_not_allowed"
        )
    if distributor_id is not None:
        linked = session.get(Distributor, distributor_id)
        if linked is None:
            raise NotFound(f"distributor {distributor_id} not found", code="distributor_not_found")
        if linked.status == DistributorStatus.terminated:
            raise Conflict(
                f"distributor {distributor_id} is terminated and cannot log in",
                code="distributor_terminated",
            )
        taken = session.exec(select(User.id).where(User.distributor_id == distributor_id)).first()
        if taken is not None:
            raise Conflict(
                f"distributor {distributor_id} already has an account",
                code="distributor_has_account",
            )
