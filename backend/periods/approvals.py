"""Who may take part in approving a period, and who made their accounts what they are.

Maker-checker only helps if the two finance accounts belong to two people. An admin can create
(or reset, or promote) two accounts and close a period alone; the admin log records it, and this
module turns the record into a rule and a disclosure:

- An approval is refused (409 ``account_recently_changed``) while the approving account *or*
  the account that computed the period was created, re-activated, or had its role or password
  changed in the 24 hours before the approval. Both are checked: the attack needs both
  accounts, and a fresh maker is as suspicious as a fresh checker. A user's own password change
  counts too (a taken-over account starts with one). The delay gives the company's real finance
  people a day to notice the new entries in the log before the period can be approved.
- The period's detail and its approval answer carry an ``approval_context``: for the maker and
  the checker, who created the account and who last changed its role and password, and when.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log.models import (
    ACCOUNT_CHANGES,
    AccountChange,
    AccountHistory,
    AdminAction,
    AdminLogEntry,
    ApprovalContext,
)
from backend.core.config import Settings
from backend.core.errors import Conflict
from backend.periods.models import Period, PeriodPublic
from backend.periods.service import to_public

COOLING_OFF = timedelta(hours=24)
_PASSWORD = (AdminAction.password_reset, AdminAction.password_changed)
_DESCRIBED = {
    AdminAction.account_created: "was created",
    AdminAction.role_changed: "had its role changed",
    AdminAction.password_reset: "had its password reset by an admin",
    AdminAction.password_changed: "had its password changed by its owner",
    AdminAction.account_activated: "was re-activated",
}


def check_accounts_settled(session: Session, period: Period, *, actor: User, now: datetime) -> None:
    """Refuse the approval if the checker's or the maker's account changed in the last 24 h."""
    since = now - COOLING_OFF
    for part, user_id in (("approving", actor.id), ("computing", period.computed_by)):
        if user_id is None:
            continue
        change = session.exec(
            select(AdminLogEntry)
            .where(AdminLogEntry.target == f"user:{user_id}")
            .where(col(AdminLogEntry.action).in_([a.value for a in ACCOUNT_CHANGES]))
            .where(col(AdminLogEntry.at) > since)
            .order_by(col(AdminLogEntry.seq).desc())
        ).first()
        if change is None:
            continue
        action = AdminAction(change.action)
        by = "the system" if change.actor_id is None else f"user {change.actor_id}"
        allowed_from = change.at + COOLING_OFF
        raise Conflict(
            f"the {part} account (user {user_id}) {_DESCRIBED[action]} by {by} at "
            f"{change.at.isoformat()} (admin log entry {change.seq}); an account created or "
            "changed in the last 24 hours cannot take part in approving a period; approve "
            f"after {allowed_from.isoformat()}",
            code="account_recently_changed",
            details={
                "user_id": user_id,
                "part": part,
                "action": action.value,
                "changed_at": change.at.isoformat(),
                "changed_by": change.actor_id,
                "admin_log_seq": change.seq,
                "allowed_from": allowed_from.isoformat(),
            },
        )


def account_history(
    session: Session, user_id: int, *, until: datetime | None = None
) -> AccountHistory | None:
    """The account and its logged changes (up to ``until``, when given)."""
    user = session.get(User, user_id)
    if user is None:
        return None
    query = select(AdminLogEntry).where(AdminLogEntry.target == f"user:{user_id}")
    if until is not None:
        query = query.where(col(AdminLogEntry.at) <= until)
    changes = [
        AccountChange(seq=e.seq, action=AdminAction(e.action), at=e.at, by=e.actor_id)
        for e in session.exec(query.order_by(col(AdminLogEntry.seq)))
    ]
    created = next((c for c in changes if c.action == AdminAction.account_created), None)
    return AccountHistory(
        user_id=user_id,
        email=user.email,
        role=user.role,
        created_at=user.created_at,
        created_by=created.by if created is not None else None,
        last_role_change=_last(changes, (AdminAction.role_changed,)),
        last_password_change=_last(changes, _PASSWORD),
        changes=changes,
    )


def _last(changes: list[AccountChange], actions: tuple[AdminAction, ...]) -> AccountChange | None:
    return next((c for c in reversed(changes) if c.action in actions), None)


def approval_context(session: Session, period: Period) -> ApprovalContext | None:
    """Maker and checker as they stood at the approval (or now, before it)."""
    if period.computed_by is None:
        return None
    until = period.approved_at
    return ApprovalContext(
        computed_by=account_history(session, period.computed_by, until=until),
        approved_by=(
            account_history(session, period.approved_by, until=until)
            if period.approved_by is not None
            else None
        ),
    )


def period_public(session: Session, settings: Settings, period: Period) -> PeriodPublic:
    """The period as the API shows it, with its approval context."""
    shown = to_public(period, settings)
    shown.approval_context = approval_context(session, period)
    return shown
