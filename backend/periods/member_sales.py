"""The period's counted sales summed per buyer and currency (`PeriodMemberSales`), written by
the compute beside the period's other summaries, so a team's, a member's, a leg's and a
region's sales read a buyer's few rows, not every line of the package. Counted from the
inputs the engine ran on (``inputs/orders.tbl``): own and retail lines as `PeriodSalesSummary`
counts them, each charged at its retail price when a customer bought it, else at its wholesale
price; fee lines apart (``fees``, at their price), for the compliance flags."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.core.config import Settings
from backend.periods.models import Period, PeriodMemberSales
from backend.periods.review import package_file
from ledger.inputs import KIND_FEE, KIND_OWN, KIND_RETAIL, Orders
from ledger.package import read_package_table

INSERT_CHUNK = 20_000
ORDERS = "inputs/orders.tbl"


def member_rows(period_id: int, orders: Orders) -> list[dict[str, Any]]:
    """One row per (buyer, currency) with product sales or fees, by buyer then currency."""
    counted = (orders.kind == KIND_OWN) | (orders.kind == KIND_RETAIL) | (orders.kind == KIND_FEE)
    kind = orders.kind[counted]
    retail, fee = kind == KIND_RETAIL, kind == KIND_FEE
    buyer = orders.distributor[counted]
    currency = orders.currency[counted]
    # A retail line at its retail price, an own line (and a fee) at its wholesale price.
    price = np.where(retail, orders.retail_price[counted], orders.wholesale_price[counted])
    charged = np.where(fee, 0, price)
    pv = orders.pv[counted]
    if buyer.shape[0] == 0:
        return []
    keys = np.stack([buyer, currency], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)

    def summed(values: Any) -> list[int]:
        out = np.zeros(unique.shape[0], dtype=np.int64)
        np.add.at(out, inverse, values.astype(np.int64))
        return [int(v) for v in out.tolist()]

    lines = summed(np.where(fee, 0, 1))
    charged_sum, retail_sum = summed(charged), summed(np.where(retail, charged, 0))
    pv_sum, fees = summed(np.where(fee, 0, pv)), summed(np.where(fee, price, 0))
    return [
        {
            "period_id": period_id,
            "distributor_id": int(who),
            "currency": int(code),
            "lines": lines[n],
            "charged": charged_sum[n],
            "retail": retail_sum[n],
            "pv": pv_sum[n],
            "fees": fees[n],
        }
        for n, (who, code) in enumerate(unique.tolist())
    ]


def store_member_sales(session: Session, period_id: int, orders: Orders) -> None:
    """Insert the period's rows (the caller deleted the old ones and commits)."""
    rows = member_rows(period_id, orders)
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(PeriodMemberSales), rows[start : start + INSERT_CHUNK])


def has_member_sales(session: Session, period_id: int) -> bool:
    found = session.exec(
        select(PeriodMemberSales.period_id).where(PeriodMemberSales.period_id == period_id).limit(1)
    ).first()
    return found is not None


def ensure_member_sales(session: Session, settings: Settings, period: Period) -> None:
    """A period computed before the summary existed gets it from its package's counted lines
    (the same inputs the compute counts), once, in its own write unit; a concurrent reader's
    or compute's rows written first are kept."""
    if period.id is None or period.manifest is None or has_member_sales(session, period.id):
        return
    columns = read_package_table(package_file(settings, period, ORDERS), file=ORDERS)
    orders = Orders.from_columns(
        **{name: columns[name] for name in Orders.__dataclass_fields__ if name in columns}
    )
    rows = member_rows(period.id, orders)
    if not rows:
        return
    with Session(session.get_bind()) as writer:
        try:
            for start in range(0, len(rows), INSERT_CHUNK):
                writer.execute(insert(PeriodMemberSales), rows[start : start + INSERT_CHUNK])
            writer.commit()
        except IntegrityError:  # written meanwhile: those rows count the same lines
            writer.rollback()
