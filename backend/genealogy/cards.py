"""A distributor's record as a person reads it: who they are, who brought them, where they sit.

One read for the web pages, scoped like every other read (`access.ensure_visible`): a
distributor sees themself and their downline, staff see everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from backend.accounts.models import User
from backend.genealogy import access
from backend.genealogy.models import Distributor, Placement


@dataclass(frozen=True)
class DistributorCard:
    distributor: Distributor
    sponsor: Distributor | None
    placement: Placement | None  # None while the distributor waits in the holding tank
    parent: Distributor | None


def card_of(session: Session, user: User, distributor_id: int) -> DistributorCard:
    target = access.ensure_visible(session, user, distributor_id)
    placement = session.get(Placement, distributor_id)
    sponsor = session.get(Distributor, target.sponsor_id) if target.sponsor_id else None
    parent = (
        session.get(Distributor, placement.parent_id)
        if placement is not None and placement.parent_id is not None
        else None
    )
    return DistributorCard(target, sponsor, placement, parent)
