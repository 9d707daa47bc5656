"""The finance office: the periods, one period's review and its closing (compute, approve,
anchor, fund, pay) followed on chain, and the payout vault.

Each button posts to the same service the JSON API calls (`backend.periods`), so the page
refuses exactly what the API refuses; a refusal comes back as the period's page (its status
code) with the service's own message next to the button that was pressed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from backend.accounts.models import User
from backend.bank_payouts import service as bank_payouts
from backend.core.db import SessionDep
from backend.core.errors import AppError, Invalid
from backend.core.money import AmountError, format_pct, minor_as_text, parse_minor
from backend.core.types import MAX_INT64
from backend.periods import compute, onchain, review, vault
from backend.periods import service as periods
from backend.periods.models import FundingRequest, PeriodStatus
from backend.periods.vault import PayoutReads
from backend.web.deps import NowDep, SettingsDep
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, is_htmx, language_of, render
from backend.web.sessions import check_csrf
from backend.web.statements import BONUS_NAMES, HELD_TEXTS

CsrfChecked = [Depends(check_csrf)]
TABS = [
    ("/finance/periods", N_("Periods")),
    ("/finance/vault", N_("Vault")),
    ("/finance/orders", N_("Orders")),
    ("/finance/reconciliation", N_("Reconciliation statements")),
]
MAKER_REASON = N_(
    "You computed this period. Maker-checker: a second finance user reviews it and approves it."
)
# What a refusal means, in the reader's language; the service's own message follows it.
REFUSALS = {
    "same_user": MAKER_REASON,
    "period_state": N_("The period is not in the state this step needs."),
    "stale_computation": N_(
        "The period was computed again since this page was shown: review the new compute."
    ),
    "period_not_ended": N_("The period has not ended yet: approve it after its last day."),
    "account_recently_changed": N_(
        "An account taking part was created or changed in the last 24 hours."
    ),
    "payout_over_ceiling": N_("The payout is above the plan's ceiling on sales."),
    "package_mismatch": N_("The package on disk is not the one computed: compute again."),
    "anchor_order": N_("Periods are anchored in order: anchor the previous period first."),
    "vault_underfunded": N_("The vault does not hold enough to pay this period: fund it first."),
    "chain_unavailable": N_("The chain cannot be read right now."),
    "chain_not_deployed": N_("The contracts are not deployed yet."),
    "not_a_test_token": N_("Minting is only for the local test token."),
    "period_not_started": N_("The next period has not started yet."),
    "engine_refused": N_("The engine refused the period's inputs."),
    "rate_missing": N_("An exchange rate the period needs is missing."),
    "period_locked": N_("The period is approved: its plan and inputs are locked."),
    "period_changed": N_("The period changed while it was being computed."),
    "amount": N_("Enter an amount above zero, with at most the token's decimals."),
}
REFUSED = N_("Refused.")
#: The bank transfer steps: their refusals are shown in the bank section (`finance_bank`).
BANK_ACTIONS = ("bank_file", "bank_statement")
# The closing steps the period's page offers in each state (a refusal of a step not offered,
# e.g. from a page shown before the state moved, is shown above the steps).
STEPS = {
    PeriodStatus.open: {"compute"},
    PeriodStatus.computed: {"compute", "approve"},
    PeriodStatus.approved: {"anchor"},
    PeriodStatus.anchored: {"fund", "pay"},
}
JOB_STATUS = {
    "queued": N_("waiting for the chain writer"),
    "sent": N_("sent, waiting for a block"),
    "confirmed": N_("confirmed"),
    "failed": N_("failed"),
    "planned": N_("waiting for the chain writer"),
}


def _payout_reads(request: Request) -> Callable[[], PayoutReads]:
    """The app's vault and anchor reads, opened when called (as the API's dependency)."""
    reads: Callable[[], PayoutReads] = request.app.state.chain_reads.payouts
    return reads


PayoutReadsDep = Annotated[Callable[[], PayoutReads], Depends(_payout_reads)]


def _refusal(refused: AppError, leads: Mapping[str, str] = REFUSALS) -> dict[str, str]:
    return {"lead": leads.get(refused.code, REFUSED), "message": refused.message}


def refused_period_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    open_reads: Callable[[], PayoutReads],
    period_id: int,
    action: str,
    refused: AppError,
    *,
    leads: Mapping[str, str] = REFUSALS,
    form: dict[str, str] | None = None,
) -> Response:
    """The period's page again, with the refused action's reason beside it (the step undone)."""
    _rolled_back(session, user)
    periods.get_period(session, period_id)  # an unknown period is a 404, not a refusal
    return _period_page(
        request,
        session,
        settings,
        user,
        open_reads,
        period_id,
        status_code=refused.status_code,
        refused={action: _refusal(refused, leads)},
        form=form,
    )


def _rolled_back(session: Session, user: User) -> None:
    """Undo the refused step; the person's account is read again, since the page (or the
    error page, after this request's session has closed) still shows who they are."""
    session.rollback()
    session.refresh(user)


def _context(request: Request) -> dict[str, Any]:
    language = language_of(request, request.state.page_user)
    return {
        "tabs": TABS,
        "pct": partial(format_pct, locale=language.value),
        "bonus_names": BONUS_NAMES,
        "job_status": JOB_STATUS,
    }


# -- the periods ---------------------------------------------------------------------------------


def periods_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    *,
    status_code: int = 200,
    refused: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "finance_periods.html",
        status_code=status_code,
        rows=review.period_rows(session, settings),
        refused=refused,
        **_context(request),
    )


def list_periods(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    return periods_page(request, session, settings)


def open_period(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser, now: NowDep
) -> Response:
    try:
        period = periods.open_next(session, settings, actor=user, now=now)
    except AppError as refused:
        _rolled_back(session, user)
        return periods_page(
            request, session, settings, status_code=refused.status_code, refused=_refusal(refused)
        )
    return RedirectResponse(f"/finance/periods/{period.id}", status_code=303)


# -- one period ----------------------------------------------------------------------------------


def _period_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    open_reads: Callable[[], PayoutReads],
    period_id: int,
    *,
    status_code: int = 200,
    refused: dict[str, dict[str, str]] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    shown = review.review(session, settings, period_id)
    period = shown.period
    # The chain jobs are read before the vault's balance: a funding the worker confirms in
    # between then shows as still pending (the page polls and redraws) instead of confirmed
    # beside a shortfall read from before it, which nothing would ever redraw.
    progress = review.progress(session, settings, period_id)
    funding = None
    if period.status == PeriodStatus.anchored:
        funding = review.funding_needed(session, period, open_reads)
    bank = None
    if period.status in (PeriodStatus.anchored, PeriodStatus.paying, PeriodStatus.paid):
        bank = bank_payouts.payments_public(session, period_id)
        bank = bank if bank.summary.lines else None
    return render(
        request,
        "finance_period.html",
        status_code=status_code,
        r=shown,
        p=period,
        progress=progress,
        funding=funding,
        bank=bank,
        amount_text=minor_as_text,
        maker=period.computed_by is not None and period.computed_by == user.id,
        maker_reason=MAKER_REASON,
        held_texts=HELD_TEXTS,
        refused=refused or {},
        stray={
            k: v
            for k, v in (refused or {}).items()
            if k not in STEPS.get(period.status, ()) and k not in BANK_ACTIONS
        },
        form=form or {},
        **_context(request),
    )


def period_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    open_reads: PayoutReadsDep,
    period_id: int,
) -> Response:
    check_id(period_id, "period")
    return _period_page(request, session, settings, user, open_reads, period_id)


def _step(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    open_reads: Callable[[], PayoutReads],
    period_id: int,
    action: str,
    run: Callable[[], object],
    form: dict[str, str] | None = None,
) -> Response:
    """Run one closing step; back to the period's page, or the page with the refusal."""
    check_id(period_id, "period")
    try:
        with review.chain_reads():
            run()
    except AppError as refused:
        return refused_period_page(
            request, session, settings, user, open_reads, period_id, action, refused, form=form
        )
    return RedirectResponse(f"/finance/periods/{period_id}#closing", status_code=303)


def compute_period(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    open_reads: PayoutReadsDep,
    period_id: int,
) -> Response:
    def run() -> object:
        return compute.compute(session, settings, period_id, actor=user, now=now)

    return _step(request, session, settings, user, open_reads, period_id, "compute", run)


def approve_period(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    open_reads: PayoutReadsDep,
    period_id: int,
    computation: Annotated[int, Form(ge=1, le=2_147_483_647)],
) -> Response:
    def run() -> object:
        return compute.approve(
            session, settings, period_id, computation=computation, actor=user, now=now
        )

    return _step(request, session, settings, user, open_reads, period_id, "approve", run)


def anchor_period(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    open_reads: PayoutReadsDep,
    period_id: int,
) -> Response:
    def run() -> object:
        return onchain.request_anchor(session, period_id, actor=user, now=now)

    return _step(request, session, settings, user, open_reads, period_id, "anchor", run)


def pay_period(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    open_reads: PayoutReadsDep,
    period_id: int,
) -> Response:
    def run() -> object:
        return vault.plan_payouts(session, period_id, open_reads(), actor=user, now=now)

    return _step(request, session, settings, user, open_reads, period_id, "pay", run)


def fund_vault(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    open_reads: PayoutReadsDep,
    amount: Annotated[str, Form(max_length=40)] = "",
    period: Annotated[int, Form(ge=0, le=2_147_483_647)] = 0,
) -> Response:
    """Fund from a period's page (back to it) or from the vault's page."""
    exponent = _token_exponent(session, period)

    def run() -> object:
        try:
            minor = parse_minor(amount, exponent, limit=MAX_INT64)
        except AmountError as bad:
            raise Invalid(f"{amount!r} is not an amount ({bad.reason})", code="amount") from None
        if minor <= 0:
            raise Invalid("the amount must be above zero", code="amount")
        request_body = FundingRequest(amount=minor)
        vault.require_test_token(open_reads())
        return onchain.request_funding(
            session, request_body.amount, actor=user, now=now, period_id=period or None
        )

    if period:
        return _step(
            request, session, settings, user, open_reads, period, "fund", run, {"amount": amount}
        )
    try:
        with review.chain_reads():
            run()
    except AppError as refused:
        _rolled_back(session, user)
        return _vault_page(
            request,
            session,
            open_reads,
            status_code=refused.status_code,
            refused=_refusal(refused),
            form={"amount": amount},
        )
    return RedirectResponse("/finance/vault", status_code=303)


def _token_exponent(session: SessionDep, period_id: int) -> int:
    found = review.payout_currency(session, period_id or None)
    return found[1] if found is not None else 0


def period_progress(
    request: Request, session: SessionDep, settings: SettingsDep, period_id: int
) -> Response:
    """The closing's chain side; htmx polls it while something is pending, and reloads the
    page once nothing is (the period's state and its buttons moved on)."""
    check_id(period_id, "period")
    progress = review.progress(session, settings, period_id)
    if is_htmx(request) and not progress.pending:
        response = Response(status_code=200)
        response.headers["HX-Refresh"] = "true"
        return response
    currency = periods.to_public(progress.period, settings)
    return render(
        request,
        "_finance_progress.html",
        progress=progress,
        p=currency,
        held_texts=HELD_TEXTS,
        **_context(request),
    )


def period_changes(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    period_id: int,
    bonus: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    check_id(period_id, "period")
    period = periods.to_public(periods.get_period(session, period_id), settings)
    try:
        moved = review.changes(session, period_id, bonus)
    except AppError:
        return render(
            request,
            "error.html",
            status_code=404,
            title=N_("Page not found"),
            text=N_("There is no page at this address."),
            status=404,
        )
    return render(
        request,
        "finance_changes.html",
        p=period,
        bonus=bonus,
        moved=moved,
        **_context(request),
    )


# -- the vault -----------------------------------------------------------------------------------


def _vault_page(
    request: Request,
    session: SessionDep,
    open_reads: Callable[[], PayoutReads],
    *,
    status_code: int = 200,
    refused: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "finance_vault.html",
        status_code=status_code,
        v=review.vault_view(session, open_reads),
        refused=refused,
        form=form or {},
        **_context(request),
    )


def vault_page(request: Request, session: SessionDep, open_reads: PayoutReadsDep) -> Response:
    return _vault_page(request, session, open_reads)


def add_finance_pages(router: APIRouter) -> None:
    pages: tuple[tuple[str, Callable[..., Response]], ...] = (
        ("/finance/periods", list_periods),
        ("/finance/periods/{period_id}", period_page),
        ("/finance/periods/{period_id}/progress", period_progress),
        ("/finance/periods/{period_id}/changes", period_changes),
        ("/finance/vault", vault_page),
    )
    for path, handler in pages:
        router.add_api_route(path, handler, methods=["GET"])
    steps: tuple[tuple[str, Callable[..., Response]], ...] = (
        ("/finance/periods", open_period),
        ("/finance/periods/{period_id}/compute", compute_period),
        ("/finance/periods/{period_id}/approval", approve_period),
        ("/finance/periods/{period_id}/anchor", anchor_period),
        ("/finance/periods/{period_id}/payouts", pay_period),
        ("/finance/vault/funding", fund_vault),
    )
    for path, handler in steps:
        router.add_api_route(path, handler, methods=["POST"], dependencies=CsrfChecked)
