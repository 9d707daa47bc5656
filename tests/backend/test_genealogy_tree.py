"""The genealogy reads behind the tree pages, on SQLite and PostgreSQL: children a page at a
time with their child counts (keyset paging in both trees), the path from a person down to a
search match, refusals outside a distributor's downline, the level table's counts, paging and
sorting by standings, the breadth-first subtree and a binary tree's legs, and the standings
reader the pages take PV/GV/rank from.

The company (breadth-first placement in a binary tree, as the fixture's settings have it):

    1 root
    ├── 2 Dina ─ sponsors 3..8, placed 3 4 under her, 5 6 under 3, 7 8 under 4
    │            8 sponsors 9, who sponsors 10, ... a chain down to 14 (sponsor = parent)
    └── 15 Outsider (sponsored by the root)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lineage_api import Api
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.core.errors import Forbidden, Invalid
from backend.genealogy import tree_view
from backend.genealogy.models import Distributor
from backend.genealogy.tree_view import LevelSort, TreeKind
from backend.periods.models import Period, PeriodStanding, StandingKind, StandingRun
from backend.periods.standings import figures_of

CHAIN = list(range(9, 15))


def enroll(api: Api, people: list[dict[str, Any]]) -> list[int]:
    done = api.client.post("/api/distributors/batch", json=people, headers=api.as_("admin"))
    assert done.status_code == 201, done.text
    return [person["id"] for person in done.json()]


@pytest.fixture
def team(api: Api) -> Api:
    assert enroll(api, [person(f"P{i}", 2) for i in range(3, 9)]) == list(range(3, 9))
    for member in CHAIN:
        assert enroll(api, [person(f"Chain{member}", member - 1)]) == [member]
    assert enroll(api, [{"first_name": "Outsider", "last_name": "Far", "sponsor_id": 1}]) == [15]
    return api


def person(first: str, sponsor: int) -> dict[str, Any]:
    return {"first_name": first, "last_name": "Member", "sponsor_id": sponsor}


def users(session: Session) -> tuple[User, User]:
    dina = session.exec(select(User).where(User.email == "dina@example.com")).one()
    admin = session.exec(select(User).where(User.email == "admin@example.com")).one()
    return dina, admin


def get(session: Session, distributor_id: int) -> Distributor:
    found = session.get(Distributor, distributor_id)
    assert found is not None
    return found


def test_placement_children_come_by_position_with_counts_and_a_keyset(team: Api) -> None:
    with team.session() as session:
        dina, _ = users(session)
        first = tree_view.children(session, dina, 2, TreeKind.placement, limit=1)
        assert [(n.id, n.position, n.children) for n in first.items] == [(3, 0, 2)]
        assert first.next_after == 0
        rest = tree_view.children(session, dina, 2, TreeKind.placement, after=0, limit=1)
        assert [(n.id, n.position, n.children) for n in rest.items] == [(4, 1, 2)]
        assert rest.next_after is None
        whole = tree_view.children(session, dina, 2, TreeKind.placement)
        assert [n.id for n in whole.items] == [3, 4] and whole.next_after is None
        leaf = tree_view.children(session, dina, 5, TreeKind.placement)
        assert leaf.items == [] and leaf.next_after is None


def test_sponsor_children_are_who_she_brought_paged_by_id(team: Api) -> None:
    with team.session() as session:
        dina, _ = users(session)
        first = tree_view.children(session, dina, 2, TreeKind.sponsor, limit=4)
        assert [n.id for n in first.items] == [3, 4, 5, 6] and first.next_after == 6
        assert all(n.position is None for n in first.items)
        rest = tree_view.children(session, dina, 2, TreeKind.sponsor, after=6, limit=4)
        assert [(n.id, n.children) for n in rest.items] == [(7, 0), (8, 1)]
        assert rest.next_after is None
        # Placed under 3 and 4, but sponsored by Dina: none of them brought anyone.
        assert tree_view.child_counts(session, [3, 4, 8], TreeKind.sponsor) == {8: 1}
        assert tree_view.child_counts(session, [3, 4, 8], TreeKind.placement) == {3: 2, 4: 2, 8: 1}


def test_search_opens_the_path_down_to_a_match_in_both_trees(team: Api) -> None:
    with team.session() as session:
        dina, _ = users(session)
        root = get(session, 2)
        assert tree_view.search(session, dina, root, TreeKind.placement, "chain14") == [14]
        assert tree_view.search(session, dina, root, TreeKind.placement, " 14 ") == [14]
        placement = tree_view.path_between(session, root, get(session, 14), TreeKind.placement)
        assert placement == [2, 4, 8, *CHAIN]
        sponsor = tree_view.path_between(session, root, get(session, 14), TreeKind.sponsor)
        assert sponsor == [2, 8, *CHAIN]  # 8 was brought by Dina, though placed under 4
        opened = tree_view.open_path(session, sponsor, TreeKind.sponsor)
        assert list(opened.pages) == [2, 8, *CHAIN[:-1]]
        assert 8 in [n.id for n in opened.pages[2].items]
        assert [n.id for n in opened.pages[13].items] == [14]
        # A name matching several people, in tree order; nobody for an unknown name.
        many = tree_view.search(session, dina, root, TreeKind.placement, "chain")
        assert many == CHAIN
        assert tree_view.search(session, dina, root, TreeKind.sponsor, "nobody-like-this") == []
        with pytest.raises(Invalid):
            tree_view.search(session, dina, root, TreeKind.placement, "   ")


def test_sponsor_search_keeps_only_people_the_root_brought_down_the_line(team: Api) -> None:
    with team.session() as session:
        _, admin = users(session)
        three = get(session, 3)
        # 5 and 6 sit under 3 but were brought by Dina: in 3's placement tree, not sponsor tree.
        assert tree_view.search(session, admin, three, TreeKind.placement, "p5") == [5]
        assert tree_view.search(session, admin, three, TreeKind.sponsor, "p5") == []
        assert tree_view.path_between(session, three, get(session, 5), TreeKind.sponsor) is None


def test_a_distributor_is_refused_outside_her_downline(team: Api) -> None:
    with team.session() as session:
        dina, admin = users(session)
        root = get(session, 2)
        with pytest.raises(Forbidden):
            tree_view.search(session, dina, root, TreeKind.placement, "15")
        with pytest.raises(Forbidden):
            tree_view.children(session, dina, 15, TreeKind.placement)
        with pytest.raises(Forbidden):
            tree_view.tree_root(session, dina, 1)
        # Not refused, just not below: staff searching Dina's tree for the outsider.
        assert tree_view.search(session, admin, root, TreeKind.placement, "15") == []
        assert tree_view.search(session, dina, root, TreeKind.placement, "outsider") == []


def standings(session: Session, rows: dict[int, tuple[int, int, int]]) -> None:
    """Period 1 with a preview run: (pv, gv, paid rank) per distributor."""
    session.add(Period(id=1, start_day=20000, end_day=20030))
    session.flush()
    session.add(
        StandingRun(
            period_id=1,
            kind=StandingKind.preview,
            computed_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
            attempted_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
            plan_hash="0x" + "0" * 64,
            currency="USDT",
            exponent=6,
            distributors=len(rows),
        )
    )
    for distributor_id, (pv, gv, rank) in rows.items():
        session.add(
            PeriodStanding(
                period_id=1,
                distributor_id=distributor_id,
                pv=pv,
                cv=pv,
                gv=gv,
                left_volume=gv // 3,
                right_volume=gv - gv // 3,
                active=pv >= 40,
                paid_rank=rank,
                achieved_rank=rank,
                earned=0,
            )
        )
    session.commit()


def test_levels_count_people_and_page_sorted_by_name_joined_and_standings(team: Api) -> None:
    with team.session() as session:
        standings(session, {5: (10, 100, 0), 6: (80, 900, 2), 7: (40, 400, 1)})
        root = get(session, 2)
        counts = tree_view.level_counts(session, root, TreeKind.placement)
        assert counts == {1: 2, 2: 4, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1}
        assert tree_view.level_counts(session, root, TreeKind.sponsor) == {
            1: 6, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1
        }  # fmt: skip
        assert tree_view.level_counts(session, root, TreeKind.placement, max_level=2) == {
            1: 2,
            2: 4,
        }

        def ids(**kw: Any) -> list[int]:
            args: dict[str, Any] = {
                "level": 2,
                "sort": LevelSort.name,
                "descending": False,
                "page": 1,
                "period_id": 1,
                "total": 4,
            }
            found = tree_view.level_page(session, root, TreeKind.placement, **args | kw)
            return [node.id for node in found.items]

        assert ids() == [5, 6, 7, 8]  # P5 .. P8, all "Member"
        assert ids(descending=True) == [8, 7, 6, 5]
        assert ids(sort=LevelSort.pv, descending=True) == [6, 7, 5, 8]  # no figures: last
        assert ids(sort=LevelSort.gv) == [8, 5, 7, 6]  # ascending: no figures first
        assert ids(sort=LevelSort.rank, descending=True) == [6, 7, 5, 8]  # rank 0 above none
        assert ids(sort=LevelSort.joined) == [5, 6, 7, 8]
        assert ids(sort=LevelSort.pv, period_id=None) == [5, 6, 7, 8]  # no standings yet
        sponsor = tree_view.level_page(
            session,
            root,
            TreeKind.sponsor,
            level=1,
            sort=LevelSort.name,
            descending=False,
            page=1,
            period_id=1,
            total=6,
        )
        assert [n.id for n in sponsor.items] == [3, 4, 5, 6, 7, 8]


def test_level_pages_hold_fifty_people(api: Api) -> None:
    enroll(api, [person(f"Q{i:02d}", 2) for i in range(55)])
    with api.session() as session:
        root = get(session, 2)
        assert tree_view.level_counts(session, root, TreeKind.sponsor) == {1: 55}
        pages = [
            tree_view.level_page(
                session,
                root,
                TreeKind.sponsor,
                level=1,
                sort=LevelSort.name,
                descending=False,
                page=page,
                period_id=None,
                total=55,
            )
            for page in (1, 2)
        ]
        names = [n.first_name for page in pages for n in page.items]
        assert len(pages[0].items) == 50 and len(pages[1].items) == 5
        assert names == sorted(names) and len(set(names)) == 55
        kids = tree_view.children(session, users(session)[0], 2, TreeKind.sponsor)
        assert len(kids.items) == 50 and kids.next_after is not None
        more = tree_view.children(
            session, users(session)[0], 2, TreeKind.sponsor, after=kids.next_after
        )
        assert len(more.items) == 5 and more.next_after is None


def test_subtree_is_breadth_first_and_says_when_it_is_cut(team: Api) -> None:
    with team.session() as session:
        root = get(session, 2)
        whole = tree_view.subtree(session, root, TreeKind.placement)
        assert not whole.truncated and len(whole.nodes) == 13
        assert [n.id for n in whole.nodes[:7]] == [2, 3, 4, 5, 6, 7, 8]
        assert {(n.id, n.parent_id) for n in whole.nodes[:3]} == {(2, None), (3, 2), (4, 2)}
        cut = tree_view.subtree(session, root, TreeKind.placement, limit=5)
        assert cut.truncated and [n.id for n in cut.nodes] == [2, 3, 4, 5, 6]
        sponsor = tree_view.subtree(session, root, TreeKind.sponsor, limit=8)
        assert sponsor.truncated
        assert [(n.id, n.parent_id) for n in sponsor.nodes] == [
            (2, None), (3, 2), (4, 2), (5, 2), (6, 2), (7, 2), (8, 2), (9, 8)
        ]  # fmt: skip
        exact = tree_view.subtree(session, root, TreeKind.sponsor, limit=13)
        assert not exact.truncated and len(exact.nodes) == 13


def test_legs_count_each_side_of_a_binary_tree(team: Api) -> None:
    with team.session() as session:
        assert tree_view.legs(session, get(session, 2)) == tree_view.Legs(left=3, right=9)
        assert tree_view.legs(session, get(session, 1)) == tree_view.Legs(left=13, right=1)
        assert tree_view.legs(session, get(session, 14)) == tree_view.Legs(left=0, right=0)


def test_figures_come_from_the_latest_period_with_standings(team: Api) -> None:
    with team.session() as session:
        assert figures_of(session, [5, 6]) == {}
        standings(session, {5: (10, 100, 0), 6: (80, 900, 2)})
        session.add(Period(id=2, start_day=20031, end_day=20060))
        session.commit()  # a period without a run yet: the figures stay those of period 1
        found = figures_of(session, [5, 6, 7])
        assert set(found) == {5, 6}
        six = found[6]
        assert (six.pv, six.gv, six.left_volume, six.right_volume) == (80, 900, 300, 600)
        assert six.active and six.paid_rank == 2 and six.kind == StandingKind.preview
        assert six.period_id == 1 and six.computed_at == datetime(2026, 1, 5, 12, tzinfo=UTC)
        assert figures_of(session, []) == {}


def test_an_opened_path_holds_its_next_person_beyond_the_first_fifty(api: Api) -> None:
    recruits = enroll(api, [person(f"R{i:02d}", 2) for i in range(55)])
    last = recruits[-1]
    (below,) = enroll(api, [person("Deep", last)])
    with api.session() as session:
        chain = tree_view.path_between(
            session, get(session, 2), get(session, below), TreeKind.sponsor
        )
        assert chain == [2, last, below]
        opened = tree_view.open_path(session, chain, TreeKind.sponsor)
        first = opened.pages[2]
        assert [n.id for n in first.items] == [*recruits[:50], last]
        assert first.next_after == recruits[49]
        assert first.items[-1].children == 1
        assert [n.id for n in opened.pages[last].items] == [below]
        placement = tree_view.path_between(
            session, get(session, 2), get(session, below), TreeKind.placement
        )
        assert placement is not None and placement[-1] == below
        pages = tree_view.open_path(session, placement, TreeKind.placement).pages
        assert all(len(pages[p].items) <= 2 for p in placement[:-1])
        assert all(
            nxt in [n.id for n in pages[p].items]
            for p, nxt in zip(placement, placement[1:], strict=False)
        )
