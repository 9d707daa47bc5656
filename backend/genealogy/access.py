"""Object-level scope: a distributor sees themself and their downline, nobody else.

Role-level rules (which role may call which endpoint) live in `backend.api.policy`; this module
answers the finer question for a distributor account.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.accounts.models import User
from backend.core.errors import Forbidden, NotFound
from backend.core.model_base import DistributorStatus, Role
from backend.genealogy.models import Distributor, HoldingTankEntry
from backend.genealogy.tree_path import is_within


def own_distributor(session: Session, user: User) -> Distributor:
    if user.distributor_id is None:
        raise Forbidden("this account is not linked to a distributor", code="out_of_scope")
    me = session.get(Distributor, user.distributor_id)
    if me is None:
        raise NotFound(f"distributor {user.distributor_id} not found")
    if me.status == DistributorStatus.terminated:
        # Termination also ends the account's sessions; this holds even for a token that
        # slipped through (issued while the termination was being written).
        raise Forbidden(
            f"distributor {me.id} is terminated: their record is kept for audit only",
            code="distributor_terminated",
        )
    return me


def is_distributor(user: User) -> bool:
    return user.role == Role.distributor


def can_see(session: Session, user: User, target: Distributor) -> bool:
    if not is_distributor(user):
        return True
    me = own_distributor(session, user)
    if me.id == target.id:
        return True
    if me.tree_path is not None and target.tree_path is not None:
        return is_within(target.tree_path, me.tree_path)
    # Not placed yet: visible to the sponsor whose tank holds them.
    entry = session.get(HoldingTankEntry, target.id)
    return entry is not None and entry.sponsor_id == me.id


def ensure_visible(session: Session, user: User, distributor_id: int) -> Distributor:
    target = session.get(Distributor, distributor_id)
    if target is None:
        raise NotFound(f"distributor {distributor_id} not found")
    if not can_see(session, user, target):
        raise Forbidden(
            f"distributor {distributor_id} is not in your downline", code="out_of_scope"
        )
    return target


def ensure_self(session: Session, user: User, distributor_id: int) -> Distributor:
    """For writes a distributor may only make about themself (contact data, wallet)."""
    target = ensure_visible(session, user, distributor_id)
    if is_distributor(user) and user.distributor_id != distributor_id:
        raise Forbidden("distributors may only change their own record", code="out_of_scope")
    return target
