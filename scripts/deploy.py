"""Deploys GenealogyRegistry, PeriodAnchor, PayoutVault (and a test token on dev chains), and
writes the deployment record the backend reads.

    brownie run scripts/deploy.py --network lineage-anvil

`lineage run` runs it through tools/brownie_deploy.py instead, which imports it by file path:
`brownie run` cannot import a script under a folder with a dot in its name (brownie #1081). So
the contract classes come from the loaded project, not from the `brownie` module's namespace,
which only `brownie run` fills.

Environment (all optional):
  LINEAGE_DEPLOYMENT_FILE   where the record goes (default var/deployment.json)
  LINEAGE_DEPLOYER_KEY      hex private key of the deployer; default: the node's first unlocked
                            account (dev chains only)
  LINEAGE_ROLE_ADMIN, LINEAGE_ROLE_REGISTRAR, LINEAGE_ROLE_ANCHORER, LINEAGE_ROLE_PAYER,
  LINEAGE_ROLE_PAUSER       addresses for each role (a multisig, say); default: the deployer
  LINEAGE_PAYOUT_CURRENCY   the ISO currency the plan pays in (its payout token's peg: USD,
                            RUB); default USD. Picks the test token (BlacklistableTestUSD, 6
                            decimals, or TestRUB, 2 decimals) and is checked against the token's
  LINEAGE_PAYOUT_DECIMALS   the plan's payout decimals, checked against the token's
  LINEAGE_TOKEN             an existing ERC-20 to pay in; default: deploy the test token
  LINEAGE_TOKEN_CURRENCY    the currency LINEAGE_TOKEN is pegged to (default: the payout currency)
  LINEAGE_TREE_WIDTH        2 = binary (default), w = matrix, 0 = unlimited
  LINEAGE_ROOT_ID           the company's root distributor id (default 1)
  LINEAGE_CHALLENGE_WINDOW  seconds between anchoring and paying (default 0)
  LINEAGE_RPC_PUBLIC_URL    the RPC URL to publish in the record (default: the one used here)

A second run against the same chain finds the record, checks that its contracts have code there,
and deploys nothing. A record for another chain id, or whose contracts are gone (a reset dev
chain), is replaced. A token pegged to another currency than the payout currency (or with other
decimals) is refused before anything is deployed, and so is a recorded deployment's.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from brownie import accounts, chain, network, project, web3
from brownie._config import CONFIG

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ("GenealogyRegistry", "PeriodAnchor", "PayoutVault", "PayoutToken")
# The test token deployed for each payout currency: (contract, decimals).
TEST_TOKENS = {"USD": ("BlacklistableTestUSD", 6), "RUB": ("TestRUB", 2)}


def _record_path() -> Path:
    return Path(os.environ.get("LINEAGE_DEPLOYMENT_FILE", ROOT / "var" / "deployment.json"))


def _existing_record(path: Path):
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    if record.get("chainId") != chain.id:
        return None
    addresses = record.get("contracts", {})
    if set(addresses) != set(CONTRACTS):
        return None
    if any(len(web3.eth.get_code(addresses[name])) == 0 for name in CONTRACTS):
        return None
    return record


def _deployer():
    key = os.environ.get("LINEAGE_DEPLOYER_KEY")
    if key:
        return accounts.add(key)
    if not accounts:
        raise SystemExit("no unlocked account on this node: set LINEAGE_DEPLOYER_KEY")
    return accounts[0]


def _contracts():
    """The loaded project's contract classes (`brownie run`, brownie's test runner and
    tools/brownie_deploy.py each load the project before calling `main`)."""
    (loaded,) = project.get_loaded_projects()
    return loaded


def _role(name: str, default: str) -> str:
    return web3.to_checksum_address(os.environ.get(f"LINEAGE_ROLE_{name}", default))


def _payout_currency():
    """(currency, decimals or None) the plan pays in, from the environment."""
    currency = os.environ.get("LINEAGE_PAYOUT_CURRENCY", "USD").strip().upper()
    decimals = os.environ.get("LINEAGE_PAYOUT_DECIMALS")
    return currency, None if decimals in (None, "") else int(decimals)


def _refuse_mismatch(what, token_currency, token_decimals, currency, decimals):
    if token_currency != currency:
        raise SystemExit(
            f"{what} is pegged to {token_currency}, but the plan pays in {currency}: "
            "deploy with a token of the plan's currency (LINEAGE_TOKEN, LINEAGE_TOKEN_CURRENCY)"
        )
    if decimals is not None and token_decimals is not None and token_decimals != decimals:
        raise SystemExit(
            f"{what} has {token_decimals} decimals, but the plan's payout currency has "
            f"{decimals}: the amounts would be off by a power of ten"
        )


def main():
    path = _record_path()
    currency, decimals = _payout_currency()
    record = _existing_record(path)
    if record is not None:
        if record.get("tokenCurrency") is not None:
            _refuse_mismatch(
                f"the payout token recorded in {path}",
                record["tokenCurrency"],
                record.get("tokenDecimals"),
                currency,
                decimals,
            )
        print(f"deployment for chain {chain.id} already recorded in {path}: nothing deployed")
        for name in CONTRACTS:
            print(f"  {name:<18} {record['contracts'][name]}")
        return record

    contracts = _contracts()
    deployer = _deployer()
    sender = {"from": deployer}
    roles = {
        name.lower(): _role(name, deployer.address)
        for name in ("ADMIN", "REGISTRAR", "ANCHORER", "PAYER", "PAUSER")
    }
    width = int(os.environ.get("LINEAGE_TREE_WIDTH", "2"))
    root_id = int(os.environ.get("LINEAGE_ROOT_ID", "1"))
    window = int(os.environ.get("LINEAGE_CHALLENGE_WINDOW", "0"))
    start_block = web3.eth.block_number + 1

    if os.environ.get("LINEAGE_TOKEN"):
        token_address = web3.to_checksum_address(os.environ["LINEAGE_TOKEN"])
        # Only its ERC-20 views are read (web3: brownie's `.at` refuses an address that its
        # project already knows as another contract).
        erc20 = web3.eth.contract(address=token_address, abi=contracts.TestUSD.abi).functions
        token_currency = os.environ.get("LINEAGE_TOKEN_CURRENCY", currency).strip().upper()
        token_decimals = int(erc20.decimals().call())
        token_symbol = str(erc20.symbol().call())
        _refuse_mismatch(
            f"the token {token_address}", token_currency, token_decimals, currency, decimals
        )
        token_contract = None
    else:
        if currency not in TEST_TOKENS:
            raise SystemExit(
                f"no test token is pegged to {currency} (only {', '.join(TEST_TOKENS)}): "
                "set LINEAGE_TOKEN to a token of the plan's currency"
            )
        name, token_decimals = TEST_TOKENS[currency]
        _refuse_mismatch(f"the test token {name}", currency, token_decimals, currency, decimals)
        # The blacklistable USD variant behaves like USDC: a blocked payee shows the skip path.
        token_contract = getattr(contracts, name).deploy(deployer, sender)
        token_address, token_currency = token_contract.address, currency
        token_symbol = str(token_contract.symbol())
    registry = contracts.GenealogyRegistry.deploy(
        roles["admin"], roles["registrar"], root_id, width, sender
    )
    anchor = contracts.PeriodAnchor.deploy(roles["admin"], roles["anchorer"], sender)
    vault = contracts.PayoutVault.deploy(
        roles["admin"], roles["payer"], roles["pauser"], token_address, anchor, window, sender
    )
    if token_contract is not None and roles["admin"] != deployer.address:
        token_contract.grantRole(token_contract.DEFAULT_ADMIN_ROLE(), roles["admin"], sender)

    solc = CONFIG.settings["compiler"]["solc"]
    record = {
        "chainId": chain.id,
        "rpcUrl": os.environ.get("LINEAGE_RPC_PUBLIC_URL", web3.provider.endpoint_uri),
        "network": network.show_active(),
        "deploymentBlock": start_block,
        "deployedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "deployer": deployer.address,
        "contracts": {
            "GenealogyRegistry": registry.address,
            "PeriodAnchor": anchor.address,
            "PayoutVault": vault.address,
            "PayoutToken": token_address,
        },
        "roles": roles,
        "treeWidth": width,
        "rootId": root_id,
        "challengeWindow": window,
        "tokenDecimals": token_decimals,
        "tokenCurrency": token_currency,
        "tokenSymbol": token_symbol,
        "compiler": {
            "solc": str(solc["version"]),
            "evmVersion": CONFIG.settings["compiler"]["evm_version"],
            "optimizerRuns": solc["optimizer"]["runs"],
            "viaIR": bool(solc.get("viaIR")),
        },
        "artifacts": "build/contracts",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    temporary.replace(path)  # atomic: a crash never leaves half a record
    print(f"deployed on chain {chain.id}; record written to {path}")
    for name in CONTRACTS:
        print(f"  {name:<18} {record['contracts'][name]}")
    return record
