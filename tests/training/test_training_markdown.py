"""Lesson Markdown renders to HTML a page can include as it is."""

from __future__ import annotations

import pytest

from backend.training.markdown import render_lesson


def test_headings_move_down_one_level() -> None:
    html = render_lesson("# Lesson\n\n## Part\n\n##### Five\n\n###### Six\n")
    assert html == "<h2>Lesson</h2>\n<h3>Part</h3>\n<h6>Five</h6>\n<h6>Six</h6>\n"


def test_raw_html_is_escaped_not_passed_through() -> None:
    html = render_lesson('Hi <script>alert(1)</script> <img src=x onerror="alert(1)">\n')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[a](https://example.org/x)", "https://example.org/x"),
        ("[a](http://example.org/x)", "http://example.org/x"),
        ("[a](mailto:help@example.org)", "mailto:help@example.org"),
        ("[a](../plan-video)", "../plan-video"),
        ("[a](#part)", "#part"),
        ("<https://example.org>", "https://example.org"),
    ],
)
def test_safe_links_are_kept(source: str, href: str) -> None:
    assert f'href="{href}"' in render_lesson(source)


@pytest.mark.parametrize(
    "source",
    [
        "[a](javascript:alert(1))",
        "[a](JavaScript:alert(1))",
        "[a](jav&#x61;script:alert(1))",
        "<javascript:alert(1)>",
        "[a](vbscript:msgbox)",
        "[a](file:///etc/passwd)",
        "[a](ftp://example.org)",
        "![i](data:image/png;base64,AAAA)",
        "[a][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_other_schemes_are_left_as_text(source: str) -> None:
    html = render_lesson(source)
    assert "href=" not in html and "src=" not in html


def test_tables_and_emphasis_render() -> None:
    html = render_lesson("| a | b |\n|---|---|\n| 1 | 2 |\n\n**bold** ~~old~~\n")
    assert "<table>" in html and "<td>2</td>" in html
    assert "<strong>bold</strong>" in html and "<s>old</s>" in html
