"""The statement pages: a distributor's list of statements, one statement with every line
explained in words, and the same statement as a CSV file. The domain service decides who may
read what (a distributor only their own, approved periods; staff any computed period)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.core.db import SessionDep
from backend.core.errors import Conflict, NotFound
from backend.core.model_base import Language
from backend.periods.models import HeldReason, PeriodLinePublic, StatementPublic
from backend.periods.statements import LineNote, line_notes, names_of, statement, statements_of
from backend.web.deps import SettingsDep
from backend.web.i18n import N_, load_translations
from backend.web.render import PageUser, check_id, language_of, render
from backend.web.verify import payout_commands

BONUS_NAMES = {
    "retail": N_("Retail profit"),
    "fast_start": N_("Fast start bonus"),
    "unilevel": N_("Unilevel bonus"),
    "binary": N_("Binary bonus"),
    "matrix": N_("Matrix bonus"),
    "matrix_completion": N_("Matrix completion bonus"),
    "stairstep": N_("Stair-step bonus"),
    "generation": N_("Generation bonus"),
    "matching": N_("Matching bonus"),
}
NOTE_TEXTS = {
    LineNote.full: N_("Paid in full."),
    LineNote.capped: N_("Capped: the part over a cap of the plan was not paid (breakage)."),
    LineNote.cap_reached: N_("Not paid: the cap of this bonus was already reached (breakage)."),
    LineNote.not_qualified: N_("Not paid: not qualified at this level this period (breakage)."),
}
HELD_TEXTS = {
    HeldReason.no_wallet: N_(
        "No payout wallet: the balance is held and paid in the first period after you add one."
    ),
    HeldReason.below_minimum: N_(
        "Below the minimum payout: the balance is carried to the next period."
    ),
    HeldReason.negative: N_(
        "Negative after a clawback of a return: it is taken from your next earnings."
    ),
    HeldReason.compliance_course: N_(
        "Compliance course not completed: %(course)s. The balance is held and paid in the "
        "first period by whose end you have completed it."
    ),
    HeldReason.tax_status_unknown: N_(
        "No tax status recorded: the company must know it to withhold tax. The balance is held "
        "and paid in the first period by whose end your tax status is recorded."
    ),
}
RAIL_NAMES = {"bank": N_("Bank transfer"), "token": N_("Token to your wallet")}
TAX_STATUS_NAMES = {
    "individual": N_("Private individual: the company withholds personal income tax (NDFL)"),
    "self_employed": N_("Self-employed (NPD): paid gross"),
    "sole_proprietor": N_("Sole proprietor: paid gross"),
    "company": N_("Company: paid gross"),
}
UNIT_NAMES = {"points": N_("points"), "cycles": N_("cycles"), "count": N_("bonuses")}
PER_UNIT = {"cycles": N_("per cycle"), "count": N_("per bonus")}


@dataclass(frozen=True)
class LineView:
    """One line as the page and the CSV explain it."""

    line: PeriodLinePublic
    bonus: str  # the message id of the bonus's name
    source_name: str
    note: LineNote
    per_unit: str | None  # the rate is money per cycle or per bonus, not a percentage

    @property
    def money_base(self) -> bool:
        return self.line.base_unit not in UNIT_NAMES


def my_statements(request: Request, session: SessionDep, user: PageUser) -> Response:
    if user.distributor_id is None:
        raise NotFound("this account has no distributor")
    return _list(request, session, user, user.distributor_id)


def statements_page(
    request: Request, session: SessionDep, user: PageUser, distributor_id: int
) -> Response:
    check_id(distributor_id)
    return _list(request, session, user, distributor_id)


def _list(request: Request, session: SessionDep, user: PageUser, distributor_id: int) -> Response:
    items = statements_of(session, distributor_id, actor=user)
    name = names_of(session, {distributor_id}).get(distributor_id, "")
    return render(
        request,
        "statements.html",
        items=list(reversed(items)),  # the latest first
        distributor_id=distributor_id,
        name=name,
        own=user.distributor_id == distributor_id,
    )


def _statement(
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
    period_id: int,
) -> tuple[StatementPublic, list[LineView], str]:
    check_id(distributor_id)
    check_id(period_id, "period")
    try:
        found = statement(session, settings, period_id, distributor_id, actor=user)
    except Conflict as refused:
        if refused.code != "period_state":
            raise
        # Not published (yet): for this reader there is no such statement.
        raise NotFound(f"no statement of period {period_id}") from refused
    names = names_of(session, {distributor_id} | {line.source for line in found.lines})
    views = [
        LineView(
            line=line,
            bonus=BONUS_NAMES.get(line.bonus, line.bonus),
            source_name=names.get(line.source, ""),
            note=note,
            per_unit=PER_UNIT.get(line.base_unit),
        )
        for line, note in zip(found.lines, line_notes(found.lines), strict=True)
    ]
    return found, views, names.get(distributor_id, "")


def statement_csv(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
    period_id: int,
) -> Response:
    found, views, _ = _statement(session, settings, user, distributor_id, period_id)
    language = language_of(request, user)
    text = statement_as_csv(found, views, language)
    filename = f"statement-{period_id}-{distributor_id}.csv"
    return Response(
        text.encode("utf-8-sig"),  # the mark lets spreadsheet programs read Cyrillic right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def statement_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
    period_id: int,
) -> Response:
    found, views, name = _statement(session, settings, user, distributor_id, period_id)
    commands = payout_commands(settings, period_id, int(found.leaf[1])) if found.leaf else None
    return render(
        request,
        "statement.html",
        s=found,
        views=views,
        name=name,
        own=user.distributor_id == distributor_id,
        note_texts=NOTE_TEXTS,
        held_texts=HELD_TEXTS,
        rail_names=RAIL_NAMES,
        tax_status_names=TAX_STATUS_NAMES,
        unit_names=UNIT_NAMES,
        notes=LineNote,
        commands=commands,
    )


def add_statement_pages(router: APIRouter) -> None:
    """Onto the pages' router (its guard and policy apply); the CSV before the page, whose
    `{period_id}` would otherwise take `1.csv`."""
    base = "/distributors/{distributor_id}/statements"
    router.add_api_route("/statements", my_statements, methods=["GET"])
    router.add_api_route(base, statements_page, methods=["GET"])
    router.add_api_route(base + "/{period_id}.csv", statement_csv, methods=["GET"])
    router.add_api_route(base + "/{period_id}", statement_page, methods=["GET"])


def decimal_text(minor: int, exponent: int) -> str:
    """Minor units as a plain decimal string with all the currency's places: ``1234.50``."""
    return format(Decimal(minor).scaleb(-exponent), f".{exponent}f")


def statement_as_csv(found: StatementPublic, views: list[LineView], language: Language) -> str:
    """The lines, then (after an empty row) the totals; amounts are decimal strings beside
    their currency code, rates in percent (or money per cycle, with its currency)."""
    _ = load_translations(language).gettext
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            _("Line"),
            _("Bonus"),
            _("Source ID"),
            _("Source"),
            _("Level"),
            _("Base"),
            _("Base unit"),
            _("Conversion"),
            _("Rate"),
            _("Rate unit"),
            _("Gross"),
            _("Paid"),
            _("Not paid"),
            _("Currency"),
            _("Note"),
        ]
    )
    currency, exponent = found.currency, found.exponent
    for view in views:
        line = view.line
        if view.money_base:
            base, unit = decimal_text(line.base, line.base_exponent), line.base_unit
        else:
            base, unit = str(line.base), _(UNIT_NAMES[line.base_unit])
        if view.per_unit is not None:
            rate = decimal_text(line.rate // 1_000_000, exponent)
            rate_unit = f"{currency} {_(view.per_unit)}"
        else:
            rate, rate_unit = format(Decimal(line.rate).scaleb(-4), "f"), "%"
        writer.writerow(
            [
                line.line_no,
                _(view.bonus),
                line.source,
                view.source_name,
                line.level,
                base,
                unit,
                line.conversion or "",
                rate,
                rate_unit,
                decimal_text(line.gross, exponent),
                decimal_text(line.amount, exponent),
                decimal_text(line.breakage, exponent),
                currency,
                _(NOTE_TEXTS[view.note]),
            ]
        )
    writer.writerow([])
    writer.writerow([_("Item"), _("Amount"), _("Currency"), _("Note")])
    for clawback in found.clawbacks:
        label = _("Clawback of return %(id)s") % {"id": clawback.return_id}
        writer.writerow([label, decimal_text(-clawback.amount, exponent), currency, ""])
    held = _(HELD_TEXTS[found.held]) % {"course": found.held_course or ""} if found.held else ""
    rail = _(RAIL_NAMES[found.rail]) if found.rail in RAIL_NAMES else ""
    status = _(TAX_STATUS_NAMES[found.tax_status]) if found.tax_status in TAX_STATUS_NAMES else ""
    rows: list[tuple[str, int, str]] = [
        (_("Carried in from earlier periods"), found.balance_in, ""),
        (_("Earned"), found.earned, ""),
        (_("Clawbacks"), -found.clawback, ""),
    ]
    if found.rail is not None:
        rows += [
            (_("Payout before tax (gross)"), found.gross, status),
            (_("Tax withheld"), -found.withheld, ""),
            (_("Payout (net)"), found.payout, rail),
        ]
    else:
        rows.append((_("Payout"), found.payout, ""))
    rows.append((_("Carried to the next period"), found.balance_out, held))
    for label, amount, note in rows:
        writer.writerow([label, decimal_text(amount, exponent), currency, note])
    return out.getvalue()
