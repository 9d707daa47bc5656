"""Statements: a distributor's lines, money and payout leaf in a period, with its Merkle proof.

A distributor reads only their own statements, and only of approved periods (a preview is not
a statement); finance, auditors and admins read any computed period. The proof is built from
the stored leaves, which are the package's ``results/leaves.json``; with the anchored root any
client can check it without the service.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.days import date_of
from backend.core.errors import Conflict, Forbidden, NotFound
from backend.genealogy.access import is_distributor
from backend.genealogy.models import Distributor
from backend.periods.models import (
    LOCKED,
    ClawbackPublic,
    HeldReason,
    Period,
    PeriodClawback,
    PeriodLine,
    PeriodLinePublic,
    PeriodPayee,
    PeriodStatus,
    StatementPublic,
    StatementSummary,
)
from backend.periods.money import line_public
from backend.periods.service import get_period, manifest_of, package_dir, to_public
from ledger.engine import held_for_course, held_for_tax_status
from ledger.errors import LedgerError
from ledger.merkle import PayoutLeaf, PayoutTree, verify_proof
from ledger.package import TABLE_COLUMNS, read_table
from ledger.plan import load_plan


def _readable(period: Period, actor: User) -> None:
    if is_distributor(actor) and period.status not in LOCKED:
        raise Conflict(
            f"period {period.id} is {period.status}; statements are published on approval",
            code="period_state",
        )
    if period.status == PeriodStatus.open:
        raise Conflict(f"period {period.id} has not been computed", code="period_state")


def _own(session: Session, actor: User, distributor_id: int) -> None:
    if is_distributor(actor) and actor.distributor_id != distributor_id:
        raise Forbidden("a distributor reads only their own statements", code="out_of_scope")
    if session.get(Distributor, distributor_id) is None:
        raise NotFound(f"distributor {distributor_id} not found")


def lines(
    session: Session,
    period_id: int,
    *,
    payee: int | None,
    source: int | None,
    offset: int,
    limit: int,
) -> tuple[list[PeriodLinePublic], int]:
    period = get_period(session, period_id)
    if period.status == PeriodStatus.open:
        raise Conflict(f"period {period_id} has not been computed", code="period_state")
    query = select(PeriodLine).where(PeriodLine.period_id == period_id)
    if payee is not None:
        query = query.where(PeriodLine.payee == payee)
    if source is not None:
        query = query.where(PeriodLine.source == source)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(PeriodLine.line_no)).offset(offset).limit(limit))
    return [line_public(row, period) for row in rows], int(count)


HELD_TEXTS = {
    HeldReason.negative: "negative balance after clawbacks: taken from future earnings",
    HeldReason.compliance_course: "compliance course not completed: %(course)s: held, and paid "
    "in the first period by whose end it is completed",
    HeldReason.no_wallet: "no payout wallet: held, and paid in the first period after one is added",
    HeldReason.below_minimum: "below the plan's minimum payout: carried to the next period",
    HeldReason.tax_status_unknown: "no tax status recorded: held, and paid in the first period "
    "by whose end one is",
}


def _reachable(payee: PeriodPayee) -> bool:
    """Can be paid by a rail: a wallet, or the bank rail."""
    return payee.has_wallet or payee.rail == "bank"


@dataclass(frozen=True)
class CourseRule:
    """What may hold a computed period's money besides the wallet and the minimum, from its own
    package: the plan as run names the compliance course (``course``, None: none) and the payout
    minimum, ``inputs/training.tbl`` who had completed it by the end; ``hold_unknown_tax``: the
    plan's ``[withholding]`` holds a payee of unknown tax status."""

    course: str | None
    minimum: int
    completed: frozenset[int]
    hold_unknown_tax: bool = False

    def _trained(self, payee: PeriodPayee) -> np.ndarray | None:
        return None if self.course is None else np.array([payee.distributor_id in self.completed])

    def holds(self, payee: PeriodPayee) -> bool:
        """Paid nothing only for the course (the engine's rule, ``held_for_course``)."""
        if payee.payout != 0 or self.course is None:
            return False
        return bool(
            held_for_course(
                np.array([payee.balance_out], dtype=np.int64),
                minimum=self.minimum,
                has_wallet=np.array([_reachable(payee)]),
                trained=np.array([payee.distributor_id in self.completed]),
            )[0]
        )

    def holds_for_tax(self, payee: PeriodPayee) -> bool:
        """Paid nothing only for an unknown tax status (``held_for_tax_status``)."""
        if payee.payout != 0 or not self.hold_unknown_tax:
            return False
        return bool(
            held_for_tax_status(
                np.array([payee.balance_out], dtype=np.int64),
                minimum=self.minimum,
                has_wallet=np.array([_reachable(payee)]),
                trained=self._trained(payee),
                status_known=np.array([payee.tax_status is not None]),
            )[0]
        )


_RULES: OrderedDict[tuple[int, int, str], CourseRule | None] = OrderedDict()
_RULES_LOCK = threading.Lock()


def _package_file(settings: Settings, period: Period, name: str) -> bytes:
    """A file of the period's package, checked against the manifest its compute stored."""
    path = package_dir(settings, period.id) / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Conflict(f"period {period.id}: cannot read {path}: {exc.strerror}") from None
    files = manifest_of(period).get("files")
    if not isinstance(files, dict) or files.get(name) != "0x" + hashlib.sha256(data).hexdigest():
        raise Conflict(
            f"period {period.id}: {name} differs from the stored manifest",
            code="package_tampered",
        )
    return data


def course_rule(settings: Settings, period: Period) -> CourseRule | None:
    """The period's compliance course and tax hold (None: its plan has neither, or it is not
    computed)."""
    if period.status == PeriodStatus.open or not period.manifest:
        return None
    key = (period.id, period.computations, str(period.results_hash or ""))
    with _RULES_LOCK:
        if key in _RULES:
            return _RULES[key]
    try:
        plan = load_plan(_package_file(settings, period, "plan.toml"))
        rule = None
        tax = plan.withholding is not None and plan.withholding.unknown_status == "hold"
        if plan.compliance_course is not None:
            name = "inputs/training.tbl"
            table = read_table(
                _package_file(settings, period, name), file=name, columns=TABLE_COLUMNS[name]
            )
            rule = CourseRule(
                course=plan.compliance_course.course,
                minimum=plan.payout.minimum,
                completed=frozenset(int(i) for i in table["distributor"]),
                hold_unknown_tax=tax,
            )
        elif tax:
            rule = CourseRule(None, plan.payout.minimum, frozenset(), hold_unknown_tax=True)
    except LedgerError as exc:
        raise Conflict(str(exc), code="package_tampered") from None
    with _RULES_LOCK:
        _RULES[key] = rule
        while len(_RULES) > TREES_KEPT:
            _RULES.popitem(last=False)
    return rule


def held_reason(payee: PeriodPayee | None, rule: CourseRule | None = None) -> HeldReason | None:
    if payee is None or payee.balance_out == 0:
        return None
    if payee.balance_out < 0:
        return HeldReason.negative
    if rule is not None and rule.holds(payee):
        return HeldReason.compliance_course
    if rule is not None and rule.holds_for_tax(payee):
        return HeldReason.tax_status_unknown
    if not _reachable(payee):
        return HeldReason.no_wallet
    return HeldReason.below_minimum


def held_text(held: HeldReason, rule: CourseRule | None) -> str:
    return HELD_TEXTS[held] % {"course": (rule.course if rule else None) or ""}


class LineNote(StrEnum):
    """What the data says about a line that paid less than its gross (or that it did not)."""

    full = "full"  # amount == gross
    capped = "capped"  # part of the gross over a cap of the plan (rank, per payee, global)
    cap_reached = "cap_reached"  # nothing: an earlier line of the bonus already hit its cap
    not_qualified = "not_qualified"  # nothing: the payee did not qualify for the level


def line_notes(lines: list[PeriodLinePublic]) -> list[LineNote]:
    """One note per line of one payee, in canonical order. A cap cuts a line part way (the
    lines of a bonus are filled in order), so a line paying nothing after a cut line of the
    same bonus met the cap; a line paying nothing otherwise was not qualified (breakage)."""
    notes: list[LineNote] = []
    cut: set[str] = set()
    for line in lines:
        if line.amount >= line.gross:
            notes.append(LineNote.full)
        elif line.amount > 0:
            notes.append(LineNote.capped)
            cut.add(line.bonus)
        elif line.bonus in cut:
            notes.append(LineNote.cap_reached)
        else:
            notes.append(LineNote.not_qualified)
    return notes


def names_of(session: Session, ids: set[int]) -> dict[int, str]:
    """First and last names of the people a statement's lines come from (its sources)."""
    wanted = sorted(i for i in ids if i > 0)
    if not wanted:
        return {}
    rows = session.exec(
        select(Distributor.id, Distributor.first_name, Distributor.last_name).where(
            col(Distributor.id).in_(wanted)
        )
    )
    return {i: f"{first} {last}" for i, first, last in rows if i is not None}


def payout_tree(session: Session, period_id: int) -> PayoutTree | None:
    """The period's payout tree from the stored leaves (None when it pays nobody)."""
    query = (
        select(PeriodPayee.leaf_index, PeriodPayee.account, PeriodPayee.payout)
        .where(PeriodPayee.period_id == period_id)
        .where(col(PeriodPayee.leaf_index).is_not(None))
        .order_by(col(PeriodPayee.leaf_index))
    )
    rows = session.exec(query).all()
    if not rows:
        return None
    accounts = b"".join(bytes.fromhex(str(account)[2:]) for _, account, _ in rows)
    return PayoutTree.from_columns(
        period_id=period_id,
        indices=np.array([index for index, _, _ in rows], dtype=np.uint32),
        accounts=np.frombuffer(accounts, dtype=np.uint8).reshape(len(rows), 20),
        amounts=[int(amount) for _, _, amount in rows],
    )


# The payout trees of the last periods read, per process: a period's leaves are fixed by its
# compute (the key holds its compute count and root), and building the tree of 10,000 leaves
# costs more than the rest of a statement page. Each statement still folds the reader's own
# stored leaf through the proof to the period's root, so a changed leaf is refused anyway.
_TREES: OrderedDict[tuple[int, int, str], PayoutTree] = OrderedDict()
_TREES_LOCK = threading.Lock()
TREES_KEPT = 2


def _tree_of(session: Session, period: Period) -> PayoutTree | None:
    key = (period.id, period.computations, str(period.payout_root or ""))
    with _TREES_LOCK:
        if key in _TREES:
            _TREES.move_to_end(key)
            return _TREES[key]
    tree = payout_tree(session, period.id)
    if tree is None:
        return None
    with _TREES_LOCK:
        _TREES[key] = tree
        while len(_TREES) > TREES_KEPT:
            _TREES.popitem(last=False)
    return tree


def statement(
    session: Session, settings: Settings, period_id: int, distributor_id: int, *, actor: User
) -> StatementPublic:
    period = get_period(session, period_id)
    _own(session, actor, distributor_id)
    _readable(period, actor)
    own_lines = session.exec(
        select(PeriodLine)
        .where(PeriodLine.period_id == period_id)
        .where(PeriodLine.payee == distributor_id)
        .order_by(col(PeriodLine.line_no))
    )
    clawbacks = session.exec(
        select(PeriodClawback)
        .where(PeriodClawback.period_id == period_id)
        .where(PeriodClawback.payee == distributor_id)
        .order_by(col(PeriodClawback.return_id))
    )
    payee = session.get(PeriodPayee, (period_id, distributor_id))
    leaf: list[int | str] | None = None
    proof: list[str] | None = None
    if payee is not None and payee.leaf_index is not None and payee.account is not None:
        tree = _tree_of(session, period)
        assert tree is not None
        stored = PayoutLeaf(period_id, payee.leaf_index, payee.account, payee.payout)
        leaf = [period_id, payee.leaf_index, payee.account, payee.payout]
        proof_bytes = tree.proof_bytes(payee.leaf_index)
        proof = tree.proof(payee.leaf_index)
        root = bytes.fromhex(str(period.payout_root or "")[2:])
        if tree.root_hex != period.payout_root or not verify_proof(root, stored, proof_bytes):
            raise Conflict(
                f"period {period_id}: stored leaves do not give the computed root",
                code="results_tampered",
            )
    rule = course_rule(settings, period)
    held = held_reason(payee, rule)
    return StatementPublic(
        period=to_public(period, settings),
        distributor_id=distributor_id,
        lines=[line_public(line, period) for line in own_lines],
        currency=period.currency or "",
        exponent=period.exponent or 0,
        clawbacks=[
            ClawbackPublic(return_id=c.return_id, order_line_id=c.order_line_id, amount=c.amount)
            for c in clawbacks
        ],
        earned=payee.earned if payee else 0,
        clawback=payee.clawback if payee else 0,
        balance_in=payee.balance_in if payee else 0,
        payout=payee.payout if payee else 0,
        balance_out=payee.balance_out if payee else 0,
        withheld=payee.withheld if payee else 0,
        gross=payee.gross if payee else 0,
        rail=payee.rail if payee else None,
        tax_status=payee.tax_status if payee else None,
        held_reason=held_text(held, rule) if held else None,
        held=held,
        held_course=rule.course if rule and held == HeldReason.compliance_course else None,
        leaf=leaf,
        proof=proof,
        payout_root=period.payout_root,
        anchor_tx=period.anchor_tx,
        anchor_block=period.anchor_block,
    )


def statements_of(session: Session, distributor_id: int, *, actor: User) -> list[StatementSummary]:
    """One summary per period the caller may read, oldest first."""
    _own(session, actor, distributor_id)
    visible = (
        [s.value for s in LOCKED]
        if is_distributor(actor)
        else [s.value for s in PeriodStatus if s != PeriodStatus.open]
    )
    query = (
        select(Period, PeriodPayee)
        .join(
            PeriodPayee,
            (col(PeriodPayee.period_id) == col(Period.id))
            & (col(PeriodPayee.distributor_id) == distributor_id),
            isouter=True,
        )
        .where(col(Period.status).in_(visible))
        .order_by(col(Period.id))
    )
    return [
        StatementSummary(
            period_id=period.id,
            status=period.status,
            start_date=date_of(period.start_day).isoformat(),
            end_date=date_of(period.end_day).isoformat(),
            currency=period.currency,
            exponent=period.exponent,
            earned=payee.earned if payee else 0,
            payout=payee.payout if payee else 0,
            balance_out=payee.balance_out if payee else 0,
        )
        for period, payee in session.exec(query)
    ]
