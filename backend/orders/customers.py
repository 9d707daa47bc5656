"""Retail customers: people a distributor sells to; their orders count in the seller's PV."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.errors import Forbidden, Invalid, NotFound
from backend.core.model_base import now_utc
from backend.genealogy.access import is_distributor, own_distributor
from backend.genealogy.models import Distributor
from backend.orders.models import RetailCustomer, RetailCustomerCreate
from backend.training import service as training
from backend.training.models import Task


def create_customer(
    session: Session,
    data: RetailCustomerCreate,
    *,
    actor: User,
    now: datetime | None = None,
) -> RetailCustomer:
    if is_distributor(actor):
        own_id = own_distributor(session, actor).id
        if data.distributor_id not in (None, own_id):
            raise Forbidden(
                "retail customers are added by their own distributor", code="out_of_scope"
            )
        owner_id = own_id
    else:
        if data.distributor_id is None:
            raise Invalid("distributor_id is required")
        owner_id = data.distributor_id
    if session.get(Distributor, owner_id) is None:
        raise NotFound(f"distributor {owner_id} not found")
    customer = RetailCustomer.model_validate(data, update={"distributor_id": owner_id})
    session.add(customer)
    assert owner_id is not None
    training.record_fact(session, owner_id, Task.first_retail_customer, now=now or now_utc())
    session.commit()
    return customer


def get_customer(session: Session, customer_id: int, *, actor: User) -> RetailCustomer:
    customer = session.get(RetailCustomer, customer_id)
    if customer is None:
        raise NotFound(f"retail customer {customer_id} not found")
    if is_distributor(actor) and customer.distributor_id != own_distributor(session, actor).id:
        raise Forbidden("not your customer", code="out_of_scope")
    return customer


def list_customers(
    session: Session, *, actor: User, offset: int, limit: int
) -> tuple[list[RetailCustomer], int]:
    query = select(RetailCustomer)
    if is_distributor(actor):
        query = query.where(RetailCustomer.distributor_id == own_distributor(session, actor).id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(col(RetailCustomer.id)).offset(offset).limit(limit))
    return list(items), total
