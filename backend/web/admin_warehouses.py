"""The administrator's warehouses: the list, a new one, and each one's name, country and
status, through `backend.stock.service` as the JSON API calls it (the same validation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from backend.core.db import SessionDep
from backend.core.errors import Conflict
from backend.stock import service as stock
from backend.stock.models import Warehouse, WarehouseCreate, WarehouseUpdate
from backend.web.admin_forms import (
    DONE,
    Errors,
    Fields,
    Route,
    Short,
    Text,
    add_routes,
    error,
    redirect_done,
    validation_errors,
)
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.render import PageUser, check_id, render


def warehouses_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    return _warehouses(request, session, notice=DONE.get(done or ""))


def _warehouses(
    request: Request,
    session: SessionDep,
    *,
    status_code: int = 200,
    notice: str | None = None,
    values: Fields | None = None,
    errors: Errors | None = None,
) -> Response:
    items, _total = stock.list_warehouses(session, offset=0, limit=1000)
    return render(
        request,
        "admin_warehouses.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        items=items,
        notice=notice,
        values=values or {"active": "on"},
        errors=errors or {},
    )


def _country(text: str) -> str | None:
    return text.strip().upper() or None


def _address(text: str) -> str | None:
    return " ".join(text.split()) or None


def add_warehouse(
    request: Request,
    session: SessionDep,
    user: PageUser,
    code: Short = "",
    name: Text = "",
    country: Short = "",
    address: Text = "",
    active: Short = "",
) -> Response:
    values = {"code": code, "name": name, "country": country, "address": address}
    values["active"] = active
    errors: Errors = {}
    try:
        data = WarehouseCreate(
            code=code.strip(),
            name=name,
            country=_country(country),
            address=_address(address),
            active=bool(active),
        )
    except ValidationError as invalid:
        errors = validation_errors(invalid)
    if not errors:
        try:
            stock.create_warehouse(session, data)
        except Conflict:
            session.rollback()
            errors = {"code": error("code_taken")}
    if errors:
        return _warehouses(request, session, status_code=422, values=values, errors=errors)
    return redirect_done("/admin/warehouses", "warehouse_added")


def warehouse_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    warehouse_id: int,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    check_id(warehouse_id, "warehouse")
    house = stock.get_warehouse(session, warehouse_id)
    values = {
        "name": house.name,
        "country": house.country or "",
        "address": house.address or "",
        "active": "on" if house.active else "",
    }
    return _warehouse(request, house, values, notice=DONE.get(done or ""))


def _warehouse(
    request: Request,
    house: Warehouse,
    values: Fields,
    *,
    status_code: int = 200,
    errors: Errors | None = None,
    notice: str | None = None,
) -> Response:
    return render(
        request,
        "admin_warehouses_edit.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        house=house,
        values=values,
        errors=errors or {},
        notice=notice,
    )


def save_warehouse(
    request: Request,
    session: SessionDep,
    user: PageUser,
    warehouse_id: int,
    name: Text = "",
    country: Short = "",
    address: Text = "",
    active: Short = "",
) -> Response:
    check_id(warehouse_id, "warehouse")
    house = stock.get_warehouse(session, warehouse_id)
    values = {"name": name, "country": country, "address": address, "active": active}
    errors: Errors = {}
    try:
        data = WarehouseUpdate(
            name=name, country=_country(country), address=_address(address), active=bool(active)
        )
    except ValidationError as invalid:
        errors = validation_errors(invalid)
    if not errors:
        stock.update_warehouse(session, warehouse_id, data)
        return redirect_done(f"/admin/warehouses/{warehouse_id}", "warehouse_saved")
    return _warehouse(request, house, values, status_code=422, errors=errors)


def add_admin_warehouse_pages(router: APIRouter) -> None:
    pages: list[Route] = [
        ("/admin/warehouses", warehouses_page),
        ("/admin/warehouses/{warehouse_id}", warehouse_page),
    ]
    forms: list[Route] = [
        ("/admin/warehouses", add_warehouse),
        ("/admin/warehouses/{warehouse_id}", save_warehouse),
    ]
    add_routes(router, pages=pages, forms=forms)
