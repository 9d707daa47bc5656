"""A data folder made by the code before the one chain-job queue upgrades in place (migration
0010 moves chain_intent, period_chain_job and period_batch into chain_job), then serves, pays
what was pending exactly once, and passes `lineage audit`.

The old folder is made by the old code itself: commit 8837c93 (the last one before the queue) is
extracted with `git archive` and run in a subprocess on the same chain. It builds the demo
company (period 1 paid), closes period 2 and kills its writer right after the `payBatch`
broadcast (the batch is `sent` with hash and nonce, never confirmed), then enrolls three more
distributors with no writer running (queued placements), leaving period 3 open.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, SECRET, Clock, token_for
from sqlmodel import Session, select
from test_chain_outbox import Chain, chain, chain_template, placed_event_counts
from typer.testing import CliRunner

from backend.accounts.models import User
from backend.bootstrap import bootstrap
from backend.chain.audit_reads import AuditReader
from backend.chain.payouts import PayoutChain
from backend.chain_jobs import ChainJob, JobKind, JobStatus
from backend.cli import _register
from backend.cli import app as cli
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.main import create_app
from backend.periods.models import Period, PeriodStatus
from backend.worker.writer import ChainWriter

pytestmark = [pytest.mark.chain, pytest.mark.slow]
__all__ = ["chain", "chain_template"]  # fixtures, re-exported for pytest

OLD_COMMIT = "8837c93"
REPO = Path(__file__).resolve().parents[2]
OLD_PATHS = ["backend", "ledger", "scripts", "contracts", "pyproject.toml", "alembic.ini"]
runner = CliRunner()
_register()

# Run by the old code (PYTHONPATH = the extracted commit): argv = data_dir rpc record key.
OLD_SCRIPT = """
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.chain.deployment import Deployment
from backend.chain.gateway import ChainGateway
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.dev.demo import close as demo_close
from backend.dev.demo import runner
from backend.genealogy import enrollment
from backend.genealogy.models import DistributorCreate
from backend.genealogy.tree_cache import PlacementTreeCache
from backend.worker.config import WriterStopped
from backend.worker.writer import ChainWriter

data_dir, rpc, record, key = sys.argv[1:5]
settings = Settings(
    data_dir=Path(data_dir), secret_key=sys.argv[5], admin_email=sys.argv[6],
    admin_password=sys.argv[7],
)
gateway = ChainGateway(rpc, Deployment.model_validate_json(Path(record).read_text()),
                       private_key=key)
armed = []
plan = demo_close.periods_chain.plan_payouts


def plan_then_arm(session, period_id, **kwargs):
    planned = plan(session, period_id, **kwargs)
    if period_id == 2:
        armed.append(period_id)
    return planned


def crash_after_broadcast(signed):
    if armed:
        raise WriterStopped


class CrashingWriter(ChainWriter):
    def __init__(self, *args, **kwargs):
        kwargs["after_send"] = crash_after_broadcast
        super().__init__(*args, **kwargs)


demo_close.periods_chain.plan_payouts = plan_then_arm
runner.ChainWriter = CrashingWriter
options = runner.DemoOptions(distributors=60, periods=2, seed=7, quiet=True)
try:
    runner.run_demo(settings, gateway, options, today=date(2026, 5, 20))
except WriterStopped:
    pass
else:
    sys.exit("the old writer was never stopped after a payBatch broadcast")

engine = make_engine(settings.resolved_database_url)
trees = PlacementTreeCache(width=settings.tree_width, root_id=settings.default_sponsor_id)
with Session(engine) as session:
    admin = session.exec(select(User).where(User.email == settings.admin_email)).one()
    for number in range(3):
        data = DistributorCreate(first_name=f"Late{number}", last_name="Joiner", sponsor_id=2)
        enrollment.enroll(
            session, data, actor=admin, settings=settings, trees=trees, now=datetime.now(UTC)
        )
engine.dispose()
print("old folder ready")
"""


def extract_old_code(target: Path) -> None:
    probe = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{OLD_COMMIT}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.fail(
            f"the upgrade test needs commit {OLD_COMMIT} (the code before the chain-job queue) "
            "in the git history: fetch the full history (git fetch --unshallow)"
        )
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", OLD_COMMIT, *OLD_PATHS],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    for shared in ("node_modules", "build"):
        if (REPO / shared).exists():
            (target / shared).symlink_to(REPO / shared)


def old_state(tmp_path: Path, chain: Chain, data_dir: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    extract_old_code(old)
    record = data_dir / "deployment.json"
    deployment = json.loads((chain.node.data_dir / "deployment.json").read_text())
    deployment["rpcUrl"] = chain.node.rpc_url
    record.write_text(json.dumps(deployment))
    env = {**os.environ, "PYTHONPATH": str(old)}
    done = subprocess.run(
        [sys.executable, "-c", OLD_SCRIPT, str(data_dir), chain.node.rpc_url, str(record)]
        + [chain.key, SECRET, ADMIN_EMAIL, ADMIN_PASSWORD],
        cwd=old,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


def test_a_pre_queue_folder_upgrades_serves_and_pays_once(tmp_path: Path, chain: Chain) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    old_state(tmp_path, chain, data_dir)

    database = data_dir / "lineage.db"
    with sqlite3.connect(database) as old_db:
        version = old_db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        sent_batch = old_db.execute(
            "SELECT period_id, seq, tx_hash, nonce FROM period_batch WHERE status = 'sent'"
        ).fetchall()
        queued_places = old_db.execute(
            "SELECT count(*) FROM chain_intent WHERE status = 'queued'"
        ).fetchone()[0]
        old_rows = sum(
            old_db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("chain_intent", "period_chain_job", "period_batch")
        )
    assert version == "0009"
    assert len(sent_batch) == 1 and sent_batch[0][0] == 2 and sent_batch[0][2] is not None
    assert queued_places == 3

    settings = Settings(
        data_dir=data_dir,
        secret_key=SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    )
    assert settings.resolved_database_url.endswith(str(database))
    engine = make_engine(settings.resolved_database_url)
    try:
        bootstrap(settings, engine)  # what `lineage run` and `lineage worker` do: migrate
        with Session(engine) as session:
            jobs = list(session.exec(select(ChainJob)))
            admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        assert len(jobs) == old_rows
        sent = [job for job in jobs if job.status == JobStatus.sent]
        assert [(j.kind, j.subject_id, j.tx_hash, j.nonce) for j in sent] == [
            (JobKind.pay, 2, sent_batch[0][2], sent_batch[0][3])
        ]
        queued = [job for job in jobs if job.status == JobStatus.queued]
        assert {job.kind for job in queued} == {JobKind.place} and len(queued) == 3

        gateway = chain.gateway()
        nonce = gateway.nonce()
        writer = ChainWriter(engine, gateway, settings)
        for _ in range(50):
            if writer.run_once() == 0 and writer.pending() == 0:
                break
        # The sent batch was settled from the chain, not sent again: one transaction went out,
        # the placeBatch of the three queued placements.
        assert gateway.nonce() == nonce + 1
        late = [job.subject_id for job in queued if job.subject_id is not None]
        assert placed_event_counts(gateway, late) == dict.fromkeys(late, 1)

        app = create_app(settings, engine=engine)
        headers = token_for(int(admin.id or 0), Clock())
        with TestClient(app) as client:
            assert client.get("/health").status_code == 200
            intents = client.get("/api/chain/intents", headers=headers)
            assert intents.status_code == 200, intents.text
            assert {item["status"] for item in intents.json()["items"]} == {"confirmed"}
            for period_id in (1, 2):
                batches = client.get(f"/api/periods/{period_id}/batches", headers=headers)
                assert batches.status_code == 200, batches.text
                statuses = [b["status"] for b in batches.json()["items"]]
                assert set(statuses) <= {"confirmed"} and (statuses or period_id == 1)
            jobs_answer = client.get("/api/periods/2", headers=headers)
            assert jobs_answer.json()["status"] == PeriodStatus.paid

        reader = AuditReader(chain.node.rpc_url, chain.deployment)
        payouts = PayoutChain(gateway)
        with Session(engine) as session:
            periods = [session.get(Period, number) for number in (1, 2)]
        for period in periods:
            assert period is not None and period.status == PeriodStatus.paid
            lines = int(period.leaf_count or 0)
            counts: Counter[int] = Counter()
            for batch in reader.payment_events(period.id).batches:
                counts.update(batch.indices)
            assert set(counts) == set(range(lines)) and set(counts.values()) <= {1}
            assert payouts.paid_total_of(period.id) == period.payout_total
            package = data_dir / "periods" / str(period.id)
            audit = runner.invoke(
                cli, ["audit", str(package), "--deployment", str(data_dir / "deployment.json")]
            )
            assert audit.exit_code == 0, audit.output
    finally:
        engine.dispose()
