"""Runs scripts/deploy.py against one node through brownie's Python API (brownie's own Python).

    .venv-brownie/bin/python tools/brownie_deploy.py RPC_URL CHAIN_ID LOCAL [PROJECT_DIR]

`lineage run` deploys with this (backend/dev/deploy.py). It does what
`brownie run scripts/deploy.py --network ...` does, except for how the script is imported:
`brownie run` turns the script's absolute path into a dotted module name, so a project under a
folder with a dot in its name (/home/john.doe/..., mktemp's /tmp/tmp.uKRF7g3fa8) cannot run it
(brownie issues #1081 and #1281, fixes never merged). Here the script is loaded from its file.

LOCAL is 1 for a node on this machine: brownie attaches to it as a development network (its dev
accounts and gas defaults); 0 makes it a live network. The network is defined in this process
only, so any port works without touching ~/.brownie. PROJECT_DIR defaults to this checkout.
"""

import importlib.util
import sys
from pathlib import Path
from urllib.parse import urlparse

from brownie import network, project
from brownie._config import CONFIG

NETWORK_ID = "lineage-rpc"


def define_network(url: str, chain_id: str, local: bool) -> None:
    if local:
        parsed = urlparse(url)
        CONFIG.networks[NETWORK_ID] = {
            "id": NETWORK_ID,
            "name": "Lineage node",
            "cmd": "ganache",  # never started: brownie attaches to the node at host:port
            "host": f"{parsed.scheme}://{parsed.hostname}",
            "timeout": 120,
            "cmd_settings": {"port": parsed.port},
        }
    else:
        CONFIG.networks[NETWORK_ID] = {
            "id": NETWORK_ID,
            "name": "Lineage node",
            "host": url,
            "chainid": chain_id,
            "timeout": 120,
        }


def load_script(path: Path):
    spec = importlib.util.spec_from_file_location("lineage_deploy_script", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    url, chain_id, local = argv[1], argv[2], argv[3] == "1"
    root = Path(argv[4]) if len(argv) == 5 else Path(__file__).resolve().parents[1]
    define_network(url, chain_id, local)
    # A fixed name: brownie derives one from the folder's name otherwise, and refuses a folder
    # whose name starts with a digit.
    active = project.load(root, name="LineageProject")
    active.load_config()
    network.connect(NETWORK_ID)
    try:
        load_script(root / "scripts" / "deploy.py").main()
    finally:
        network.disconnect(kill_rpc=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
