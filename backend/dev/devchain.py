"""The managed local chain of the embedded default: a Ganache whose database lives in the data
folder, so chain and SQLite survive restarts together.

The wallet mnemonic is generated on first start into `<data_dir>/chain-secret.json` (mode 0600,
never in the repository) and read from there by the node (`tools/ganache-node.js`), so it never
appears on a command line; the writer's key is the mnemonic's first account, unless
`LINEAGE_CHAIN_KEY` names another one. A node already answering on the port with the expected
chain id is reused (and left running on exit); one this module started is stopped on exit.

The node is Ganache 7 behind a write-through read cache over its LevelDB (see the launcher for
why); `LINEAGE_CHAIN_CACHE_MB` sizes the cache (default 256, 0 turns it off).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from types import TracebackType

from eth_account import Account

from backend.chain.deployment import LOCAL_CHAIN_ID
from backend.chain.gateway import ChainError, probe_chain_id, set_dev_balance, wait_for_node

ROOT = Path(__file__).resolve().parents[2]
GANACHE = ROOT / "node_modules" / ".bin" / "ganache"
LAUNCHER = ROOT / "tools" / "ganache-node.js"
CHAIN_ID = LOCAL_CHAIN_ID
DEFAULT_PORT = 8545
SECRET_FILE = "chain-secret.json"
KEY_ENV = "LINEAGE_CHAIN_KEY"
CACHE_ENV = "LINEAGE_CHAIN_CACHE_MB"
DEFAULT_CACHE_MB = 256

Account.enable_unaudited_hdwallet_features()


def load_or_create_mnemonic(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    if path.exists():
        try:
            mnemonic = str(json.loads(path.read_text())["mnemonic"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ChainError(f"{path} is not a chain secret file: {exc}") from exc
        return mnemonic
    data_dir.mkdir(parents=True, exist_ok=True)
    _account, created = Account.create_with_mnemonic()
    mnemonic = str(created)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"mnemonic": mnemonic, "chainId": CHAIN_ID}, handle)
    temporary.replace(path)
    return mnemonic


def mnemonic_key(mnemonic: str, index: int = 0) -> str:
    account = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(account.key).hex()


def env_key() -> str | None:
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        return None
    try:
        Account.from_key(key)
    except (ValueError, TypeError) as exc:
        raise ChainError(f"{KEY_ENV} is not a valid private key (64 hex digits)") from exc
    return key if key.startswith("0x") else "0x" + key


def cache_mb() -> int:
    raw = os.environ.get(CACHE_ENV, "").strip()
    if not raw:
        return DEFAULT_CACHE_MB
    if not (raw.isascii() and raw.isdigit()):
        raise ChainError(f"{CACHE_ENV} must be a whole number of megabytes, got {raw!r}")
    return int(raw)


def address_of(key: str) -> str:
    return str(Account.from_key(key).address)


class ManagedGanache:
    """Start (or reuse) the data folder's Ganache; `stop()` ends only a node started here."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        executable: Path = GANACHE,
        launcher: Path = LAUNCHER,
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.host = host
        self.executable = executable
        self.launcher = launcher
        self.process: subprocess.Popen[bytes] | None = None
        self.reused = False

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "chain"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "chain.log"

    @property
    def mnemonic(self) -> str:
        return load_or_create_mnemonic(self.data_dir)

    def writer_key(self) -> str:
        return env_key() or mnemonic_key(self.mnemonic)

    def start(self, *, timeout: float = 60.0) -> ManagedGanache:
        running = probe_chain_id(self.rpc_url)
        if running is not None:
            if running != CHAIN_ID:
                raise ChainError(
                    f"port {self.port} is taken by a node of chain {running} (expected the "
                    f"managed chain {CHAIN_ID}): stop it, or pass --rpc to use it"
                )
            self.reused = True
            self._fund_env_key()
            return self
        if not self.executable.exists():
            raise ChainError(f"{self.executable} is missing: run `make setup` (npm install)")
        node = shutil.which("node")
        if node is None:
            raise ChainError("node (Node.js) is not on PATH: run `make setup`")
        load_or_create_mnemonic(self.data_dir)
        self.db_path.mkdir(parents=True, exist_ok=True)
        command = [
            node, str(self.launcher),
            "--db", str(self.db_path),
            "--secret", str(self.data_dir / SECRET_FILE),
            "--chain-id", str(CHAIN_ID),
            "--host", self.host,
            "--port", str(self.port),
            "--block-gas-limit", "30000000",
            "--cache-mb", str(cache_mb()),
        ]  # fmt: skip
        log = self.log_path.open("ab")
        try:
            # Its own session: Ctrl-C reaches the service, which then stops the chain in
            # order (server, writer, chain) instead of the chain dying first.
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self._fund_env_key()
        return self

    def stop(self, *, timeout: float = 20.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # SIGINT lets Ganache close its database cleanly; SIGKILL only if it will not go.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> ManagedGanache:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        try:
            chain_id = wait_for_node(self.rpc_url, timeout=timeout, alive=self.process.poll)
        except ChainError as exc:
            raise ChainError(
                f"{exc.reason}; Ganache log: {self.log_path}\n{self._log_tail()}"
            ) from exc
        if chain_id != CHAIN_ID:
            raise ChainError(f"the node on port {self.port} is chain {chain_id}, not {CHAIN_ID}")

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return ""

    def _fund_env_key(self) -> None:
        """A LINEAGE_CHAIN_KEY account is not in the mnemonic: give it dev-chain ether."""
        key = env_key()
        if key is None:
            return
        set_dev_balance(self.rpc_url, address_of(key), 10**21)
