"""Documents as PDF: a Jinja2 template per kind, rendered in the document's language, then
WeasyPrint writes archival PDF/A-3b.

The same bytes every time: the template sees only the stored data (the frozen JSON, number and
date included), the PDF's creation and modification dates are the issue time (``dcterms``
meta), its identifier is derived by WeasyPrint from the content, and the fonts are the system's
DejaVu faces found through fontconfig (``fonts-dejavu-core``; `tools/print.sh` installs it).
Nothing is fetched: the URL fetcher refuses every URL, the QR code is inline SVG (`segno`), the
stylesheet is inline. The colours and type scale are the web client's (`backend/web/static/
site.css`'s custom properties), so a printed act reads like the statement page.
"""

from __future__ import annotations

import io
import re
import threading
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import segno
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
# The pages' catalogues (the document strings are extracted into them, babel.cfg) and colours.
LOCALE_DIR = HERE.parent / "web" / "locale"
SITE_CSS = HERE.parent / "web" / "static" / "site.css"
BABEL_LOCALE = {"ru": "ru_RU", "en": "en_US"}


class RenderError(RuntimeError):
    """The PDF could not be written (a broken template or data): a bug, never bad input."""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    return message


@cache
def _translations(language: str) -> Translations:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def translate(language: str, message: str) -> str:
    """A catalogue string in the document's language (for words frozen into its data)."""
    return str(_translations(language).gettext(message))


# The agreement's and the offer's texts: CommonMark and tables, raw HTML escaped (an admin's
# text is data, not markup); markdown-it's own link check drops javascript: and the like.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table"])


def text_html(text: str, *, under_heading: bool = False) -> Markup:
    """A versioned text (its placeholders filled) as HTML for a document or a page; on a page
    with its own h1 (``under_heading``) the text's headings move down a level."""
    tokens = _MARKDOWN.parse(text)
    if under_heading:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1:]) + 1, 6)}"
    html: str = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return Markup(html)  # noqa: S704 - markdown-it escapes raw HTML


@cache
def site_variables() -> str:
    """The ``:root`` block of the web client's stylesheet (colours, type scale)."""
    found = re.search(r":root\s*\{[^}]*\}", SITE_CSS.read_text(encoding="utf-8"))
    return found.group(0) if found else ""


def _amount(minor: int, exponent: int, language: str) -> str:
    digits = "0" * exponent
    pattern = "#,##0" + (f".{digits}" if digits else "")
    value = Decimal(minor).scaleb(-exponent)
    return str(format_decimal(value, format=pattern, locale=BABEL_LOCALE[language]))


def _date(value: str, language: str, form: str = "long") -> str:
    day = date.fromisoformat(value[:10])
    return str(format_date(day, format=form, locale=BABEL_LOCALE[language]))


def _rate(rate_bp: int, language: str) -> str:
    return str(format_decimal(Decimal(rate_bp).scaleb(-2), locale=BABEL_LOCALE[language])) + " %"


def _qr(url: str) -> Markup:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=3, border=2, xmldecl=False)
    svg = buffer.getvalue().decode("utf-8")
    return Markup(svg)  # noqa: S704 - segno's own SVG of our URL, no user markup


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(_translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["amount"] = lambda minor, exponent: _amount(int(minor), int(exponent), language)
    env.filters["day"] = lambda value, form="long": _date(str(value), language, form)
    env.filters["rate"] = lambda rate_bp: _rate(int(rate_bp), language)
    env.filters["qr"] = _qr
    env.filters["markdown"] = text_html
    env.globals["site_variables"] = Markup(site_variables())  # noqa: S704 - our stylesheet
    env.globals["print_css"] = Markup((TEMPLATES / "print.css").read_text("utf-8"))  # noqa: S704
    return env


def _refuse(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    raise ValueError(f"documents load nothing at render time (asked for {url})")


def html_of(data: dict[str, Any]) -> str:
    """The document's HTML (the PDF's source) from its stored data."""
    env = environment(str(data["language"]))
    return env.get_template(f"{data['kind']}.html").render(d=data)


_fonts = threading.local()


def _font_config() -> Any:
    """This thread's WeasyPrint font configuration, made once and kept: a configuration made
    per document (WeasyPrint's default) leaves its fonts in native memory, so a process that
    renders thousands of acts grew by ~0.3 MiB an act; kept, it stays flat and renders ~8 %
    faster, with the same bytes (`tests/documents/test_render_memory.py`). One per thread,
    since Pango's font map is not shared across threads."""
    from weasyprint.text.fonts import FontConfiguration

    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def render_pdf(data: dict[str, Any]) -> bytes:
    """The PDF/A-3b of a document from its stored data: the same data, the same bytes."""
    from weasyprint import HTML  # a heavy import (pango, fonts): only where PDFs are made

    issued = datetime.fromisoformat(str(data["issued_at"]))
    stamp = issued.strftime("%Y-%m-%dT%H:%M:%SZ")
    html = html_of(data).replace("__ISSUED_AT__", stamp)
    try:
        pdf = HTML(string=html, url_fetcher=_refuse).write_pdf(
            pdf_variant="pdf/a-3b", uncompressed_pdf=False, font_config=_font_config()
        )
    except Exception as exc:  # WeasyPrint raises many kinds; none is the caller's input
        raise RenderError(f"cannot render {data['kind']} {data.get('number')}: {exc}") from exc
    if not isinstance(pdf, bytes):
        raise RenderError("WeasyPrint wrote no PDF")
    return pdf
