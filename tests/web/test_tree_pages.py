"""The genealogy pages through the test client, on the small company of the genealogy tests
(`team`: Dina with six recruits and a chain of six below them, an outsider beside her): the
lazy tree and its htmx fragment, search opening the path, the level table, the picture's JSON,
the legs strip, refusals outside the downline, Russian and English."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from lineage_api import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from test_genealogy_tree import CHAIN, standings, team
from web_support import Browser

__all__ = ["team"]  # the fixture, re-exported for pytest


def dina(api: Api) -> Browser:
    browser = Browser(TestClient(api.client.app))
    browser.login("dina@example.com")
    return browser


def ids_in(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="node[^"]*" id="node-(\d+)"', html)]


def test_my_team_shows_her_first_level_with_counts_and_the_menu_entry(team: Api) -> None:
    browser = dina(team)
    page: Any = browser.get("/tree")
    assert page.status_code == 200
    html = page.text
    assert 'href="/tree" aria-current="page"' in html and "<h1>Моя команда</h1>" in html
    assert ids_in(html) == [2, 3, 4]  # herself, open, and her two placed under her
    assert "2 человека" in html and "слева" in html and "справа" in html
    assert 'hx-get="/distributors/3/tree/children?kind=placement"' in html
    assert "Пока нет ЛО, ГО и ранга" in html  # no standings yet
    assert 'hx-get="/distributors/2/tree/legs" hx-trigger="load"' in html
    legs = browser.client.get("/distributors/2/tree/legs", headers={"HX-Request": "true"})
    assert "<html" not in legs.text and "Левая ветка" in legs.text
    assert "3 человека" in legs.text and "9 человек" in legs.text and "—" in legs.text
    page = browser.get("/distributors/2/tree/legs")  # without scripts: a page of its own
    assert "<h1>Левая и правая ветки</h1>" in page.text and "Правая ветка" in page.text


def test_figures_show_beside_people_with_the_plans_rank_names(team: Api) -> None:
    with team.session() as session:
        standings(session, {2: (80, 9000, 4), 3: (10, 100, 0), 4: (40, 400, 1)})
    browser = dina(team)
    html = browser.get("/tree").text  # type: ignore[attr-defined]
    assert "предварительная оценка на" in html and "за период 1" in html
    assert "Gold" in html and "Member" in html and "без ранга" in html
    assert "9\u00a0000" in html  # her GV, with the Russian thousands separator
    legs = browser.get("/distributors/2/tree/legs").text  # type: ignore[attr-defined]
    assert "3\u00a0000" in legs and "6\u00a0000" in legs  # left and right leg volumes
    assert "неактивен" in html and "активен" in html


def test_expanding_a_node_returns_its_children_alone_for_htmx(team: Api) -> None:
    browser = dina(team)
    fragment = browser.client.get(
        "/distributors/4/tree/children?kind=placement", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and ids_in(fragment.text) == [7, 8]
    whole = browser.client.get("/distributors/4/tree/children?kind=placement")
    assert "<html" in whole.text and "<h1>Команда: P4 Member</h1>" in whole.text
    sponsor = browser.client.get(
        "/distributors/2/tree/children?kind=sponsor", headers={"HX-Request": "true"}
    )
    assert ids_in(sponsor.text) == [3, 4, 5, 6, 7, 8]


def test_more_loads_the_next_page_of_fifty(api: Api) -> None:
    people = [{"first_name": f"Q{i:02d}", "last_name": "X", "sponsor_id": 2} for i in range(55)]
    done = api.client.post("/api/distributors/batch", json=people, headers=api.as_("admin"))
    assert done.status_code == 201
    browser = dina(api)
    first = browser.client.get(
        "/distributors/2/tree/children?kind=sponsor", headers={"HX-Request": "true"}
    )
    assert len(ids_in(first.text)) == 50
    more = re.search(
        r'hx-get="(/distributors/2/tree/children\?kind=sponsor&amp;after=\d+)"', first.text
    )
    assert more, "no 'more' item after 50"
    rest = browser.client.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert len(ids_in(rest.text)) == 5 and "after=" not in rest.text
    assert set(ids_in(first.text)).isdisjoint(ids_in(rest.text))


def test_search_opens_the_path_and_highlights_the_match(team: Api) -> None:
    page: Any = dina(team).get("/distributors/2/tree?kind=placement&q=Chain14")
    assert page.status_code == 200
    html = page.text
    assert ids_in(html) == [2, 3, 4, 7, 8, *CHAIN]  # 3 and 7 beside the path, closed
    assert '<li class="node match" id="node-14">' in html and "найден" in html
    assert "Найден на 8 уровней ниже." in html
    sponsor: Any = dina(team).get("/distributors/2/tree?kind=sponsor&q=14")
    assert ids_in(sponsor.text)[:7] == [2, 3, 4, 5, 6, 7, 8]
    assert ids_in(sponsor.text)[7:] == CHAIN


def test_a_search_with_several_matches_lists_them(team: Api) -> None:
    html = dina(team).get("/distributors/2/tree?q=chain").text  # type: ignore[attr-defined]
    assert "6 совпадений" in html
    assert 'href="/distributors/2/tree?kind=placement&amp;open=12"' in html
    opened = dina(team).get("/distributors/2/tree?open=12").text  # type: ignore[attr-defined]
    assert '<li class="node match" id="node-12">' in opened


def test_search_outside_the_downline_is_refused_beside_the_field(team: Api) -> None:
    page: Any = dina(team).get("/distributors/2/tree?q=15")
    assert page.status_code == 403
    assert 'id="q-error"' in page.text and "не в вашей структуре" in page.text
    assert 'aria-describedby="q-error"' in page.text
    missing: Any = dina(team).get("/distributors/2/tree?q=nobody")
    assert missing.status_code == 200 and "Никто в этом дереве не подходит" in missing.text


def test_another_persons_tree_is_a_403_page_for_a_distributor(team: Api) -> None:
    browser = dina(team)
    for path in (
        "/distributors/15/tree",
        "/distributors/1/tree",
        "/distributors/15/tree/children?kind=placement",
        "/distributors/15/levels",
        "/distributors/15/tree/visual",
        "/distributors/15/tree/visual.json",
        "/distributors/15/tree/legs",
        "/distributors/2/tree?open=15",
    ):
        page: Any = browser.get(path)
        assert page.status_code == 403, path
        assert "<h1>Доступ запрещён</h1>" in page.text, path
    assert browser.get("/distributors/2/tree?kind=nonsense").status_code == 404  # type: ignore[attr-defined]


def test_staff_start_at_the_top_and_open_anyone(team: Api) -> None:
    browser = Browser(TestClient(team.client.app))
    browser.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    top: Any = browser.get("/tree")
    assert top.status_code == 200 and ids_in(top.text) == [1, 2, 15]
    assert "<h1>Команда: Company Root</h1>" in top.text
    other: Any = browser.get("/distributors/15/tree")
    assert other.status_code == 200 and "ниже пока никого нет" in other.text


def test_levels_table_counts_sorts_and_says_when_empty(team: Api) -> None:
    with team.session() as session:
        standings(session, {5: (10, 100, 0), 6: (80, 900, 2), 7: (40, 400, 1)})
    browser = dina(team)
    page: Any = browser.get("/distributors/2/levels?level=2&sort=pv&desc=true")
    assert page.status_code == 200
    html = page.text
    assert "Уровень 1" in html and "Уровень 8" in html and "4 человека" in html
    assert 'aria-sort="descending"' in html
    order = [
        int(i) for i in re.findall(r'<a href="/distributors/(\d+)/tree\?kind=placement">P', html)
    ]
    assert order == [6, 7, 5, 8]
    english: Any = None
    browser.post("/language", {"language": "en", "next": "/tree"}, token_from="/tree")
    english = browser.get("/distributors/2/levels?kind=sponsor&level=1")
    assert "My team by level" in english.text and "6 people" in english.text
    empty: Any = browser.get("/distributors/14/levels")
    assert empty.status_code == 200 and "Nobody below yet in this tree." in empty.text


def test_the_picture_reads_a_breadth_first_json_of_the_subtree(team: Api) -> None:
    browser = dina(team)
    page: Any = browser.get("/distributors/2/tree/visual")
    assert page.status_code == 200
    assert 'data-src="/distributors/2/tree/visual.json?kind=placement"' in page.text
    assert "/static/vendor/d3-hierarchy.min.js" in page.text and "<script>" not in page.text
    body = browser.client.get("/distributors/2/tree/visual.json?kind=sponsor").json()
    assert body["root"] == 2 and body["truncated"] is False
    assert [(n["id"], n["parent"]) for n in body["nodes"][:3]] == [(2, None), (3, 2), (4, 2)]
    assert len(body["nodes"]) == 13 and body["nodes"][0]["name"] == "Dina First"


def test_the_tree_in_english(team: Api) -> None:
    browser = dina(team)
    browser.post("/language", {"language": "en", "next": "/tree"}, token_from="/tree")
    html = browser.get("/tree").text  # type: ignore[attr-defined]
    assert "<h1>My team</h1>" in html and "2 people" in html and "Left and right legs" in html
    assert "Find a person by ID or name" in html and "Placement tree" in html
