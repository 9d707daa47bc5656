"""The texts of the partner agreement and the commercial offer in the admin's office
(`/admin/templates`): each kind's current version, its editor (Russian and English Markdown
with the placeholders the renderer fills, listed beside it) and its versions. Publishing calls
`backend.documents.versions.publish`: an unchanged text publishes nothing, an unknown
placeholder is refused next to its language's text by name, a new version is logged
(``template_published``) and asks every partner for a new acceptance of the agreement."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from backend.admin_log import service as admin_log
from backend.core.db import SessionDep
from backend.core.errors import Invalid
from backend.core.model_base import Language
from backend.documents import versions
from backend.documents.models import TemplateKind
from backend.web.admin_forms import add_routes, redirect_done
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import NowDep
from backend.web.i18n import N_
from backend.web.render import PageUser, render

Kind = Annotated[TemplateKind, Path()]
Body = Annotated[str, Form(max_length=versions.MAX_TEXT + 1000)]
KIND_NAMES = {
    TemplateKind.agreement: N_("Partner agreement"),
    TemplateKind.offer: N_("Commercial offer"),
}
DONE = {
    "published": N_("The new version is published."),
    "unchanged": N_("Nothing changed: the texts are those of the current version."),
}
ERRORS = {
    "text_empty": N_("The text is empty."),
    "text_too_long": N_("The text is too long."),
    "unknown_placeholder": N_(
        "Unknown placeholder: %(names)s. Use only those listed beside the editor."
    ),
}


def templates_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    kinds = [(kind, versions.history(session, kind)) for kind in TemplateKind]
    emails = admin_log.actor_emails(
        session, (rows[0].published_by for _kind, rows in kinds if rows)
    )
    return render(
        request,
        "admin_templates.html",
        tabs=ADMIN_TABS,
        kinds=kinds,
        kind_names=KIND_NAMES,
        emails=emails,
    )


def template_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    kind: Kind,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    history = versions.history(session, kind)
    texts = {
        Language.ru: history[0].body_ru if history else "",
        Language.en: history[0].body_en if history else "",
    }
    return _editor(request, session, kind, texts, notice=DONE.get(done or ""))


def _editor(
    request: Request,
    session: Session,
    kind: TemplateKind,
    texts: dict[Language, str],
    *,
    status_code: int = 200,
    errors: dict[str, Any] | None = None,
    notice: str | None = None,
) -> Response:
    history = versions.history(session, kind)
    return render(
        request,
        "admin_template.html",
        status_code=status_code,
        tabs=ADMIN_TABS,
        kind=kind,
        kind_name=KIND_NAMES[kind],
        texts=texts,
        placeholders=versions.PLACEHOLDERS[kind],
        history=history,
        emails=admin_log.actor_emails(session, (row.published_by for row in history)),
        errors=errors or {},
        notice=notice,
    )


def publish_template(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    kind: Kind,
    body_ru: Body = "",
    body_en: Body = "",
) -> Response:
    texts = {Language.ru: body_ru, Language.en: body_en}
    try:
        _row, new = versions.publish(session, kind, texts, actor=user, now=now)
    except Invalid as refused:
        session.rollback()
        details = refused.details if isinstance(refused.details, dict) else {}
        names = ", ".join("{{" + name + "}}" for name in details.get("unknown", []))
        field = f"body_{details.get('language', 'ru')}"
        error = {"text": ERRORS.get(refused.code, refused.message), "values": {"names": names}}
        return _editor(request, session, kind, texts, status_code=422, errors={field: error})
    return redirect_done(f"/admin/templates/{kind.value}", "published" if new else "unchanged")


def add_admin_template_pages(router: APIRouter) -> None:
    add_routes(
        router,
        pages=[
            ("/admin/templates", templates_page),
            ("/admin/templates/{kind}", template_page),
        ],
        forms=[("/admin/templates/{kind}", publish_template)],
    )
