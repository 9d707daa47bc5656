"""Languages of the pages: the gettext catalogues, one Jinja2 environment per language, and the
formatting filters (money, numbers, dates) for that language.

The catalogues are read from the `.po` files and compiled in memory when the app starts (a few
milliseconds): there is no `.mo` file to forget to rebuild, so a page never shows an older
translation than the catalogue in the repository.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache, partial
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from backend.core.model_base import Language
from backend.core.money import format_money, format_points

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
TEMPLATE_DIR = HERE / "templates"
DEFAULT_LANGUAGE = Language.ru
BABEL_LOCALE = {Language.ru: "ru_RU", Language.en: "en_US"}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Marks a message for extraction; the template translates it when it renders."""
    return message


def parse_language(value: str | None) -> Language | None:
    try:
        return Language(value) if value else None
    except ValueError:
        return None


@cache
def load_translations(language: Language) -> Translations:
    path = LOCALE_DIR / language.value / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language.value)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def _date(value: date | datetime | str | None, *, locale: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # an ISO date as the API shapes carry it
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        return format_date(value.date(), format="long", locale=locale)
    return format_date(value, format="long", locale=locale)


def _datetime(value: datetime | None, *, locale: str) -> str:
    return "" if value is None else format_datetime(value, format="medium", locale=locale)


def _ppm(value: int, *, locale: str) -> str:
    """A rate in parts per million as a percentage: 200000 is ``20 %``, 12500 ``1,25 %``."""
    number = format_decimal(Decimal(value).scaleb(-4), format="#,##0.####", locale=locale)
    return f"{number}\u00a0%"


def build_environments() -> dict[Language, Environment]:
    """One environment per language: its translations installed (ngettext with the language's
    plural forms) and its formatting filters."""
    environments = {}
    loader = FileSystemLoader(TEMPLATE_DIR)
    for language in Language:
        env = Environment(
            loader=loader,
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(load_translations(language), newstyle=True)  # type: ignore[attr-defined]
        locale = BABEL_LOCALE[language]
        env.filters["money"] = partial(format_money, locale=language.value)
        env.filters["points"] = partial(format_points, locale=language.value)
        env.filters["date"] = partial(_date, locale=locale)
        env.filters["datetime"] = partial(_datetime, locale=locale)
        env.filters["ppm"] = partial(_ppm, locale=locale)
        env.globals["lang"] = language.value
        environments[language] = env
    return environments
