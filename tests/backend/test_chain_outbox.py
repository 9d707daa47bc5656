"""The chain writer on a real Ganache: enrollments reach the chain once, survive a writer killed
between send and receipt, and queue while the chain is down.

One Ganache is deployed (through brownie, as `lineage run` does) once per session; each test
starts its own node on a free port from a copy of that chain's database.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, Clock, token_for
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend import chain_jobs
from backend.accounts.models import User
from backend.bootstrap import seed
from backend.chain.deployment import Deployment
from backend.chain.gateway import (
    ChainError,
    ChainGateway,
    PlacementRequest,
    Reverted,
    SignedTx,
)
from backend.chain_jobs import ChainJob, JobKind, PlaceJob
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.core.model_base import ChainStatus, IntentStatus
from backend.dev.deploy import ensure_deployment
from backend.dev.devchain import ManagedGanache, load_or_create_mnemonic, mnemonic_key
from backend.genealogy.models import Placement
from backend.main import create_app
from backend.worker.config import WriterConfig, WriterStopped
from backend.worker.runtime import ChainRuntime
from backend.worker.writer import ChainWriter

pytestmark = pytest.mark.chain

FAST = WriterConfig(idle_poll=0.02, backoff_initial=0.1, backoff_max=0.5, pending_grace=0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Chain:
    node: ManagedGanache
    deployment: Deployment
    key: str

    def gateway(self) -> ChainGateway:
        return ChainGateway(self.node.rpc_url, self.deployment, private_key=self.key)


@pytest.fixture(scope="session")
def chain_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Deployment]:
    data_dir = tmp_path_factory.mktemp("chain-template")
    with ManagedGanache(data_dir, port=free_port()) as node:
        deployment = ensure_deployment(
            rpc_url=node.rpc_url,
            record_path=data_dir / "deployment.json",
            deployer_key=node.writer_key(),
        )
    return data_dir, deployment


@pytest.fixture
def chain(chain_template: tuple[Path, Deployment], tmp_path: Path) -> Iterator[Chain]:
    template, deployment = chain_template
    data_dir = tmp_path / "chain-data"
    shutil.copytree(template, data_dir)
    node = ManagedGanache(data_dir, port=free_port()).start()
    try:
        yield Chain(node, deployment, mnemonic_key(load_or_create_mnemonic(data_dir)))
    finally:
        node.stop()


@pytest.fixture
def db(sqlite_template: Path, tmp_path: Path, settings: Settings) -> Iterator[Engine]:
    path = tmp_path / "lineage.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    seed(engine, settings)
    yield engine
    engine.dispose()


def admin_headers(engine: Engine, clock: Clock) -> dict[str, str]:
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        assert admin.id is not None
        return token_for(admin.id, clock)


def enroll(client: TestClient, headers: dict[str, str], count: int, start: int = 0) -> list[int]:
    ids = []
    for number in range(start, start + count):
        response = client.post(
            "/api/distributors",
            json={"first_name": f"D{number}", "last_name": "Chain"},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def assert_chain_equals_db(engine: Engine, gateway: ChainGateway) -> None:
    with Session(engine) as session:
        placements = list(session.exec(select(Placement).order_by(col(Placement.distributor_id))))
    on_chain = gateway.placements_of([p.distributor_id for p in placements])
    for placement, chained in zip(placements, on_chain, strict=True):
        assert placement.chain_status == ChainStatus.confirmed, placement
        assert placement.block_number is not None and placement.tx_hash is not None
        assert chained is not None, f"{placement.distributor_id} is not on chain"
        assert (chained.sponsor, chained.parent, chained.position) == (
            placement.sponsor_id or 0,
            placement.parent_id or 0,
            placement.position,
        )


def placed_event_counts(gateway: ChainGateway, ids: list[int]) -> dict[int, int]:
    registry = gateway._registry
    logs = registry.events.Placed.get_logs(from_block=0, to_block="latest")
    counts = dict.fromkeys(ids, 0)
    for entry in logs:
        if int(entry["args"]["id"]) in counts:
            counts[int(entry["args"]["id"])] += 1
    return counts


def intents_by_status(engine: Engine) -> dict[IntentStatus, int]:
    with Session(engine) as session:
        rows = session.exec(select(ChainJob.status)).all()
    counts: dict[IntentStatus, int] = {}
    for status in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_300_enrollments_through_the_api_are_confirmed_and_match_the_chain(
    chain: Chain, engine: Engine, settings: Settings, clock: Clock
) -> None:
    # On SQLite and on PostgreSQL (the `engine` fixture): the writer's set-based updates too.
    seed(engine, settings)
    db = engine
    runtime = ChainRuntime(chain.gateway(), config=FAST)
    app = create_app(
        settings, engine=db, clock=clock, chain_status=runtime.status, workers=[runtime.serve]
    )
    with TestClient(app) as client:
        ids = enroll(client, admin_headers(db, clock), 300)
        assert runtime.writer is not None
        runtime.writer.drain(timeout=120)
        health = client.get("/health").json()["chain"]
    assert health["status"] == "ok" and health["chain_id"] == 1337
    assert health["queued_intents"] == 0
    assert intents_by_status(db) == {IntentStatus.confirmed: 301}  # the root's too
    gateway = chain.gateway()
    assert_chain_equals_db(db, gateway)
    assert set(placed_event_counts(gateway, ids).values()) == {1}
    assert len(ids) == 300


def test_a_writer_killed_between_send_and_receipt_resumes_without_sending_twice(
    chain: Chain, db: Engine, settings: Settings, clock: Clock
) -> None:
    sent: list[SignedTx] = []

    def die_after_first_send(signed: SignedTx) -> None:
        sent.append(signed)
        raise WriterStopped

    runtime = ChainRuntime(chain.gateway(), config=FAST)
    app = create_app(settings, engine=db, clock=clock)
    with TestClient(app) as client:
        ids = enroll(client, admin_headers(db, clock), 120)
    config = WriterConfig(batch_size=50, idle_poll=0.02, pending_grace=0.5)
    first = ChainWriter(db, runtime.gateway, config=config, after_send=die_after_first_send)
    with pytest.raises(WriterStopped):
        while True:
            first.run_once()
    # Died after broadcasting: its intents are `sent`, the transaction is on chain.
    assert len(sent) == 1
    assert intents_by_status(db).get(IntentStatus.sent) == 50
    nonce_before = chain.gateway().nonce()

    second = ChainWriter(db, chain.gateway(), config=config)
    while second.pending():
        second.run_once()
    gateway = chain.gateway()
    assert intents_by_status(db) == {IntentStatus.confirmed: 121}
    assert_chain_equals_db(db, gateway)
    assert set(placed_event_counts(gateway, ids).values()) == {1}
    # 70 left after the first batch of 50 (the root confirmed by reconciling): two more sends.
    assert gateway.nonce() == nonce_before + 2
    assert second.stats.reconciled >= 50
    with Session(db) as session:
        first_batch = session.exec(
            select(Placement).where(Placement.tx_hash == sent[0].tx_hash)
        ).all()
    assert len(first_batch) == 50


def test_a_writer_that_died_before_broadcasting_requeues_and_sends_once(
    chain: Chain, db: Engine, settings: Settings, clock: Clock
) -> None:
    app = create_app(settings, engine=db, clock=clock)
    with TestClient(app) as client:
        ids = enroll(client, admin_headers(db, clock), 20)
    gateway = chain.gateway()
    # What a crash between `mark_sent` and the broadcast leaves: intents naming a transaction
    # the chain never saw.
    with Session(db) as session:
        queued = chain_jobs.queued(session, [JobKind.place], limit=100)
        signed = gateway.sign_place_batch(
            [PlacementRequest(**q.payload) for q in queued[1:]], nonce=gateway.nonce()
        )
        chain_jobs.mark_sent(
            session, [q.id for q in queued if q.id], tx_hash=signed.tx_hash, nonce=signed.nonce
        )
    assert gateway.receipt(signed.tx_hash) is None
    nonce_before = gateway.nonce()
    writer = ChainWriter(db, gateway, config=FAST)
    while writer.pending():
        writer.run_once()
    assert intents_by_status(db) == {IntentStatus.confirmed: 21}
    assert gateway.nonce() == nonce_before + 1
    events = gateway.placed_events(ids + [1])
    with Session(db) as session:
        for placement in session.exec(select(Placement)):
            assert events[placement.distributor_id] == (placement.block_number, placement.tx_hash)
    assert set(placed_event_counts(gateway, ids).values()) == {1}


def test_while_the_chain_is_down_enrollments_queue_and_reads_work_then_drain(
    chain: Chain, db: Engine, settings: Settings, clock: Clock
) -> None:
    runtime = ChainRuntime(chain.gateway(), config=FAST)
    app = create_app(
        settings, engine=db, clock=clock, chain_status=runtime.status, workers=[runtime.serve]
    )
    headers = admin_headers(db, clock)
    with TestClient(app) as client:
        first = enroll(client, headers, 10)
        assert runtime.writer is not None
        runtime.writer.drain(timeout=60)
        chain.node.stop()

        later = enroll(client, headers, 40, start=10)
        assert client.get(f"/api/distributors/{later[-1]}", headers=headers).status_code == 200
        downline = client.get("/api/distributors/1/downline", headers=headers)
        assert downline.status_code == 200, downline.text
        health = client.get("/health").json()
        assert health["status"] == "ok"
        assert health["chain"]["status"] == "down"
        assert health["chain"]["queued_intents"] == 40
        assert intents_by_status(db)[IntentStatus.queued] == 40

        chain.node.start()
        runtime.writer.drain(timeout=90)
        assert client.get("/health").json()["chain"]["status"] == "ok"
    assert intents_by_status(db) == {IntentStatus.confirmed: 51}
    gateway = chain.gateway()
    assert_chain_equals_db(db, gateway)
    assert set(placed_event_counts(gateway, first + later).values()) == {1}


def test_an_intent_the_chain_refuses_fails_with_the_decoded_reason_and_the_rest_go_through(
    chain: Chain, db: Engine, settings: Settings, clock: Clock
) -> None:
    app = create_app(settings, engine=db, clock=clock)
    with TestClient(app) as client:
        enroll(client, admin_headers(db, clock), 4)
    with Session(db) as session:
        # A placement under a parent nobody placed (e.g. a hand-edited row) ...
        bogus = chain_jobs.enqueue(session, PlaceJob(id=900, sponsor=1, parent=777, position=0))
        session.commit()
        bogus_id = bogus.id
    with TestClient(app) as client:
        later = enroll(client, admin_headers(db, clock), 3, start=4)
    writer = ChainWriter(db, chain.gateway(), config=FAST)
    for _ in range(10):
        if not writer.pending():
            break
        writer.run_once()
    with Session(db) as session:
        failed = session.get(ChainJob, bogus_id)
        assert failed is not None
        assert failed.status == IntentStatus.failed
        assert failed.note == "UnknownParent(parent=777)"
    assert intents_by_status(db) == {IntentStatus.confirmed: 8, IntentStatus.failed: 1}
    assert set(placed_event_counts(chain.gateway(), later).values()) == {1}


def test_gateway_decodes_custom_errors_and_reads_the_other_contracts(chain: Chain) -> None:
    gateway = chain.gateway()
    with pytest.raises(Reverted) as refused:
        gateway.simulate_place_batch([PlacementRequest(id=1, sponsor=1, parent=1, position=0)])
    assert refused.value.error_name == "AlreadyPlaced"
    assert refused.value.reason == "AlreadyPlaced(id=1)"
    with pytest.raises(Reverted) as beyond:
        gateway.simulate_place_batch([PlacementRequest(id=2, sponsor=1, parent=1, position=5)])
    assert beyond.value.reason == "PositionBeyondWidth(position=5, width=2)"
    root = gateway.placement_of(1)
    assert root is not None and (root.sponsor, root.parent) == (0, 0)
    assert gateway.placement_of(2) is None
    assert gateway.latest_period_id() == 0
    assert gateway.payout_terms_of(1) is None
    assert gateway.paid_total_of(1) == 0
    status = gateway.status()
    assert status.status == "ok" and status.chain_id == 1337


def test_gateway_status_reports_a_node_that_is_down(chain: Chain) -> None:
    chain.node.stop()
    status = chain.gateway().status()
    assert status.status == "down"
    assert status.detail


def test_the_managed_node_keeps_the_mnemonic_off_its_command_line(chain: Chain) -> None:
    process = chain.node.process
    assert process is not None
    command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode()
    mnemonic = load_or_create_mnemonic(chain.node.data_dir)
    assert "ganache-node.js" in command_line
    assert mnemonic not in command_line
    assert not any(word in command_line.split("\0") for word in mnemonic.split())


def test_a_node_with_a_tiny_read_cache_evicts_and_what_it_wrote_survives_a_restart(
    chain_template: tuple[Path, Deployment], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1 MB of cache against ~600 placements of trie nodes: reads miss and entries are evicted
    # all the time. Restarted without any cache, LevelDB alone must hold every placement.
    template, deployment = chain_template
    data_dir = tmp_path / "chain-data"
    shutil.copytree(template, data_dir)
    key = mnemonic_key(load_or_create_mnemonic(data_dir))
    monkeypatch.setenv("LINEAGE_CHAIN_CACHE_MB", "1")
    with ManagedGanache(data_dir, port=free_port()) as node:
        gateway = ChainGateway(node.rpc_url, deployment, private_key=key)
        root = int(gateway._registry.functions.rootId().call())
        requests = [PlacementRequest(root + 1, root, root, 0)]
        requests += [
            PlacementRequest(root + n, root + 1, root + n // 2, n % 2) for n in range(2, 601)
        ]
        nonce = gateway.nonce()
        for start in range(0, len(requests), 200):
            signed = gateway.sign_place_batch(requests[start : start + 200], nonce=nonce)
            nonce += 1
            gateway.broadcast(signed)
            assert gateway.wait_receipt(signed.tx_hash).succeeded
    monkeypatch.setenv("LINEAGE_CHAIN_CACHE_MB", "0")
    with ManagedGanache(data_dir, port=free_port()) as node:
        gateway = ChainGateway(node.rpc_url, deployment, private_key=key)
        on_chain = gateway.placements_of([request.id for request in requests])
        for request, placed in zip(requests, on_chain, strict=True):
            assert placed is not None and placed.matches(request), request


def test_a_malformed_cache_size_is_refused_before_the_node_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEAGE_CHAIN_CACHE_MB", "lots")
    with pytest.raises(ChainError, match="LINEAGE_CHAIN_CACHE_MB"):
        ManagedGanache(tmp_path, port=free_port()).start()


def test_the_managed_node_still_traces_and_estimates_gas(chain: Chain) -> None:
    # The launcher drops Ganache's console.log and key-preimage step listeners; the ones
    # tracing and gas estimation register themselves must still work.
    gateway = chain.gateway()
    root = int(gateway._registry.functions.rootId().call())
    signed = gateway.sign_place_batch(
        [PlacementRequest(root + 1, root, root, 0)], nonce=gateway.nonce()
    )
    gateway.broadcast(signed)
    assert gateway.wait_receipt(signed.tx_hash).succeeded
    w3 = gateway._w3
    trace = w3.provider.make_request("debug_traceTransaction", [signed.tx_hash, {}])  # type: ignore[arg-type]
    ops = [step["op"] for step in trace["result"]["structLogs"]]
    assert ops.count("SSTORE") == 2 and ops[-1] == "STOP"
    estimate = gateway._registry.functions.placeBatch([(root + 2, root, root, 1)]).estimate_gas(
        {"from": gateway.address}
    )
    assert 40_000 < estimate < 200_000
