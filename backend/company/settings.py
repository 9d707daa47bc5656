"""Company settings an admin changes at run time: the placement strategy, the holding tank's
days and the default sponsor. Each is the environment's value (or the default) until an admin
changes it; the change is a row of `company_setting` and an entry of the admin log (old and
new value). `effective` is what every entry point works with, so the API, the pages and the
worker agree on the settings of the moment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, get_args

from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.company.models import EDITABLE, CompanySetting
from backend.core.config import PlacementStrategyName, Settings
from backend.core.db import begin_write
from backend.core.errors import Invalid
from backend.core.model_base import DistributorStatus, now_utc
from backend.core.types import MAX_ID
from backend.genealogy.models import Distributor

STRATEGIES: tuple[str, ...] = get_args(PlacementStrategyName)
#: Beyond the environment's bound (0 or more): a hold longer than a year is a typo.
MAX_HOLDING_TANK_DAYS = 365


class Source(StrEnum):
    default = "default"
    environment = "environment"
    changed = "changed"


@dataclass(frozen=True)
class SettingState:
    """One setting as the settings page shows it: its value and where the value comes from."""

    name: str
    value: Any
    source: Source
    changed_by: str | None = None  # the admin's e-mail, when an admin changed it
    changed_at: datetime | None = None


def _overrides(session: Session) -> list[CompanySetting]:
    return list(session.exec(select(CompanySetting).order_by(col(CompanySetting.name))))


def effective(session: Session, settings: Settings) -> Settings:
    """`settings` (from the environment) with the admins' changes applied."""
    rows = _overrides(session)
    if not rows:
        return settings
    return settings.model_copy(update={row.name: json.loads(row.value) for row in rows})


def states(session: Session, settings: Settings) -> list[SettingState]:
    """Every editable setting, in `EDITABLE` order, with its source."""
    rows = {row.name: row for row in _overrides(session)}
    emails = admin_log.actor_emails(session, (row.changed_by for row in rows.values()))
    shown: list[SettingState] = []
    for name in EDITABLE:
        row = rows.get(name)
        if row is not None:
            by = emails.get(row.changed_by) if row.changed_by is not None else None
            value = json.loads(row.value)
            shown.append(SettingState(name, value, Source.changed, by, row.changed_at))
        else:
            source = Source.environment if name in settings.model_fields_set else Source.default
            shown.append(SettingState(name, getattr(settings, name), source))
    return shown


def validated(session: Session, name: str, raw: str) -> Any:
    """The value `raw` (as typed in a form) means for setting `name`, or `Invalid` with a code
    the pages translate: `unknown_setting`, `unknown_strategy`, `days_out_of_range`,
    `not_a_number`, `sponsor_not_found`, `sponsor_not_active`."""
    text = raw.strip()
    if name == "placement_strategy":
        if text not in STRATEGIES:
            raise Invalid(f"unknown placement strategy {text!r}", code="unknown_strategy")
        return text
    if name not in ("holding_tank_days", "default_sponsor_id"):
        raise Invalid(f"{name!r} is not a setting an admin may change", code="unknown_setting")
    try:
        number = int(text)
    except ValueError:
        raise Invalid(f"{name} must be a whole number", code="not_a_number") from None
    if name == "holding_tank_days":
        # The environment's own bounds, then the sanity ceiling.
        bounds = Settings.model_fields[name].metadata
        try:
            TypeAdapter(Annotated[int, *bounds]).validate_python(number)
        except ValidationError:
            raise Invalid("holding_tank_days is out of range", code="days_out_of_range") from None
        if number > MAX_HOLDING_TANK_DAYS:
            raise Invalid(
                f"holding_tank_days is at most {MAX_HOLDING_TANK_DAYS}", code="days_out_of_range"
            )
        return number
    sponsor = session.get(Distributor, number) if 0 < number <= MAX_ID else None
    if sponsor is None:
        raise Invalid(f"distributor {number} not found", code="sponsor_not_found")
    if sponsor.status != DistributorStatus.active:
        raise Invalid(f"distributor {number} is {sponsor.status}", code="sponsor_not_active")
    return number


def change(
    session: Session,
    settings: Settings,
    name: str,
    raw: str,
    *,
    actor: User,
    now: datetime | None = None,
) -> bool:
    """Set `name` to the value `raw` means (validated), logging old and new value; False
    (nothing written) when it already has that value."""
    value = validated(session, name, raw)
    begin_write(session)
    old = getattr(effective(session, settings), name)
    if old == value:
        session.rollback()
        return False
    at = now or now_utc()
    row = session.get(CompanySetting, name)
    if row is None:
        row = CompanySetting(name=name, value="", changed_at=at)
    row.value, row.changed_by, row.changed_at = json.dumps(value), actor.id, at
    session.add(row)
    admin_log.setting_changed(session, name, old, value, actor=actor, now=at)
    session.commit()
    return True
