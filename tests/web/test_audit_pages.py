"""The auditor's office through the test client, on SQLite and PostgreSQL, where no chain is
needed: every other role refused, unknown and open periods and malformed hashes not found, no
form that writes, the closed periods' packages listed and downloaded as the one canonical
archive (refused, with the reason, once a file on disk differs from its manifest), and pages
that need the chain saying in words that it cannot be read."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from sqlmodel import Session
from test_api_periods import close, make_company, post, today
from web_support import PASSWORD, Browser

from backend.packages import archive_bytes, read_dir
from backend.periods.models import Period, PeriodStatus
from backend.periods.service import package_dir

AUDITOR = "auditor@example.com"
PAGES = ["/audit/history", "/audit/reconciliation", "/audit/packages"]
TX = "0x" + "ab" * 32
ALL = [*PAGES, "/audit/packages/1", "/audit/packages/1.zip", f"/audit/tx/{TX}"]
POST_FORM = re.compile(r'<form method="post" action="([^"]*)"')


def auditor(api: Api, browser: Browser) -> Browser:
    assert browser.login(AUDITOR).status_code == 303  # type: ignore[attr-defined]
    return browser


def closed_company(api: Api) -> Api:
    """The periods tests' company with period 1 computed, approved and (in the database only:
    no chain here) anchored."""
    make_company(api)
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    with Session(api.engine) as session:
        period = session.get(Period, 1)
        assert period is not None
        period.status = PeriodStatus.anchored
        session.add(period)
        session.commit()
    return api


@pytest.mark.parametrize(
    "email", [ADMIN_EMAIL, "finance@example.com", "warehouse@example.com", "dina@example.com"]
)
def test_every_other_role_is_refused_every_audit_page(
    api: Api, browser: Browser, email: str
) -> None:
    password = ADMIN_PASSWORD if email == ADMIN_EMAIL else PASSWORD
    assert browser.login(email, password).status_code == 303  # type: ignore[attr-defined]
    for path in ALL:
        refused = browser.get(path)
        assert refused.status_code == 403, path  # type: ignore[attr-defined]
    home = browser.get("/home").text  # type: ignore[attr-defined]
    assert "/audit/" not in home  # no menu entry either


def test_anonymous_visitors_are_sent_to_the_login(browser: Browser) -> None:
    for path in PAGES:
        response = browser.get(path)
        assert response.status_code == 303  # type: ignore[attr-defined]
        assert response.headers["location"] == f"/login?next={path}"  # type: ignore[attr-defined]


def test_the_auditor_sees_the_menu_and_no_closed_period_yet(api: Api, browser: Browser) -> None:
    page = auditor(api, browser).get("/audit/packages")
    assert page.status_code == 200  # type: ignore[attr-defined]
    html = page.text  # type: ignore[attr-defined]
    for path in PAGES:
        assert f'href="{path}"' in html
    assert "Ни один период ещё не закрыт" in html


def test_unknown_or_open_periods_and_malformed_hashes_are_not_found(
    api: Api, browser: Browser
) -> None:
    make_company(api)
    assert post(api, "/api/periods").status_code == 201  # period 1, open
    today(api)  # the session cookie's expiry is on the app's clock
    b = auditor(api, browser)
    for path in (
        "/audit/packages/1",
        "/audit/packages/1.zip",
        "/audit/packages/99",
        "/audit/packages/99.zip",
        "/audit/packages/0",
        "/audit/packages/abc",
        "/audit/tx/0x1234",
        "/audit/tx/" + "ab" * 32,
        "/audit/reconciliation?period=99",
    ):
        response = b.get(path)
        assert response.status_code == 404, path  # type: ignore[attr-defined]
        assert "Страница не найдена" in response.text  # type: ignore[attr-defined]
    bad = b.get("/audit/history?period=abc")
    assert bad.status_code == 404  # type: ignore[attr-defined]


def test_pages_that_need_the_chain_say_it_cannot_be_read(api: Api, browser: Browser) -> None:
    closed_company(api)
    b = auditor(api, browser)
    for path in ("/audit/history", "/audit/reconciliation", "/audit/packages/1", f"/audit/tx/{TX}"):
        response = b.get(path)
        assert response.status_code == 503, path  # type: ignore[attr-defined]
        html = response.text  # type: ignore[attr-defined]
        assert "Блокчейн недоступен для чтения" in html, path
        assert "no deployment record" in html  # the service's reason, one line
        assert "Traceback" not in html


def test_closed_periods_are_listed_and_downloaded_as_the_canonical_archive(
    api: Api, browser: Browser
) -> None:
    closed_company(api)
    b = auditor(api, browser)
    listing = b.get("/audit/packages").text  # type: ignore[attr-defined]
    assert 'data-period="1"' in listing
    assert 'href="/audit/packages/1.zip"' in listing
    assert not POST_FORM.findall(listing.split("</header>", 1)[1])
    download = b.get("/audit/packages/1.zip")
    assert download.status_code == 200  # type: ignore[attr-defined]
    assert download.headers["content-type"] == "application/zip"  # type: ignore[attr-defined]
    assert 'filename="period-1.zip"' in download.headers["content-disposition"]  # type: ignore[attr-defined]
    folder = package_dir(api.settings, 1)
    files = read_dir(folder)
    data = download.content  # type: ignore[attr-defined]
    assert hashlib.sha256(data).digest() == hashlib.sha256(archive_bytes(files)).digest()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.filename: archive.read(i) for i in archive.infolist()} == files
    # `lineage period compute --out X.zip` writes the same bytes (one archive form).
    from backend.packages import write_package

    again = folder.parent / "again.zip"
    write_package(again, files)
    assert again.read_bytes() == data
    # A file changed on disk: the download is refused and says which.
    target = folder / "results" / "leaves.json"
    target.write_bytes(target.read_bytes().replace(b"]", b"] ", 1))
    refused = b.get("/audit/packages/1.zip")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "results/leaves.json" in refused.text  # type: ignore[attr-defined]
    assert "Пакет отличается от своего манифеста" in refused.text  # type: ignore[attr-defined]


def test_no_audit_page_has_a_form_that_writes(api: Api, browser: Browser) -> None:
    closed_company(api)
    b = auditor(api, browser)
    for path in (*PAGES, "/audit/packages/1"):
        html = b.get(path).text  # type: ignore[attr-defined]
        assert set(POST_FORM.findall(html)) <= {"/language", "/logout"}, path
        assert "hx-post" not in html
