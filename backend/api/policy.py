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

ADMIN, FINANCE, AUDITOR = Role.admin, Role.finance, Role.auditor
WAREHOUSE, DISTRIBUTOR = Role.warehouse, Role.distributor
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
    ("GET", "/api/users"): roles(ADMIN, AUDITOR),
    ("POST", "/api/users"): roles(ADMIN),
    ("GET", "/api/users/{user_id}"): roles(ADMIN, AUDITOR),
    ("PATCH", "/api/users/{user_id}"): roles(ADMIN),
    # distributors and genealogy
    ("GET", "/api/distributors"): roles(ADMIN, FINANCE, AUDITOR, DISTRIBUTOR),
    ("POST", "/api/distributors"): roles(ADMIN, DISTRIBUTOR),
    ("POST", "/api/distributors/batch"): roles(ADMIN),
    ("GET", "/api/distributors/{distributor_id}"): roles(ADMIN, FINANCE, AUDITOR, DISTRIBUTOR),
    ("PATCH", "/api/distributors/{distributor_id}"): roles(ADMIN, DISTRIBUTOR),
    ("POST", "/api/distributors/{distributor_id}/status"): roles(ADMIN),
    ("GET", "/api/distributors/{distributor_id}/status-history"): roles(
        ADMIN, FINANCE, AUDITOR, DISTRIBUTOR
    ),
    ("GET", "/api/distributors/{distributor_id}/downline"): roles(
        ADMIN, FINANCE, AUDITOR, DISTRIBUTOR
    ),
    # the payout profile: a distributor their own only (enforced by the payees service)
    ("GET", "/api/distributors/{distributor_id}/payee"): roles(
        ADMIN, FINANCE, AUDITOR, DISTRIBUTOR
    ),
    ("PUT", "/api/distributors/{distributor_id}/payee"): roles(ADMIN, FINANCE, DISTRIBUTOR),
    ("GET", "/api/holding-tank"): roles(ADMIN, AUDITOR, DISTRIBUTOR),
    ("POST", "/api/holding-tank/{distributor_id}/placement"): roles(ADMIN, DISTRIBUTOR),
    ("POST", "/api/holding-tank/expired-placements"): roles(ADMIN),
    ("GET", "/api/chain/intents"): roles(ADMIN, FINANCE, AUDITOR),
    # catalog
    ("GET", "/api/products"): EVERY_ROLE,
    ("POST", "/api/products"): roles(ADMIN),
    ("GET", "/api/products/{product_id}"): EVERY_ROLE,
    ("PATCH", "/api/products/{product_id}"): roles(ADMIN),
    ("GET", "/api/price-lists"): EVERY_ROLE,
    ("POST", "/api/price-lists"): roles(ADMIN),
    ("GET", "/api/price-lists/{price_list_id}"): EVERY_ROLE,
    ("PATCH", "/api/price-lists/{price_list_id}"): roles(ADMIN),
    ("PUT", "/api/price-lists/{price_list_id}/items"): roles(ADMIN),
    ("DELETE", "/api/price-lists/{price_list_id}/items/{product_id}"): roles(ADMIN),
    # VAT rates (dated data): staff read, the admin adds
    ("GET", "/api/vat-rates"): roles(ADMIN, FINANCE, AUDITOR, WAREHOUSE),
    ("POST", "/api/vat-rates"): roles(ADMIN),
    # warehouses and stock
    ("GET", "/api/warehouses"): EVERY_ROLE,
    ("POST", "/api/warehouses"): roles(ADMIN, WAREHOUSE),
    ("GET", "/api/warehouses/{warehouse_id}"): EVERY_ROLE,
    ("PATCH", "/api/warehouses/{warehouse_id}"): roles(ADMIN, WAREHOUSE),
    ("GET", "/api/warehouses/{warehouse_id}/stock"): roles(ADMIN, FINANCE, AUDITOR, WAREHOUSE),
    ("GET", "/api/warehouses/{warehouse_id}/movements"): roles(ADMIN, AUDITOR, WAREHOUSE),
    ("POST", "/api/warehouses/{warehouse_id}/receipts"): roles(ADMIN, WAREHOUSE),
    ("POST", "/api/warehouses/{warehouse_id}/shipments"): roles(ADMIN, WAREHOUSE),
    ("POST", "/api/warehouses/{warehouse_id}/adjustments"): roles(ADMIN, WAREHOUSE),
    ("POST", "/api/warehouses/{warehouse_id}/transfers"): roles(ADMIN, WAREHOUSE),
    ("POST", "/api/warehouses/{warehouse_id}/reservations"): roles(ADMIN, WAREHOUSE),
    ("POST", "/api/warehouses/{warehouse_id}/releases"): roles(ADMIN, WAREHOUSE),
    ("PUT", "/api/warehouses/{warehouse_id}/thresholds/{product_id}"): roles(ADMIN, WAREHOUSE),
    ("GET", "/api/stock/low"): roles(ADMIN, AUDITOR, WAREHOUSE),
    # orders and retail customers
    ("GET", "/api/orders"): EVERY_ROLE,
    ("POST", "/api/orders"): roles(ADMIN, DISTRIBUTOR),
    ("GET", "/api/orders/{order_id}"): EVERY_ROLE,
    ("POST", "/api/orders/{order_id}/payment"): roles(FINANCE),
    ("POST", "/api/orders/{order_id}/shipment"): roles(ADMIN, WAREHOUSE),
    ("POST", "/api/orders/{order_id}/cancellation"): roles(ADMIN, FINANCE, DISTRIBUTOR),
    ("POST", "/api/orders/{order_id}/return"): roles(ADMIN, WAREHOUSE),
    ("GET", "/api/customers"): roles(ADMIN, AUDITOR, DISTRIBUTOR),
    ("POST", "/api/customers"): roles(ADMIN, DISTRIBUTOR),
    ("GET", "/api/customers/{customer_id}"): roles(ADMIN, AUDITOR, DISTRIBUTOR),
    # reports: staff see the company; a distributor leading a team sees that team only (the
    # reports service scopes it and refuses a distributor with nobody below them)
    ("GET", "/api/reports"): roles(ADMIN, FINANCE, AUDITOR, DISTRIBUTOR),
    ("GET", "/api/reports/{name}"): roles(ADMIN, FINANCE, AUDITOR, DISTRIBUTOR),
    ("PUT", "/api/sales-plans/{period_id}"): roles(ADMIN),
    # commission periods (maker-checker is the service's rule: approver != computer)
    ("GET", "/api/periods"): roles(ADMIN, FINANCE, AUDITOR),
    ("POST", "/api/periods"): roles(ADMIN, FINANCE),
    ("GET", "/api/periods/{period_id}"): roles(ADMIN, FINANCE, AUDITOR),
    ("GET", "/api/periods/{period_id}/transitions"): roles(ADMIN, FINANCE, AUDITOR),
    ("POST", "/api/periods/{period_id}/compute"): roles(FINANCE),
    ("POST", "/api/periods/{period_id}/approval"): roles(FINANCE),
    ("GET", "/api/periods/{period_id}/lines"): roles(ADMIN, FINANCE, AUDITOR),
    ("POST", "/api/periods/{period_id}/anchor"): roles(FINANCE),
    ("POST", "/api/periods/{period_id}/payouts"): roles(FINANCE),
    ("GET", "/api/periods/{period_id}/batches"): roles(ADMIN, FINANCE, AUDITOR),
    # bank lines: the payment file and the statement are finance's; auditors read the outcome
    ("GET", "/api/periods/{period_id}/bank-file"): roles(FINANCE),
    ("POST", "/api/periods/{period_id}/bank-statement"): roles(FINANCE),
    ("GET", "/api/periods/{period_id}/bank-payments"): roles(FINANCE, AUDITOR),
    ("GET", "/api/vault"): roles(ADMIN, FINANCE, AUDITOR),
    # dated exchange rates, kept by finance (a stored rate never changes)
    ("GET", "/api/rates"): roles(ADMIN, FINANCE, AUDITOR),
    ("POST", "/api/rates"): roles(ADMIN, FINANCE),
    ("POST", "/api/rates/cbr"): roles(ADMIN, FINANCE),
    ("POST", "/api/vault/funding"): roles(FINANCE),
    # statements: a distributor reads only their own (enforced by the service)
    ("GET", "/api/periods/{period_id}/statements/{distributor_id}"): roles(
        ADMIN, FINANCE, AUDITOR, DISTRIBUTOR
    ),
    ("GET", "/api/distributors/{distributor_id}/statements"): roles(
        ADMIN, FINANCE, AUDITOR, DISTRIBUTOR
    ),
    # partner documents (issue 17): finance issues; a distributor reads their own (the service)
    ("POST", "/api/orders/{order_id}/invoice"): roles(FINANCE),
    ("POST", "/api/orders/{order_id}/upd"): roles(FINANCE),
    ("POST", "/api/periods/{period_id}/acts/{distributor_id}"): roles(FINANCE),
    ("POST", "/api/distributors/{distributor_id}/reconciliation"): roles(FINANCE),
    ("POST", "/api/documents/{document_id}/correction"): roles(FINANCE),
    ("GET", "/api/documents"): roles(ADMIN, FINANCE, AUDITOR, DISTRIBUTOR),
    ("GET", "/api/documents/{document_id}"): roles(ADMIN, FINANCE, AUDITOR, DISTRIBUTOR),
    ("GET", "/api/documents/{document_id}/pdf"): roles(ADMIN, FINANCE, AUDITOR, DISTRIBUTOR),
    # the partner agreement: a partner reads and accepts their own; staff list acceptances;
    # finance or an admin issue a commercial offer (issue 17, item 5)
    ("GET", "/api/agreement"): roles(DISTRIBUTOR),
    ("POST", "/api/agreement/acceptance"): roles(DISTRIBUTOR),
    ("GET", "/api/distributors/{distributor_id}/acceptances"): roles(ADMIN, FINANCE, AUDITOR),
    ("POST", "/api/offers"): roles(ADMIN, FINANCE),
    # audit: database against chain, read-only
    ("GET", "/api/audit/reconciliation"): roles(ADMIN, AUDITOR),
    # the admin action log (accounts, roles, passwords, prices, stock adjustments)
    ("GET", "/api/admin-log"): roles(ADMIN, AUDITOR),
    ("GET", "/api/admin-log/verify"): roles(ADMIN, AUDITOR),
    # partners' public cards: the company's pitch blocks, and the review of free texts
    ("GET", "/api/card-blocks"): EVERY_ROLE,
    ("POST", "/api/card-blocks"): roles(ADMIN),
    ("PATCH", "/api/card-blocks/{block_id}"): roles(ADMIN),
    ("GET", "/api/card-texts/pending"): roles(ADMIN, AUDITOR),
    ("POST", "/api/card-texts/{distributor_id}/approval"): roles(ADMIN),
    ("POST", "/api/card-texts/{distributor_id}/rejection"): roles(ADMIN),
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
