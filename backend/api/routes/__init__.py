"""One router per resource; `api_router` assembles them."""

from fastapi import APIRouter
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute

from backend.api.policy import POLICY, describe
from backend.api.routes import (
    admin_log,
    agreements,
    audit,
    auth,
    bank_payouts,
    cards,
    catalog,
    distributors,
    documents,
    health,
    orders,
    payees,
    periods,
    rates,
    reports,
    users,
    vat,
    warehouses,
)
from backend.core.errors import REQUEST_LIMIT_RESPONSES, VALIDATION_RESPONSE


def _document_roles(router: APIRouter) -> None:
    """Write each route's policy into its OpenAPI description, so the docs cannot drift."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                rule = POLICY.get((method, route.path))
                if rule is not None:
                    route.description = f"{route.description or ''}\n\n{describe(rule)}".strip()


def _document_errors(router: APIRouter) -> None:
    """Every route documents the request-limit answers, and a 422 in the error shape wherever
    it takes input (FastAPI's default 422 has another shape), in this one place."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            takes_input = bool(get_flat_params(route.dependant) or route.body_field)
            common = REQUEST_LIMIT_RESPONSES | (VALIDATION_RESPONSE if takes_input else {})
            route.responses = common | route.responses


api_router = APIRouter()
for module in (
    health,
    auth,
    users,
    distributors,
    catalog,
    vat,
    warehouses,
    orders,
    periods,
    rates,
    audit,
    admin_log,
    cards,
    payees,
    bank_payouts,
    documents,
    agreements,
    reports,
):
    _document_roles(module.router)
    _document_errors(module.router)
    api_router.include_router(module.router)
