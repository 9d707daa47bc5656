"""A period's bank lines without a chain, on SQLite and PostgreSQL: the payment file, and the
bank's statement read, matched and stored; bad statements refused or listed with nothing queued
for the chain; a good one queues one attest job; the same file again adds nothing.

The period is closed through the API and then marked anchored in the database (the anchor
itself is test_bank_payouts_chain's business); the statements are the dev bank's
(`backend.dev.bank`), altered where a test plays a bank that errs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bankpay_kit import ACCOUNTS, NET, leaf_of, rouble_company, set_requisites
from lineage_api import Api, error_code
from sqlalchemy import func, update
from sqlmodel import select
from test_api_periods import close, post

from backend.bank_payouts.models import BankPayment, BankStatementUpload
from backend.bankfiles.statement import parse_statement
from backend.chain_jobs import ChainJob, JobKind
from backend.dev.bank import execute
from backend.periods.models import Period, PeriodStatus

STATEMENT = "/api/periods/1/bank-statement"


def anchored(api: Api) -> None:
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    with api.session() as session:
        session.execute(update(Period).values(status=PeriodStatus.anchored))
        session.commit()


def bank_file(api: Api) -> bytes:
    got = api.client.get("/api/periods/1/bank-file", headers=api.as_("finance"))
    assert got.status_code == 200, got.text
    return got.content


def upload(api: Api, data: bytes, role: str = "finance") -> Any:
    return api.client.post(
        STATEMENT,
        content=data,
        headers=api.as_(role) | {"Content-Type": "application/octet-stream"},
    )


def count(api: Api, table: type[Any]) -> int:
    with api.session() as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def attest_jobs(api: Api) -> list[ChainJob]:
    with api.session() as session:
        return list(session.exec(select(ChainJob).where(ChainJob.kind == JobKind.attest)).all())


def test_the_payment_file_needs_an_anchored_period_and_the_company_details(api: Api) -> None:
    rouble_company(api, with_requisites=False)
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    early = api.client.get("/api/periods/1/bank-file", headers=api.as_("finance"))
    assert early.status_code == 409 and error_code(early) == "period_state"
    with api.session() as session:
        session.execute(update(Period).values(status=PeriodStatus.anchored))
        session.commit()
    lacking = api.client.get("/api/periods/1/bank-file", headers=api.as_("finance"))
    assert lacking.status_code == 409 and error_code(lacking) == "requisites_missing"
    assert lacking.json()["error"]["details"]["missing"] == [
        "legal_name", "inn", "account", "bank_name", "bik", "corr_account", "kpp",
    ]  # fmt: skip
    set_requisites(api)
    denied = api.client.get("/api/periods/1/bank-file", headers=api.as_("auditor"))
    assert denied.status_code == 403

    got = api.client.get("/api/periods/1/bank-file", headers=api.as_("finance"))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "text/plain; charset=windows-1251"
    assert 'filename="bank-payouts-period-1-' in got.headers["content-disposition"]
    text = got.content.decode("cp1251")
    assert text.startswith("1CClientBankExchange\r\n") and text.count("СекцияДокумент=") == 2
    two, five = leaf_of(api, 1, 2), leaf_of(api, 1, 5)
    assert f"выплата 1/{two}. НДФЛ удержан в сумме 5.00 руб." in text
    assert f"выплата 1/{five}. НДС не облагается" in text
    assert f"ПолучательСчет={ACCOUNTS[2]}\r\n" in text and "Сумма=35.00\r\n" in text
    assert f"ПолучательСчет={ACCOUNTS[5]}\r\n" in text and "Сумма=20.00\r\n" in text
    assert "выплата 1/" + str(leaf_of(api, 1, 3)) not in text  # the token line is not in it


def test_bad_statements_are_refused_or_listed_and_nothing_is_attested(api: Api) -> None:
    rouble_company(api)
    anchored(api)
    orders = bank_file(api)

    malformed = upload(api, b"1CClientBankExchange\r\nVersion 1.03\r\n")
    assert malformed.status_code == 422, malformed.text
    assert "line 2" in malformed.json()["error"]["message"]
    utf8 = upload(api, execute(orders).decode("cp1251").encode("utf-8"))
    assert utf8.status_code == 422 and error_code(utf8) == "encoding"
    assert "UTF-8" in utf8.json()["error"]["message"]
    assert count(api, BankStatementUpload) == 0  # a refused file leaves nothing behind

    def bank_errs(number: int, fields: dict[str, str]) -> dict[str, str]:
        if fields["ПолучательСчет"] == ACCOUNTS[2]:
            return fields | {"Сумма": "34.00"}  # short by a rouble
        return fields | {"ПолучательСчет": "40817810200000000001"}  # nobody's account

    wrong = upload(api, execute(orders, change=bank_errs))
    assert wrong.status_code == 200, wrong.text
    body = wrong.json()
    assert body["new"] is True and body["matched"] == [] and body["batches"] == []
    reasons = {p["line_index"]: p["outcome"] for p in body["problems"]}
    assert reasons == {leaf_of(api, 1, 2): "amount_short", leaf_of(api, 1, 5): "account_differs"}
    assert attest_jobs(api) == []
    seen = api.client.get("/api/periods/1/bank-payments", headers=api.as_("auditor")).json()
    assert seen["summary"]["open"] == 2 and seen["summary"]["attested"] == 0
    assert len(seen["problems"]) == 2 and seen["matched"] == []
    # The lines are still open: the next payment file still pays them.
    assert bank_file(api).decode("cp1251").count("СекцияДокумент=") == 2


def test_a_statement_queues_one_attestation_and_the_same_file_adds_nothing(api: Api) -> None:
    rouble_company(api)
    anchored(api)
    orders = bank_file(api)
    statement = execute(orders)
    assert upload(api, statement, role="auditor").status_code == 403
    first = upload(api, statement)
    assert first.status_code == 200, first.text
    body = first.json()
    two, five = leaf_of(api, 1, 2), leaf_of(api, 1, 5)
    assert body["new"] is True and body["problems"] == []
    assert sorted(p["line_index"] for p in body["matched"]) == sorted([two, five])
    assert all(len(p["reference"]) == 66 for p in body["matched"])
    [batch] = body["batches"]
    assert sorted(batch["indices"]) == sorted([two, five]) and batch["status"] == "queued"
    assert batch["amount"] == NET[2] + NET[5]
    [job] = attest_jobs(api)
    payload = job.attest()
    refs = {p["line_index"]: p["reference"] for p in body["matched"]}
    assert payload.refs == [refs[i] for i in payload.indices]

    again = upload(api, statement)
    assert again.status_code == 200 and again.json()["new"] is False
    assert again.json()["upload"]["id"] == body["upload"]["id"]
    assert len(attest_jobs(api)) == 1 and count(api, BankPayment) == 2

    # The same payments in another statement (executed the next day): seen, nothing new.
    next_day = parse_statement(orders).start + timedelta(days=1)
    later = upload(api, execute(orders, on=next_day))
    assert later.status_code == 200, later.text
    assert later.json()["new"] is True
    assert later.json()["matched"] == [] and later.json()["problems"] == []
    with api.session() as session:
        outcomes = session.exec(
            select(BankPayment.outcome).where(BankPayment.upload_id == later.json()["upload"]["id"])
        ).all()
    assert sorted(outcomes) == ["seen", "seen"]
    assert len(attest_jobs(api)) == 1
    payments = api.client.get("/api/periods/1/bank-payments", headers=api.as_("finance")).json()
    assert payments["summary"] == {
        "lines": 2, "amount": NET[2] + NET[5], "attested": 0, "attested_amount": 0,
        "waiting": 2, "waiting_amount": NET[2] + NET[5], "open": 0, "open_amount": 0,
    }  # fmt: skip
    assert {line["state"] for line in payments["lines"]} == {"matched"}
    nothing = api.client.get("/api/periods/1/bank-file", headers=api.as_("finance"))
    assert nothing.status_code == 409 and error_code(nothing) == "no_bank_lines"
