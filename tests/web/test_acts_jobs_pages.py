"""The bulk acts job on the period's acts page, through the test client, on SQLite and
PostgreSQL: finance starts it (a second press gets the same job), the page and its fragment
show its progress with htmx polling while it is unfinished and ask for a reload once it is done;
the refusals come back in words on the acts page; other roles are refused."""

from __future__ import annotations

from typing import Any

from documents_kit import add_partner, make_period, set_company
from lineage_api import Api
from sqlmodel import Session, select
from web_support import Browser

from backend.documents import bulk
from backend.documents.models import ActsJob

FINANCE, DINA = "finance@example.com", "dina@example.com"
POLL = 'hx-get="/finance/periods/1/acts-jobs" hx-trigger="every 2s"'


def person(browser: Browser, email: str) -> Browser:
    assert browser.login(email).status_code == 303  # type: ignore[attr-defined]
    return browser


def jobs(api: Api) -> list[ActsJob]:
    with Session(api.engine) as session:
        return list(session.exec(select(ActsJob)))


def test_finance_starts_the_job_and_the_page_follows_it(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    other = add_partner(api.engine, "Oleg", "Second")
    make_period(api.engine, {api.distributor_id: "individual", other: None})
    finance = person(browser, FINANCE)
    page: Any = finance.get("/finance/periods/1/acts")
    assert 'action="/finance/periods/1/acts-jobs"' in page.text and POLL not in page.text
    for _press in range(2):
        started: Any = finance.post(
            "/finance/periods/1/acts-jobs", {"language": "en"}, token_from="/home"
        )
        assert started.status_code == 303
        assert started.headers["location"] == "/finance/periods/1/acts#acts-jobs"
    (job,) = jobs(api)
    assert (job.language, job.status, job.total, job.done) == ("en", "queued", 2, 0)
    page = finance.get("/finance/periods/1/acts")
    assert POLL in page.text
    assert "Ожидает обработчика. Выставлено 0 из 2 актов" in page.text
    assert job.id is not None
    bulk.run_job(api.engine, job.id, processes=1)
    polled = finance.client.get("/finance/periods/1/acts-jobs", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and polled.headers["HX-Refresh"] == "true"
    fragment: Any = finance.get("/finance/periods/1/acts-jobs")
    assert POLL not in fragment.text and 'data-state="done"' in fragment.text
    assert "Завершено. Выставлено 1 из 2 актов, отказано: 1." in fragment.text
    assert f'data-partner="{other}"' in fragment.text
    assert "не было налогового статуса" in fragment.text
    page = finance.get("/finance/periods/1/acts")
    assert 'href="/documents/1/pdf"' in page.text and "(en)" in page.text


def test_refusals_in_words_and_nothing_written(api: Api, browser: Browser) -> None:
    set_company(api.engine, director=None)
    make_period(api.engine, {api.distributor_id: "individual"})
    finance = person(browser, FINANCE)
    refused: Any = finance.post("/finance/periods/1/acts-jobs", {}, token_from="/home")
    assert refused.status_code == 409 and jobs(api) == []
    assert 'href="/admin/requisites"' in refused.text and "<li>Руководитель</li>" in refused.text
    bad: Any = finance.post("/finance/periods/1/acts-jobs", {"language": "de"}, token_from="/home")
    assert bad.status_code == 400 and jobs(api) == []
    assert "language" in bad.text
    missing: Any = finance.post("/finance/periods/77/acts-jobs", {}, token_from="/home")
    assert missing.status_code == 404 and jobs(api) == []


def test_an_open_period_and_other_roles_are_refused(api: Api, browser: Browser) -> None:
    set_company(api.engine)
    make_period(api.engine, {api.distributor_id: "individual"}, status="approved")
    finance = person(browser, FINANCE)
    refused: Any = finance.post("/finance/periods/1/acts-jobs", {}, token_from="/home")
    assert refused.status_code == 409 and jobs(api) == []
    assert "Акты выставляются только за периоды, записанные в блокчейн." in refused.text
    browser.client.cookies.clear()
    dina = person(browser, DINA)
    assert dina.get("/finance/periods/1/acts-jobs").status_code == 403  # type: ignore[attr-defined]
    forged: Any = dina.post("/finance/periods/1/acts-jobs", {}, token_from="/home")
    assert forged.status_code == 403 and jobs(api) == []
