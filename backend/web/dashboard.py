"""The distributor's dashboard (`/home` of a distributor): this period's estimate and the last
period's figures, the next rank's report card, the downline's events, the latest statement.
The figures come from the periods service (`backend.periods.dashboard`), which reads the stored
standings; this page never runs the engine (the worker refreshes the preview)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from backend.accounts.models import User
from backend.cards.service import card_counts
from backend.documents.service import acceptance_needed
from backend.genealogy.cards import card_of
from backend.periods.dashboard import dashboard_of
from backend.periods.statements import statements_of
from backend.web.i18n import N_
from backend.web.render import render

#: Why the open period has no (fresh) estimate, by the preview's refusal code.
REFUSALS = {
    "rate_missing": N_(
        "There is no exchange rate for %(pair)s yet. Finance enters it, and the estimate "
        "is computed at the next refresh."
    ),
    "previous_not_approved": N_(
        "The previous period is not approved yet; its carry-over is needed for this estimate."
    ),
    "engine_refused": N_("The compensation engine refused this period's data; finance is on it."),
    "plan_invalid": N_("The company's compensation plan cannot be read; finance is on it."),
}
OTHER_REFUSAL = N_("The estimate could not be computed; finance is on it.")
REQUIREMENT_NAMES = {
    "pv": N_("Personal volume (PV)"),
    "gv": N_("Group volume (GV)"),
    "legs": N_("Legs with rank %(rank)s"),
}


def distributor_home(request: Request, session: Session, user: User) -> Response:
    assert user.distributor_id is not None
    card = card_of(session, user, user.distributor_id)
    statements = statements_of(session, user.distributor_id, actor=user)
    return render(
        request,
        "home_distributor.html",
        card=card,
        board=dashboard_of(session, user.distributor_id),
        card_counts=card_counts(session, user.distributor_id),
        latest=statements[-1] if statements else None,
        statement_count=len(statements),
        tree_width=request.app.state.settings.tree_width,
        preview_minutes=request.app.state.settings.preview_minutes,
        refusals=REFUSALS,
        other_refusal=OTHER_REFUSAL,
        requirement_names=REQUIREMENT_NAMES,
        agreement_needed=acceptance_needed(session, user.distributor_id),
    )
