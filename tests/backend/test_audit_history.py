"""The auditor's chain history on a real Ganache: the small company placed, period 1 anchored,
funded and paid; the history cut into pages gives the same rows as one long page (placements
are read from the database only for the page shown), and the period and person filters keep
exactly their rows."""

from __future__ import annotations

import pytest
from lineage_api import Api
from sqlmodel import Session, select
from test_api_periods import close, company, post
from test_chain_outbox import Chain, chain, chain_template
from test_period_chain import fund, get, on_chain, settle, writer

from backend.audit.history import history
from backend.chain.audit_reads import AuditReader
from backend.genealogy.models import Placement

pytestmark = pytest.mark.chain
__all__ = ["chain", "chain_template", "company", "on_chain"]  # fixtures, re-exported for pytest


def test_pages_and_filters_of_the_chain_history(on_chain: tuple[Api, Chain]) -> None:  # noqa: F811
    api, node = on_chain
    chain_writer = writer(api, node)
    settle(chain_writer)
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    assert post(api, "/api/periods/1/anchor").status_code == 202
    settle(chain_writer)
    fund(api, get(api, "/api/periods/1")["payout_total"])
    settle(chain_writer)
    assert post(api, "/api/periods/1/payouts").status_code == 202
    settle(chain_writer)

    def reader() -> AuditReader:
        return AuditReader.on(node.gateway())

    with Session(api.engine) as session:
        placed = set(session.exec(select(Placement.distributor_id)))
        everything = history(session, reader, limit=1000)
        kinds = [row.kind for row in everything.rows]
        assert kinds.count("placement") == len(placed) and "anchor" in kinds and "batch" in kinds
        assert all(row.match for row in everything.rows)
        assert [r.block for r in everything.rows] == sorted(
            (r.block for r in everything.rows), reverse=True
        )
        pages = [history(session, reader, offset=o, limit=3) for o in range(0, everything.total, 3)]
        assert [row for page in pages for row in page.rows] == everything.rows
        assert {page.total for page in pages} == {everything.total}

        mine = history(session, reader, person=2, limit=1000).rows
        assert {row.kind for row in mine} == {"placement", "batch"}
        assert [r.distributor_id for r in mine if r.kind == "placement"] == [2]

        in_period = history(session, reader, period_id=1, limit=1000).rows
        assert {r.distributor_id for r in in_period if r.kind == "placement"} == placed
        assert history(session, reader, period_id=2, limit=1000).rows == []
