"""Downline reads: index ranges over the materialised path, keyset-paged.

A page is found in two steps. First the keys: an index-only scan of the path range (on
PostgreSQL the path indexes INCLUDE id, depth, status and search text, so filters never touch
the table), or, with a depth limit, one range per level merged in path order. Then the page's
rows are read by id. Order is the tree's pre-order (each member followed by their own
downline); the cursor is the last member's path, so page N costs the same as page 1.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, union_all
from sqlmodel import Session, col

from backend.core.errors import Invalid
from backend.core.model_base import DistributorStatus, OrderStatus
from backend.core.types import MAX_ID
from backend.genealogy.models import Distributor, DownlineMember, DownlinePage, Placement
from backend.genealogy.tree_path import subtree_end
from backend.orders.models import Order

MAX_PAGE = 200
# Up to this many levels a depth limit is answered level by level; deeper limits exclude
# little, and a filtered scan of the one range is cheaper than that many branches.
MAX_LEVEL_BRANCHES = 64


def encode_cursor(path: bytes) -> str:
    return base64.urlsafe_b64encode(path).decode().rstrip("=")


def decode_cursor(cursor: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise Invalid("malformed cursor") from exc


def downline_page(
    session: Session,
    root: Distributor,
    *,
    max_depth: int | None,
    q: str | None,
    status: DistributorStatus | None,
    limit: int,
    cursor: str | None,
) -> DownlinePage:
    assert root.id is not None
    if root.tree_path is None or root.tree_depth is None:
        return DownlinePage(root_id=root.id, items=[], next_cursor=None)
    start = root.tree_path if cursor is None else decode_cursor(cursor)
    if not start.startswith(root.tree_path):
        raise Invalid("cursor does not belong to this downline")
    end = subtree_end(root.tree_path)
    path, depth = col(Distributor.tree_path), col(Distributor.tree_depth)
    filters = [path > start, path < end, *_filters(q, status)]

    keys: Any
    if max_depth is not None and max_depth <= MAX_LEVEL_BRANCHES:
        branches = [
            select(col(Distributor.id).label("id"), path.label("tree_path"))
            .where(depth == root.tree_depth + level, *filters)
            .order_by(path)
            .limit(limit + 1)
            .subquery()
            for level in range(1, max_depth + 1)
        ]
        merged = union_all(*(select(b.c.id, b.c.tree_path) for b in branches)).subquery()
        keys = select(merged.c.id, merged.c.tree_path).order_by(merged.c.tree_path)
    else:
        keys = select(col(Distributor.id).label("id"), path.label("tree_path")).where(*filters)
        if max_depth is not None:
            keys = keys.where(depth <= root.tree_depth + max_depth)
        keys = keys.order_by(path)
    page = keys.limit(limit + 1).subquery()
    query = (
        select(
            col(Distributor.id),
            col(Distributor.first_name),
            col(Distributor.last_name),
            col(Distributor.status),
            col(Distributor.sponsor_id),
            col(Distributor.tree_depth),
            col(Placement.parent_id),
            col(Placement.position),
            col(Placement.chain_status),
            page.c.tree_path,
        )
        .join(page, page.c.id == Distributor.id)
        .join(Placement, col(Placement.distributor_id) == Distributor.id)
        .order_by(page.c.tree_path)
    )
    # Plain rows, not ORM entities: a page is read-only and this is its hot path.
    rows = session.execute(query).all()
    members = [
        DownlineMember(
            id=row.id,
            first_name=row.first_name,
            last_name=row.last_name,
            status=row.status,
            sponsor_id=row.sponsor_id,
            parent_id=row.parent_id,
            position=row.position,
            level=row.tree_depth - root.tree_depth,
            chain_status=row.chain_status,
        )
        for row in rows[:limit]
    ]
    next_cursor = encode_cursor(rows[limit - 1].tree_path) if len(rows) > limit else None
    return DownlinePage(root_id=root.id, items=members, next_cursor=next_cursor)


def _filters(q: str | None, status: DistributorStatus | None) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if status is not None:
        filters.append(col(Distributor.status) == status)
    needle = (q or "").strip().lower()
    if needle:
        matches = [col(Distributor.search_name).contains(needle, autoescape=True)]
        # isdigit() alone admits "²" and other digits int() refuses.
        if needle.isascii() and needle.isdigit() and int(needle) <= MAX_ID:
            matches.append(col(Distributor.id) == int(needle))
        filters.append(or_(*matches))
    return filters


#: Orders whose volume counts for a leg: paid, and paid then shipped (not placed, cancelled or
#: returned).
_COUNTED = (OrderStatus.paid.value, OrderStatus.shipped.value)


def leg_volume(session: Session, sponsor_id: int, position: int) -> int:
    """PV of every counted order in the subtree under `sponsor_id`'s child at `position`
    (0 when that position is empty): what the `weaker-leg` placement strategy compares. Volume
    accumulates over the company's whole history; the placement tree never moves anyone, so a
    leg's volume only grows."""
    top = session.execute(
        select(col(Distributor.tree_path))
        .join(Placement, col(Placement.distributor_id) == col(Distributor.id))
        .where(col(Placement.parent_id) == sponsor_id, col(Placement.position) == position)
    ).scalar()
    if top is None:
        return 0
    path = col(Distributor.tree_path)
    total = session.execute(
        select(func.coalesce(func.sum(col(Order.total_pv)), 0))
        .join(Distributor, col(Distributor.id) == col(Order.distributor_id))
        .where(path >= top, path < subtree_end(top), col(Order.status).in_(_COUNTED))
    ).scalar()
    return int(total or 0)
