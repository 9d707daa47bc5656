"""The role policy: which roles may call which endpoint. One table, checked on every request.

Every route of the app must appear here (a test walks the route table and fails on a route
without an entry; at run time a route without an entry is refused to everyone). Object-level
scope — a distributor sees only themself and their downline, their own orders and customers —
is enforced by the services on top of this table (`backend.genealogy.access`).

The auditor reads everything and writes nothing: no method other than GET lists it.
"""

from __future__ import annotations

from backend.core.model_base import Role

PUBLIC = "public"
AUTHENTICATED = "authenticated"

A, F, U, W, D = Role.admin, Role.finance, Role.auditor, Role.warehouse, Role.distributor
EVERY_ROLE = frozenset(Role)

Rule = str | frozenset[Role]


def roles(*members: Role) -> frozenset[Role]:
    return frozenset(members)


POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/api/chain"): PUBLIC,
    ("POST", "/api/auth/token"): PUBLIC,
    ("POST", "/api/auth/logout"): AUTHENTICATED,
    # accounts
    ("GET", "/api/users/me"): AUTHENTICATED,
    ("POST", "/api/users/me/password"): AUTHENTICATED,
    ("GET", "/api/users"): roles(A, U),
    ("POST", "/api/users"): roles(A),
    ("GET", "/api/users/{user_id}"): roles(A, U),
    ("PATCH", "/api/users/{user_id}"): roles(A),
    # distributors and genealogy
    ("GET", "/api/distributors"): roles(A, F, U, D),
    ("POST", "/api/distributors"): roles(A, D),
    ("POST", "/api/distributors/batch"): roles(A),
    ("GET", "/api/distributors/{distributor_id}"): roles(A, F, U, D),
    ("PATCH", "/api/distributors/{distributor_id}"): roles(A, D),
    ("POST", "/api/distributors/{distributor_id}/status"): roles(A),
    ("GET", "/api/distributors/{distributor_id}/status-history"): roles(A, F, U, D),
    ("GET", "/api/distributors/{distributor_id}/downline"): roles(A, F, U, D),
    ("GET", "/api/holding-tank"): roles(A, U, D),
    ("POST", "/api/holding-tank/{distributor_id}/placement"): roles(A, D),
    ("POST", "/api/holding-tank/expired-placements"): roles(A),
    ("GET", "/api/chain/intents"): roles(A, F, U),
    # catalog
    ("GET", "/api/products"): EVERY_ROLE,
    ("POST", "/api/products"): roles(A),
    ("GET", "/api/products/{product_id}"): EVERY_ROLE,
    ("PATCH", "/api/products/{product_id}"): roles(A),
    ("GET", "/api/price-lists"): EVERY_ROLE,
    ("POST", "/api/price-lists"): roles(A),
    ("GET", "/api/price-lists/{price_list_id}"): EVERY_ROLE,
    ("PATCH", "/api/price-lists/{price_list_id}"): roles(A),
    ("PUT", "/api/price-lists/{price_list_id}/items"): roles(A),
    ("DELETE", "/api/price-lists/{price_list_id}/items/{product_id}"): roles(A),
    # warehouses and stock
    ("GET", "/api/warehouses"): EVERY_ROLE,
    ("POST", "/api/warehouses"): roles(A, W),
    ("GET", "/api/warehouses/{warehouse_id}"): EVERY_ROLE,
    ("PATCH", "/api/warehouses/{warehouse_id}"): roles(A, W),
    ("GET", "/api/warehouses/{warehouse_id}/stock"): roles(A, F, U, W),
    ("GET", "/api/warehouses/{warehouse_id}/movements"): roles(A, U, W),
    ("POST", "/api/warehouses/{warehouse_id}/receipts"): roles(A, W),
    ("POST", "/api/warehouses/{warehouse_id}/shipments"): roles(A, W),
    ("POST", "/api/warehouses/{warehouse_id}/adjustments"): roles(A, W),
    ("POST", "/api/warehouses/{warehouse_id}/transfers"): roles(A, W),
    ("POST", "/api/warehouses/{warehouse_id}/reservations"): roles(A, W),
    ("POST", "/api/warehouses/{warehouse_id}/releases"): roles(A, W),
    ("PUT", "/api/warehouses/{warehouse_id}/thresholds/{product_id}"): roles(A, W),
    ("GET", "/api/stock/low"): roles(A, U, W),
    # orders and retail customers
    ("GET", "/api/orders"): roles(A, F, U, W, D),
    ("POST", "/api/orders"): roles(A, D),
    ("GET", "/api/orders/{order_id}"): roles(A, F, U, W, D),
    ("POST", "/api/orders/{order_id}/payment"): roles(F),
    ("POST", "/api/orders/{order_id}/shipment"): roles(A, W),
    ("POST", "/api/orders/{order_id}/cancellation"): roles(A, F, D),
    ("POST", "/api/orders/{order_id}/return"): roles(A, W),
    ("GET", "/api/customers"): roles(A, U, D),
    ("POST", "/api/customers"): roles(A, D),
    ("GET", "/api/customers/{customer_id}"): roles(A, U, D),
    # commission periods (maker-checker is the service's rule: approver != computer)
    ("GET", "/api/periods"): roles(A, F, U),
    ("POST", "/api/periods"): roles(A, F),
    ("GET", "/api/periods/{period_id}"): roles(A, F, U),
    ("GET", "/api/periods/{period_id}/transitions"): roles(A, F, U),
    ("POST", "/api/periods/{period_id}/compute"): roles(F),
    ("POST", "/api/periods/{period_id}/approval"): roles(F),
    ("GET", "/api/periods/{period_id}/lines"): roles(A, F, U),
    ("POST", "/api/periods/{period_id}/anchor"): roles(F),
    ("POST", "/api/periods/{period_id}/payouts"): roles(F),
    ("GET", "/api/periods/{period_id}/batches"): roles(A, F, U),
    ("GET", "/api/vault"): roles(A, F, U),
    ("POST", "/api/vault/funding"): roles(F),
    # statements: a distributor reads only their own (enforced by the service)
    ("GET", "/api/periods/{period_id}/statements/{distributor_id}"): roles(A, F, U, D),
    ("GET", "/api/distributors/{distributor_id}/statements"): roles(A, F, U, D),
    # audit: database against chain, read-only
    ("GET", "/api/audit/reconciliation"): roles(A, U),
    # the admin action log (accounts, roles, passwords, prices, stock adjustments)
    ("GET", "/api/admin-log"): roles(A, U),
    ("GET", "/api/admin-log/verify"): roles(A, U),
}


def allowed(rule: Rule, role: Role) -> bool:
    if rule == PUBLIC or rule == AUTHENTICATED:
        return True
    assert isinstance(rule, frozenset)
    return role in rule


def describe(rule: Rule) -> str:
    if rule == PUBLIC:
        return "Public: no login needed."
    if rule == AUTHENTICATED:
        return "Any logged-in account."
    assert isinstance(rule, frozenset)
    return "Roles: " + ", ".join(sorted(role.value for role in rule)) + "."
