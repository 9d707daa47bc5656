"""The administrator's office: its sections, as the landing page lists them and as tabs on each
of its pages (`_tabs.html`)."""

from __future__ import annotations

from backend.web.i18n import N_

ADMIN_TABS: list[tuple[str, str]] = [
    ("/admin/users", N_("Users")),
    ("/admin/log", N_("Action log")),
    ("/admin/plan", N_("Plan")),
    ("/admin/catalogue", N_("Catalogue and prices")),
    ("/admin/training", N_("Training")),
    ("/admin/warehouses", N_("Warehouses")),
    ("/admin/settings", N_("Company settings")),
    ("/admin/requisites", N_("Company details")),
    ("/admin/sales-plan", N_("Sales plan")),
    ("/admin/templates", N_("Document texts")),
    ("/admin/cards", N_("Public cards")),
]
