"""one chain-job queue: chain_job (place | anchor | fund | pay) replaces chain_intent,
period_chain_job and period_batch; every existing row moves, whatever its status

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 21:00:00.000000
"""

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import backend.core.model_base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = backend.core.model_base.UTCDateTime(timezone=True)
ANCHOR_LIVE = sa.text("kind = 'anchor' AND status <> 'failed'")
CHUNK = 5000

COLUMNS = (
    "kind",
    "status",
    "subject_id",
    "amount",
    "payload",
    "tx_hash",
    "nonce",
    "block_number",
    "gas_used",
    "attempts",
    "note",
    "result",
    "created_at",
    "updated_at",
    "sent_at",
    "confirmed_at",
)


def _chain_job_table() -> sa.TableClause:
    return sa.table(
        "chain_job",
        sa.column("kind", sa.String()),
        sa.column("status", sa.String()),
        sa.column("subject_id", sa.Integer()),
        sa.column("amount", sa.BigInteger()),
        sa.column("payload", sa.JSON()),
        sa.column("tx_hash", sa.String()),
        sa.column("nonce", sa.BigInteger()),
        sa.column("block_number", sa.BigInteger()),
        sa.column("gas_used", sa.BigInteger()),
        sa.column("attempts", sa.Integer()),
        sa.column("note", sa.Text()),
        sa.column("result", sa.JSON()),
        sa.column("created_at", UTC),
        sa.column("updated_at", UTC),
        sa.column("sent_at", UTC),
        sa.column("confirmed_at", UTC),
    )


def upgrade() -> None:
    op.create_table(
        "chain_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("confirmed_at", UTC, nullable=True),
        sa.CheckConstraint(
            "kind IN ('place', 'anchor', 'fund', 'pay')", name=op.f("ck_chain_job_kind")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'confirmed', 'failed')",
            name=op.f("ck_chain_job_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_job")),
    )
    with op.batch_alter_table("chain_job", schema=None) as batch_op:
        batch_op.create_index("ix_chain_job_kind_subject_id", ["kind", "subject_id"], unique=False)
        batch_op.create_index("ix_chain_job_status_kind_id", ["status", "kind", "id"], unique=False)
        batch_op.create_index(
            "uq_chain_job_live_anchor",
            ["subject_id"],
            unique=True,
            sqlite_where=ANCHOR_LIVE,
            postgresql_where=ANCHOR_LIVE,
        )
    _move_rows()
    op.drop_table("chain_intent")
    with op.batch_alter_table("period_chain_job", schema=None) as batch_op:
        batch_op.drop_index("uq_period_chain_job_live_anchor")
        batch_op.drop_index("ix_period_chain_job_status_id")
    op.drop_table("period_chain_job")
    with op.batch_alter_table("period_batch", schema=None) as batch_op:
        batch_op.drop_index("ix_period_batch_status_period_id_seq")
    op.drop_table("period_batch")


def _move_rows() -> None:
    """Placements first, in their id order (the order they must reach the chain), then the
    period jobs in theirs, then the payout batches by period and `seq`; statuses keep their
    meaning (a planned batch is a queued pay job), hashes and nonces of sent rows move along so
    the writer reconciles them from the chain before sending anything."""
    bind = op.get_bind()
    target = _chain_job_table()
    for rows in (_intents(bind), _period_jobs(bind), _batches(bind)):
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append({name: row.get(name) for name in COLUMNS})
            if len(chunk) >= CHUNK:
                bind.execute(target.insert(), chunk)
                chunk = []
        if chunk:
            bind.execute(target.insert(), chunk)


def _select(bind: sa.Connection, query: str) -> Iterator[dict[str, Any]]:
    """Rows as dicts, JSON decoded and times as aware UTC datetimes on both backends."""
    table = query.split(" FROM ")[1].split()[0]
    columns = sa.inspect(bind).get_columns(table)
    json_columns = {c["name"] for c in columns if isinstance(c["type"], sa.JSON)}
    time_columns = {c["name"] for c in columns if isinstance(c["type"], sa.DateTime)}
    for row in bind.execute(sa.text(query)).mappings():
        item = dict(row)
        for name in json_columns & item.keys():
            if isinstance(item[name], str):
                item[name] = json.loads(item[name])
        for name in time_columns & item.keys():
            item[name] = _utc(item[name])
        yield item


def _utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _intents(bind: sa.Connection) -> Iterator[dict[str, Any]]:
    for row in _select(bind, "SELECT * FROM chain_intent ORDER BY id"):
        yield {**row, "kind": "place", "amount": None, "note": row["last_error"]}


def _period_jobs(bind: sa.Connection) -> Iterator[dict[str, Any]]:
    for row in _select(bind, "SELECT * FROM period_chain_job ORDER BY id"):
        if row["kind"] == "anchor":
            payload = {"period_id": row["period_id"], "requested_by": row["requested_by"]}
        else:
            payload = {"amount": row["amount"], "requested_by": row["requested_by"]}
        yield {
            **row,
            "subject_id": row["period_id"],
            "payload": payload,
            "attempts": 0 if row["status"] == "queued" else 1,
            "note": row["error"],
            **_times(row["status"], row["updated_at"]),
        }


def _batches(bind: sa.Connection) -> Iterator[dict[str, Any]]:
    status = {"planned": "queued", "sent": "sent", "confirmed": "confirmed"}
    query = "SELECT * FROM period_batch ORDER BY period_id, seq"
    for row in _select(bind, query):
        payload = {
            "period_id": row["period_id"],
            "seq": row["seq"],
            "indices": row["indices"],
            "amount": row["amount"],
        }
        settled = row["status"] == "confirmed"
        result = (
            {"paid": row["paid"], "failed": row["failed"], "skipped": row["skipped"]}
            if settled
            else None
        )
        yield {
            **row,
            "kind": "pay",
            "status": status[row["status"]],
            "subject_id": row["period_id"],
            "payload": payload,
            "attempts": 0 if row["status"] == "planned" else 1,
            "result": result,
            **_times(row["status"], row["updated_at"]),
        }


def _times(status: str, updated_at: Any) -> dict[str, Any]:
    """The old period tables kept one `updated_at`: the best known send and confirm times."""
    return {
        "sent_at": updated_at if status in ("sent", "confirmed") else None,
        "confirmed_at": updated_at if status == "confirmed" else None,
    }


def downgrade() -> None:
    raise RuntimeError(  # irreversible by design, not a placeholder
        "0010 merged three tables into chain_job; restore a backup taken before the upgrade"
    )
