"""VAT rates (dated data) and the VAT split of an order line.

Prices are VAT-inclusive. A line's gross is its unit price times quantity; with the rate ``r``
in basis points in force for the line's category, in the seller's country, on the ORDER's date
(the UTC calendar date of ``created_at``, the same day boundary the periods use):

    vat   = round_half_up(gross * r / (10000 + r))
    net   = gross - vat

computed per line in minor units (kopecks), the usual Russian rounding of VAT to kopecks per
line, so a document prints each line's figures as stored and its totals are the sums of those.
The "exempt" category (a seller on the simplified system) has rate 0: vat 0, net = gross, and
documents print "Без НДС" rather than "0 %". A seller configured as exempt
(``Settings.vat_exempt``) puts every line in that category. No rate in force for a category on
the date: the order is refused (422, naming country, category and date), never priced at a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, or_, text
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.core.db import begin_write
from backend.core.errors import Conflict, Invalid
from backend.core.model_base import VatCategory
from backend.vat.models import VatRate, VatRateCreate

BP = 10_000


@dataclass(frozen=True)
class VatSplit:
    category: VatCategory
    rate_bp: int
    net: int
    vat: int
    gross: int


def split(gross: int, category: VatCategory, rate_bp: int) -> VatSplit:
    """The VAT inside a VAT-inclusive gross, rounded half up to the minor unit."""
    if gross < 0 or rate_bp < 0:
        raise ValueError("gross and rate must not be negative")
    denominator = BP + rate_bp
    vat = (2 * gross * rate_bp + denominator) // (2 * denominator)
    return VatSplit(category=category, rate_bp=rate_bp, net=gross - vat, vat=vat, gross=gross)


def rate_in_force(session: Session, country: str, category: VatCategory, day: date) -> int:
    """The rate in basis points for ``country`` and ``category`` on ``day``."""
    category = VatCategory(category)
    rate = session.exec(
        select(VatRate.rate_bp).where(
            VatRate.country == country,
            VatRate.category == category,
            VatRate.valid_from <= day,
            or_(col(VatRate.valid_to).is_(None), col(VatRate.valid_to) >= day),
        )
    ).first()
    if rate is None:
        raise Invalid(
            f"no VAT rate in force for {country}, category {category.value}, "
            f"on {day.isoformat()}; finance adds one at /api/vat-rates",
            code="vat_rate_missing",
            details={"country": country, "category": category.value, "date": day.isoformat()},
        )
    return rate


def order_day(created_at: datetime) -> date:
    """The date whose VAT rates an order uses: the UTC calendar date it was placed."""
    return created_at.astimezone(UTC).date()


def list_rates(
    session: Session, *, country: str | None, offset: int, limit: int
) -> tuple[list[VatRate], int]:
    query = select(VatRate)
    if country is not None:
        query = query.where(VatRate.country == country)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(VatRate.country), col(VatRate.category), col(VatRate.valid_from))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def add_rate(
    session: Session,
    data: VatRateCreate,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> VatRate:
    """A new dated rate; its validity must not overlap another of the same country and
    category (409), so that exactly one rate is in force on any day."""
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        # Two overlapping additions at once would each find no overlap: queue them.
        session.execute(text("LOCK TABLE vat_rate IN SHARE ROW EXCLUSIVE MODE"))
    query = select(VatRate).where(
        VatRate.country == data.country,
        VatRate.category == data.category,
        or_(col(VatRate.valid_to).is_(None), col(VatRate.valid_to) >= data.valid_from),
    )
    if data.valid_to is not None:
        query = query.where(VatRate.valid_from <= data.valid_to)
    clash = session.exec(query.order_by(col(VatRate.valid_from))).first()
    if clash is not None:
        until = clash.valid_to.isoformat() if clash.valid_to else "open-ended"
        raise Conflict(
            f"{data.country} {data.category.value} already has a rate from "
            f"{clash.valid_from.isoformat()} to {until}, overlapping the new one; "
            "one rate is in force per day",
            code="vat_rate_overlap",
            details={"existing_id": clash.id},
        )
    rate = VatRate.model_validate(data)
    session.add(rate)
    session.flush()
    admin_log.vat_rate_added(session, rate, actor=actor, now=now)
    session.commit()
    return rate
