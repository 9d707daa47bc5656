"""What every report shares: its shape (`Report`: columns, rows, a chart spec), who it covers
(`Scope`: the company, or a leader's team, never another branch), and which periods
(`Window`: the periods overlapping a date range, the last twelve by default).

Money values in rows are integers in minor units of the report's currency; ``decimal`` values
are exact decimal strings (an amount in another currency, a percentage). Column and label
titles are message ids: the page and the exports translate them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from backend.accounts.models import User
from backend.core.config import Settings
from backend.core.days import date_of
from backend.core.errors import Forbidden, Invalid, NotFound
from backend.core.model_base import Role
from backend.genealogy import access
from backend.genealogy.models import Distributor
from backend.genealogy.tree_path import depth_of, is_within, subtree_end
from backend.periods.models import Measure, Period, PeriodMove

DEFAULT_PERIODS = 12
EPOCH = date(1970, 1, 1)
MAX_PERIODS = 60


def N_(message: str) -> str:  # noqa: N802 - the gettext marker babel extracts
    return message


class Kind(StrEnum):
    text = "text"  # shown as is
    label = "label"  # a message id from the column's ``labels``, translated
    integer = "integer"
    money = "money"  # minor units of the report's currency
    decimal = "decimal"  # an exact decimal string
    pct = "pct"  # a percentage as an exact decimal string ("21.4222")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind = Kind.integer
    labels: dict[str, str] = field(default_factory=dict)  # label value -> message id


@dataclass(frozen=True)
class Chart:
    type: Literal["bar", "line", "pie", "stacked", "heatmap"]  # heatmap: rows x series
    x: str  # the column whose values name the points
    series: tuple[str, ...]  # the columns drawn


@dataclass
class Report:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: Chart
    scope: str  # "company" or "team:<id>"
    periods: list[int]
    currency: str | None = None
    exponent: int | None = None
    notes: list[str] = field(default_factory=list)  # message ids shown under the table
    # What the rows can be narrowed to (value -> message id; `Asked.filter` chooses one) and
    # the one chosen ("" = all).
    filters: dict[str, str] = field(default_factory=dict)
    filter: str = ""
    # The page's rows stop at this many (None: they are all there); the exports hold all.
    limited: int | None = None

    def column(self, key: str) -> int:
        return [c.key for c in self.columns].index(key)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "periods": self.periods,
            "currency": self.currency,
            "exponent": self.exponent,
            "columns": [
                {"key": c.key, "title": c.title, "kind": c.kind.value} for c in self.columns
            ],
            "rows": [
                dict(zip((c.key for c in self.columns), row, strict=True)) for row in self.rows
            ],
            "chart": {
                "type": self.chart.type,
                "x": self.chart.x,
                "series": list(self.chart.series),
            },
            "notes": self.notes,
            "filters": list(self.filters),
            "filter": self.filter,
            "limited": self.limited,
        }


@dataclass(frozen=True)
class Scope:
    """The company, or a leader's team: the leader and everyone placed below them."""

    leader: Distributor | None = None

    @property
    def name(self) -> str:
        return "company" if self.leader is None else f"team:{self.leader.id}"

    @property
    def base_depth(self) -> int:
        path = self.leader.tree_path if self.leader is not None else None
        return 0 if path is None else depth_of(path)

    def members(self) -> SelectOfScalar[int | None]:
        """The ids it covers, as a subquery (an index range of placement paths)."""
        found: SelectOfScalar[int | None] = self.people(select(col(Distributor.id)))
        return found

    def people(self, query: Any) -> Any:
        """``query`` over `Distributor` rows kept to the scope's people by their placement path
        (an index range; as is for the company)."""
        if self.leader is None:
            return query
        path = self.leader.tree_path
        assert path is not None
        return query.where(col(Distributor.tree_path) >= path).where(
            col(Distributor.tree_path) < subtree_end(path)
        )

    def only(self, column: Any, query: Any) -> Any:
        """``query`` kept to rows whose ``column`` is a member (as is for the company)."""
        return query if self.leader is None else query.where(col(column).in_(self.members()))


def scope_for(session: Session, user: User) -> Scope:
    """Staff see the company; a distributor with a team sees that team, nobody else."""
    if user.role != Role.distributor:
        return Scope()
    me = access.own_distributor(session, user)
    if me.tree_path is None:
        raise Forbidden("reports are for leaders: you are not placed yet", code="not_a_leader")
    below = session.exec(
        select(col(Distributor.id))
        .where(col(Distributor.tree_path) > me.tree_path)
        .where(col(Distributor.tree_path) < subtree_end(me.tree_path))
        .limit(1)
    ).first()
    if below is None:
        raise Forbidden("reports are for leaders: nobody is in your team yet", code="not_a_leader")
    return Scope(me)


@dataclass(frozen=True)
class Window:
    """The periods a report covers, oldest first: every one overlapping the dates (``all``),
    and those computed (``computed``: they have a package to read)."""

    start: date
    end: date
    all: list[Period]

    @property
    def computed(self) -> list[Period]:
        return [p for p in self.all if p.manifest is not None]


def window(session: Session, start: date | None = None, end: date | None = None) -> Window:
    if start is not None and end is not None and start > end:
        raise Invalid("the range starts after it ends: give 'from' on or before 'to'")
    if start is None or end is None:
        latest = session.exec(
            select(Period)
            .where(col(Period.manifest).is_not(None))
            .order_by(col(Period.id).desc())
            .limit(DEFAULT_PERIODS)
        ).all()
        if not latest:
            latest = session.exec(select(Period).order_by(col(Period.id).desc()).limit(1)).all()
        if end is None:
            end = date_of(latest[0].end_day) if latest else date.today()
        if start is None:
            start = date_of(latest[-1].start_day) if latest else end
    if start > end:
        raise Invalid("the range starts after it ends: give 'from' on or before 'to'")
    periods = session.exec(
        select(Period)
        .where(col(Period.start_day) <= (end - EPOCH).days)
        .where(col(Period.end_day) >= (start - EPOCH).days)
        .order_by(col(Period.id))
    ).all()
    if len(periods) > MAX_PERIODS:
        raise Invalid(f"the range covers {len(periods)} periods: choose at most {MAX_PERIODS}")
    return Window(start, end, list(periods))


@dataclass(frozen=True)
class Asked:
    """What a report is asked for: whose people, which periods, in which language (product
    names), read with this session and settings (the period packages' folder); ``filter``
    narrows the rows (a report's `Report.filters`), ``full`` asks for every row (the exports)
    where the page shows the first ones."""

    session: Session
    settings: Settings
    scope: Scope
    window: Window
    language: str = "ru"
    person: Distributor | None = None  # whom a person's report is about (legs, a team)

    filter: str = ""
    full: bool = False


def person_in(session: Session, scope: Scope, person_id: int | None) -> Distributor | None:
    """The person a report is asked about, if one is: placed, and inside ``scope`` (a leader
    asks about their own team only; someone else is as unknown as nobody)."""
    if person_id is None:
        return None
    found = session.get(Distributor, person_id)
    top = scope.leader.tree_path if scope.leader is not None else None
    if (
        found is None
        or found.tree_path is None
        or (top is not None and not is_within(found.tree_path, top))
    ):
        raise NotFound(
            f"person {person_id} is not among the people you can see", code="not_in_scope"
        )
    return found


def period_label(period: Period) -> str:
    return f"{period.id}: {date_of(period.start_day)} – {date_of(period.end_day)}"


def largest_moves(
    q: Asked,
    scope: Scope,
    period_id: int,
    measure: Measure,
    *,
    rising: bool,
    limit: int,
    gone: bool = False,
) -> list[tuple[int, int, int]]:
    """(id, previous, latest) of the scope's ``limit`` largest rises (``rising``) or falls of
    ``measure`` in the period against the period before, the largest first, then by id: the
    ends of the period's `PeriodMove` index. ``gone``: only falls to nothing."""
    move = PeriodMove
    change = col(move.change)
    query = select(move.distributor_id, move.previous, move.latest).where(
        move.period_id == period_id,
        move.measure == int(measure),
        change > 0 if rising else change < 0,
    )
    if gone:
        query = query.where(move.latest == 0)
    query = query.order_by(change.desc() if rising else change.asc(), col(move.distributor_id))
    found = q.session.exec(scope.only(move.distributor_id, query.limit(limit)))
    return [(int(i), int(was), int(now)) for i, was, now in found]
