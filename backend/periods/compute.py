"""Compute a period (preview, repeatable) and approve it (maker-checker, locks it).

Compute snapshots the inputs (``periods_snapshot``), runs the engine, writes the period package to
``<data_dir>/periods/<id>/`` and stores the lines, payees, clawbacks and every distributor's
standing (``standings``), replacing the previous compute's and the open period's preview. The
package folder is swapped in whole just before the commit, and the database keeps the manifest it
wrote, so approval can refuse a package that is not the one computed. Compute reads its inputs in
one snapshot that blocks nobody (`snapshot_read`), runs the engine, then writes as a write unit
(`begin_write`, the period row locked) that first checks with a compare-and-set that the period is
still as it read it: of two overlapping computes, or a compute and an approval, the later one to
write is refused (409) and nothing interleaves.

Approval names the compute it approves (the period's ``computations`` as the approver saw it)
and needs a finance user other than the one who computed it, a period that has ended, neither
account created or changed in the last 24 hours (``approvals``), and the package on disk
matching the stored manifest; after it, compute is refused. Approval, too, writes with a
compare-and-set on (status, computations, computed_by).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any, NoReturn

import numpy as np
from sqlalchemy import delete, insert
from sqlmodel import Session, col

from backend.accounts.models import User
from backend.chain.deployment import PayoutCurrency, payout_currency_mismatch, read_deployment
from backend.core.config import Settings
from backend.core.days import date_of, day_of
from backend.core.db import compare_and_set, snapshot_read
from backend.core.errors import Conflict, Forbidden, Unavailable
from backend.core.money import format_money, reader_locale
from backend.packages import PackageWriter
from backend.periods import money
from backend.periods.approvals import check_accounts_settled
from backend.periods.member_sales import store_member_sales
from backend.periods.models import (
    LOCKED,
    Period,
    PeriodClawback,
    PeriodLine,
    PeriodMemberSales,
    PeriodMove,
    PeriodPayee,
    PeriodPeopleSummary,
    PeriodReturn,
    PeriodSalesSummary,
    PeriodStatus,
    PeriodTeam,
    StandingKind,
)
from backend.periods.moves import store_moves
from backend.periods.people_summary import store_people_summary
from backend.periods.service import (
    calendar,
    get_period,
    load_company_plan,
    manifest_of,
    package_dir,
    transition,
)
from backend.periods.snapshot import Snapshot, course_completions, snapshot
from backend.periods.standings import rank_ups, store_standings
from backend.periods.team_lines import PayoutLines, write_team_lines
from backend.rates.service import latest_rates
from backend.training.service import assign_on_ranks
from ledger.engine import PeriodResult, payee_rows, run_period
from ledger.errors import LedgerError
from ledger.inputs import PeriodInputs
from ledger.money import ISO_CURRENCIES, Rate, RateMissingError, alpha_code, conversion
from ledger.package import TABLE_COLUMNS, build_package
from ledger.plan import Plan
from ledger.rails import RAILS
from ledger.withholding import STATUS_CODES

INSERT_CHUNK = 20_000
#: The engine's codes as the payee rows store them (``backend.payees.models``' values).
TAX_NAMES = {code: name for name, code in STATUS_CODES.items()}
RAIL_NAMES = {code: name for name, code in RAILS.items()}
PERIOD = Period.metadata.tables["period"]


def compute(
    session: Session, settings: Settings, period_id: int, *, actor: User, now: datetime
) -> Period:
    with snapshot_read(session):
        period = get_period(session, period_id)
        if period.status in LOCKED:
            raise Conflict(
                f"period {period_id} is {period.status}: its plan and inputs are locked",
                code="period_locked",
            )
        plan = load_company_plan(settings)
        check_payout_token(settings, plan)
        if calendar(session, plan).bounds(period.id) != (period.start_day, period.end_day):
            raise Conflict(
                f"the plan's calendar no longer gives period {period_id} the days it was "
                "opened with; restore the plan's [calendar]",
                code="calendar_changed",
            )
        seen = {"id": period.id, "status": str(period.status), "computations": period.computations}
        snap = snapshot(
            session, settings, period, plan=plan, completions=course_completions(session, plan)
        )
        snap.inputs = replace(snap.inputs, rates=period_rates(session, plan, snap.inputs))
        try:
            result = run_period(plan=plan, inputs=snap.inputs)
        except LedgerError as exc:
            raise Conflict(
                f"the engine refused the period's inputs: {exc}", code="engine_refused"
            ) from None
    # The engine ran without holding any lock; the write unit checks nothing moved meanwhile.
    period = get_period(session, period_id, lock=True)
    if not compare_and_set(
        session, PERIOD, where=seen, values={"computations": period.computations + 1}
    ):
        raise Conflict(
            f"period {period_id} changed while it was being computed (now {period.status}, "
            f"compute #{period.computations}); compute again if it is still open",
            code="period_changed",
        )
    target = package_dir(settings, period.id)
    target.parent.mkdir(parents=True, exist_ok=True)
    with PackageWriter(target) as writer:
        files = build_package(
            plan=plan, inputs=snap.inputs, result=result, on_file=writer.add, keep=False
        )
        manifest = json.loads(files["manifest.json"])
        _store(session, period, result, snap)
        # The period's own figures replace its preview's (the dashboard's "last period").
        store_standings(
            session,
            period.id,
            kind=StandingKind.computed,
            plan=plan,
            inputs=snap.inputs,
            result=result,
            now=now,
            plan_hash_hex=manifest["planHash"],
        )
        store_people_summary(session, period.id, snap.inputs, result)
        store_member_sales(session, period.id, snap.inputs, result)
        store_moves(session, period.id)  # from the standings and payees just written
        period.computations += 1
        period.plan_hash = manifest["planHash"]
        period.inputs_hash = manifest["inputsHash"]
        period.results_hash = manifest["resultsHash"]
        period.payout_root = manifest["payoutRoot"]
        period.payout_total = int(manifest["payoutTotal"])
        period.leaf_count = int(manifest["leafCount"])
        period.currency, period.exponent = plan.currency.code, plan.currency.decimals
        period.compliance = money.summary(plan, result)
        period.manifest = files["manifest.json"].decode()
        assert snap.facts is not None
        write_team_lines(
            session,
            settings,
            period,
            snap.inputs.orders,
            snap.facts,
            snap.inputs.genealogy,
            PayoutLines.of(result),
        )
        period.computed_by = actor.id
        period.computed_at = now
        transition(
            session,
            period,
            PeriodStatus.computed,
            actor=actor,
            now=now,
            detail=(
                f"compute #{period.computations}: root {period.payout_root}, "
                "total "
                + format_money(
                    period.payout_total, period.currency, period.exponent, locale=reader_locale()
                )
                + ", "
                f"{period.leaf_count} leaves"
            ),
        )
        session.flush()
    session.commit()
    return period


def check_payout_token(settings: Settings, plan: Plan) -> None:
    """Refuse (409 `payout_currency_mismatch`) a plan paying in another currency than the
    deployed vault's token (or with other decimals): its leaves could not be paid as computed.
    Without a deployment record (or one that does not name its token's currency) nothing to
    check."""
    path = settings.resolved_deployment_file
    if not path.exists():
        return
    try:
        record = read_deployment(path)
    except Unavailable:
        return  # a malformed record is the chain side's error, named where the chain is used
    c = plan.currency
    mismatch = payout_currency_mismatch(record, PayoutCurrency(c.code, c.peg, c.decimals))
    if mismatch is not None:
        raise Conflict(mismatch, code="payout_currency_mismatch")


def period_rates(session: Session, plan: Plan, inputs: PeriodInputs) -> tuple[Rate, ...]:
    """The dated rates the period converts with: for the point value (when the plan values a
    point in another currency) and each currency its orders were priced in, the latest rate on
    or before the period's last day (direct, inverse or one cross; ``ledger.money``). Only the
    rates used go into the inputs. None to be found: 409 naming the pair and the day."""
    c = plan.currency
    needed = {alpha_code(int(code)) for code in np.unique(inputs.orders.currency) if code}
    if c.point_currency is not None:
        needed.add(c.point_currency)
    needed.discard(c.peg or c.code)
    if not needed:
        return ()
    on = date_of(inputs.end_day)
    known = [
        Rate(r.base, r.quote, r.day, r.value, r.source)
        for r in latest_rates(session, on)
        if r.base in ISO_CURRENCIES and r.quote in ISO_CURRENCIES
    ]
    used: dict[Rate, None] = {}
    for code in sorted(needed):
        try:
            used.update(dict.fromkeys(conversion(known, code, c.code, peg=c.peg, on=on).rates))
        except RateMissingError as exc:
            raise Conflict(
                f"no exchange rate for {exc.source}/{exc.target} on or before {on.isoformat()}: "
                "the period needs it; enter it or import the Central Bank's daily file "
                "(POST /api/rates, POST /api/rates/cbr, lineage rates import-cbr)",
                code="rate_missing",
                details={"pair": f"{exc.source}/{exc.target}", "date": on.isoformat()},
            ) from None
    return tuple(used)


def _store(session: Session, period: Period, result: PeriodResult, snap: Snapshot) -> None:
    summaries = (
        PeriodSalesSummary,
        PeriodPeopleSummary,
        PeriodMemberSales,
        PeriodTeam,
        PeriodMove,
    )
    for table in (PeriodLine, PeriodPayee, PeriodReturn, PeriodClawback, *summaries):
        session.execute(delete(table).where(col(table.period_id) == period.id))
    for chunk in _chunks(_line_rows(period.id, result)):
        session.execute(insert(PeriodLine), chunk)
    for chunk in _chunks(_payee_rows(period.id, result)):
        session.execute(insert(PeriodPayee), chunk)
    session.add_all(snap.returns)
    session.add_all(snap.clawbacks)
    session.add_all(snap.sales)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), INSERT_CHUNK):
        yield rows[start : start + INSERT_CHUNK]


def _line_rows(period_id: int, result: PeriodResult) -> list[dict[str, Any]]:
    """The rows of ``results/lines.tbl``, in its order (``line_no`` = row number)."""
    ext = np.concatenate([np.zeros(1, dtype=np.int64), result.ids])  # dense -1 -> id 0
    # Every column of the table but breakage, which is computed per row below.
    names = [n for n in TABLE_COLUMNS["results/lines.tbl"] if n != "breakage"]
    columns: dict[str, list[int]] = {name: [] for name in names}
    for block in result.lines:
        columns["bonus"] += [block.bonus] * len(block)
        columns["source"] += ext[block.source + 1].tolist()
        columns["level"] += block.level.tolist()
        columns["currency"] += block.currency.tolist()
        columns["payee"] += ext[block.payee + 1].tolist()
        columns["base"] += block.base.tolist()
        columns["rate"] += block.rate.tolist()
        columns["gross"] += block.gross.tolist()
        columns["amount"] += block.amount.tolist()
    rows = []
    for number, values in enumerate(zip(*columns.values(), strict=True)):
        row = dict(zip(columns, values, strict=True))
        row["period_id"], row["line_no"] = period_id, number
        row["breakage"] = row["gross"] - row["amount"]
        rows.append(row)
    return rows


def _payee_rows(period_id: int, result: PeriodResult) -> list[dict[str, Any]]:
    """The rows of ``results/payees.tbl`` plus each leaf's account."""
    payees = payee_rows(result)
    keep, leaf_index = payees.index, payees.leaf_index
    wallets = result.wallet[keep]
    accounts = result.account[keep]
    has_wallet: list[bool] = np.any(wallets != 0, axis=1).tolist()
    rails = result.rails or result.withholding
    rows = []
    for i, position in enumerate(keep.tolist()):
        leaf = int(leaf_index[i])
        rows.append(
            {
                "period_id": period_id,
                "distributor_id": int(result.ids[position]),
                "earned": int(result.earned[position]),
                "clawback": int(result.clawback[position]),
                "balance_in": int(result.balance_in[position]),
                "payout": int(result.payout[position]),
                "balance_out": int(result.balance_out[position]),
                "leaf_index": leaf if leaf >= 0 else None,
                "account": "0x" + accounts[i].tobytes().hex() if leaf >= 0 else None,
                "has_wallet": bool(has_wallet[i]),
                "withheld": int(result.withheld[position]),
                "tax_status": TAX_NAMES.get(int(result.tax_status[position])) if rails else None,
                "rail": RAIL_NAMES[int(result.rail[position])] if rails else None,
            }
        )
    return rows


def approve(
    session: Session,
    settings: Settings,
    period_id: int,
    *,
    computation: int,
    actor: User,
    now: datetime,
) -> Period:
    """Approve compute #``computation`` of the period: refused (409 ``stale_computation``)
    when the period has been recomputed since the approver reviewed it."""
    period = get_period(session, period_id, lock=True)
    if period.status != PeriodStatus.computed:
        raise Conflict(
            f"period {period_id} is {period.status}; only a computed period can be approved",
            code="period_state",
        )
    if period.computations != computation:
        _refuse_stale(period, computation)
    if period.computed_by == actor.id:
        raise Forbidden(
            "maker-checker: the user who computed a period cannot approve it; "
            "a second finance user must",
            code="same_user",
        )
    if day_of(now) <= period.end_day:
        raise Conflict(
            f"period {period_id} has not ended yet; approve it after its last day",
            code="period_not_ended",
        )
    check_accounts_settled(session, period, actor=actor, now=now)
    _check_package(settings, period)
    money.refuse_over_ceiling(period)
    seen = {
        "id": period.id,
        "status": PeriodStatus.computed.value,
        "computations": computation,
        "computed_by": period.computed_by,
    }
    changes = {"status": PeriodStatus.approved.value, "approved_by": actor.id, "approved_at": now}
    if not compare_and_set(session, PERIOD, where=seen, values=changes):
        session.rollback()
        _refuse_stale(get_period(session, period_id), computation)
    period.approved_by = actor.id
    period.approved_at = now
    transition(
        session,
        period,
        PeriodStatus.approved,
        actor=actor,
        now=now,
        detail=f"approved compute #{period.computations} (computed by user {period.computed_by})",
    )
    # A new highest rank assigns its courses, in the approval's transaction.
    assign_on_ranks(session, rank_ups(session, period_id), now=now)
    session.commit()
    return period


def _refuse_stale(period: Period, computation: int) -> NoReturn:
    raise Conflict(
        f"period {period.id} is at compute #{period.computations} ({period.status}), not the "
        f"compute #{computation} this approval names; review compute #{period.computations} "
        "and approve it by its number",
        code="stale_computation",
        details={"approved": computation, "current": period.computations},
    )


def _check_package(settings: Settings, period: Period) -> None:
    """The package on disk is the one the stored manifest describes, file by file."""
    manifest = manifest_of(period)
    root = package_dir(settings, period.id)
    files = manifest.get("files")
    assert isinstance(files, dict)
    for name, digest in sorted(files.items()):
        try:
            data = (root / name).read_bytes()
        except OSError:
            data = None
        if data is None or "0x" + hashlib.sha256(data).hexdigest() != digest:
            raise Conflict(
                f"period {period.id}: package file {name} is missing or differs from the "
                "computed manifest; compute again",
                code="package_mismatch",
            )
    stored = root / "manifest.json"
    on_disk = stored.read_bytes().decode() if stored.is_file() else None
    if on_disk != period.manifest:
        raise Conflict(
            f"period {period.id}: manifest.json differs from the computed one; compute again",
            code="package_mismatch",
        )
