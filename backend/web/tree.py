"""The genealogy pages: a lazy tree (children on expand, 50 at a time), search that opens the
path to a match, a level-by-level table, a drawn subtree of up to 500 people, and a binary
tree's left/right strip. Both trees: placement (where people sit) and sponsor (who brought
whom). A distributor opens only their own downline (the genealogy service refuses the rest)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from backend.core.config import Settings
from backend.core.db import SessionDep
from backend.core.errors import Forbidden, Invalid, NotFound
from backend.core.model_base import Role
from backend.core.types import MAX_ID
from backend.genealogy import tree_view
from backend.genealogy.models import Distributor
from backend.genealogy.tree_view import (
    ChildrenPage,
    LevelSort,
    OpenedPath,
    TreeKind,
)
from backend.periods.service import load_company_plan, plan_path
from backend.periods.standings import Figures, figures_of, latest_run
from backend.web.deps import SettingsDep
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, is_htmx, render

KindQuery = Annotated[TreeKind, Query()]
KIND_NAMES = {TreeKind.placement: N_("Placement tree"), TreeKind.sponsor: N_("Sponsor tree")}
SORT_NAMES = {
    LevelSort.name: N_("Name"),
    LevelSort.joined: N_("Joined"),
    LevelSort.pv: N_("PV"),
    LevelSort.gv: N_("GV"),
    LevelSort.rank: N_("Rank"),
}
NO_MATCH = N_("Nobody in this tree matches “%(q)s”.")
OUT_OF_SCOPE = N_("ID %(q)s is not in your downline: you can look up only people in your team.")
EMPTY_SEARCH = N_("Enter an ID or a name.")


# The plan's rank names per plan file and its modification time: loading and checking the
# plan costs more than a whole tree expansion, and it changes about never.
_RANKS: dict[tuple[str, float], tuple[str, ...]] = {}


def rank_names(settings: Settings) -> tuple[str, ...]:
    """The plan's rank names by index (0 = none), read again when the plan file changes."""
    path = plan_path(settings)
    key = (str(path), path.stat().st_mtime)
    if key not in _RANKS:
        plan = load_company_plan(settings)
        _RANKS.clear()
        _RANKS[key] = ("",) + tuple(rank.name for rank in plan.ranks.rank)
    return _RANKS[key]


@dataclass(frozen=True)
class Standings:
    """What the figures beside people are: whose period, an estimate or computed, when."""

    figures: dict[int, Figures]
    period_id: int | None
    estimate: bool
    computed_at: Any


def standings(session: SessionDep, ids: list[int]) -> Standings:
    run = latest_run(session)
    if run is None:
        return Standings({}, None, False, None)
    return Standings(
        figures_of(session, ids), run.period_id, run.kind == "preview", run.computed_at
    )


def _node_words(settings: Settings) -> dict[str, Any]:
    """What a person's line in any tree needs: the rank names and whether legs are left/right."""
    return {"ranks": rank_names(settings), "binary": settings.tree_width == 2}


def _common(
    settings: Settings, user: PageUser, root: Distributor, kind: TreeKind
) -> dict[str, Any]:
    return {
        "root": root,
        "kind": kind,
        "kinds": KIND_NAMES,
        "own": user.distributor_id == root.id,
        **_node_words(settings),
    }


def my_tree(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    kind: KindQuery = TreeKind.placement,
    q: Annotated[str | None, Query(max_length=100)] = None,
    open: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,  # noqa: A002
) -> Response:
    """The reader's own tree; staff start at the top of the company."""
    if user.role == Role.distributor:
        if user.distributor_id is None:
            raise NotFound("this account has no distributor")
        start = user.distributor_id
    else:
        start = request.app.state.placement_trees.root_id  # the company's root
    return tree_page(request, session, settings, user, start, kind, q, open)


def tree_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
    kind: KindQuery = TreeKind.placement,
    q: Annotated[str | None, Query(max_length=100)] = None,
    open: Annotated[int | None, Query(gt=0, le=MAX_ID)] = None,  # noqa: A002
) -> Response:
    check_id(distributor_id)
    root = tree_view.tree_root(session, user, distributor_id)
    assert root.id is not None
    status, error, matches, target = 200, None, [], open
    if q is not None:
        try:
            matches = tree_view.search(session, user, root, kind, q)
        except Forbidden:
            status, error = 403, OUT_OF_SCOPE
        except Invalid:
            status, error = 422, EMPTY_SEARCH
        else:
            if matches:
                target = matches[0]
            else:
                error = NO_MATCH
    opened: OpenedPath | None = None
    if target is not None:
        found = tree_view.tree_root(session, user, target)  # 403 outside the downline
        chain = tree_view.path_between(session, root, found, kind)
        if chain is None:
            status, error, target = 404, NO_MATCH, None
        else:
            opened = tree_view.open_path(session, chain, kind)
    if opened is None:
        first = tree_view.children(session, user, root.id, kind)
        opened = OpenedPath(ids=[root.id], pages={root.id: first})
    # At the top of its own tree a person has no position to show.
    root_node = replace(tree_view.nodes_of(session, [root.id], kind)[root.id], position=None)
    shown = {root.id} | {n.id for page in opened.pages.values() for n in page.items}
    names = tree_view.nodes_of(session, matches, kind) if len(matches) > 1 else {}
    figures = standings(session, sorted(shown))
    return render(
        request,
        "tree.html",
        status_code=status,
        **_common(settings, user, root, kind),
        root_node=root_node,
        pages=opened.pages,
        chain=opened.ids,
        match_id=target,
        matches=[names[i] for i in matches if i in names],
        q=q or "",
        error=error,
        standings=figures,
    )


def tree_children(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
    kind: KindQuery = TreeKind.placement,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Response:
    """htmx asks for the list items alone; a browser without scripts gets a whole page."""
    check_id(distributor_id)
    page: ChildrenPage = tree_view.children(session, user, distributor_id, kind, after=after)
    figures = standings(session, [node.id for node in page.items])
    context: dict[str, Any] = {
        "kind": kind,
        "page": page,
        "pages": {},
        "chain": [],
        "match_id": None,
        "standings": figures,
        **_node_words(settings),
    }
    if is_htmx(request):
        return render(request, "_tree_nodes.html", **context)
    parent = tree_view.nodes_of(session, [distributor_id], kind)[distributor_id]
    return render(request, "tree_children.html", parent=parent, kinds=KIND_NAMES, **context)


def tree_legs(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
) -> Response:
    """A binary tree's left and right legs: people in each and their volume. The tree page
    loads it after itself (htmx), since counting a leg of half a million takes a while."""
    check_id(distributor_id)
    root = tree_view.tree_root(session, user, distributor_id)
    if settings.tree_width != 2:
        raise NotFound("legs are a binary tree's")
    assert root.id is not None
    context: dict[str, Any] = {
        "root": root,
        "legs": tree_view.legs(session, root),
        "f": figures_of(session, [root.id]).get(root.id),
    }
    return render(request, "_tree_legs.html" if is_htmx(request) else "tree_legs.html", **context)


def levels_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
    kind: KindQuery = TreeKind.placement,
    level: Annotated[int, Query(ge=1, le=tree_view.MAX_LEVELS)] = 1,
    sort: Annotated[LevelSort, Query()] = LevelSort.name,
    desc: Annotated[bool, Query()] = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    check_id(distributor_id)
    root = tree_view.tree_root(session, user, distributor_id)
    counts = tree_view.level_counts(session, root, kind)
    run = latest_run(session)
    found = tree_view.level_page(
        session,
        root,
        kind,
        level=level,
        sort=sort,
        descending=desc,
        page=page,
        period_id=run.period_id if run else None,
        total=counts.get(level, 0),
    )
    pages = max(1, -(-found.total // tree_view.LEVEL_PAGE))
    return render(
        request,
        "tree_levels.html",
        **_common(settings, user, root, kind),
        counts=counts,
        max_levels=tree_view.MAX_LEVELS,
        level=level,
        found=found,
        sort=sort,
        desc=desc,
        page=page,
        pages=pages,
        sorts=SORT_NAMES,
        standings=standings(session, [node.id for node in found.items]),
    )


def visual_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    distributor_id: int,
    kind: KindQuery = TreeKind.placement,
) -> Response:
    check_id(distributor_id)
    root = tree_view.tree_root(session, user, distributor_id)
    return render(
        request,
        "tree_visual.html",
        **_common(settings, user, root, kind),
        limit=tree_view.SUBTREE_LIMIT,
    )


def visual_json(
    session: SessionDep,
    user: PageUser,
    distributor_id: int,
    kind: KindQuery = TreeKind.placement,
) -> Response:
    """Breadth first from the person, at most 500 people: what the drawing lays out."""
    check_id(distributor_id)
    root = tree_view.tree_root(session, user, distributor_id)
    found = tree_view.subtree(session, root, kind)
    figures = figures_of(session, [node.id for node in found.nodes])
    nodes = []
    for node in found.nodes:
        had = figures.get(node.id)
        nodes.append(
            {
                "id": node.id,
                "parent": node.parent_id,
                "name": f"{node.first_name} {node.last_name}",
                "active": had.active if had else node.status == "active",
            }
        )
    body = {"root": root.id, "kind": kind.value, "nodes": nodes, "truncated": found.truncated}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def add_tree_pages(router: APIRouter) -> None:
    """Onto the pages' router (its guard and policy apply); the fixed paths before
    `/distributors/{id}/tree` so nothing else captures them."""
    base = "/distributors/{distributor_id}"
    router.add_api_route("/tree", my_tree, methods=["GET"])
    router.add_api_route(base + "/tree/children", tree_children, methods=["GET"])
    router.add_api_route(base + "/tree/visual.json", visual_json, methods=["GET"])
    router.add_api_route(base + "/tree/visual", visual_page, methods=["GET"])
    router.add_api_route(base + "/tree/legs", tree_legs, methods=["GET"])
    router.add_api_route(base + "/tree", tree_page, methods=["GET"])
    router.add_api_route(base + "/levels", levels_page, methods=["GET"])
