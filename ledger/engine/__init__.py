"""One period run: plan + inputs -> results (docs/compensation.md#run-order).

``run_period(plan=..., inputs=...)`` is pure and deterministic: the same inputs in any row order
give the same :class:`PeriodResult`. ``on_stage`` (optional) is called with each stage's name
when the stage ends, so a caller may time stages; the engine itself never reads a clock.
``payee_rows(result)`` says who has a payee row and which payout leaf is theirs: the one payee
rule (``ledger/engine/_payees.py``) that the package and every copy of its payee table follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger.bonuses import binary as binary_bonus
from ledger.bonuses import stairstep as stairstep_bonus
from ledger.bonuses import upline
from ledger.context import Context, build_context
from ledger.engine._payees import (
    PayeeRows,
    held_for_course,
    held_for_tax_status,
    payee_rows,
    payouts,
)
from ledger.engine._report import (
    compliance,
    own_purchases,
    pct_string,
    sales,
    threshold_flags,
    totals,
)
from ledger.engine._withhold import withhold
from ledger.inputs import Dense, PeriodInputs, densify
from ledger.lines import LineBlock, apply_global_cap, apply_payee_cap
from ledger.merkle import PayoutTree
from ledger.plan import BONUS_TYPES, Plan
from ledger.rails import BANK, bank_accounts
from ledger.withholding import TAX_UNKNOWN

__all__ = [
    "PayeeRows",
    "PeriodResult",
    "held_for_course",
    "held_for_tax_status",
    "payee_rows",
    "pct_string",
    "run_period",
]

I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class PeriodResult:
    """Everything a period run produces. Arrays are per distributor in id order.

    ``payout`` is each leaf's amount: the gross payout less ``withheld``. ``account`` is each
    distributor's leaf account (their wallet, or the bank line's pseudo-address for the bank
    rail: ``ledger.rails``). ``rails`` (a payees input was given) and ``withholding`` (the plan
    withholds) decide the extra columns of the package's tables (``ledger.package``).
    """

    period_id: int
    ids: I64
    pv: I64
    cv: I64
    retail_pv: I64
    gv: I64
    left_volume: I64
    right_volume: I64
    active: NDArray[np.bool_]
    paid_rank: I64
    achieved_rank: I64
    threshold: NDArray[np.bool_]
    lines: tuple[LineBlock, ...]  # one block per bonus type run, by bonus code
    earned: I64
    clawback: I64
    balance_in: I64
    payout: I64
    balance_out: I64
    carry_left: I64
    carry_right: I64
    matrix_done: I64
    wallet: NDArray[np.uint8]  # (n, 20) address bytes
    payees: I64  # dense indices of the payout leaves; leaf index = position in this array
    payout_root: str
    totals: dict[str, Any]
    compliance: dict[str, Any]
    withheld: I64
    tax_status: I64
    rail: I64
    account: NDArray[np.uint8]  # (n, 20) leaf accounts
    ytd_year: I64
    ytd_income: I64
    ytd_withheld: I64
    rails: bool = False
    withholding: bool = False
    #: Each distributor's own purchases this period in payout minor units (the disclosure's
    #: expenses: ``ledger.disclosure``).
    bought: I64 | None = None


def _noop(stage: str) -> None:
    del stage


def run_period(
    *, plan: Plan, inputs: PeriodInputs, on_stage: Callable[[str], None] = _noop
) -> PeriodResult:
    course = None if plan.compliance_course is None else plan.compliance_course.course
    d = densify(inputs, width=plan.placement.width, course=course)
    ctx = build_context(
        plan, d, start_day=inputs.start_day, end_day=inputs.end_day, rates=inputs.rates
    )
    on_stage("volumes and ranks")
    blocks, outcome, matrix_done = _volume_bonuses(ctx)
    on_stage("volume bonuses")
    if plan.matching is not None:
        matched = [b for b in blocks if BONUS_TYPES[b.bonus - 1] in plan.matching.matches]
        blocks.append(upline.matching(ctx, matched))
    on_stage("matching")
    cap_factor, cap_allowed = _caps(ctx, blocks)
    on_stage("caps")

    n = ctx.n
    earned = np.zeros(n, dtype=np.int64)
    for b in blocks:
        paid = b.payee >= 0
        np.add.at(earned, b.payee[paid], b.amount[paid])
    clawback = np.zeros(n, dtype=np.int64)
    np.add.at(clawback, d.return_owner, d.returns.amount)
    net = earned - clawback + d.balance
    tax_status = d.tax_status if d.tax_status is not None else np.zeros(n, dtype=np.int64)
    rail = d.rail if d.rail is not None else np.zeros(n, dtype=np.int64)
    reachable = d.has_wallet | (rail == BANK)
    rule = plan.withholding
    known = tax_status != TAX_UNKNOWN if rule and rule.unknown_status == "hold" else None
    gross = payouts(
        net,
        minimum=plan.payout.minimum,
        has_wallet=reachable,
        trained=d.trained,
        status_known=known,
    )
    balance_out = net - gross
    on_stage("payouts")
    ytd = _withholding(plan, inputs, d, gross=gross, tax_status=tax_status)
    payout = gross - ytd[0]
    on_stage("withholding")
    payees = np.flatnonzero(payout > 0)
    account = _accounts(inputs.period_id, d, rail, payees)
    root = _payout_root(inputs.period_id, account[payees], payout[payees])
    on_stage("merkle root")

    flagged = threshold_flags(ctx)
    total_sales = sales(ctx)
    report = compliance(ctx, blocks, earned=earned, flagged=flagged, total_sales=total_sales)
    if course is not None:
        assert d.trained is not None
        held = held_for_course(
            net, minimum=plan.payout.minimum, has_wallet=d.has_wallet, trained=d.trained
        )
        report["compliance_course"] = {
            "course": course,
            "completed": int(d.trained.sum()),
            "not_completed": int(n - int(d.trained.sum())),
            "held": int(held.sum()),
            "held_amount": int(net[held].sum()),
        }
    if rule is not None:
        unknown = held_for_tax_status(
            net,
            minimum=plan.payout.minimum,
            has_wallet=reachable,
            trained=d.trained,
            status_known=tax_status != TAX_UNKNOWN,
        )
        held_tax = unknown if rule.unknown_status == "hold" else np.zeros(n, dtype=np.bool_)
        report["withholding"] = {
            "scale": rule.scale,
            "unknown_status": rule.unknown_status,
            "taxed": int((ytd[0] > 0).sum()),
            "withheld": int(ytd[0].sum()),
            "held": int(held_tax.sum()),
            "held_amount": int(net[held_tax].sum()),
        }
    total = totals(
        ctx,
        blocks,
        payout=payout,
        cap_factor=cap_factor,
        cap_allowed=cap_allowed,
        leaf_count=int(payees.shape[0]),
        root=root,
        total_sales=total_sales,
    )
    if d.rail is not None or rule is not None:
        total["withheld"] = int(ytd[0].sum())
        total["gross"] = int(gross.sum())
        bank = rail[payees] == BANK
        total["rails"] = {
            "bank": {"leaves": int(bank.sum()), "payout": int(payout[payees][bank].sum())},
            "token": {"leaves": int((~bank).sum()), "payout": int(payout[payees][~bank].sum())},
        }
    total["clawback"] = int(clawback.sum())
    total["balance_in"] = int(d.balance.sum())
    total["balance_out"] = int(balance_out.sum())
    total["currency"] = {"code": plan.currency.code, "exponent": plan.currency.decimals}
    total["point_value"] = _fraction(ctx.unit)
    total["conversions"] = {code: conv.describe() for code, conv in sorted(ctx.conversions.items())}
    on_stage("reports")
    zeros = np.zeros(n, dtype=np.int64)
    return PeriodResult(
        period_id=inputs.period_id,
        ids=d.ids,
        pv=ctx.pv,
        cv=ctx.cv,
        retail_pv=ctx.retail_pv,
        gv=ctx.gv,
        left_volume=zeros if outcome is None else outcome.left,
        right_volume=zeros if outcome is None else outcome.right,
        active=ctx.active,
        paid_rank=ctx.paid_rank,
        achieved_rank=ctx.achieved_rank,
        threshold=flagged,
        lines=tuple(sorted(blocks, key=lambda b: b.bonus)),
        earned=earned,
        clawback=clawback,
        balance_in=d.balance,
        payout=payout,
        balance_out=balance_out,
        carry_left=zeros if outcome is None else outcome.carry_left,
        carry_right=zeros if outcome is None else outcome.carry_right,
        matrix_done=matrix_done,
        wallet=d.wallet,
        payees=payees,
        payout_root=root,
        totals=total,
        compliance=report,
        withheld=ytd[0],
        tax_status=tax_status,
        rail=rail,
        account=account,
        ytd_year=ytd[1],
        ytd_income=ytd[2],
        ytd_withheld=ytd[3],
        rails=d.rail is not None,
        withholding=rule is not None,
        bought=own_purchases(ctx),
    )


def _withholding(
    plan: Plan, inputs: PeriodInputs, d: Dense, *, gross: I64, tax_status: I64
) -> tuple[I64, I64, I64, I64]:
    """(withheld, ytd_year, ytd_income, ytd_withheld) per distributor; without a
    ``[withholding]`` nothing is withheld and no year-to-date figure is carried on."""
    zeros = np.zeros(gross.shape[0], dtype=np.int64)
    if plan.withholding is None:
        return zeros, zeros, zeros, zeros
    assert d.ytd_year is not None and d.ytd_income is not None and d.ytd_withheld is not None
    w = withhold(
        plan.withholding,
        decimals=plan.currency.decimals,
        end_day=inputs.end_day,
        gross=gross,
        tax_status=tax_status,
        ytd_year=d.ytd_year,
        ytd_income=d.ytd_income,
        ytd_withheld=d.ytd_withheld,
    )
    return w.withheld, w.ytd_year, w.ytd_income, w.ytd_withheld


def _accounts(period_id: int, d: Dense, rail: I64, payees: I64) -> NDArray[np.uint8]:
    """Each distributor's leaf account: the wallet, or for a paid bank-rail payee the bank
    line's pseudo-address (``ledger.rails``)."""
    if d.rail is None:
        return d.wallet
    account = d.wallet.copy()
    bank = payees[rail[payees] == BANK]
    account[bank] = bank_accounts(period_id, d.ids[bank])
    return account


def _payout_root(period_id: int, accounts: NDArray[np.uint8], amounts: I64) -> str:
    """Merkle root of the payout leaves; ``0x00..00`` for a period that pays nobody."""
    if amounts.shape[0] == 0:
        return "0x" + "00" * 32
    tree = PayoutTree.from_columns(
        period_id=period_id,
        indices=np.arange(amounts.shape[0], dtype=np.uint32),
        accounts=accounts,
        amounts=amounts.astype(np.uint64),
    )
    return tree.root_hex


def _volume_bonuses(
    ctx: Context,
) -> tuple[list[LineBlock], binary_bonus.BinaryOutcome | None, I64]:
    plan = ctx.plan
    blocks: list[LineBlock] = []
    outcome = None
    matrix_done = ctx.d.matrix_done.copy()
    if plan.retail is not None and plan.retail.enabled:
        blocks.append(upline.retail(ctx))
    early_cv = upline.fast_start_cv(ctx)
    if plan.fast_start is not None:
        blocks.append(upline.fast_start(ctx, early_cv))
    if plan.unilevel is not None:
        blocks.append(upline.unilevel(ctx, early_cv))
    if plan.binary is not None:
        outcome = binary_bonus.binary(ctx)
        blocks.append(outcome.lines)
    if plan.matrix is not None:
        levels, completion, matrix_done = upline.matrix(ctx)
        blocks += [levels, completion]
    if plan.stairstep is not None:
        blocks += list(stairstep_bonus.stairstep(ctx))
    return blocks, outcome, matrix_done


def _fraction(value: Fraction) -> str:
    """Payout minor units per point: exact when whole, else the fraction ``num/den``."""
    return str(value.numerator) if value.denominator == 1 else f"{value}"


def _caps(ctx: Context, blocks: list[LineBlock]) -> tuple[tuple[int, int], int | None]:
    caps = ctx.plan.caps
    for b in blocks:
        name = BONUS_TYPES[b.bonus - 1]
        if name in caps.per_payee:
            cap = np.full(ctx.n, caps.per_payee[name], dtype=np.int64)
            apply_payee_cap(b, cap, ctx.n)
    if caps.global_pct is None or not caps.global_bonuses:
        return (1, 1), None
    allowed = ctx.global_cap_amount()
    assert allowed is not None
    capped = [b for b in blocks if BONUS_TYPES[b.bonus - 1] in caps.global_bonuses]
    return apply_global_cap(capped, allowed), allowed
