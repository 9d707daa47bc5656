"""The reconciliation statement over the API on SQLite and PostgreSQL, on a partner whose
figures are checked by eye (`reconciliation_kit`): the rows, the opening and closing balances
and the sentence in Russian and English, the words matching the figures, the closing balance
equal to a direct sum over the stored records; the same request again returns the stored
statement, a correction regathers it; bad ranges, unknown partners and unused currencies are
refused with nothing written; concurrent issues number without gaps. PNGs to
artifacts/documents."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from documents_kit import add_partner, pdf_meta, pdf_png, pdf_text, set_company
from lineage_api import Api
from reconciliation_kit import CLOSING, CREDIT, DEBIT, OPENING, TX, at, make_settlements
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from backend.accounts.models import User
from backend.bank_payouts.models import BankPayment, BankStatementUpload
from backend.core.model_base import Language, MovementKind, Role
from backend.documents import service
from backend.documents.models import Document
from backend.documents.words import amount_in_words
from backend.genealogy.models import Distributor
from backend.orders.models import Order, OrderLine, Payment
from backend.periods.models import Period, PeriodPayee
from backend.stock.models import StockMovement

TODAY = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
RANGE = {"from": "2026-03-01", "to": "2026-05-31", "currency": "RUB"}


def _issue(api: Api, body: dict[str, Any], partner: int | None = None) -> dict[str, Any]:
    who = api.distributor_id if partner is None else partner
    done = api.client.post(
        f"/api/distributors/{who}/reconciliation", json=body, headers=api.as_("finance")
    )
    assert done.status_code == 200, done.text
    issued: dict[str, Any] = done.json()
    return issued


def _stored(api: Api, document_id: int) -> tuple[dict[str, Any], bytes]:
    with Session(api.engine) as session:
        document = session.get(Document, document_id)
        assert document is not None
        assert service.rerender(document) == document.pdf  # the same data, the same bytes
        fields: dict[str, Any] = json.loads(document.data)["fields"]
        return fields, document.pdf


def _count(api: Api) -> int:
    with Session(api.engine) as session:
        return int(session.exec(select(func.count()).select_from(Document)).one())


def _squash(text: str) -> str:
    return " ".join(text.split())


#: (date, kind, debit, credit) of the range's rows, as `reconciliation_kit` lists them.
ROWS = [
    ("2026-03-02", "shipment", 250000, 0),
    ("2026-03-10", "payment", 0, 360000),
    ("2026-03-12", "shipment", 360000, 0),
    ("2026-03-20", "return", 0, 120000),
    ("2026-04-30", "commission", 0, 500000),
    ("2026-05-05", "payout", 435000, 0),
    ("2026-05-05", "tax", 65000, 0),
    ("2026-05-21", "payment", 0, 80000),
    ("2026-05-31", "commission_reversal", 20000, 0),
]

FIELDS = {
    "ru": [
        "Акт сверки взаимных расчётов № 1 от 10 июня 2026 г.",
        "с 1 марта 2026 г. по 31 мая 2026 г., в RUB",
        "ООО «Линия»",
        "ИНН 7701000001",
        "Dina First",
        "ИНН 500100732259",
        "По данным ООО «Линия», RUB",
        "По данным Dina First, RUB",
        "Сальдо начальное",
        "2 500,00",
        "Отгрузка по заказу № 2",
        "Возврат товара по заказу № 3, 1 шт.",
        "Оплата заказа № 3",
        "Начислено вознаграждение",
        "Выплачено вознаграждение",
        "токенами",
        "НДФЛ удержан и перечислен в",
        "Удержано вознаграждение за",
        "4 350,00",
        "650,00",
        "Обороты за период",
        "11 300,00",
        "10 600,00",
        "Сальдо конечное",
        "По данным ООО «Линия» на 31 мая 2026 г. задолженность ООО «Линия» перед Dina First "
        "составляет 1 800,00 RUB",
        "Одна тысяча восемьсот рублей 00 копеек",
        "Расхождения (заполняет партнёр)",
        "Главный бухгалтер",
        "Петров В. Г.",
    ],
    "en": [
        "Reconciliation statement No. 1 of June 10, 2026",
        "from March 1, 2026 to May 31, 2026, in RUB",
        "According to ООО «Линия», RUB",
        "According to Dina First, RUB",
        "Opening balance",
        "Goods shipped, order No. 2",
        "Goods returned, order No. 3",
        "Commission accrued",
        "Commission paid in tokens",
        "Personal income tax withheld",
        "11,300.00",
        "10,600.00",
        "Closing balance",
        "According to ООО «Линия», as of May 31, 2026 the debt of ООО «Линия» to Dina First "
        "is 1,800.00 RUB",
        "One thousand eight hundred roubles 00 kopecks",
        "Disagreements (filled in by the partner)",
        "Chief accountant",
    ],
}


@pytest.mark.parametrize("language", ["ru", "en"])
def test_hand_checked_statement(api: Api, tmp_path: Path, language: str) -> None:
    set_company(api.engine)
    make_settlements(api.engine, api.distributor_id)
    api.clock.now = TODAY
    body = _issue(api, RANGE | {"language": language})
    assert (body["kind"], body["number"], body["revision"]) == ("reconciliation", 1, 0)
    assert body["distributor_id"] == api.distributor_id
    fields, pdf = _stored(api, body["id"])
    assert [(r["date"], r["kind"], r["debit"], r["credit"]) for r in fields["rows"]] == ROWS
    assert (fields["opening"], fields["debit"], fields["credit"]) == (OPENING, DEBIT, CREDIT)
    assert fields["closing"] == OPENING + DEBIT - CREDIT == CLOSING == -180000
    assert fields["debtor"] == "company"
    assert fields["rows"][5]["reference"] == TX and fields["rows"][5]["rail"] == "token"
    assert fields["closing"] == _direct_balance(api.engine, api.distributor_id, date(2026, 5, 31))
    words = amount_in_words(180000, "RUB", 2, language)
    assert fields["closing_words"] == words
    raw = pdf_text(pdf, tmp_path)
    text = _squash(raw)
    for field in FIELDS[language]:
        assert field in text, f"{field!r} missing from the {language} statement:\n{text}"
    assert TX in "".join(raw.split())  # a hash may wrap
    assert "50 000,00" not in text and "500,000.00" not in text  # tenge left out
    assert "700,00" not in text and "700.00" not in text  # the retail customer's order
    assert pdf[:8] == b"%PDF-1.7" and "pdfaid:part" in pdf_meta(pdf, tmp_path)
    assert pdf_png(pdf, f"reconciliation-{language}", tmp_path)


def _direct_balance(engine: Engine, partner: int, end: date) -> int:
    """The partner's balance at ``end`` summed straight from the stored records: goods shipped
    less payments, returns and accrued commission, plus what was paid out (net and tax)."""
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    own = (
        Order.distributor_id == partner,
        col(Order.customer_id).is_(None),
        Order.currency == "RUB",
    )
    with Session(engine) as session:
        shipped = session.exec(
            select(func.sum(Order.total_amount)).where(*own, col(Order.shipped_at) < until)
        ).one()
        paid = session.exec(
            select(func.sum(Payment.amount))
            .join(Order, col(Order.id) == col(Payment.order_id))
            .where(*own, col(Payment.paid_at) < until)
        ).one()
        returned = session.exec(
            select(func.sum(StockMovement.quantity * OrderLine.unit_price))
            .join(Order, col(Order.id) == col(StockMovement.order_id))
            .join(OrderLine, col(OrderLine.order_id) == col(Order.id))
            .where(*own, StockMovement.kind == MovementKind.return_)
            .where(col(StockMovement.created_at) < until)
        ).one()
        payees = session.exec(
            select(PeriodPayee).join(Period).where(PeriodPayee.distributor_id == partner)
        ).all()
        accrued = sum(p.earned - p.clawback for p in payees)
        paid_out = sum(p.payout + p.withheld for p in payees if p.leaf_index is not None)
    return int(shipped or 0) - int(paid or 0) - int(returned or 0) - accrued + paid_out


def test_no_debt_and_the_partners_debt(api: Api, tmp_path: Path) -> None:
    set_company(api.engine)
    make_settlements(api.engine, api.distributor_id)
    api.clock.now = TODAY
    # To 12 March: the opening 2 500,00 owed to Dina, then B shipped, C paid and shipped.
    even = _issue(api, {"from": "2026-03-01", "to": "2026-03-12", "currency": "RUB"})
    fields, pdf = _stored(api, even["id"])
    assert (fields["opening"], fields["closing"], fields["debtor"]) == (-250000, 0, None)
    text = _squash(pdf_text(pdf, tmp_path))
    assert "на 12 марта 2026 г. взаимная задолженность отсутствует" in text
    # Olga's only settlement: 300,00 clawed back in period 2 (no payout): she owes it.
    olga = add_partner(api.engine, "Olga", "Owing")
    with Session(api.engine) as session:
        session.add(
            PeriodPayee(
                period_id=2,
                distributor_id=olga,
                earned=0,
                clawback=30000,
                balance_in=0,
                payout=0,
                balance_out=-30000,
            )
        )
        session.commit()
    owing = _issue(api, {"from": "2026-05-01", "to": "2026-05-31", "currency": "RUB"}, olga)
    fields, pdf = _stored(api, owing["id"])
    assert (fields["opening"], fields["closing"], fields["debtor"]) == (0, 30000, "partner")
    text = _squash(pdf_text(pdf, tmp_path))
    assert "задолженность Olga Owing перед ООО «Линия» составляет 300,00 RUB" in text
    assert "Триста рублей 00 копеек" in text
    pdf_png(pdf, "reconciliation-ru-partner-owes", tmp_path)


def test_same_request_returns_the_stored_statement_and_a_correction_regathers(
    api: Api, tmp_path: Path
) -> None:
    set_company(api.engine)
    ids = make_settlements(api.engine, api.distributor_id)
    api.clock.now = TODAY
    first = _issue(api, RANGE)
    api.clock.advance(days=1)
    assert _issue(api, RANGE) == first  # same id, number, hashes
    english = _issue(api, RANGE | {"language": "en"})
    assert english["id"] != first["id"] and english["number"] == 2
    other_range = _issue(api, RANGE | {"from": "2026-04-01"})
    assert other_range["number"] == 3
    # Order D's shipping day put right (30 May, in the range): the stored statement stays; a
    # correction gathers the records again and says the new balance.
    with Session(api.engine) as session:
        order = session.get(Order, ids["D"])
        assert order is not None
        order.shipped_at = at("2026-05-30")
        session.add(order)
        session.commit()
    assert _stored(api, first["id"])[0]["closing"] == CLOSING
    fixed = api.client.post(
        f"/api/documents/{first['id']}/correction",
        json={"reason": "заказ D отгружен 30.05"},
        headers=api.as_("finance"),
    )
    assert fixed.status_code == 200, fixed.text
    body = fixed.json()
    assert body["corrects_id"] == first["id"] and body["number"] == 4
    fields, pdf = _stored(api, body["id"])
    assert fields["closing"] == CLOSING + 80000  # D's goods now delivered: 1 000,00 owed
    text = _squash(pdf_text(pdf, tmp_path))
    assert "Исправление № 1" in text and "1 000,00 RUB" in text
    # The partner downloads theirs; another partner's are not theirs.
    mine = api.client.get("/api/documents?kind=reconciliation", headers=api.as_("distributor"))
    assert mine.json()["count"] == 4


def test_bad_input_is_refused_and_nothing_written(api: Api) -> None:
    set_company(api.engine)
    make_settlements(api.engine, api.distributor_id)
    api.clock.now = TODAY
    finance = api.as_("finance")
    path = f"/api/distributors/{api.distributor_id}/reconciliation"

    def refused(body: dict[str, Any], status: int, code: str | None, where: str = path) -> Any:
        got = api.client.post(where, json=body, headers=finance)
        assert got.status_code == status, got.text
        if code is not None:
            assert got.json()["error"]["code"] == code, got.text
        return got.json()["error"]

    error = refused(RANGE | {"from": "2026-06-01"}, 422, "range_reversed")
    assert error["details"]["field"] == "to"
    refused(RANGE | {"to": "2026-06-11"}, 422, "range_future")
    error = refused(RANGE | {"from": "2025-05-30"}, 422, "range_too_long")
    assert error["details"]["max_days"] == 366
    refused(RANGE, 404, "not_found", "/api/distributors/999/reconciliation")
    error = refused(RANGE | {"currency": "USD"}, 409, "currency_unused")
    assert error["details"]["currencies"] == ["KZT", "RUB"]
    refused(RANGE | {"currency": "rub"}, 422, None)
    refused({"to": "2026-05-31", "currency": "RUB"}, 422, None)
    refused(RANGE | {"from": "2026-02-30"}, 422, None)
    refused(RANGE | {"language": "de"}, 422, None)
    denied = api.client.post(path, json=RANGE, headers=api.as_("distributor"))
    assert denied.status_code == 403
    assert _count(api) == 0
    # 366 days are one statement; the tenge orders are a statement of their own.
    assert _issue(api, RANGE | {"from": "2025-05-31"})["number"] == 1
    tenge = _issue(api, RANGE | {"currency": "KZT"})
    assert _stored(api, tenge["id"])[0]["debit"] == 5000000


@pytest.fixture
def finance(engine: Engine) -> User:
    with Session(engine) as session:
        user = User(email="finance@example.com", role=Role.finance, hashed_password="x")
        root = Distributor(
            first_name="Root", last_name="Partner", referral_code="ROOT1", search_name="root"
        )
        session.add_all([user, root])
        session.commit()
        session.refresh(user)
        return user


def test_concurrent_issues_number_without_gaps_and_once_per_request(
    engine: Engine, finance: User
) -> None:
    set_company(engine)
    make_settlements(engine, 1)
    # Twelve threads at once: six distinct ranges, each asked for twice.
    starts = [date(2026, 3, day) for day in range(1, 7)] * 2
    barrier = threading.Barrier(len(starts))
    errors: list[BaseException] = []
    got: list[tuple[date, int, int]] = []

    def issue(start: date) -> None:
        try:
            with Session(engine) as session:
                barrier.wait(timeout=30)
                document = service.issue_reconciliation(
                    session,
                    1,
                    currency="RUB",
                    start=start,
                    end=date(2026, 5, 31),
                    language=Language.ru,
                    actor=finance,
                    now=TODAY,
                )
                assert document.id is not None
                got.append((start, document.id, document.number))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(start,)) for start in starts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors
    by_start: dict[date, set[tuple[int, int]]] = {}
    for start, document_id, number in got:
        by_start.setdefault(start, set()).add((document_id, number))
    assert all(len(found) == 1 for found in by_start.values())  # the same request: one document
    numbers = sorted(number for found in by_start.values() for _, number in found)
    assert numbers == list(range(1, 7))
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == 6


def test_a_bank_payout_cites_its_payment_order_and_an_unpaid_line_stays_owed(
    api: Api, tmp_path: Path
) -> None:
    """Boris is paid by bank: period 1's line (1 000,00 gross, 130,00 tax) executed by the bank
    on 7 May under payment order 000123; period 2's line (500,00) not paid yet, so the company
    still owes it: closing -500,00."""
    set_company(api.engine)
    make_settlements(api.engine, api.distributor_id)  # periods 1 and 2
    boris = add_partner(api.engine, "Boris", "Bank")
    with Session(api.engine) as session:
        for period_id, earned, withheld, index in ((1, 100000, 13000, 1), (2, 50000, 0, 0)):
            session.add(
                PeriodPayee(
                    period_id=period_id,
                    distributor_id=boris,
                    earned=earned,
                    clawback=0,
                    balance_in=0,
                    payout=earned - withheld,
                    balance_out=0,
                    leaf_index=index,
                    account="0x" + "22" * 20,
                    withheld=withheld,
                    tax_status="individual",
                    rail="bank",
                )
            )
        upload = BankStatementUpload(
            period_id=1, sha256="00" * 32, size=1, documents=1, matched=1, problems=0, unrelated=0
        )
        session.add(upload)
        session.flush()
        assert upload.id is not None
        session.add(
            BankPayment(
                upload_id=upload.id,
                period_id=1,
                outcome="matched",
                line_index=1,
                distributor_id=boris,
                document_number="000123",
                document_date=date(2026, 5, 7),
                amount=87000,
            )
        )
        session.commit()
    api.clock.now = TODAY
    body = _issue(api, {"from": "2026-04-01", "to": "2026-05-31", "currency": "RUB"}, boris)
    fields, pdf = _stored(api, body["id"])
    assert [(r["date"], r["kind"], r["debit"], r["credit"]) for r in fields["rows"]] == [
        ("2026-04-30", "commission", 0, 100000),
        ("2026-05-07", "payout", 87000, 0),
        ("2026-05-07", "tax", 13000, 0),
        ("2026-05-31", "commission", 0, 50000),
    ]
    assert fields["rows"][1]["rail"] == "bank" and fields["rows"][1]["reference"] == "000123"
    assert (fields["opening"], fields["closing"], fields["debtor"]) == (0, -50000, "company")
    text = _squash(pdf_text(pdf, tmp_path))
    for field in ("банковским", "поручение № 000123", "870,00", "130,00", "500,00 RUB"):
        assert field in text, f"{field!r} missing:\n{text}"
    assert "Пятьсот рублей 00 копеек" in text
    pdf_png(pdf, "reconciliation-ru-bank", tmp_path)


def test_a_payout_token_statement_is_in_the_periods_currency_and_decimals(
    api: Api, tmp_path: Path
) -> None:
    """Commission in a 6-decimal payout token (USDT) is its own statement: 12.345678 accrued,
    nothing paid yet, so the company owes 12.345678 USDT; the roubles are not in it."""
    set_company(api.engine)
    make_settlements(api.engine, api.distributor_id)
    with Session(api.engine) as session:
        session.add(
            Period(
                id=3,
                start_day=(date(2026, 5, 1) - date(1970, 1, 1)).days,
                end_day=(date(2026, 5, 31) - date(1970, 1, 1)).days,
                status="anchored",
                computations=1,
                payout_root="0x" + "ab" * 32,
                currency="USDT",
                exponent=6,
            )
        )
        session.flush()
        session.add(
            PeriodPayee(
                period_id=3,
                distributor_id=api.distributor_id,
                earned=12_345_678,
                clawback=0,
                balance_in=0,
                payout=12_345_678,
                balance_out=0,
                leaf_index=0,
            )
        )
        session.commit()
    api.clock.now = TODAY
    body = _issue(api, RANGE | {"currency": "USDT", "language": "en"})
    fields, pdf = _stored(api, body["id"])
    assert (fields["currency"], fields["exponent"]) == ("USDT", 6)
    assert [(r["kind"], r["credit"]) for r in fields["rows"]] == [("commission", 12_345_678)]
    assert (fields["opening"], fields["closing"], fields["debtor"]) == (0, -12_345_678, "company")
    text = _squash(pdf_text(pdf, tmp_path))
    assert "is 12.345678 USDT" in text and "Twelve USDT 345678" in text
    assert "11,300.00" not in text  # the roubles are another statement
    pdf_png(pdf, "reconciliation-en-usdt", tmp_path)
