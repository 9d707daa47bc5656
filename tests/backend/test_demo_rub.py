"""`lineage demo --currency RUB`, the rouble company: its identifiers pass the bank-side checks,
and a period pays in one currency: the demo refuses a deployment whose token is pegged to
another currency than the plan's, before it writes anything, with the reason in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_chain_outbox import Chain, chain, chain_template, free_port
from typer.testing import CliRunner

from backend.chain.deployment import Deployment
from backend.cli import _register
from backend.cli import app as cli
from backend.company.requisites import problems
from backend.core import ru_checks
from backend.core.config import Settings
from backend.dev.demo import rub
from backend.dev.demo.runner import DemoError, DemoOptions, run_demo
from backend.genealogy.models import Distributor
from backend.payees.checks import check
from backend.payees.models import PayoutRail, TaxStatus
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
