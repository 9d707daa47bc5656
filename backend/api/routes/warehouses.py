"""Warehouses, the stock movement journal, levels and low-stock alerts."""

from fastapi import APIRouter, status

from backend.api.deps import (
    Authorized,
    CurrentUser,
    IdPath,
    Limit,
    Offset,
    OptionalId,
    SettingsDep,
)
from backend.core.db import SessionDep
from backend.core.errors import ERROR_RESPONSES
from backend.core.model_base import MovementKind
from backend.stock import service as stock
from backend.stock.models import (
    AdjustmentIn,
    ReceiptIn,
    ReservationIn,
    ShipmentIn,
    StockLevel,
    StockLevels,
    StockMovementPublic,
    StockMovementsPublic,
    ThresholdIn,
    TransferIn,
    WarehouseCreate,
    WarehousePublic,
    WarehousesPublic,
    WarehouseUpdate,
)

router = APIRouter(tags=["stock"], dependencies=[Authorized], responses=ERROR_RESPONSES)
CREATED = status.HTTP_201_CREATED


@router.get("/api/warehouses", response_model=WarehousesPublic, summary="List warehouses")
def list_warehouses(session: SessionDep, offset: Offset = 0, limit: Limit = 50) -> WarehousesPublic:
    items, count = stock.list_warehouses(session, offset=offset, limit=limit)
    return WarehousesPublic(items=[WarehousePublic.model_validate(w) for w in items], count=count)


@router.post(
    "/api/warehouses",
    response_model=WarehousePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Add a warehouse",
)
def create_warehouse(session: SessionDep, data: WarehouseCreate) -> WarehousePublic:
    return WarehousePublic.model_validate(stock.create_warehouse(session, data))


@router.get(
    "/api/warehouses/{warehouse_id}", response_model=WarehousePublic, summary="One warehouse"
)
def read_warehouse(session: SessionDep, warehouse_id: IdPath) -> WarehousePublic:
    return WarehousePublic.model_validate(stock.get_warehouse(session, warehouse_id))


@router.patch(
    "/api/warehouses/{warehouse_id}", response_model=WarehousePublic, summary="Change a warehouse"
)
def update_warehouse(
    session: SessionDep, warehouse_id: IdPath, data: WarehouseUpdate
) -> WarehousePublic:
    return WarehousePublic.model_validate(stock.update_warehouse(session, warehouse_id, data))


@router.get(
    "/api/warehouses/{warehouse_id}/stock",
    response_model=StockLevels,
    summary="Levels per product, summed from the journal",
)
def read_stock(session: SessionDep, warehouse_id: IdPath) -> StockLevels:
    stock.get_warehouse(session, warehouse_id)
    items = stock.level_rows(session, warehouse_id=warehouse_id)
    return StockLevels(items=items, count=len(items))


@router.get(
    "/api/warehouses/{warehouse_id}/movements",
    response_model=StockMovementsPublic,
    summary="The movement journal, oldest first",
)
def read_movements(
    session: SessionDep,
    warehouse_id: IdPath,
    offset: Offset = 0,
    limit: Limit = 50,
    product_id: OptionalId = None,
) -> StockMovementsPublic:
    items, count = stock.movements(
        session, warehouse_id=warehouse_id, product_id=product_id, offset=offset, limit=limit
    )
    return StockMovementsPublic(
        items=[StockMovementPublic.model_validate(m) for m in items], count=count
    )


@router.post(
    "/api/warehouses/{warehouse_id}/receipts",
    summary="Goods in",
    status_code=CREATED,
    response_model=StockMovementPublic,
)
def receive(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    warehouse_id: IdPath,
    data: ReceiptIn,
) -> StockMovementPublic:
    return _record(session, user, settings, warehouse_id, data, MovementKind.receipt)


@router.post(
    "/api/warehouses/{warehouse_id}/shipments",
    summary="Goods out (not for an order)",
    status_code=CREATED,
    response_model=StockMovementPublic,
)
def ship(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    warehouse_id: IdPath,
    data: ShipmentIn,
) -> StockMovementPublic:
    return _record(session, user, settings, warehouse_id, data, MovementKind.shipment)


@router.post(
    "/api/warehouses/{warehouse_id}/adjustments",
    summary="Stock-take correction, with a reason",
    status_code=CREATED,
    response_model=StockMovementPublic,
)
def adjust(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    warehouse_id: IdPath,
    data: AdjustmentIn,
) -> StockMovementPublic:
    movement = stock.record(
        session,
        warehouse_id=warehouse_id,
        product_id=data.product_id,
        kind=MovementKind.adjustment,
        quantity=abs(data.delta),
        adjustment=data.delta,
        reason=data.reason,
        actor_id=user.id,
        default_threshold=settings.low_stock_default,
    )
    return StockMovementPublic.model_validate(movement)


@router.post(
    "/api/warehouses/{warehouse_id}/transfers",
    status_code=status.HTTP_201_CREATED,
    response_model=list[StockMovementPublic],
    summary="Move stock to another warehouse",
)
def transfer(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    warehouse_id: IdPath,
    data: TransferIn,
) -> list[StockMovementPublic]:
    assert user.id is not None
    moved = stock.transfer(
        session,
        from_id=warehouse_id,
        to_id=data.to_warehouse_id,
        product_id=data.product_id,
        quantity=data.quantity,
        reason=data.reason,
        actor_id=user.id,
        default_threshold=settings.low_stock_default,
    )
    return [StockMovementPublic.model_validate(m) for m in moved]


@router.post(
    "/api/warehouses/{warehouse_id}/reservations",
    summary="Hold stock (outside an order)",
    status_code=CREATED,
    response_model=StockMovementPublic,
)
def reserve(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    warehouse_id: IdPath,
    data: ReservationIn,
) -> StockMovementPublic:
    return _record(session, user, settings, warehouse_id, data, MovementKind.reservation)


@router.post(
    "/api/warehouses/{warehouse_id}/releases",
    summary="Release held stock",
    status_code=CREATED,
    response_model=StockMovementPublic,
)
def release(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    warehouse_id: IdPath,
    data: ReservationIn,
) -> StockMovementPublic:
    return _record(session, user, settings, warehouse_id, data, MovementKind.release)


@router.put(
    "/api/warehouses/{warehouse_id}/thresholds/{product_id}",
    response_model=StockLevel,
    summary="Set the low-stock threshold of a product in a warehouse",
)
def set_threshold(
    session: SessionDep, warehouse_id: IdPath, product_id: IdPath, data: ThresholdIn
) -> StockLevel:
    return stock.set_threshold(session, warehouse_id, product_id, data.low_stock_threshold)


@router.get(
    "/api/stock/low",
    response_model=StockLevels,
    summary="Everything whose available stock is under its threshold",
)
def low_stock(session: SessionDep, warehouse_id: OptionalId = None) -> StockLevels:
    items = stock.level_rows(session, warehouse_id=warehouse_id, low_only=True)
    return StockLevels(items=items, count=len(items))


def _record(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    warehouse_id: int,
    data: ReceiptIn | ShipmentIn | ReservationIn,
    kind: MovementKind,
) -> StockMovementPublic:
    """One journal movement of `kind` for the routes that only differ by it."""
    movement = stock.record(
        session,
        warehouse_id=warehouse_id,
        product_id=data.product_id,
        kind=kind,
        quantity=data.quantity,
        reason=data.reason,
        actor_id=user.id,
        default_threshold=settings.low_stock_default,
    )
    return StockMovementPublic.model_validate(movement)
