"""scripts/deploy.py: deploys with roles set, writes the record, and redeploys nothing."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deploy.py"


@pytest.fixture
def deploy_script(monkeypatch, tmp_path):
    monkeypatch.setenv("LINEAGE_DEPLOYMENT_FILE", str(tmp_path / "deployment.json"))
    spec = importlib.util.spec_from_file_location("lineage_deploy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, tmp_path / "deployment.json"


def test_deploy_writes_a_record_with_roles_and_a_second_run_deploys_nothing(
    deploy_script, accounts, web3, chain, GenealogyRegistry, PeriodAnchor, PayoutVault
):
    module, record_path = deploy_script
    record = module.main()
    assert json.loads(record_path.read_text()) == record
    assert record["chainId"] == chain.id
    assert record["deploymentBlock"] <= web3.eth.block_number
    deployer = accounts[0]
    registry = GenealogyRegistry.at(record["contracts"]["GenealogyRegistry"])
    anchor = PeriodAnchor.at(record["contracts"]["PeriodAnchor"])
    vault = PayoutVault.at(record["contracts"]["PayoutVault"])
    assert registry.hasRole(registry.REGISTRAR_ROLE(), deployer)
    assert registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), deployer)
    assert anchor.hasRole(anchor.ANCHORER_ROLE(), deployer)
    assert vault.hasRole(vault.PAYER_ROLE(), deployer)
    assert vault.hasRole(vault.PAUSER_ROLE(), deployer)
    assert vault.periodAnchor() == anchor and vault.token() == record["contracts"]["PayoutToken"]
    assert registry.width() == record["treeWidth"] == 2

    nonce = deployer.nonce
    again = module.main()
    assert again == record
    assert deployer.nonce == nonce  # nothing sent


def test_roles_can_go_to_separate_accounts(
    deploy_script, monkeypatch, accounts, GenealogyRegistry, PayoutVault
):
    module, _ = deploy_script
    monkeypatch.setenv("LINEAGE_ROLE_REGISTRAR", accounts[1].address)
    monkeypatch.setenv("LINEAGE_ROLE_PAYER", accounts[2].address)
    record = module.main()
    registry = GenealogyRegistry.at(record["contracts"]["GenealogyRegistry"])
    vault = PayoutVault.at(record["contracts"]["PayoutVault"])
    assert registry.hasRole(registry.REGISTRAR_ROLE(), accounts[1])
    assert not registry.hasRole(registry.REGISTRAR_ROLE(), accounts[0])
    assert vault.hasRole(vault.PAYER_ROLE(), accounts[2])


def test_a_record_for_vanished_contracts_is_replaced(deploy_script, chain):
    module, record_path = deploy_script
    record = module.main()
    record["contracts"]["PayoutVault"] = "0x" + "00" * 19 + "01"  # no code there
    record_path.write_text(json.dumps(record))
    fresh = module.main()
    assert fresh["contracts"]["PayoutVault"] != "0x" + "00" * 19 + "01"


def test_the_record_names_the_token_currency_and_a_rouble_plan_gets_test_rub(
    deploy_script, monkeypatch, TestRUB, PayoutVault
):
    module, record_path = deploy_script
    monkeypatch.setenv("LINEAGE_PAYOUT_CURRENCY", "RUB")
    monkeypatch.setenv("LINEAGE_PAYOUT_DECIMALS", "2")
    record = module.main()
    token = TestRUB.at(record["contracts"]["PayoutToken"])
    assert (token.symbol(), token.decimals()) == ("RUBT", 2)
    assert PayoutVault.at(record["contracts"]["PayoutVault"]).token() == token
    assert (record["tokenCurrency"], record["tokenDecimals"], record["tokenSymbol"]) == (
        "RUB",
        2,
        "RUBT",
    )
    # the recorded rouble vault is refused to a plan paying in dollars
    monkeypatch.setenv("LINEAGE_PAYOUT_CURRENCY", "USD")
    monkeypatch.delenv("LINEAGE_PAYOUT_DECIMALS")
    with pytest.raises(SystemExit, match="pegged to RUB, but the plan pays in USD"):
        module.main()
    assert json.loads(record_path.read_text()) == record


def test_the_default_is_the_usd_test_token(deploy_script, BlacklistableTestUSD):
    module, _ = deploy_script
    record = module.main()
    token = BlacklistableTestUSD.at(record["contracts"]["PayoutToken"])
    assert (token.symbol(), token.decimals()) == ("tUSD", 6)
    assert (record["tokenCurrency"], record["tokenDecimals"]) == ("USD", 6)


def test_a_token_of_another_currency_or_decimals_is_refused_before_deploying(
    deploy_script, monkeypatch, accounts, TestRUB
):
    module, record_path = deploy_script
    rub = TestRUB.deploy(accounts[0], {"from": accounts[0]})
    monkeypatch.setenv("LINEAGE_TOKEN", rub.address)
    monkeypatch.setenv("LINEAGE_TOKEN_CURRENCY", "RUB")
    nonce = accounts[0].nonce
    with pytest.raises(SystemExit, match="pegged to RUB, but the plan pays in USD"):
        module.main()
    monkeypatch.setenv("LINEAGE_PAYOUT_CURRENCY", "RUB")
    monkeypatch.setenv("LINEAGE_PAYOUT_DECIMALS", "6")
    with pytest.raises(SystemExit, match="has 2 decimals, but the plan's payout currency has 6"):
        module.main()
    monkeypatch.setenv("LINEAGE_PAYOUT_CURRENCY", "EUR")
    monkeypatch.delenv("LINEAGE_TOKEN")
    with pytest.raises(SystemExit, match="no test token is pegged to EUR"):
        module.main()
    assert accounts[0].nonce == nonce and not record_path.exists()
