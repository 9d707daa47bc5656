"""The income disclosure statement's public pages (no login): a year's figures with a chart over
an accessible table, the statement's canonical JSON and SHA-256, and its PDF with the same
figures. The statement comes from the period packages (`backend.reports.disclosure`)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.core.db import SessionDep
from backend.core.errors import NotFound
from backend.core.money import format_pct
from backend.documents.render import render_pdf
from backend.reports.disclosure import Disclosure, disclosure
from backend.web.deps import SettingsDep
from backend.web.i18n import N_, load_translations
from backend.web.render import language_of, render

YEAR = re.compile(r"[0-9]{4}")
#: The percentile rows, in the table's order (the statement's keys and their labels).
FIGURES = (
    ("mean", N_("Mean")),
    ("p10", N_("10th percentile")),
    ("p25", N_("25th percentile")),
    ("median", N_("Median")),
    ("p75", N_("75th percentile")),
    ("p90", N_("90th percentile")),
    ("p99", N_("99th percentile")),
    ("max", N_("Highest")),
    ("total", N_("Total")),
)
NO_RANK = N_("No rank")
#: The statement's definitions as the page and the PDF word them (``ledger.disclosure``'s).
DEFINITIONS = (
    (
        N_("Participant"),
        N_(
            "Every distributor in the structure at the end of the year's last period, whether "
            "or not they bought, sold or earned anything. Those who earned nothing count as "
            "zero in every figure."
        ),
    ),
    (
        N_("Active participant"),
        N_(
            "A participant who met the plan's activity requirement (a personal volume of at "
            "least %(min_pv)s points) in at least one period of the year."
        ),
    ),
    (
        N_("Earnings"),
        N_(
            "Gross compensation earned in the periods ending in the year (every bonus after "
            "the plan's caps), before clawbacks for returns and before tax withheld."
        ),
    ),
    (
        N_("Expenses"),
        N_(
            "The participant's own purchases at the price charged, converted to the payout "
            "currency at each period's rate. Other business expenses are not known to the "
            "company and are not included."
        ),
    ),
    (
        N_("Rank band"),
        N_("The highest rank the participant had achieved by the end of the year."),
    ),
    (
        N_("Percentiles"),
        N_(
            "Nearest rank: the p-th percentile is the amount of the participant at place "
            "p × count / 100 (rounded up) from the lowest; the median is the 50th. The mean is "
            "the total divided by the count, rounded down to the kopeck or cent."
        ),
    ),
)


def _year(text: str) -> int:
    if YEAR.fullmatch(text) is None:
        raise NotFound(f"there is no income disclosure for {text[:20]!r}", code="no_disclosure")
    return int(text)


def band_chart(found: Disclosure, translate: Any) -> dict[str, Any]:
    """Per rank band, the quartiles and the 90th percentile of earnings in major units (the
    chart is a picture of the table under it, which holds the exact figures)."""
    exponent = int(found.statement["currency"]["exponent"])
    bands = found.statement["bands"]

    def major(minor: int) -> float:
        return float(Decimal(minor).scaleb(-exponent))

    return {
        "type": "bar",
        "labels": [b["name"] or translate(NO_RANK) for b in bands],
        "series": [
            {
                "name": translate(label),
                "data": [major(b["earnings"][key]) for b in bands],
            }
            for key, label in (
                ("p25", FIGURES[2][1]),
                ("median", FIGURES[3][1]),
                ("p75", FIGURES[4][1]),
                ("p90", FIGURES[5][1]),
            )
        ],
    }


def disclosure_page(
    request: Request, session: SessionDep, settings: SettingsDep, year: str
) -> Response:
    found = disclosure(session, settings, _year(year))
    language = language_of(request, getattr(request.state, "page_user", None))
    translate = load_translations(language).gettext
    return render(
        request,
        "disclosure.html",
        d=found,
        s=found.statement,
        figures=FIGURES,
        no_rank=NO_RANK,
        definitions=DEFINITIONS,
        pct=partial(format_pct, locale=language.value),
        chart=band_chart(found, translate),
    )


def disclosure_json(session: SessionDep, settings: SettingsDep, year: str) -> Response:
    """The statement's canonical bytes: their SHA-256 is the one the page shows and, for an
    anchored year, the one listed in the anchoring period's manifest."""
    found = disclosure(session, settings, _year(year))
    return Response(
        found.data,
        media_type="application/json",
        headers={"Content-Disposition": f'inline; filename="disclosure-{found.year}.json"'},
    )


def pdf_data(found: Disclosure, language: str) -> dict[str, Any]:
    """What the PDF template sees: the statement, its hash and anchoring, dated by the last day
    it covers (so the same statement gives the same PDF)."""
    through = date.fromisoformat(str(found.statement["period"]["through"]))
    return {
        "kind": "disclosure",
        "language": language,
        "issued_at": f"{through.isoformat()}T00:00:00+00:00",
        "s": found.statement,
        "sha256": found.sha256,
        "period_id": found.period_id,
        "anchor_tx": found.anchor_tx,
        "provisional": found.provisional,
        "figures": FIGURES,
        "no_rank": NO_RANK,
        "definitions": DEFINITIONS,
        "pct": partial(format_pct, locale=language),
    }


def disclosure_pdf(
    request: Request, session: SessionDep, settings: SettingsDep, year: str
) -> Response:
    found = disclosure(session, settings, _year(year))
    language = language_of(request, getattr(request.state, "page_user", None)).value
    pdf = render_pdf(pdf_data(found, language))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="disclosure-{found.year}-{language}.pdf"'
        },
    )


def add_disclosure_pages(router: APIRouter) -> None:
    """Onto the pages' router; the files before the page, whose ``{year}`` would take them."""
    router.add_api_route("/disclosure/{year}.pdf", disclosure_pdf, methods=["GET"])
    router.add_api_route("/disclosure/{year}.json", disclosure_json, methods=["GET"])
    router.add_api_route("/disclosure/{year}", disclosure_page, methods=["GET"])
