"""Compensation plans as data: load and validate a TOML plan, its canonical form and hash.

``load_plan(text, source=...)`` returns a frozen :class:`Plan` or raises :class:`PlanError`
naming the file, the field and the reason. ``canonical_plan`` gives the bytes stored in every
period package (sorted keys, defaults filled, exact decimals), and ``plan_hash`` their SHA-256.
Loading the canonical bytes gives the same plan, so the hash is stable across round trips.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import tomli_w
from pydantic import ValidationError

from ledger.errors import PlanError
from ledger.money import ISO_CURRENCIES
from ledger.plan._schema import NONE_RANK, Plan

__all__ = [
    "BONUS_TYPES",
    "NONE_RANK",
    "Plan",
    "canonical_plan",
    "load_plan",
    "pct_to_ppm",
    "plan_hash",
    "rank_index",
    "rank_table",
]

#: Every bonus type a line can carry, in the order the run computes them (the code is index + 1).
BONUS_TYPES: tuple[str, ...] = (
    "retail",
    "fast_start",
    "unilevel",
    "binary",
    "matrix",
    "matrix_completion",
    "stairstep",
    "generation",
    "matching",
)

_PLAN_SECTION_OF = {
    "retail": "retail",
    "fast_start": "fast_start",
    "unilevel": "unilevel",
    "binary": "binary",
    "matrix": "matrix",
    "matrix_completion": "matrix",
    "stairstep": "stairstep",
    "generation": "stairstep",
    "matching": "matching",
}


def pct_to_ppm(pct: Decimal | int) -> int:
    """Decimal percent -> exact integer parts per million of the base (10 % -> 100_000)."""
    value = Decimal(pct) * 10_000
    if value != value.to_integral_value():
        raise ValueError(f"{pct} % is not a whole number of ppm")
    return int(value)


def load_plan(text: str | bytes, *, source: str = "plan.toml") -> Plan:
    """Parse and validate a plan; every problem is a :class:`PlanError` naming ``source``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlanError(file=source, field="(file)", reason=f"not UTF-8: {exc}") from None
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(file=source, field="(syntax)", reason=str(exc)) from None
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(root)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PlanError(file=source, field=field, reason=first["msg"] + more) from None
    _check_references(plan, source)
    return plan


def canonical_plan(plan: Plan) -> bytes:
    """The plan as canonical TOML: defaults filled, keys sorted, decimals exact, UTF-8."""
    data = _canonical_value(plan.model_dump(mode="python", exclude_none=True))
    return tomli_w.dumps(data).encode("utf-8")


def plan_hash(plan: Plan) -> str:
    """``0x`` + SHA-256 of :func:`canonical_plan`."""
    return "0x" + hashlib.sha256(canonical_plan(plan)).hexdigest()


def rank_index(plan: Plan, name: str) -> int:
    """0 for ``none``, i for the i-th rank of ``[[ranks.rank]]`` (1-based)."""
    if name == NONE_RANK:
        return 0
    for i, rank in enumerate(plan.ranks.rank, start=1):
        if rank.name == name:
            return i
    raise KeyError(name)


def rank_table(plan: Plan, table: Mapping[str, Any], *, default: Any) -> list[Any]:
    """Expand a rank table to one value per rank index (0 = none .. R).

    A rank takes the value of the highest listed rank at or below it; below every listed rank
    it takes ``default`` (the bonus pays nothing there).
    """
    out: list[Any] = []
    current = default
    for i in range(len(plan.ranks.rank) + 1):
        name = NONE_RANK if i == 0 else plan.ranks.rank[i - 1].name
        if name in table:
            current = table[name]
        out.append(current)
    return out


def _canonical_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical_value(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_canonical_value(v) for v in value]
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return Decimal(format(value.normalize(), "f"))
    return value


def _check_references(plan: Plan, source: str) -> None:
    def fail(field: str, reason: str) -> None:
        raise PlanError(file=source, field=field, reason=reason)

    names = [NONE_RANK]
    for i, rank in enumerate(plan.ranks.rank):
        where = f"ranks.rank.{i}"
        if rank.name in names:
            fail(f"{where}.name", f"rank name {rank.name!r} is used twice or is reserved")
        if i > 0:
            prev = plan.ranks.rank[i - 1]
            if rank.min_pv < prev.min_pv or rank.min_gv < prev.min_gv:
                fail(where, f"thresholds below those of {prev.name!r}: ranks form a ladder")
            legs_stronger = rank.leg_count > prev.leg_count or (
                rank.leg_count > 0
                and rank.leg_rank in names
                and prev.leg_rank in names
                and names.index(rank.leg_rank or "") > names.index(prev.leg_rank or "")
            )
            if (rank.min_pv, rank.min_gv) == (prev.min_pv, prev.min_gv) and not legs_stronger:
                fail(where, f"thresholds overlap those of {prev.name!r}: a rank must ask for more")
        if rank.leg_count > 0 and rank.leg_rank is None:
            fail(f"{where}.leg_rank", "leg_count needs the rank the legs must hold")
        if rank.leg_rank is not None and rank.leg_rank not in names:
            fail(f"{where}.leg_rank", f"{rank.leg_rank!r} is not a lower rank")
        if rank.max_leg_pct is not None and rank.min_gv == 0:
            fail(f"{where}.max_leg_pct", "a max-per-leg cap needs min_gv > 0")
        names.append(rank.name)

    def check_ranks(field: str, used: Sequence[str]) -> None:
        for name in used:
            if name not in names:
                fail(field, f"unknown rank {name!r} (known: {', '.join(names)})")

    enabled = {
        bonus for bonus, section in _PLAN_SECTION_OF.items() if getattr(plan, section) is not None
    }
    if plan.retail is not None and not plan.retail.enabled:
        enabled.discard("retail")
    if plan.unilevel is not None:
        if len(plan.unilevel.level_min_rank) > len(plan.unilevel.pct):
            fail("unilevel.level_min_rank", "longer than unilevel.pct")
        check_ranks("unilevel.level_min_rank", plan.unilevel.level_min_rank)
    if plan.binary is not None:
        b = plan.binary
        check_ranks("binary.pct_by_rank", list(b.pct_by_rank))
        check_ranks("binary.cap_by_rank", list(b.cap_by_rank))
        check_ranks("binary.payee_min_rank", [b.payee_min_rank])
        if b.mode == "cycles" and b.cycle is None:
            fail("binary.cycle", "mode 'cycles' needs a [binary.cycle] table")
        if b.mode == "pay-leg" and not b.pct_by_rank:
            fail("binary.pct_by_rank", "mode 'pay-leg' needs at least one percentage")
        if plan.placement.width != 2:
            fail("placement.width", "a binary bonus needs a binary placement tree (width 2)")
    if plan.matrix is not None:
        if len(plan.matrix.pct) != plan.matrix.depth:
            fail("matrix.pct", f"needs one percentage per level 1..{plan.matrix.depth}")
        if plan.placement.width != plan.matrix.width:
            fail("placement.width", "must equal matrix.width for a forced matrix")
    if plan.stairstep is not None:
        s = plan.stairstep
        check_ranks("stairstep.breakaway_rank", [s.breakaway_rank])
        for i, step in enumerate(s.step):
            where = f"stairstep.step.{i}"
            if s.basis == "group-volume" and (step.min_gv is None or step.rank is not None):
                fail(where, "basis 'group-volume' needs min_gv (and no rank) on every step")
            if s.basis == "rank":
                if step.rank is None or step.min_gv is not None:
                    fail(where, "basis 'rank' needs rank (and no min_gv) on every step")
                check_ranks(f"{where}.rank", [step.rank or ""])
            if i > 0:
                prev_step = s.step[i - 1]
                if step.pct <= prev_step.pct:
                    fail(f"{where}.pct", "step percentages must increase")
                if s.basis == "group-volume" and (step.min_gv or 0) <= (prev_step.min_gv or 0):
                    fail(f"{where}.min_gv", "step thresholds overlap: they must increase")
                if s.basis == "rank" and rank_index(plan, step.rank or "") <= rank_index(
                    plan, prev_step.rank or ""
                ):
                    fail(f"{where}.rank", "step ranks overlap: they must increase")
    if plan.matching is not None:
        m = plan.matching
        if len(m.level_min_rank) > len(m.pct):
            fail("matching.level_min_rank", "longer than matching.pct")
        check_ranks("matching.level_min_rank", m.level_min_rank)
        for bonus in m.matches:
            if bonus not in enabled or bonus == "matching":
                fail("matching.matches", f"{bonus!r} is not an enabled bonus type it can match")
    for bonus in plan.caps.per_payee:
        if bonus not in BONUS_TYPES:
            fail("caps.per_payee", f"unknown bonus type {bonus!r}")
    for bonus in plan.caps.global_bonuses:
        if bonus not in BONUS_TYPES:
            fail("caps.global_bonuses", f"unknown bonus type {bonus!r}")
    if plan.caps.global_bonuses and plan.caps.global_pct is None:
        fail("caps.global_pct", "global_bonuses needs global_pct")
    c = plan.currency
    for field, code in (("currency.peg", c.peg), ("currency.point_currency", c.point_currency)):
        if code is not None and code not in ISO_CURRENCIES:
            fail(field, f"{code!r} is not an ISO 4217 currency")
    if c.code in ISO_CURRENCIES and ISO_CURRENCIES[c.code][1] != c.decimals:
        fail("currency.decimals", f"{c.code} has {ISO_CURRENCIES[c.code][1]} decimals (ISO 4217)")
    if c.code in ISO_CURRENCIES and c.peg is not None:
        fail("currency.peg", "only a token is pegged; an ISO currency is itself")
    if plan.withholding is not None and (c.peg or c.code) != "RUB":
        fail(
            "withholding",
            f"withholding {plan.withholding.scale} is tax in roubles: the payout currency must "
            f"be RUB or a token pegged to RUB, not {c.code}"
            + (f" (pegged to {c.peg})" if c.peg else ""),
        )
