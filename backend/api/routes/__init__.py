"""One router per resource; `api_router` assembles them."""

from fastapi import APIRouter
from fastapi.routing import APIRoute

from backend.api.policy import POLICY, describe
from backend.api.routes import (
    admin_log,
    audit,
    auth,
    catalog,
    distributors,
    health,
    orders,
    periods,
    users,
    warehouses,
)


def _document_roles(router: APIRouter) -> None:
    """Write each route's policy into its OpenAPI description, so the docs cannot drift."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                rule = POLICY.get((method, route.path))
                if rule is not None:
                    route.description = f"{route.description or ''}\n\n{describe(rule)}".strip()


api_router = APIRouter()
for module in (
    health,
    auth,
    users,
    distributors,
    catalog,
    warehouses,
    orders,
    periods,
    audit,
    admin_log,
):
    _document_roles(module.router)
    api_router.include_router(module.router)
