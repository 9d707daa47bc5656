"""Which roles may open which page; one table like the API's (`backend.api.policy`).

Every page route must appear here (a test walks the routes); a page without an entry is
refused to everyone. Object scope (a distributor sees only their own downline) is the domain
services' job, as for the API.
"""

from __future__ import annotations

from backend.core.model_base import Role

PUBLIC = "public"
AUTHENTICATED = "authenticated"
Rule = str | frozenset[Role]
ADMIN, FINANCE, AUDITOR = Role.admin, Role.finance, Role.auditor
DISTRIBUTOR = Role.distributor
WAREHOUSE = frozenset({Role.warehouse})
STATEMENT_READERS = frozenset({ADMIN, FINANCE, AUDITOR, DISTRIBUTOR})
TREE_READERS = frozenset({ADMIN, FINANCE, AUDITOR, DISTRIBUTOR})
REPORT_READERS = frozenset({ADMIN, FINANCE, AUDITOR, DISTRIBUTOR})

PAGE_POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("POST", "/logout"): AUTHENTICATED,
    ("GET", "/home"): AUTHENTICATED,
    ("GET", "/profile"): AUTHENTICATED,
    ("POST", "/profile/password"): AUTHENTICATED,
    ("POST", "/profile/contacts"): frozenset({DISTRIBUTOR}),
    ("POST", "/profile/wallet"): frozenset({DISTRIBUTOR}),
    ("POST", "/profile/card"): frozenset({DISTRIBUTOR}),
    # The partner's payouts and tax status: their own only (staff read it through "see as").
    ("GET", "/payout"): frozenset({DISTRIBUTOR}),
    # The partner agreement: their own, read and accepted (staff read acceptances on the
    # partner's record; the admin edits the texts on /admin/templates).
    ("GET", "/agreement"): frozenset({DISTRIBUTOR}),
    ("POST", "/agreement"): frozenset({DISTRIBUTOR}),
    ("GET", "/offers"): frozenset({ADMIN, FINANCE}),
    ("POST", "/offers"): frozenset({ADMIN, FINANCE}),
    ("GET", "/admin/templates"): frozenset({ADMIN}),
    ("GET", "/admin/templates/{kind}"): frozenset({ADMIN}),
    ("POST", "/admin/templates/{kind}"): frozenset({ADMIN}),
    ("POST", "/payout"): frozenset({DISTRIBUTOR}),
    # The partner's public card and "Join my team": for visitors, no login.
    ("GET", "/p/{alias}"): PUBLIC,
    ("GET", "/p/{alias}/vcard.vcf"): PUBLIC,
    ("GET", "/p/{alias}/qr.svg"): PUBLIC,
    ("GET", "/r/{code}"): PUBLIC,
    ("GET", "/join"): PUBLIC,
    # The income disclosure statement: public, as regulators ask (no login).
    ("GET", "/disclosure/{year}"): PUBLIC,
    ("GET", "/disclosure/{year}.pdf"): PUBLIC,
    ("GET", "/disclosure/{year}.json"): PUBLIC,
    ("POST", "/join"): PUBLIC,
    ("GET", "/admin/cards"): frozenset({ADMIN}),
    ("POST", "/admin/cards/{distributor_id}/approval"): frozenset({ADMIN}),
    ("POST", "/admin/cards/{distributor_id}/rejection"): frozenset({ADMIN}),
    ("POST", "/admin/card-blocks"): frozenset({ADMIN}),
    ("POST", "/admin/card-blocks/{block_id}"): frozenset({ADMIN}),
    # The accounts list stays for auditors; admins work in /admin/users.
    ("GET", "/accounts"): frozenset({AUDITOR}),
    # The administrator's office (`backend.web.admin`, `admin_records`).
    ("GET", "/admin"): frozenset({ADMIN}),
    ("GET", "/admin/users"): frozenset({ADMIN}),
    ("POST", "/admin/users"): frozenset({ADMIN}),
    ("GET", "/admin/users/{user_id}"): frozenset({ADMIN}),
    ("POST", "/admin/users/{user_id}/role"): frozenset({ADMIN}),
    ("POST", "/admin/users/{user_id}/activity"): frozenset({ADMIN}),
    ("POST", "/admin/users/{user_id}/password"): frozenset({ADMIN}),
    ("GET", "/admin/log"): frozenset({ADMIN}),
    ("GET", "/admin/settings"): frozenset({ADMIN}),
    ("POST", "/admin/settings"): frozenset({ADMIN}),
    ("GET", "/admin/requisites"): frozenset({ADMIN}),
    ("POST", "/admin/requisites"): frozenset({ADMIN}),
    ("GET", "/admin/sales-plan"): frozenset({ADMIN}),
    ("POST", "/admin/sales-plan"): frozenset({ADMIN}),
    # "See as": a partner's office, read-only (the page guard refuses every other POST).
    ("POST", "/admin/see-as"): frozenset({ADMIN}),
    ("POST", "/admin/see-as/end"): frozenset({ADMIN}),
    ("GET", "/distributors/{distributor_id}"): frozenset({ADMIN, FINANCE, AUDITOR, DISTRIBUTOR}),
    # A distributor reads only their own statements (the periods service refuses the others).
    ("GET", "/statements"): frozenset({DISTRIBUTOR}),
    ("GET", "/distributors/{distributor_id}/statements"): STATEMENT_READERS,
    ("GET", "/distributors/{distributor_id}/statements/{period_id}"): STATEMENT_READERS,
    ("GET", "/distributors/{distributor_id}/statements/{period_id}.csv"): STATEMENT_READERS,
    # The placement check: a distributor's own, and (scoped by the genealogy service) their
    # downline's; staff anyone's.
    ("GET", "/placement"): frozenset({DISTRIBUTOR}),
    ("GET", "/distributors/{distributor_id}/placement"): STATEMENT_READERS,
    # The genealogy: a distributor opens only their downline (the genealogy service refuses
    # the others); staff open anyone's, `/tree` starting at the top of the company.
    ("GET", "/tree"): TREE_READERS,
    ("GET", "/distributors/{distributor_id}/tree"): TREE_READERS,
    ("GET", "/distributors/{distributor_id}/tree/children"): TREE_READERS,
    ("GET", "/distributors/{distributor_id}/tree/visual"): TREE_READERS,
    ("GET", "/distributors/{distributor_id}/tree/visual.json"): TREE_READERS,
    ("GET", "/distributors/{distributor_id}/tree/legs"): TREE_READERS,
    ("GET", "/distributors/{distributor_id}/levels"): TREE_READERS,
    # The partner's shop: their own catalogue, cart, orders and retail customers (the orders
    # service refuses another partner's order or customer: a 403 page).
    ("GET", "/shop"): frozenset({DISTRIBUTOR}),
    ("GET", "/shop/cart"): frozenset({DISTRIBUTOR}),
    ("POST", "/shop/cart/add"): frozenset({DISTRIBUTOR}),
    ("POST", "/shop/cart/update"): frozenset({DISTRIBUTOR}),
    ("POST", "/shop/cart/remove"): frozenset({DISTRIBUTOR}),
    ("POST", "/shop/cart/options"): frozenset({DISTRIBUTOR}),
    ("POST", "/shop/cart/order"): frozenset({DISTRIBUTOR}),
    ("GET", "/shop/orders"): frozenset({DISTRIBUTOR}),
    ("GET", "/shop/orders/{order_id}"): frozenset({DISTRIBUTOR}),
    ("GET", "/shop/customers"): frozenset({DISTRIBUTOR}),
    ("POST", "/shop/customers"): frozenset({DISTRIBUTOR}),
    ("GET", "/shop/customers/{customer_id}"): frozenset({DISTRIBUTOR}),
    # The partner's training: their own courses only (every call names the logged-in partner).
    ("GET", "/training"): frozenset({DISTRIBUTOR}),
    ("GET", "/training/{slug}"): frozenset({DISTRIBUTOR}),
    ("GET", "/training/{slug}/{step_id}"): frozenset({DISTRIBUTOR}),
    ("POST", "/training/{slug}/{step_id}/done"): frozenset({DISTRIBUTOR}),
    ("POST", "/training/{slug}/{step_id}/quiz"): frozenset({DISTRIBUTOR}),
    # Reports: staff see the company; a distributor leading a team sees that team only (the
    # reports service scopes every query to it and refuses a distributor with nobody below).
    ("GET", "/reports"): REPORT_READERS,
    ("GET", "/reports/{name}"): REPORT_READERS,
    ("GET", "/reports/{name}.csv"): REPORT_READERS,
    ("GET", "/reports/{name}.xlsx"): REPORT_READERS,
    # The auditor's office: read-only, for the auditor alone.
    ("GET", "/audit/history"): frozenset({AUDITOR}),
    ("GET", "/audit/tx/{tx_hash}"): frozenset({AUDITOR}),
    ("GET", "/audit/reconciliation"): frozenset({AUDITOR}),
    ("GET", "/audit/packages"): frozenset({AUDITOR}),
    ("GET", "/audit/packages/{period_id}.zip"): frozenset({AUDITOR}),
    ("GET", "/audit/packages/{period_id}"): frozenset({AUDITOR}),
    ("GET", "/audit/documents"): frozenset({AUDITOR}),
    # The partner documents: a distributor lists their own; a stored PDF opens for whoever the
    # documents service lets read it (a distributor their own, staff any).
    ("GET", "/documents"): frozenset({DISTRIBUTOR}),
    ("GET", "/documents/{document_id}/pdf"): STATEMENT_READERS,
    # The warehouse office: stock, its movements, the pick list and shipping, for the
    # warehouse role only (the API also lets the administrator move stock; the office is theirs).
    ("GET", "/warehouse"): WAREHOUSE,
    ("POST", "/warehouse/receipts"): WAREHOUSE,
    ("POST", "/warehouse/shipments"): WAREHOUSE,
    ("POST", "/warehouse/transfers"): WAREHOUSE,
    ("POST", "/warehouse/adjustments"): WAREHOUSE,
    ("POST", "/warehouse/reservations"): WAREHOUSE,
    ("POST", "/warehouse/releases"): WAREHOUSE,
    ("POST", "/warehouse/thresholds"): WAREHOUSE,
    ("GET", "/warehouse/movements"): WAREHOUSE,
    ("GET", "/warehouse/movements.csv"): WAREHOUSE,
    ("GET", "/warehouse/picklist"): WAREHOUSE,
    ("GET", "/warehouse/orders/{order_id}"): WAREHOUSE,
    ("POST", "/warehouse/orders/{order_id}/shipment"): WAREHOUSE,
    # The admin office: the plan, the catalogue and its price lists, the warehouses.
    ("GET", "/admin/plan"): frozenset({ADMIN}),
    # The admin's training office (`backend.web.admin_training`).
    ("GET", "/admin/training"): frozenset({ADMIN}),
    ("GET", "/admin/training/{slug}"): frozenset({ADMIN}),
    ("POST", "/admin/training/{slug}"): frozenset({ADMIN}),
    ("POST", "/admin/training/{slug}/assignments"): frozenset({ADMIN}),
    ("GET", "/admin/training/{slug}/report"): frozenset({ADMIN}),
    ("GET", "/admin/plan/periods/{period_id}"): frozenset({ADMIN}),
    ("GET", "/admin/catalogue"): frozenset({ADMIN}),
    ("POST", "/admin/catalogue/products"): frozenset({ADMIN}),
    ("GET", "/admin/catalogue/products/{product_id}"): frozenset({ADMIN}),
    ("POST", "/admin/catalogue/products/{product_id}"): frozenset({ADMIN}),
    ("GET", "/admin/catalogue/price-lists"): frozenset({ADMIN}),
    ("POST", "/admin/catalogue/price-lists"): frozenset({ADMIN}),
    ("GET", "/admin/catalogue/price-lists/{price_list_id}"): frozenset({ADMIN}),
    ("POST", "/admin/catalogue/price-lists/{price_list_id}"): frozenset({ADMIN}),
    ("POST", "/admin/catalogue/price-lists/{price_list_id}/items"): frozenset({ADMIN}),
    (
        "POST",
        "/admin/catalogue/price-lists/{price_list_id}/items/{product_id}/removal",
    ): frozenset({ADMIN}),
    ("GET", "/admin/warehouses"): frozenset({ADMIN}),
    ("POST", "/admin/warehouses"): frozenset({ADMIN}),
    ("GET", "/admin/warehouses/{warehouse_id}"): frozenset({ADMIN}),
    ("POST", "/admin/warehouses/{warehouse_id}"): frozenset({ADMIN}),
    # The finance office: the periods, their closing and the vault, for finance only.
    ("GET", "/finance/periods"): frozenset({FINANCE}),
    ("POST", "/finance/periods"): frozenset({FINANCE}),
    ("GET", "/finance/periods/{period_id}"): frozenset({FINANCE}),
    ("GET", "/finance/periods/{period_id}/progress"): frozenset({FINANCE}),
    ("GET", "/finance/periods/{period_id}/changes"): frozenset({FINANCE}),
    ("POST", "/finance/periods/{period_id}/compute"): frozenset({FINANCE}),
    ("POST", "/finance/periods/{period_id}/approval"): frozenset({FINANCE}),
    ("POST", "/finance/periods/{period_id}/anchor"): frozenset({FINANCE}),
    ("POST", "/finance/periods/{period_id}/payouts"): frozenset({FINANCE}),
    ("GET", "/finance/periods/{period_id}/bank-file"): frozenset({FINANCE}),
    ("POST", "/finance/periods/{period_id}/bank-statement"): frozenset({FINANCE}),
    # The period's acts of services, one by one and in bulk (`backend.web.documents`).
    ("GET", "/finance/periods/{period_id}/acts"): frozenset({FINANCE}),
    ("POST", "/finance/periods/{period_id}/acts/{distributor_id}"): frozenset({FINANCE}),
    ("GET", "/finance/periods/{period_id}/acts-jobs"): frozenset({FINANCE}),
    ("POST", "/finance/periods/{period_id}/acts-jobs"): frozenset({FINANCE}),
    # A partner's reconciliation statement (`backend.web.reconciliation`).
    ("GET", "/finance/reconciliation"): frozenset({FINANCE}),
    ("POST", "/finance/reconciliation"): frozenset({FINANCE}),
    # An order's page in the finance office: its documents and the buttons that issue them.
    ("GET", "/finance/orders"): frozenset({FINANCE}),
    ("GET", "/finance/orders/{order_id}"): frozenset({FINANCE}),
    ("POST", "/finance/orders/{order_id}/invoice"): frozenset({FINANCE}),
    ("POST", "/finance/orders/{order_id}/upd"): frozenset({FINANCE}),
    ("GET", "/finance/vault"): frozenset({FINANCE}),
    ("POST", "/finance/vault/funding"): frozenset({FINANCE}),
    # The mentor's view: a leader's own team (their sponsor tree) with its training progress;
    # a person's progress for their sponsor upline (scoped by `training.team`) and the admin;
    # the mentor step's confirmation (the training service lets the sponsor or an admin).
    ("GET", "/training/team"): frozenset({DISTRIBUTOR}),
    ("GET", "/distributors/{distributor_id}/training"): frozenset({ADMIN, DISTRIBUTOR}),
    ("POST", "/distributors/{distributor_id}/training/{slug}/{step}/confirmation"): frozenset(
        {ADMIN, DISTRIBUTOR}
    ),
}


def allowed(rule: Rule, role: Role) -> bool:
    if rule in (PUBLIC, AUTHENTICATED):
        return True
    assert isinstance(rule, frozenset)
    return role in rule
