"""`lineage run` end to end: a managed Ganache, a deployment on first start, and data that
survives a restart on both sides; and clear errors instead of tracebacks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from backend.chain.deployment import read_deployment
from backend.chain.gateway import ChainError, ChainGateway, probe_chain_id
from backend.cli import _register, app
from backend.dev import deploy
from backend.dev.devchain import SECRET_FILE, ManagedGanache, address_of

pytestmark = pytest.mark.chain

LINEAGE = Path(sys.executable).parent / "lineage"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Service:
    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.chain_port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "LINEAGE_ADMIN_PASSWORD": "admin-password-1"}
        env.pop("LINEAGE_CHAIN_KEY", None)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(LINEAGE), "run", "--data-dir", str(self.data_dir),
                    "--port", str(self.port), "--chain-port", str(self.chain_port),
                    "--no-demo",  # an empty folder would otherwise get the 2,000-person demo
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"lineage run did not come up:\n{self.log.read_text()}")

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        self.process = None
        return code

    def token(self) -> dict[str, str]:
        response = httpx.post(
            f"{self.url}/api/auth/token",
            data={"username": "admin@lineage.local", "password": "admin-password-1"},
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def chain_up(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.chain_port)) == 0


@pytest.mark.slow
def test_lineage_run_keeps_distributors_and_confirmed_placements_across_a_restart(
    tmp_path: Path,
) -> None:
    service = Service(tmp_path / "var", tmp_path / "run.log")
    service.start()
    try:
        headers = service.token()
        ids = []
        for number in range(12):
            response = httpx.post(
                f"{service.url}/api/distributors",
                json={"first_name": f"R{number}", "last_name": "Restart"},
                headers=headers,
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        deadline = time.monotonic() + 60
        while httpx.get(f"{service.url}/health").json()["chain"]["queued_intents"]:
            assert time.monotonic() < deadline, "the outbox did not drain"
            time.sleep(0.2)
        before = {
            i: httpx.get(f"{service.url}/api/distributors/{i}", headers=headers).json() for i in ids
        }
    finally:
        assert service.stop() == 0
    assert not service.chain_up(), "Ganache should stop with the service"
    secret = service.data_dir / SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    record = json.loads((service.data_dir / "deployment.json").read_text())

    service.start()
    try:
        headers = service.token()
        assert json.loads((service.data_dir / "deployment.json").read_text()) == record
        for distributor_id, seen in before.items():
            now = httpx.get(f"{service.url}/api/distributors/{distributor_id}", headers=headers)
            assert now.json() == seen
            assert seen["placement"]["chain_status"] == "confirmed"
        gateway = ChainGateway(
            f"http://127.0.0.1:{service.chain_port}",
            read_deployment(service.data_dir / "deployment.json"),
        )
        for distributor_id, seen in before.items():
            chained = gateway.placement_of(distributor_id)
            placement = seen["placement"]
            assert chained is not None
            assert (chained.sponsor, chained.parent, chained.position) == (
                placement["sponsor_id"],
                placement["parent_id"],
                placement["position"],
            )
        chain = httpx.get(f"{service.url}/health").json()["chain"]
        assert chain["status"] == "ok" and chain["queued_intents"] == 0
    finally:
        assert service.stop() == 0
    log = (tmp_path / "run.log").read_text()
    assert "Traceback" not in log


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    _register()
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_run_with_rpc_but_no_key_says_what_is_missing(tmp_path: Path) -> None:
    code, output = invoke(
        "run", "--data-dir", str(tmp_path), "--port", str(free_port()),
        "--rpc", "http://127.0.0.1:9", env={"LINEAGE_CHAIN_KEY": ""},
    )  # fmt: skip
    assert code == 1
    assert "LINEAGE_CHAIN_KEY" in output and "Traceback" not in output


def test_run_with_a_malformed_chain_key_says_so(tmp_path: Path) -> None:
    code, output = invoke(
        "run", "--data-dir", str(tmp_path), "--port", str(free_port()),
        "--rpc", "http://127.0.0.1:9", env={"LINEAGE_CHAIN_KEY": "0x1234"},
    )  # fmt: skip
    assert code == 1
    assert "not a valid private key" in output


def test_run_on_a_busy_port_says_so(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, output = invoke("run", "--data-dir", str(tmp_path), "--port", str(port))
    assert code == 1
    assert "already in use" in output


def test_run_against_an_unreachable_rpc_says_so(tmp_path: Path) -> None:
    code, output = invoke(
        "run", "--data-dir", str(tmp_path), "--port", str(free_port()),
        "--rpc", f"http://127.0.0.1:{free_port()}", env={"LINEAGE_CHAIN_KEY": "0x" + "11" * 32},
    )  # fmt: skip
    assert code == 1
    assert "no chain node answers" in output


def test_deploy_without_brownie_asks_for_make_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploy, "BROWNIE_PYTHON", tmp_path / "missing" / "python")
    with pytest.raises(ChainError, match="make setup"):
        deploy.run_brownie_deploy(
            rpc_url="http://127.0.0.1:9",
            record_path=tmp_path / "d.json",
            deployer_key="0x" + "11" * 32,
        )


def test_deploy_works_from_a_folder_with_a_dot_in_its_path(tmp_path: Path) -> None:
    # A clone under /home/john.doe or mktemp's /tmp/tmp.uKRF7g3fa8: `brownie run` made a module
    # name of the script's path ("tmp.uKRF7g3fa8" as two packages) and could not import it.
    # Real copies, not symlinks: brownie resolves the project path, which would drop the dot.
    project = tmp_path / "john.doe" / "lineage"
    project.mkdir(parents=True)
    shutil.copy(deploy.ROOT / "brownie-config.yaml", project)
    for name in ("contracts", "interfaces", "scripts", "build"):
        shutil.copytree(
            deploy.ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    (project / "node_modules").symlink_to(deploy.ROOT / "node_modules")
    (project / "tests").mkdir()  # brownie makes tests/contracts, but not its parent
    record_path = project / "var" / "deployment.json"
    with ManagedGanache(tmp_path / "chain", port=free_port()) as node:
        key = node.writer_key()
        deploy.run_brownie_deploy(
            rpc_url=node.rpc_url, record_path=record_path, deployer_key=key, project_dir=project
        )
        record = deploy.valid_record(record_path, node.rpc_url)
    assert record is not None  # the chain id matches and every contract has code
    assert json.loads(record_path.read_text())["deployer"] == address_of(key)


def test_managed_ganache_refuses_a_port_held_by_another_chain(tmp_path: Path) -> None:
    # A node of another chain id on the port: a clear error, and it is left alone.
    port = free_port()
    other = subprocess.Popen(
        [
            str(ManagedGanache(tmp_path).executable), "--chain.chainId", "4242",
            "--server.port", str(port), "--logging.quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while probe_chain_id(url) != 4242:
            assert time.monotonic() < deadline, "the other node did not come up"
            time.sleep(0.2)
        node = ManagedGanache(tmp_path / "data", port=port)
        with pytest.raises(ChainError, match="chain 4242"):
            node.start()
        assert other.poll() is None
    finally:
        other.terminate()
        other.wait(timeout=30)
