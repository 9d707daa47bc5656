"""The genealogy as the pages show it: a node's children a page at a time, the path from a
person down to a search match, the members of one level, a breadth-first subtree for drawing,
and a binary tree's leg sizes. Never the whole tree: every read is bounded by a page size.

Two trees. The placement tree (where each person sits: `Placement.parent_id`/`position`, the
materialised `Distributor.tree_path`) and the sponsor tree (who brought whom:
`Distributor.sponsor_id`). A sponsor always places a newcomer inside their own placement
downline, so a person's sponsor chain is a subsequence of their placement ancestors: both trees
are scoped by the same rule (`access.ensure_visible`: a distributor sees their placement
downline), and a sponsor path is found among the placement ancestors in one query.

Keyset paging: children in the placement tree by position (unique per parent), in the sponsor
tree by id. Child counts: one grouped query per page over the indexed parent column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlmodel import Session, col

from backend.accounts.models import User
from backend.core.errors import Forbidden, Invalid
from backend.core.types import MAX_ID
from backend.genealogy import access
from backend.genealogy.models import Distributor, Placement
from backend.genealogy.tree_path import SEGMENT, depth_of, is_within, path_ids, subtree_end
from backend.periods.models import PeriodStanding

PAGE = 50
SEARCH_LIMIT = 20
SUBTREE_LIMIT = 500
MAX_LEVELS = 30
LEVEL_PAGE = 50
#: Candidates a sponsor-tree name search looks at: matches come from the placement downline
#: and are kept when their sponsor chain reaches the root.
SPONSOR_SEARCH_SCAN = 400
CHUNK = 500  # ids per IN (...), under SQLite's bound-parameter limit


class TreeKind(StrEnum):
    placement = "placement"
    sponsor = "sponsor"


class LevelSort(StrEnum):
    name = "name"
    joined = "joined"
    pv = "pv"
    gv = "gv"
    rank = "rank"


@dataclass(frozen=True)
class TreeNode:
    id: int
    first_name: str
    last_name: str
    status: str
    enrolled_at: datetime
    position: int | None  # under the placement parent; None in the sponsor tree
    children: int  # direct children in this tree


@dataclass(frozen=True)
class ChildrenPage:
    parent_id: int
    kind: TreeKind
    items: list[TreeNode]
    next_after: int | None  # `after` of the next page (a position, or an id), None at the end


@dataclass(frozen=True)
class OpenedPath:
    """The chain from the root down to a match, and the first page of children of every node
    on it (each page holds the next node of the chain, even when it sorts beyond the page)."""

    ids: list[int]
    pages: dict[int, ChildrenPage]


@dataclass(frozen=True)
class SubtreeNode:
    id: int
    parent_id: int | None
    first_name: str
    last_name: str
    status: str


@dataclass(frozen=True)
class Subtree:
    nodes: list[SubtreeNode]  # breadth first, the root first
    truncated: bool  # more people are below than the limit let in


@dataclass(frozen=True)
class LevelPage:
    level: int
    items: list[TreeNode]
    total: int


_D, _P = Distributor, Placement
_NODE_COLUMNS = (
    col(_D.id),
    col(_D.first_name),
    col(_D.last_name),
    col(_D.status),
    col(_D.enrolled_at),
)


def tree_root(session: Session, user: User, distributor_id: int) -> Distributor:
    """The person whose tree is opened: themself or someone in their downline for a
    distributor (403 otherwise), anyone for staff."""
    return access.ensure_visible(session, user, distributor_id)


def children(
    session: Session,
    user: User,
    parent_id: int,
    kind: TreeKind,
    *,
    after: int | None = None,
    limit: int = PAGE,
) -> ChildrenPage:
    access.ensure_visible(session, user, parent_id)
    return _children(session, parent_id, kind, after=after, limit=limit)


def _children(
    session: Session, parent_id: int, kind: TreeKind, *, after: int | None, limit: int
) -> ChildrenPage:
    query: Any
    if kind is TreeKind.placement:
        position = col(_P.position)
        query = (
            select(*_NODE_COLUMNS, position.label("position"))
            .join(_P, col(_P.distributor_id) == col(_D.id))
            .where(col(_P.parent_id) == parent_id)
            .order_by(position)
        )
        if after is not None:
            query = query.where(position > after)
    else:
        query = (
            select(*_NODE_COLUMNS, literal(None).label("position"))
            .where(col(_D.sponsor_id) == parent_id)
            .order_by(col(_D.id))
        )
        if after is not None:
            query = query.where(col(_D.id) > after)
    rows = session.execute(query.limit(limit + 1)).all()
    shown = rows[:limit]
    counts = child_counts(session, [row.id for row in shown], kind)
    items = [_node(row, counts) for row in shown]
    next_after = None
    if len(rows) > limit:
        last = shown[-1]
        next_after = last.position if kind is TreeKind.placement else last.id
    return ChildrenPage(parent_id=parent_id, kind=kind, items=items, next_after=next_after)


def _node(row: Any, counts: dict[int, int]) -> TreeNode:
    return TreeNode(
        id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        status=row.status,
        enrolled_at=row.enrolled_at,
        position=row.position,
        children=counts.get(row.id, 0),
    )


def child_counts(session: Session, ids: Sequence[int], kind: TreeKind) -> dict[int, int]:
    """Direct children per id: one grouped query over the indexed parent column."""
    parent = col(_P.parent_id) if kind is TreeKind.placement else col(_D.sponsor_id)
    counts: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(parent, func.count())
            .where(parent.in_(ids[start : start + CHUNK]))
            .group_by(parent)
        )
        counts.update({int(up): int(n) for up, n in rows})
    return counts


def nodes_of(session: Session, ids: Sequence[int], kind: TreeKind) -> dict[int, TreeNode]:
    """The nodes of these ids (for a path's chain); position only in the placement tree."""
    query: Any = select(*_NODE_COLUMNS, col(_P.position).label("position")).join(
        _P, col(_P.distributor_id) == col(_D.id), isouter=True
    )
    rows = session.execute(query.where(col(_D.id).in_(ids))).all()
    counts = child_counts(session, ids, kind)
    found = {row.id: _node(row, counts) for row in rows}
    if kind is TreeKind.sponsor:
        found = {i: _replace_position(n) for i, n in found.items()}
    return found


def _replace_position(node: TreeNode) -> TreeNode:
    return replace(node, position=None)


# --- search and the path to a match -------------------------------------------------------


def search(
    session: Session,
    user: User,
    root: Distributor,
    kind: TreeKind,
    needle: str,
    *,
    limit: int = SEARCH_LIMIT,
) -> list[int]:
    """Ids of people below `root` in this tree matching an id or part of a name or e-mail;
    the root itself when it is the one asked for. An id outside the reader's downline is
    refused (403), not silently missed."""
    text = needle.strip().lower()
    if not text:
        raise Invalid("enter an ID or a name to search for")
    assert root.id is not None
    if text.isascii() and text.isdigit():
        wanted = int(text)
        if not 0 < wanted <= MAX_ID:
            return []
        target = session.get(Distributor, wanted)
        if target is None:
            return []
        if not access.can_see(session, user, target):
            raise Forbidden(f"distributor {wanted} is not in your downline", code="out_of_scope")
        return [wanted] if path_between(session, root, target, kind) is not None else []
    if root.tree_path is None:
        return []
    path = col(_D.tree_path)
    found = session.execute(
        select(col(_D.id))
        .where(
            path > root.tree_path,
            path < subtree_end(root.tree_path),
            col(_D.search_name).contains(text, autoescape=True),
        )
        .order_by(path)
        .limit(limit if kind is TreeKind.placement else SPONSOR_SEARCH_SCAN)
    ).scalars()
    ids = [int(i) for i in found]
    if kind is TreeKind.placement:
        return ids
    below = sponsor_descendants_among(session, root, ids)
    return [i for i in ids if i in below][:limit]


def sponsor_descendants_among(session: Session, root: Distributor, ids: list[int]) -> set[int]:
    """Which of these people (all in root's placement downline) the root's sponsor tree
    holds: their sponsor chains, walked over one read of their placement ancestors."""
    assert root.id is not None and root.tree_path is not None
    rows = session.execute(select(col(_D.id), col(_D.tree_path)).where(col(_D.id).in_(ids))).all()
    ancestors: set[int] = set()
    for _, tree_path in rows:
        ancestors.update(path_ids(tree_path)[depth_of(root.tree_path) :])
    sponsors = _sponsors(session, sorted(ancestors))
    below = set()
    for person, _ in rows:
        if _sponsor_chain(sponsors, root.id, person) is not None:
            below.add(person)
    return below


def _sponsors(session: Session, ids: list[int]) -> dict[int, int | None]:
    sponsors: dict[int, int | None] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(col(_D.id), col(_D.sponsor_id)).where(col(_D.id).in_(ids[start : start + CHUNK]))
        )
        sponsors.update({int(i): s for i, s in rows})
    return sponsors


def _sponsor_chain(sponsors: dict[int, int | None], root_id: int, person: int) -> list[int] | None:
    chain = [person]
    at: int | None = person
    while at != root_id:
        at = sponsors.get(at) if at is not None else None
        if at is None or at not in sponsors:
            return None
        chain.append(at)
    return chain[::-1]


def path_between(
    session: Session, root: Distributor, target: Distributor, kind: TreeKind
) -> list[int] | None:
    """Ids from the root down to the target in this tree, both included; None when the target
    is not below the root there."""
    assert root.id is not None and target.id is not None
    if root.tree_path is None:
        return [root.id] if root.id == target.id else None
    start, tail = target, []
    if target.tree_path is None:  # waiting in a holding tank: only in the sponsor tree
        if kind is TreeKind.placement or target.sponsor_id is None:
            return None
        sponsor = session.get(Distributor, target.sponsor_id)
        if sponsor is None or sponsor.tree_path is None:
            return None
        start, tail = sponsor, [target.id]
    assert start.tree_path is not None and start.id is not None
    if not is_within(start.tree_path, root.tree_path):
        return None
    chain = path_ids(start.tree_path)[depth_of(root.tree_path) :]
    if kind is TreeKind.sponsor:
        found = _sponsor_chain(_sponsors(session, chain), root.id, start.id)
        if found is None:
            return None
        chain = found
    return chain + tail


def open_path(session: Session, ids: list[int], kind: TreeKind) -> OpenedPath:
    """The first page of children of each node on the chain, each holding the next node: one
    query for the pages of all of them (numbered per parent), one for their child counts."""
    parents = ids[:-1]
    if not parents:
        return OpenedPath(ids=ids, pages={})
    parent = col(_P.parent_id) if kind is TreeKind.placement else col(_D.sponsor_id)
    order = col(_P.position) if kind is TreeKind.placement else col(_D.id)
    numbered = select(
        *_NODE_COLUMNS,
        (col(_P.position) if kind is TreeKind.placement else literal(None)).label("position"),
        parent.label("parent"),
        func.row_number().over(partition_by=parent, order_by=order).label("place"),
    ).where(parent.in_(parents))
    if kind is TreeKind.placement:
        numbered = numbered.join(_P, col(_P.distributor_id) == col(_D.id))
    ranked = numbered.subquery()
    rows = session.execute(
        select(ranked).where(ranked.c.place <= PAGE + 1).order_by(ranked.c.parent, ranked.c.place)
    ).all()
    by_parent: dict[int, list[Any]] = {parent_id: [] for parent_id in parents}
    for row in rows:
        by_parent[row.parent].append(row)
    wanted = dict(zip(parents, ids[1:], strict=True))
    missing = [
        next_id
        for parent_id, next_id in wanted.items()
        if all(row.id != next_id for row in by_parent[parent_id][:PAGE])
    ]
    shown = [row.id for rows_of in by_parent.values() for row in rows_of[:PAGE]] + missing
    counts = child_counts(session, shown, kind)
    extra = nodes_of(session, missing, kind) if missing else {}
    pages: dict[int, ChildrenPage] = {}
    for parent_id, rows_of in by_parent.items():
        items = [_node(row, counts) for row in rows_of[:PAGE]]
        if wanted[parent_id] in extra:
            items.append(extra[wanted[parent_id]])
        next_after = None
        if len(rows_of) > PAGE:
            last = rows_of[PAGE - 1]
            next_after = last.position if kind is TreeKind.placement else last.id
        pages[parent_id] = ChildrenPage(parent_id, kind, items, next_after)
    return OpenedPath(ids=ids, pages=pages)


# --- levels --------------------------------------------------------------------------------


def _level_members(
    root: Distributor, kind: TreeKind, max_level: int, *, only_last: bool = False
) -> Any:
    """A subquery of (id, level) for everyone 1..max_level below the root in this tree (only
    level max_level with `only_last`: in the placement tree one range of the depth index)."""
    assert root.id is not None
    if kind is TreeKind.placement:
        assert root.tree_path is not None and root.tree_depth is not None
        path, depth = col(_D.tree_path), col(_D.tree_depth)
        deepest = root.tree_depth + max_level
        return (
            select(col(_D.id).label("id"), (depth - root.tree_depth).label("level"))
            .where(
                path > root.tree_path,
                path < subtree_end(root.tree_path),
                depth == deepest if only_last else depth <= deepest,
            )
            .subquery()
        )
    first = (
        select(col(_D.id).label("id"), literal(1).label("level"))
        .where(col(_D.sponsor_id) == root.id)
        .cte("sponsored", recursive=True)
    )
    below = select(col(_D.id), (first.c.level + 1).label("level")).join(
        first, col(_D.sponsor_id) == first.c.id
    )
    tree = first.union_all(below.where(first.c.level < max_level))
    return select(tree.c.id, tree.c.level).subquery()


def level_counts(
    session: Session, root: Distributor, kind: TreeKind, max_level: int = MAX_LEVELS
) -> dict[int, int]:
    """People per level, 1..max_level below the root (levels with nobody are absent)."""
    if kind is TreeKind.placement and root.tree_path is None:
        return {}
    members = _level_members(root, kind, max_level)
    rows = session.execute(
        select(members.c.level, func.count()).group_by(members.c.level).order_by(members.c.level)
    )
    return {int(level): int(n) for level, n in rows}


def level_page(
    session: Session,
    root: Distributor,
    kind: TreeKind,
    *,
    level: int,
    sort: LevelSort,
    descending: bool,
    page: int,
    period_id: int | None,
    total: int,
) -> LevelPage:
    """One page of the people `level` levels below the root, sorted; PV, GV and rank sort by
    the standings of `period_id` (people without figures last)."""
    if kind is TreeKind.placement and root.tree_path is None:
        return LevelPage(level=level, items=[], total=0)
    members = _level_members(root, kind, level, only_last=True)
    query: Any = (
        select(*_NODE_COLUMNS, col(_P.position).label("position"))
        .join(members, members.c.id == col(_D.id))
        .join(_P, col(_P.distributor_id) == col(_D.id), isouter=True)
        .where(members.c.level == level)
    )
    standing: dict[LevelSort, ColumnElement[Any]] = {}
    if period_id is not None:
        query = query.join(
            PeriodStanding,
            and_(
                col(PeriodStanding.period_id) == period_id,
                col(PeriodStanding.distributor_id) == col(_D.id),
            ),
            isouter=True,
        )
        standing = {
            LevelSort.pv: func.coalesce(col(PeriodStanding.pv), -1),
            LevelSort.gv: func.coalesce(col(PeriodStanding.gv), -1),
            LevelSort.rank: func.coalesce(col(PeriodStanding.paid_rank), -1),
        }
    keys: list[Any]
    if sort is LevelSort.name:
        keys = [col(_D.last_name), col(_D.first_name)]
    elif sort is LevelSort.joined:
        keys = [col(_D.enrolled_at)]
    else:
        keys = [standing[sort]] if sort in standing else []
    ordered = [key.desc() if descending else key.asc() for key in keys]
    tie = col(_D.id).desc() if descending else col(_D.id).asc()
    rows = session.execute(
        query.order_by(*ordered, tie).offset((page - 1) * LEVEL_PAGE).limit(LEVEL_PAGE)
    ).all()
    counts = child_counts(session, [row.id for row in rows], kind)
    items = [_node(row, counts) for row in rows]
    if kind is TreeKind.sponsor:
        items = [_replace_position(node) for node in items]
    return LevelPage(level=level, items=items, total=total)


# --- a subtree to draw, and a binary tree's legs ---------------------------------------


def subtree(
    session: Session, root: Distributor, kind: TreeKind, *, limit: int = SUBTREE_LIMIT
) -> Subtree:
    """Breadth first from the root, at most `limit` people (the root included)."""
    assert root.id is not None
    nodes = [SubtreeNode(root.id, None, root.first_name, root.last_name, root.status)]
    frontier = [root.id]
    depth = 0
    truncated = False
    while frontier and not truncated:
        room = limit - len(nodes)
        depth += 1
        rows = _next_level(session, root, kind, frontier, depth, room + 1)
        if len(rows) > room:
            rows, truncated = rows[:room], True
        nodes.extend(rows)
        frontier = [node.id for node in rows]
    return Subtree(nodes=nodes, truncated=truncated)


def _next_level(
    session: Session,
    root: Distributor,
    kind: TreeKind,
    frontier: list[int],
    depth: int,
    limit: int,
) -> list[SubtreeNode]:
    columns = (
        col(_D.id),
        col(_D.first_name),
        col(_D.last_name),
        col(_D.status),
    )
    if kind is TreeKind.placement:
        if root.tree_path is None or root.tree_depth is None:
            return []
        path = col(_D.tree_path)
        rows = session.execute(
            select(*columns, path)
            .where(
                col(_D.tree_depth) == root.tree_depth + depth,
                path > root.tree_path,
                path < subtree_end(root.tree_path),
            )
            .order_by(path)
            .limit(limit)
        ).all()
        return [
            SubtreeNode(
                row.id, _parent_of(row.tree_path), row.first_name, row.last_name, row.status
            )
            for row in rows
        ]
    found: list[SubtreeNode] = []
    for start in range(0, len(frontier), CHUNK):
        if len(found) >= limit:
            break
        rows = session.execute(
            select(*columns, col(_D.sponsor_id))
            .where(col(_D.sponsor_id).in_(frontier[start : start + CHUNK]))
            .order_by(col(_D.sponsor_id), col(_D.id))
            .limit(limit - len(found))
        ).all()
        found.extend(
            SubtreeNode(row.id, row.sponsor_id, row.first_name, row.last_name, row.status)
            for row in rows
        )
    return found


def _parent_of(tree_path: bytes) -> int:
    return int.from_bytes(tree_path[-2 * SEGMENT : -SEGMENT], "big")


@dataclass(frozen=True)
class Legs:
    """People in each leg of a binary placement tree (the child at the top included)."""

    left: int
    right: int


def legs(session: Session, root: Distributor) -> Legs:
    sizes = []
    for position in (0, 1):
        top = session.execute(
            select(col(_D.tree_path))
            .join(_P, col(_P.distributor_id) == col(_D.id))
            .where(col(_P.parent_id) == root.id, col(_P.position) == position)
        ).scalar()
        if top is None:
            sizes.append(0)
            continue
        path = col(_D.tree_path)
        size = session.execute(
            select(func.count()).where(path >= top, path < subtree_end(top))
        ).scalar()
        sizes.append(int(size or 0))
    return Legs(left=sizes[0], right=sizes[1])
