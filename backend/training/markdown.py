"""Lesson Markdown to HTML that is safe to put into a page as it is.

Lessons come from the repository today and from an admin's editor later, so the renderer trusts
neither: raw HTML is escaped, not passed through, and a link or image goes out only to
http(s), mailto or a relative address (no `javascript:`, `data:`, `file:`...; such a link is
left as text). A lesson's `#` is the lesson's own heading under the page's h1, so headings move
down one level (`#` -> h2, ... `######` stays h6).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from markdown_it import MarkdownIt

__all__ = ["render_lesson"]

_SCHEMES = frozenset({"", "http", "https", "mailto"})


class _LessonMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # markdown-it's name for the hook
        # The url is normalised here (entities decoded, percent-encoded); urlsplit also drops
        # the tabs and newlines a browser would ignore inside `java\tscript:`.
        try:
            scheme = urlsplit(url.strip()).scheme.lower()
        except ValueError:
            return False
        return scheme in _SCHEMES


_MD = _LessonMarkdown("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_lesson(text: str) -> str:
    """The lesson's HTML: CommonMark plus tables and strikethrough, no raw HTML."""
    tokens = _MD.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1:]) + 1, 6)}"
    html: str = _MD.renderer.render(tokens, _MD.options, {})
    return html
