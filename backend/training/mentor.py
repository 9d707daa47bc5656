"""What a partner's mentor step shows them: who their sponsor is (the person who will confirm
it) and, once confirmed, who confirmed it, when and with which comment (from the event log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.genealogy.models import Distributor
from backend.training.models import EventKind, TrainingCourse, TrainingEvent

__all__ = ["MentorStatus", "mentor_status"]


@dataclass(frozen=True)
class MentorStatus:
    sponsor_name: str | None  # None: the person has no sponsor (the company's root)
    confirmed_by: str | None  # the confirming person's name (a sponsor's or an admin's)
    comment: str | None
    confirmed_at: datetime | None


def _name(person: Distributor | None) -> str | None:
    return f"{person.first_name} {person.last_name}" if person is not None else None


def _actor_name(session: Session, actor_id: int | None) -> str | None:
    actor = session.get(User, actor_id) if actor_id is not None else None
    if actor is None:
        return None
    if actor.distributor_id is not None:
        named = _name(session.get(Distributor, actor.distributor_id))
        if named:
            return named
    return actor.full_name or actor.email


def mentor_status(session: Session, distributor_id: int, slug: str, step_id: str) -> MentorStatus:
    person = session.get(Distributor, distributor_id)
    sponsor = (
        session.get(Distributor, person.sponsor_id)
        if person is not None and person.sponsor_id is not None
        else None
    )
    confirmed = session.exec(
        select(TrainingEvent)
        .join(TrainingCourse, col(TrainingCourse.id) == TrainingEvent.course_id)
        .where(
            TrainingCourse.slug == slug,
            TrainingEvent.distributor_id == distributor_id,
            TrainingEvent.step_id == step_id,
            TrainingEvent.kind == EventKind.confirmed,
        )
        .order_by(col(TrainingEvent.id).desc())
    ).first()
    if confirmed is None:
        return MentorStatus(_name(sponsor), None, None, None)
    return MentorStatus(
        _name(sponsor), _actor_name(session, confirmed.actor_id), confirmed.comment, confirmed.at
    )
