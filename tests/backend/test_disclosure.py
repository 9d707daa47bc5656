"""The income disclosure statement through the service, on SQLite and PostgreSQL.

The company is test_api_periods' (root 1 > Dina 2 > 3, 4; 3 > 5 (no wallet) > 6; 2..6 each buy
2 x Tea, 100 PV, 8.00 RUB wholesale) with its calendar starting on 1 December of last year, so
period 1 is last December — the year's last period — and period 2 is this January. Six
participants; the root buys nothing."""

from __future__ import annotations

import hashlib
import json
import statistics
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import test_api_periods
from documents_kit import pdf_png, pdf_text
from lineage_api import Api
from sqlmodel import select
from test_api_periods import close, make_company, post

from backend.packages import read_dir
from backend.periods.models import PeriodPayee
from ledger.package import read_package_table, verify_package

LAST_YEAR = datetime.now(UTC).year - 1


@pytest.fixture
def year_end(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setattr(test_api_periods, "month_start", lambda _: date(LAST_YEAR, 12, 1))
    make_company(api)
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    return api


def _package(api: Api, period: int) -> dict[str, bytes]:
    return read_dir(api.settings.data_dir / "periods" / str(period))


def _public(api: Api, url: str) -> Any:
    return api.client.get(url)  # no login: the statement is public


def test_the_years_last_period_anchors_the_statement_with_every_participant(
    year_end: Api,
) -> None:
    api = year_end
    files = _package(api, 1)
    manifest = json.loads(files["manifest.json"])
    assert "results/disclosure.json" in manifest["files"]
    assert verify_package(files) == []  # the statement is recomputed from the package alone
    found = _public(api, f"/disclosure/{LAST_YEAR}.json")
    assert found.status_code == 200, found.text
    data = found.content
    assert data == files["results/disclosure.json"]
    assert "0x" + hashlib.sha256(data).hexdigest() == manifest["files"]["results/disclosure.json"]
    s = json.loads(data)
    with api.session() as session:
        earners = session.exec(select(PeriodPayee.earned).where(PeriodPayee.earned > 0)).all()
    # Everyone in the structure is a participant, the root and those who earned nothing too.
    assert s["earnings"]["count"] == 6
    assert s["earnings"]["zero"] == 6 - len(earners) > 0
    assert s["earnings"]["total"] == sum(earners)
    # The median computed directly over the package: every distributor of the period, their
    # year's earnings from results/income_ytd.tbl, 0 for whoever has no row.
    people = read_package_table(files["results/distributors.tbl"], file="results/distributors.tbl")
    ytd = read_package_table(files["results/income_ytd.tbl"], file="results/income_ytd.tbl")
    earned = dict(zip(ytd["id"].tolist(), ytd["earned"].tolist(), strict=True))
    everyone = [earned.get(who, 0) for who in people["id"].tolist()]
    assert len(everyone) == 6
    assert s["earnings"]["median"] == statistics.median_low(everyone)
    assert s["earnings"]["max"] == max(everyone)
    # Own purchases: five buyers of 2 x 8.00 RUB, converted to the payout currency.
    assert s["expenses"]["zero"] == 1 and s["expenses"]["count"] == 6
    assert sum(b["earnings"]["count"] for b in s["bands"]) == 6


def test_the_page_and_the_pdf_show_the_packages_figures(year_end: Api, tmp_path: Path) -> None:
    api = year_end
    data = _public(api, f"/disclosure/{LAST_YEAR}.json").content
    sha = "0x" + hashlib.sha256(data).hexdigest()
    s = json.loads(data)
    page = _public(api, f"/disclosure/{LAST_YEAR}")
    assert page.status_code == 200
    html = page.text
    assert sha in html and "Предварительн" not in html
    assert f'data-key="earnings-count">{s["earnings"]["count"]}<' in html
    assert f'data-key="earnings-zero">{s["earnings"]["zero"]}<' in html
    assert "не закреплено в блокчейне" in html or "ещё не закреплён" in html  # approved only
    pdf = _public(api, f"/disclosure/{LAST_YEAR}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert sha in text.replace("\n", "").replace(" ", "")
    assert f"Декларация о доходах за {LAST_YEAR}" in text
    lines = [line.strip() for line in text.splitlines() if "  " in line.strip()]
    rows = {line.split("  ")[0]: line.split()[-3:] for line in lines}
    e, a, x = s["earnings"], s["active"]["earnings"], s["expenses"]
    assert rows["Участники"] == [str(e["count"]), str(a["count"]), str(x["count"])]
    assert rows["Равно нулю (число)"] == [str(e["zero"]), str(a["zero"]), str(x["zero"])]
    pngs = pdf_png(pdf.content, "disclosure-ru", tmp_path)
    assert pngs and pngs[0].stat().st_size > 10_000


def test_a_year_without_its_last_period_is_provisional(year_end: Api) -> None:
    api = year_end
    this_year = LAST_YEAR + 1
    refused = _public(api, f"/disclosure/{this_year}.json")
    assert refused.status_code == 404  # no approved period of the year yet
    assert post(api, "/api/periods").status_code == 201
    close(api, 2)  # January: nobody buys, the year-to-date starts again from 0
    found = _public(api, f"/disclosure/{this_year}.json")
    assert found.status_code == 200, found.text
    s = json.loads(found.content)
    assert s["provisional"] is True and s["period"]["through_period"] == 2
    assert s["earnings"]["count"] == 6 and s["earnings"]["zero"] == 6
    assert s["expenses"]["total"] == 0
    assert "results/disclosure.json" not in _package(api, 2)
    page = _public(api, f"/disclosure/{this_year}")
    assert page.status_code == 200 and "Предварительно" in page.text
    # Last year's anchored statement is still last year's.
    assert json.loads(_public(api, f"/disclosure/{LAST_YEAR}.json").content)["provisional"] is False


@pytest.mark.parametrize("year", ["abcd", "1999", "20260", "2026.5"])
def test_a_bad_year_is_a_404_in_words(year_end: Api, year: str) -> None:
    found = _public(year_end, f"/disclosure/{year}")
    assert found.status_code == 404
    assert "Traceback" not in found.text


def test_the_staff_report_holds_the_statements_bands(year_end: Api) -> None:
    api = year_end
    s = json.loads(_public(api, f"/disclosure/{LAST_YEAR}.json").content)
    params = {"from": f"{LAST_YEAR}-12-01", "to": f"{LAST_YEAR}-12-31"}
    found = api.client.get(
        "/api/reports/payouts-disclosure", params=params, headers=api.as_("auditor")
    )
    assert found.status_code == 200, found.text
    rows = found.json()["rows"]
    assert rows[-1]["rank"] == "*" and rows[-1]["count"] == 6
    assert rows[-1]["zero"] == s["earnings"]["zero"]
    assert rows[-1]["median"] == s["earnings"]["median"]
    assert [r["count"] for r in rows[:-1]] == [b["earnings"]["count"] for b in s["bands"]]
