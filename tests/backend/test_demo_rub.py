"""`lineage demo --currency RUB`, the rouble company: its identifiers pass the bank-side checks,
and a period pays in one currency: the demo refuses a deployment whose token is pegged to
another currency than the plan's, before it writes anything, with the reason in one line."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from test_chain_outbox import Chain, chain, chain_template, free_port
from typer.testing import CliRunner

from backend.chain.audit_reads import AuditReader
from backend.chain.deployment import Deployment, PayoutCurrency
from backend.chain.payouts import PayoutChain
from backend.cli import _register
from backend.cli import app as cli
from backend.company.requisites import problems
from backend.core import ru_checks
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.dev.demo import rub
from backend.dev.demo.runner import DemoError, DemoOptions, run_demo
from backend.dev.deploy import ensure_deployment
from backend.dev.devchain import ManagedGanache
from backend.genealogy.models import Distributor
from backend.payees.checks import check
from backend.payees.models import PayeeProfile, PayoutRail, TaxStatus
from backend.periods.models import PeriodPayee, PeriodStatus
from ledger.plan import load_plan

__all__ = ["chain", "chain_template"]  # fixtures, re-exported for pytest
runner = CliRunner()
_register()


def test_the_rouble_company_has_valid_details_and_payees() -> None:
    assert problems(rub.company_requisites()) == {}
    plan = load_plan(rub.RUB_PLAN.read_bytes(), source=str(rub.RUB_PLAN))
    assert (plan.currency.code, plan.currency.peg, plan.currency.decimals) == ("RUBT", "RUB", 2)
    assert plan.withholding is not None and plan.withholding.unknown_status == "hold"
    maker = rub.PayeeMaker(seed=7)
    seen: dict[tuple[TaxStatus, PayoutRail], int] = {}
    for number in range(2, 402):
        person = Distributor(id=number, first_name="D", last_name="R", wallet="0x" + "ab" * 20)
        details = maker.details(person)
        assert check(details) == [], (number, details)
        if details.rail == PayoutRail.bank:
            assert details.bik is not None and details.bank_account is not None
            assert ru_checks.account_problem(details.bank_account, details.bik) is None
            prefix = details.bank_account[:5]
            assert prefix == {"company": "40702", "sole_proprietor": "40802"}.get(
                details.tax_status.value, "40817"
            )
        key = (details.tax_status, details.rail)
        seen[key] = seen.get(key, 0) + 1
    bank = sum(n for (_, rail), n in seen.items() if rail == PayoutRail.bank)
    assert 300 < bank < 400  # most by bank, a few by token
    assert {status for status, rail in seen if rail == PayoutRail.bank} == set(TaxStatus)
    walletless = Distributor(id=999, first_name="D", last_name="R", wallet=None)
    assert all(maker.details(walletless).rail == PayoutRail.bank for _ in range(50))


@pytest.mark.chain
def test_a_token_of_another_currency_is_refused_before_anything_is_written(
    settings: Settings, chain: Chain
) -> None:
    options = DemoOptions(distributors=5, periods=1, seed=3, quiet=True, currency="RUB")
    with pytest.raises(DemoError, match="pegged to USD, but the plan pays in RUBT pegged to RUB"):
        run_demo(settings, chain.gateway(), options)
    assert not (settings.data_dir / "plan.toml").exists()
    with pytest.raises(DemoError, match="pays in USD or RUB, not EUR"):
        run_demo(settings, chain.gateway(), DemoOptions(currency="EUR", quiet=True))


@pytest.mark.chain
def test_the_cli_refuses_a_dollar_chain_for_the_rouble_company(
    chain_template: tuple[Path, Deployment], tmp_path: Path
) -> None:
    data_dir = tmp_path / "company"
    shutil.copytree(chain_template[0], data_dir)
    port = str(free_port())
    args = ["demo", "--data-dir", str(data_dir), "--chain-port", port, "--distributors", "5"]
    result = runner.invoke(cli, [*args, "--currency", "rub"])
    assert result.exit_code == 1, result.output
    assert "pegged to USD, but the plan pays in RUBT pegged to RUB" in result.output
    assert "Traceback" not in result.output
    assert not (data_dir / "plan.toml").exists()
    other = runner.invoke(cli, [*args, "--currency", "EUR"])
    assert other.exit_code == 1 and "--currency: USD or RUB, not EUR" in other.output


@pytest.fixture(scope="module")
def rub_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    """A managed Ganache with the contracts deployed for a rouble plan (TestRUB)."""
    data_dir = tmp_path_factory.mktemp("rub-chain")
    node = ManagedGanache(data_dir, port=free_port()).start()
    try:
        deployment = ensure_deployment(
            rpc_url=node.rpc_url,
            record_path=data_dir / "deployment.json",
            deployer_key=node.writer_key(),
            payout=PayoutCurrency("RUBT", "RUB", 2),
        )
        yield Chain(node, deployment, node.writer_key())
    finally:
        node.stop()


@pytest.mark.chain
def test_the_rouble_company_closes_its_periods_with_both_rails(
    settings: Settings, rub_chain: Chain
) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    record = json.loads((rub_chain.node.data_dir / "deployment.json").read_text())
    assert record["tokenCurrency"] == "RUB"
    (settings.data_dir / "deployment.json").write_text(json.dumps(record))
    options = DemoOptions(distributors=60, periods=2, seed=7, quiet=True, currency="RUB")
    result = run_demo(settings, rub_chain.gateway(), options, today=date(2026, 5, 20))

    chain = PayoutChain(rub_chain.gateway())
    reader = AuditReader.on(rub_chain.gateway())
    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            rails = Counter(session.exec(select(PayeeProfile.rail, PayeeProfile.tax_status)).all())
            assert sum(rails.values()) == 61  # every partner and the root
            lines = session.exec(
                select(PeriodPayee).where(col(PeriodPayee.leaf_index).is_not(None))
            ).all()
    finally:
        engine.dispose()
    assert rails[("bank", "individual")] > rails[("token", "self_employed")] > 0
    assert {status for rail, status in rails if rail == "bank"} >= {
        "individual",
        "self_employed",
        "sole_proprietor",
        "company",
    }
    by_rail = Counter(line.rail for line in lines)
    assert by_rail["bank"] > by_rail["token"] > 0  # mixed rails, most by bank
    assert any(line.withheld > 0 for line in lines)  # individuals taxed
    assert all(line.withheld == 0 for line in lines if line.tax_status != "individual")

    salt = settings.data_dir / "payment-ref.salt"
    for period in result.periods:
        assert period.status == PeriodStatus.paid
        assert chain.paid_total_of(period.id) == period.payout_total
        assert all(chain.paid_flags(period.id, list(range(period.leaf_count or 0))))
        attested = {line.index for line in reader.attested_lines(period.id)}
        banked = {p.leaf_index for p in lines if p.period_id == period.id and p.rail == "bank"}
        assert attested == banked
        statement = settings.data_dir / "bank" / f"period-{period.id}-statement.txt"
        args = ["audit", str(result.package(period.id)), "--data-dir", str(settings.data_dir)]
        args += ["--bank-statement", str(statement), "--salt-file", str(salt), "--json"]
        audit = runner.invoke(cli, args)
        assert audit.exit_code == 0, audit.output
        report = json.loads(audit.stdout)
        assert report["facts"]["paidByRail"]["bank"] == len(banked)
        assert report["facts"]["attestedChecked"] == len(banked)
    assert chain.vault_balance() == 0  # funded for the token lines only: bank lines move none
