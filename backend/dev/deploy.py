"""Make sure the contracts are deployed on the chain the service talks to.

A deployment record that names this chain id and whose contracts have code on it is reused;
otherwise scripts/deploy.py deploys everything and writes the record. It runs in brownie's own
environment (`.venv-brownie`) through tools/brownie_deploy.py, which loads the project and the
script through brownie's Python API rather than `brownie run` (which cannot import a script
under a folder with a dot in its name), and tells brownie the node's URL in-process, so any
port works without touching ~/.brownie.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

from pydantic import ValidationError

from backend.chain.deployment import Deployment, PayoutCurrency, payout_currency_mismatch
from backend.chain.gateway import ChainError, code_at, probe_chain_id
from backend.dev.devchain import address_of

ROOT = Path(__file__).resolve().parents[2]
BROWNIE_PYTHON = ROOT / ".venv-brownie" / "bin" / "python"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

BROWNIE_DEPLOY = ROOT / "tools" / "brownie_deploy.py"


def valid_record(record_path: Path, rpc_url: str) -> Deployment | None:
    """The record, if it belongs to the chain at `rpc_url` and its contracts are there."""
    if not record_path.exists():
        return None
    try:
        record = Deployment.model_validate(json.loads(record_path.read_text()))
    except (ValueError, ValidationError):
        return None
    chain_id = probe_chain_id(rpc_url)
    if chain_id is None:
        raise ChainError(f"no chain node answers at {rpc_url}")
    if chain_id != record.chainId:
        return None
    contracts = record.contracts.model_dump().values()
    if not all(code_at(rpc_url, contracts).values()):
        return None
    return record


def _record_field(record_path: Path, name: str) -> object:
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        return None
    return record.get(name) if isinstance(record, dict) else None


def registrar_of(record_path: Path) -> str | None:
    roles = _record_field(record_path, "roles")
    registrar = roles.get("registrar") if isinstance(roles, dict) else None
    return str(registrar) if registrar else None


def ensure_deployment(
    *,
    rpc_url: str,
    record_path: Path,
    deployer_key: str,
    tree_width: int = 2,
    root_id: int = 1,
    payout: PayoutCurrency | None = None,
    timeout: float = 900.0,
) -> Deployment:
    """The deployment for the chain at `rpc_url`: the recorded one, or a fresh one whose test
    token is of the plan's payout currency (`payout`). A token pegged to another currency than
    `payout`'s, recorded or about to be deployed, is refused (ChainError)."""
    record = valid_record(record_path, rpc_url)
    if record is None:
        extra_env = {"LINEAGE_TREE_WIDTH": str(tree_width), "LINEAGE_ROOT_ID": str(root_id)}
        if payout is not None:
            extra_env["LINEAGE_PAYOUT_CURRENCY"] = payout.iso
            extra_env["LINEAGE_PAYOUT_DECIMALS"] = str(payout.decimals)
        run_brownie_deploy(
            rpc_url=rpc_url,
            record_path=record_path,
            deployer_key=deployer_key,
            extra_env=extra_env,
            timeout=timeout,
        )
        record = valid_record(record_path, rpc_url)
        if record is None:
            raise ChainError(
                f"brownie finished but {record_path} does not describe a deployment on {rpc_url}"
            )
    shape = _record_field(record_path, "treeWidth"), _record_field(record_path, "rootId")
    if shape != (tree_width, root_id):
        raise ChainError(
            f"the registry in {record_path} has tree width {shape[0]} and root {shape[1]}; "
            f"the service is set to width {tree_width} and root {root_id} "
            "(LINEAGE_TREE_WIDTH, LINEAGE_DEFAULT_SPONSOR_ID)"
        )
    mismatch = None if payout is None else payout_currency_mismatch(record, payout)
    if mismatch is not None:
        raise ChainError(f"{mismatch} ({record_path})")
    writer = address_of(deployer_key)
    registrar = registrar_of(record_path)
    if registrar is not None and registrar.lower() != writer.lower():
        raise ChainError(
            f"the chain writer {writer} is not the registrar {registrar} named in {record_path}: "
            "set LINEAGE_CHAIN_KEY to the registrar's key, or deploy afresh"
        )
    return record


def run_brownie_deploy(
    *,
    rpc_url: str,
    record_path: Path,
    deployer_key: str,
    extra_env: dict[str, str] | None = None,
    timeout: float = 900.0,
    project_dir: Path = ROOT,
) -> None:
    """Deploy with scripts/deploy.py of the brownie project in `project_dir` (this checkout
    unless a test says otherwise), writing the record to `record_path`."""
    if not BROWNIE_PYTHON.exists():
        raise ChainError(f"brownie is not set up ({BROWNIE_PYTHON} is missing): run `make setup`")
    if not (project_dir / "build" / "contracts" / "GenealogyRegistry.json").exists():
        raise ChainError("the contracts are not compiled (build/contracts): run `make setup`")
    chain_id = probe_chain_id(rpc_url)
    if chain_id is None:
        raise ChainError(f"no chain node answers at {rpc_url}")
    record_path.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "SOLCX_BINARY_PATH": str(ROOT / ".solcx"),
        "LINEAGE_DEPLOYER_KEY": deployer_key,
        "LINEAGE_DEPLOYMENT_FILE": str(record_path.resolve()),
        **(extra_env or {}),
    }
    local = urlparse(rpc_url).hostname in LOCAL_HOSTS
    command = [
        str(BROWNIE_PYTHON),
        str(BROWNIE_DEPLOY),
        rpc_url,
        str(chain_id),
        "1" if local else "0",
        str(project_dir),
    ]
    try:
        result = subprocess.run(
            command,
            cwd=project_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ChainError(f"brownie deploy did not finish within {timeout:.0f} s") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        tail = "\n".join(output[-25:])
        raise ChainError(f"brownie deploy failed (exit {result.returncode}):\n{tail}")
