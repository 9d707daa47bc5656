"""Dated exchange rates (issue 11, item 2): the table, its API and CLI, the CBR import.

The CBR sample is a real `XML_daily.asp` file (15.03.2022, windows-1251), stored verbatim in
tests/backend/data (see the README there for where it comes from). Every test runs on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lineage_api import Api
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from test_api_migrations import blank_engine
from test_races import codes, race
from typer.testing import CliRunner

from backend.admin_log.models import AdminAction, AdminLogEntry
from backend.cli import _register
from backend.cli import app as cli_app
from backend.rates import service as rates
from backend.rates.models import ExchangeRate, Rate

SAMPLE = Path(__file__).parent / "data" / "cbr_XML_daily_2022-03-15.xml"
SAMPLE_DAY = "2022-03-15"
SAMPLE_COUNT = 34
XML = {"Content-Type": "application/xml"}
runner = CliRunner()
__all__ = ["blank_engine"]  # a fixture, re-exported for pytest
_register()


@pytest.fixture(autouse=True)
def no_seeded_rates(request: pytest.FixtureRequest) -> None:
    """These tests count rates: start them without the ones every test company gets."""
    if "api" in request.fixturenames:
        api = request.getfixturevalue("api")
        with Session(api.engine) as session:
            for row in session.exec(select(ExchangeRate).where(ExchangeRate.source == "test")):
                session.delete(row)
            session.commit()


def sample() -> bytes:
    return SAMPLE.read_bytes()


def cbr_file(date: str = "16.03.2022", *valutes: tuple[str, str, str]) -> bytes:
    """A small XML_daily file in the bank's encoding: (CharCode, Nominal, Value) per Valute."""
    body = "".join(
        f"<Valute ID='R{i}'><NumCode>000</NumCode><CharCode>{code}</CharCode>"
        f"<Nominal>{nominal}</Nominal><Name>Валюта</Name><Value>{value}</Value></Valute>"
        for i, (code, nominal, value) in enumerate(valutes or (("USD", "1", "80,5000"),))
    )
    text = (
        '<?xml version="1.0" encoding="windows-1251"?>'
        f'<ValCurs Date="{date}" name="Foreign Currency Market">{body}</ValCurs>'
    )
    return text.encode("windows-1251")


def import_file(api: Api, content: bytes, role: str = "finance", **headers: str) -> Any:
    return api.client.post(
        "/api/rates/cbr", content=content, headers=api.as_(role) | (headers or XML)
    )


def stored(engine: Engine) -> dict[tuple[str, str, str], str]:
    with Session(engine) as session:
        return {
            (r.base, r.quote, r.day.isoformat()): r.rate for r in session.exec(select(ExchangeRate))
        }


def rate_log(engine: Engine) -> list[AdminLogEntry]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AdminLogEntry).where(
                    AdminLogEntry.action.in_(  # type: ignore[attr-defined]
                        [AdminAction.rate_added, AdminAction.rates_imported]
                    )
                )
            )
        )


# -- the CBR import ---------------------------------------------------------------------------


def test_the_real_cbr_file_is_imported_exactly(api: Api) -> None:
    answer = import_file(api, sample())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "day": SAMPLE_DAY,
        "source": "cbr.ru XML_daily 15.03.2022",
        "added": SAMPLE_COUNT,
        "already_present": 0,
    }
    rows = stored(api.engine)
    assert len(rows) == SAMPLE_COUNT
    assert {quote for _, quote, _ in rows} == {"RUB"}
    # Value / Nominal, exact: 1 USD = 115,1963; 100 KZT = 22,4903; 10 INR = 15,0926;
    # 1000 UZS = 10,5423; 100 JPY = 99,4486; 1 XDR (the IMF's SDR) = 159,3464.
    assert rows["USD", "RUB", SAMPLE_DAY] == "115.1963"
    assert rows["KZT", "RUB", SAMPLE_DAY] == "0.224903"
    assert rows["INR", "RUB", SAMPLE_DAY] == "1.50926"
    assert rows["UZS", "RUB", SAMPLE_DAY] == "0.0105423"
    assert rows["JPY", "RUB", SAMPLE_DAY] == "0.994486"
    assert rows["XDR", "RUB", SAMPLE_DAY] == "159.3464"

    listed = api.client.get(f"/api/rates?on={SAMPLE_DAY}&limit=200", headers=api.as_("auditor"))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["count"] == SAMPLE_COUNT
    assert [item["base"] for item in body["items"]] == sorted(b for b, _, _ in rows)
    kzt = next(item for item in body["items"] if item["base"] == "KZT")
    assert kzt["rate"] == "0.224903" and isinstance(kzt["rate"], str)
    assert kzt["source"] == "cbr.ru XML_daily 15.03.2022"

    (entry,) = rate_log(api.engine)
    assert entry.action == AdminAction.rates_imported
    assert entry.target == f"exchange_rates:RUB/{SAMPLE_DAY}"
    assert entry.actor_id is not None
    assert '"KZT":"0.224903"' in entry.payload


def test_importing_the_same_file_again_adds_nothing(api: Api) -> None:
    assert import_file(api, sample()).json()["added"] == SAMPLE_COUNT
    again = import_file(api, sample(), role="admin")
    assert again.status_code == 200, again.text
    assert again.json()["added"] == 0
    assert again.json()["already_present"] == SAMPLE_COUNT
    assert len(stored(api.engine)) == SAMPLE_COUNT
    assert len(rate_log(api.engine)) == 1  # a no-op is not logged


def test_a_file_that_changes_a_stored_rate_is_refused_whole(api: Api) -> None:
    assert import_file(api, sample()).status_code == 200
    before = stored(api.engine)
    changed = sample().replace(b"<Value>115,1963</Value>", b"<Value>116,0000</Value>")
    answer = import_file(api, changed)
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "rate_exists"
    assert "USD/RUB on 2022-03-15 is already 115.1963" in error["message"]
    assert "refusing 116" in error["message"]
    assert error["details"] == [
        {"base": "USD", "quote": "RUB", "day": SAMPLE_DAY, "stored": "115.1963", "given": "116"}
    ]
    assert stored(api.engine) == before

    # A new day's file whose one conflicting rate was entered first: none of it is written.
    entered = {"base": "EUR", "quote": "RUB", "day": "2022-03-16", "rate": "1", "source": "x"}
    first = api.client.post("/api/rates", json=entered, headers=api.as_("finance"))
    assert first.status_code == 201, first.text
    new_day = cbr_file("16.03.2022", ("USD", "1", "110,0000"), ("EUR", "1", "120,0000"))
    assert import_file(api, new_day).status_code == 409
    assert {k for k in stored(api.engine) if k[2] == "2022-03-16"} == {("EUR", "RUB", "2022-03-16")}


BAD_FILES = [
    (b"", "the file is empty"),
    (b"USD;RUB;78,23\n", "not an XML file"),
    (b"<html><body>rates</body></html>", "the root is <html>, not <ValCurs>"),
    (b"<ValCurs name='x'><Valute/></ValCurs>", "has no Date attribute"),
    (cbr_file("2022-03-16"), "is not a date like 15.03.2022"),
    (cbr_file("31.02.2022"), "is not a calendar date"),
    (b"<ValCurs Date='16.03.2022'></ValCurs>", "holds no <Valute> rates"),
    (cbr_file("16.03.2022", ("USD", "1", "80,5"), ("EUR", "1", "9O,1")), "not a decimal number"),
    (cbr_file("16.03.2022", ("USD", "1", "-80,5")), "not a decimal number"),
    (cbr_file("16.03.2022", ("USD", "1", "0,0000")), "must be greater than zero"),
    (cbr_file("16.03.2022", ("USD", "0", "80,5")), "not a positive whole number"),
    (cbr_file("16.03.2022", ("USD", "3", "1,0000")), "has no exact decimal value"),
    (cbr_file("16.03.2022", ("USD", "1", "80,5"), ("XYZ", "1", "1,0")), "XYZ is not a known"),
    (cbr_file("16.03.2022", ("usd", "1", "80,5")), "not a currency code"),
    (cbr_file("16.03.2022", ("RUB", "1", "1,0")), "both RUB"),
    (
        cbr_file("16.03.2022", ("USD", "1", "80,5"), ("USD", "1", "81,5")),
        "USD/RUB on 2022-03-16 is given twice",
    ),
    (
        b'<?xml version="1.0"?><!DOCTYPE v [<!ENTITY a "aaaa">]><ValCurs Date="16.03.2022">'
        b"<Valute><CharCode>&a;</CharCode></Valute></ValCurs>",
        "XML features a rate file never has",
    ),
]


def test_bad_rate_files_are_refused_and_nothing_is_written(api: Api) -> None:
    for content, message in BAD_FILES:
        answer = import_file(api, content)
        assert answer.status_code == 422, (message, answer.text)
        assert message in answer.json()["error"]["message"], answer.text
    form = api.client.post(
        "/api/rates/cbr", files={"file": ("x.xml", sample())}, headers=api.as_("finance")
    )
    assert form.status_code == 415, form.text
    assert import_file(api, sample(), **{"Content-Type": "application/json"}).status_code == 415
    assert stored(api.engine) == {}
    assert rate_log(api.engine) == []


# -- one rate through the API -----------------------------------------------------------------


def rate(**changes: Any) -> dict[str, Any]:
    return {"base": "USD", "quote": "RUB", "day": "2026-03-31", "rate": "78.2345",
            "source": "treasury desk"} | changes  # fmt: skip


def test_one_rate_is_stored_once_and_never_changed(api: Api) -> None:
    finance = api.as_("finance")
    added = api.client.post("/api/rates", json=rate(), headers=finance)
    assert added.status_code == 201, added.text
    assert added.json()["added"] is True
    assert added.json()["rate"]["rate"] == "78.2345"
    assert added.json()["rate"]["created_by"] is not None

    same = api.client.post("/api/rates", json=rate(rate="78.234500"), headers=api.as_("admin"))
    assert same.status_code == 200, same.text
    assert same.json()["added"] is False
    assert same.json()["rate"]["id"] == added.json()["rate"]["id"]

    other = api.client.post("/api/rates", json=rate(rate="78.2346"), headers=finance)
    assert other.status_code == 409, other.text
    message = other.json()["error"]["message"]
    assert "USD/RUB on 2026-03-31 is already 78.2345" in message
    assert "refusing 78.2346" in message
    assert stored(api.engine) == {("USD", "RUB", "2026-03-31"): "78.2345"}
    (entry,) = rate_log(api.engine)
    assert entry.action == AdminAction.rate_added
    assert entry.target == "exchange_rate:USD/RUB/2026-03-31"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rate": "0"}, "must be greater than zero"),
        ({"rate": "0.0000000000"}, "must be greater than zero"),
        ({"rate": "-1"}, "not a decimal number"),
        ({"rate": "NaN"}, "not a decimal number"),
        ({"rate": "Infinity"}, "not a decimal number"),
        ({"rate": "1e5"}, "not a decimal number"),
        ({"rate": "78,2345"}, "not a decimal number"),
        ({"rate": ""}, "not a decimal number"),
        ({"rate": "1000000000"}, "must be below 1000000000"),
        ({"rate": "0.00000000001"}, "more than 10 decimals"),
        ({"rate": "1.00000000000000000000000000000001"}, "more than 10 decimals"),
        ({"rate": 78.2345}, "valid string"),
        ({"base": "XYZ"}, "XYZ is not a known ISO 4217 currency"),
        ({"base": "usd"}, "not a currency code"),
        ({"quote": "USD"}, "base and quote are both USD"),
        ({"base": "USDT"}, "at most 3 characters"),
        ({"day": "2026-02-30"}, "day"),
        ({"source": ""}, "source"),
    ],
)
def test_a_bad_rate_is_refused(api: Api, changes: dict[str, Any], message: str) -> None:
    answer = api.client.post("/api/rates", json=rate(**changes), headers=api.as_("finance"))
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["error"]["message"], answer.text
    assert stored(api.engine) == {}


def test_more_decimals_than_shown_are_kept_exactly(api: Api) -> None:
    answer = api.client.post("/api/rates", json=rate(rate="999999999.9999999999"),
                             headers=api.as_("finance"))  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert stored(api.engine) == {("USD", "RUB", "2026-03-31"): "999999999.9999999999"}


def test_roles(api: Api) -> None:
    assert api.client.get("/api/rates", headers=api.as_("auditor")).status_code == 200
    assert api.client.get("/api/rates", headers=api.as_("distributor")).status_code == 403
    for role in ("auditor", "warehouse", "distributor"):
        assert api.client.post("/api/rates", json=rate(), headers=api.as_(role)).status_code == 403
        assert import_file(api, sample(), role=role).status_code == 403
    assert stored(api.engine) == {}


# -- the rates a period uses ------------------------------------------------------------------


def put(session: Session, base: str, day: str, value: str, quote: str = "RUB") -> None:
    row = ExchangeRate(
        base=base, quote=quote, day=dt.date.fromisoformat(day), rate=value, source="test"
    )
    session.add(row)


def test_latest_rates_takes_each_pairs_latest_day_on_or_before(api: Api) -> None:
    with Session(api.engine) as session:
        put(session, "USD", "2026-03-01", "90")
        put(session, "USD", "2026-03-10", "91.5")
        put(session, "USD", "2026-03-20", "92")
        put(session, "EUR", "2026-03-05", "100.25")
        put(session, "KZT", "2026-03-25", "0.16")
        put(session, "USD", "2026-03-12", "1.08", quote="EUR")
        session.commit()
        assert rates.latest_rates(session, dt.date(2026, 2, 28)) == []
        on_15th = rates.latest_rates(session, dt.date(2026, 3, 15))
        assert on_15th == [
            Rate("EUR", "RUB", dt.date(2026, 3, 5), Decimal("100.25"), "test"),
            Rate("USD", "EUR", dt.date(2026, 3, 12), Decimal("1.08"), "test"),
            Rate("USD", "RUB", dt.date(2026, 3, 10), Decimal("91.5"), "test"),
        ]
        on_20th = rates.latest_rates(session, dt.date(2026, 3, 20))
        assert [(r.base, r.quote, str(r.value)) for r in on_20th] == [
            ("EUR", "RUB", "100.25"), ("USD", "EUR", "1.08"), ("USD", "RUB", "92"),
        ]  # fmt: skip
        assert len(rates.latest_rates(session, dt.date(2030, 1, 1))) == 4
    listed = api.client.get("/api/rates?on=2026-03-15&quote=RUB", headers=api.as_("finance"))
    assert [(i["base"], i["rate"]) for i in listed.json()["items"]] == [
        ("EUR", "100.25"),
        ("USD", "91.5"),
    ]
    ranged = api.client.get(
        "/api/rates?from=2026-03-05&to=2026-03-20&base=USD", headers=api.as_("finance")
    )
    assert [(i["day"], i["quote"]) for i in ranged.json()["items"]] == [
        ("2026-03-20", "RUB"), ("2026-03-12", "EUR"), ("2026-03-10", "RUB"),
    ]  # fmt: skip
    both = api.client.get("/api/rates?on=2026-03-15&from=2026-03-01", headers=api.as_("finance"))
    assert both.status_code == 422


# -- concurrency ------------------------------------------------------------------------------


def test_concurrent_imports_of_one_file_store_each_rate_once(api: Api) -> None:
    content = sample()
    answers = race(
        api,
        8,
        lambda client, _i: client.post(
            "/api/rates/cbr", content=content, headers=api.as_("finance") | XML
        ),
    )
    assert codes(answers) == {200: 8}, [a.text for a in answers]
    assert sorted(a.json()["added"] for a in answers) == [0] * 7 + [SAMPLE_COUNT]
    with Session(api.engine) as session:
        count = session.exec(select(func.count()).select_from(ExchangeRate)).one()
    assert count == SAMPLE_COUNT
    assert len(rate_log(api.engine)) == 1


# -- the CLI ----------------------------------------------------------------------------------


def test_cli_import_and_list(api: Api, tmp_path: Path) -> None:
    env = {"LINEAGE_DATABASE_URL": api.engine.url.render_as_string(hide_password=False)}

    def cli(*args: str) -> Any:
        return runner.invoke(cli_app, ["rates", *args], env=env)

    first = cli("import-cbr", str(SAMPLE))
    assert first.exit_code == 0, first.output
    assert "34 rates added, 0 already present" in first.output
    again = cli("import-cbr", str(SAMPLE))
    assert again.exit_code == 0 and "0 rates added, 34 already present" in again.output

    listed = cli("list", "--on", "2022-03-20")
    assert listed.exit_code == 0, listed.output
    assert "115.1963" in listed.output and "0.224903" in listed.output

    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<html/>")
    refused = cli("import-cbr", str(bad))
    assert refused.exit_code == 2
    assert "not a CBR XML_daily file" in refused.output
    conflicting = tmp_path / "conflicting.xml"
    conflicting.write_bytes(sample().replace(b"115,1963", b"115,1964"))
    clash = cli("import-cbr", str(conflicting))
    assert clash.exit_code == 2 and "is already 115.1963" in clash.output
    assert cli("import-cbr", str(tmp_path / "missing.xml")).exit_code == 2
    assert cli("list", "--on", "15.03.2022").exit_code == 2
    assert cli("list", "--base", "XYZ").exit_code == 2
    assert len(stored(api.engine)) == SAMPLE_COUNT


def test_cli_without_a_database_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        cli_app, ["rates", "list", "--data-dir", str(tmp_path)], env={"LINEAGE_DATABASE_URL": ""}
    )
    assert result.exit_code == 2
    assert "no database" in result.output


def test_0011_downgrades_only_while_the_admin_log_holds_no_rate_entry(
    blank_engine: Engine,
) -> None:
    from alembic import command
    from sqlalchemy import inspect, text

    from backend.bootstrap import alembic_config, migrate

    migrate(blank_engine)
    config = alembic_config(blank_engine)
    with blank_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    assert "exchange_rate" not in inspect(blank_engine).get_table_names()
    migrate(blank_engine)
    with Session(blank_engine) as session:
        rates.import_cbr(session, cbr_file())
    with pytest.raises(RuntimeError, match="hash chain"):
        with blank_engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0010")
    with blank_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM exchange_rate")).scalar_one() == 1
