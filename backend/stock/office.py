"""What the warehouse office reads: a warehouse's stock with product names and low rows, the
low-stock list across warehouses, and the movement journal filtered and paged by id (keyset:
a page is "movements older than id N", so paging stays cheap and stable while new movements
arrive), or streamed whole for a CSV export.

Levels come from `service.level_rows`, the same sums the API answers with, so the office and
`GET /api/warehouses/{id}/stock` never disagree. Dates of the journal filter are UTC calendar
days, as an order's day is (`backend.vat.service.order_day`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from backend.catalog.models import Product
from backend.core.model_base import MovementKind
from backend.stock import service as stock
from backend.stock.models import StockLevel, StockMovement, Warehouse

EXPORT_CHUNK = 500


@dataclass(frozen=True)
class StockRow:
    level: StockLevel
    product: Product
    warehouse: Warehouse

    @property
    def low(self) -> bool:
        """Available under the threshold: the rule of `GET /api/stock/low`."""
        return self.level.available < self.level.low_stock_threshold


def warehouses(session: Session) -> list[Warehouse]:
    """Every warehouse, the active ones first (then by id)."""
    houses = session.exec(select(Warehouse).order_by(col(Warehouse.id)))
    return sorted(houses, key=lambda house: not house.active)


def chosen_warehouse(houses: list[Warehouse], wanted: int | None) -> Warehouse | None:
    """The warehouse asked for, else the first active one (else the first there is)."""
    for house in houses:
        if house.id == wanted:
            return house
    return houses[0] if houses else None


def products(session: Session) -> list[Product]:
    """The products a movement may name, by SKU."""
    return list(session.exec(select(Product).order_by(col(Product.sku))))


def stock_of(session: Session, warehouse: Warehouse) -> list[StockRow]:
    assert warehouse.id is not None
    return _rows(session, stock.level_rows(session, warehouse_id=warehouse.id), [warehouse])


def low_stock(session: Session, houses: list[Warehouse]) -> list[StockRow]:
    """Across warehouses, every (warehouse, product) whose available stock is under its
    threshold."""
    return _rows(session, stock.level_rows(session, low_only=True), houses)


def _rows(session: Session, levels: list[StockLevel], houses: list[Warehouse]) -> list[StockRow]:
    ids = {level.product_id for level in levels}
    named = {p.id: p for p in session.exec(select(Product).where(col(Product.id).in_(ids)))}
    by_id = {house.id: house for house in houses}
    return [
        StockRow(level, named[level.product_id], by_id[level.warehouse_id])
        for level in levels
        if level.warehouse_id in by_id
    ]


@dataclass(frozen=True)
class JournalFilter:
    warehouse_id: int | None = None
    product_id: int | None = None
    kind: MovementKind | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive


@dataclass(frozen=True)
class JournalPage:
    items: list[StockMovement]
    older: int | None  # the `before` of the next (older) page, None at the oldest


def _filtered(filters: JournalFilter) -> SelectOfScalar[StockMovement]:
    query = select(StockMovement)
    if filters.warehouse_id is not None:
        query = query.where(StockMovement.warehouse_id == filters.warehouse_id)
    if filters.product_id is not None:
        query = query.where(StockMovement.product_id == filters.product_id)
    if filters.kind is not None:
        query = query.where(StockMovement.kind == filters.kind)
    if filters.date_from is not None:
        start = datetime.combine(filters.date_from, time(), tzinfo=UTC)
        query = query.where(col(StockMovement.created_at) >= start)
    if filters.date_to is not None:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), tzinfo=UTC)
        query = query.where(col(StockMovement.created_at) < end)
    return query


def journal(
    session: Session, filters: JournalFilter, *, before: int | None, limit: int
) -> JournalPage:
    """The newest `limit` movements matching `filters` with an id below `before`."""
    query = _filtered(filters)
    if before is not None:
        query = query.where(col(StockMovement.id) < before)
    rows = list(session.exec(query.order_by(col(StockMovement.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    items = rows[:limit]
    return JournalPage(items, items[-1].id if more and items else None)


def journal_export(session: Session, filters: JournalFilter) -> Iterator[StockMovement]:
    """Every movement matching `filters`, oldest first, read in chunks (a long journal is
    never held in memory at once)."""
    after = 0
    while True:
        query = _filtered(filters).where(col(StockMovement.id) > after)
        chunk = list(session.exec(query.order_by(col(StockMovement.id)).limit(EXPORT_CHUNK)))
        yield from chunk
        if len(chunk) < EXPORT_CHUNK:
            return
        after = chunk[-1].id or after
