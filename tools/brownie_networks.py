"""Registers the project's local chains with brownie (run with brownie's own Python).

Brownie keeps network definitions in the user's ~/.brownie/network-config.yaml, not in the
project, and its built-in `ganache-cli` network forces hardfork istanbul. This adds (or
replaces) development networks launched from node_modules/.bin (put that on PATH):
  lineage-ganache  ganache 7.9.2, hardfork shanghai (the newest it knows)
  lineage-anvil    anvil 1.7.1, enforcing EIP-7825's per-transaction gas cap
  lineage-local    the Ganache `lineage run` manages (port 8545, chain 1337): brownie attaches
                   to it while the service runs (`lineage run` itself passes any port through)
Idempotent: running it twice leaves the same configuration.
"""

import yaml
from brownie._config import _get_data_folder

NETWORKS = [
    {
        "name": "Lineage Ganache (shanghai)",
        "id": "lineage-ganache",
        "cmd": "ganache",
        "host": "http://127.0.0.1",
        "timeout": 120,
        "cmd_settings": {
            "port": 8546,
            "gas_limit": 30_000_000,
            "accounts": 10,
            "evm_version": "shanghai",
            "mnemonic": "brownie",
            "chain_id": 1337,
        },
    },
    {
        "name": "Lineage local (lineage run)",
        "id": "lineage-local",
        "cmd": "ganache",
        "host": "http://127.0.0.1",
        "timeout": 120,
        "cmd_settings": {
            "port": 8545,
            "gas_limit": 30_000_000,
            "evm_version": "shanghai",
            "chain_id": 1337,
        },
    },
    {
        "name": "Lineage Anvil",
        "id": "lineage-anvil",
        "cmd": "anvil --enable-tx-gas-limit",
        "host": "http://127.0.0.1",
        "timeout": 120,
        "cmd_settings": {
            "port": 8547,
            "gas_limit": 30_000_000,
            "accounts": 10,
            "mnemonic": "test test test test test test test test test test test junk",
            "base_fee": 0,
            "chain_id": 31337,
        },
    },
]


def main() -> None:
    path = _get_data_folder().joinpath("network-config.yaml")
    with path.open() as fp:
        config = yaml.safe_load(fp)
    ids = {network["id"] for network in NETWORKS}
    config["development"] = [n for n in config["development"] if n["id"] not in ids] + NETWORKS
    with path.open("w") as fp:
        yaml.safe_dump(config, fp, sort_keys=False)
    print(f"registered {', '.join(sorted(ids))} in {path}")


if __name__ == "__main__":
    main()
