"""The partner's public card (`/p/<alias>`, its vCard and QR code), the referral link
(`/r/<code>`), "Join my team" (`/join`), and the admins' page for pitch blocks and held texts.

The sponsor of a visitor is kept in a 30-day cookie, set when they open a card or a referral
link, and shown on the sign-up form so they can check it. The form's sponsor is decided by
its signed one-time token, not by the cookie (`backend.cards.signup`)."""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from backend.accounts import service as accounts
from backend.cards import service as cards
from backend.cards import signup
from backend.cards.models import CardBlockCreate, CardBlockUpdate
from backend.cards.vcard import VCardPerson, vcard
from backend.core.config import Settings
from backend.core.db import SessionDep
from backend.core.errors import AppError, Conflict, Invalid, NotFound, TooManyRequests
from backend.core.types import MAX_ID
from backend.genealogy.models import DistributorCreate
from backend.web.admin_tabs import ADMIN_TABS
from backend.web.deps import ClientAddressDep, NowDep, SettingsDep, TreesDep
from backend.web.i18n import N_
from backend.web.render import PageUser, check_id, language_of, render
from backend.web.sessions import check_csrf, cookie_flags, set_language_cookie, start_session

SPONSOR_COOKIE = "lineage_sponsor"
SPONSOR_DAYS = 30
CsrfChecked = [Depends(check_csrf)]

SIGNUP_REFUSALS = {
    "form_invalid": N_("This form did not come from this page. Fill in the form below again."),
    "form_used": N_("This form was sent already. Fill in the form below again."),
    "form_too_fast": N_(
        "The form came back faster than a person can fill it in. Wait a few seconds and send "
        "it again."
    ),
    "form_expired": N_("The form was open for too long. Send it again now."),
}
SIGNUP_FIELD_ERRORS = {
    "first_name": N_("Enter your first name."),
    "last_name": N_("Enter your last name."),
    "email": N_("Enter an e-mail address like name@example.com."),
    "phone": N_("Enter a phone number: digits, spaces, brackets and a leading +."),
    "password": N_("The password needs at least 8 characters."),
    "consent": N_("Tick the box to let the company keep your details."),
}
EMAIL_TAKEN = N_("An account with this e-mail exists. Log in instead.")
TOO_MANY = N_("Too many sign-ups from your network. Try again in an hour.")
SPONSOR_CLOSED = N_("This partner cannot take new people now. Ask them for another link.")


def public_base(request: Request, settings: Settings) -> str:
    """The site's public address: the setting, else the address this request came to."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def card_url(request: Request, settings: Settings, alias: str) -> str:
    return f"{public_base(request, settings)}/p/{alias}"


def remember_sponsor(request: Request, response: Response, code: str) -> None:
    max_age = SPONSOR_DAYS * 24 * 3600
    response.set_cookie(SPONSOR_COOKIE, code, max_age=max_age, **cookie_flags(request))


# -- the public card -------------------------------------------------------------------------


def card_page(request: Request, session: SessionDep, settings: SettingsDep, alias: str) -> Response:
    found = cards.public_card(session, alias[:64])
    person = found.distributor
    user = request.state.page_user
    own = user is not None and user.distributor_id == person.id
    # A browser that already carries this sponsor came back: one visitor, one visit a month.
    if not own and request.cookies.get(SPONSOR_COOKIE) != person.referral_code:
        cards.count_visit(session, found.card.distributor_id)
    url = card_url(request, settings, found.card.alias or alias)
    response = render(
        request,
        "card_public.html",
        c=found.card,
        person=person,
        blocks=found.blocks,
        url=url,
        own=own,
    )
    if not own:
        remember_sponsor(request, response, person.referral_code)
    return response


def card_vcard(
    request: Request, session: SessionDep, settings: SettingsDep, alias: str
) -> Response:
    found = cards.public_card(session, alias[:64])
    c, person = found.card, found.distributor
    text = vcard(
        VCardPerson(
            first_name=person.first_name,
            last_name=person.last_name,
            url=card_url(request, settings, c.alias or alias),
            email=person.email if c.show_email else None,
            phone=person.phone if c.show_phone else None,
            note=c.messenger if c.show_messenger else None,
        )
    )
    return Response(
        text.encode(),
        media_type="text/vcard; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{c.alias}.vcf"'},
    )


def card_qr(request: Request, session: SessionDep, settings: SettingsDep, alias: str) -> Response:
    found = cards.public_card(session, alias[:64])
    url = card_url(request, settings, found.card.alias or alias)
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=6, border=4, xmldecl=False, title=url, light="#fff"
    )
    return Response(
        out.getvalue(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=600"},
    )


# -- referral link and sign-up ---------------------------------------------------------------


def referral(request: Request, session: SessionDep, code: str) -> Response:
    sponsor = signup.sponsor_by_code(session, code[:32])
    card = cards.card_of(session, sponsor.id)
    target = (
        f"/p/{card.alias}"
        if card is not None and card.enabled and card.alias
        else f"/join?ref={sponsor.referral_code}"
    )
    response = RedirectResponse(target, status_code=303)
    remember_sponsor(request, response, sponsor.referral_code)
    return response


def _sponsor_of(request: Request, session: SessionDep, code: str | None) -> signup.Sponsor | None:
    code = code or request.cookies.get(SPONSOR_COOKIE)
    if not code:
        return None
    try:
        return signup.sponsor_by_code(session, code[:32])
    except NotFound:
        return None


def _join_form(
    request: Request,
    sponsor: signup.Sponsor | None,
    *,
    now: Any,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    bad_link: bool = False,
) -> Response:
    token = signup.issue_token(request.app.state.jwt_secret, sponsor.id, now=now) if sponsor else ""
    response = render(
        request,
        "join.html",
        status_code=status_code,
        here=f"/join?ref={sponsor.referral_code}" if sponsor else "/join",
        sponsor=sponsor,
        form_token=token,
        form=form or {},
        errors=errors or {},
        refusal=refusal,
        bad_link=bad_link,
    )
    if sponsor is not None:
        remember_sponsor(request, response, sponsor.referral_code)
    return response


def join_page(
    request: Request,
    session: SessionDep,
    now: NowDep,
    ref: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    sponsor = _sponsor_of(request, session, ref)
    bad_link = ref is not None and sponsor is None
    return _join_form(
        request, sponsor, now=now, status_code=404 if bad_link else 200, bad_link=bad_link
    )


def join(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    trees: TreesDep,
    now: NowDep,
    client_address: ClientAddressDep,
    form_token: Annotated[str, Form(max_length=200)] = "",
    ref: Annotated[str, Form(max_length=32)] = "",
    first_name: Annotated[str, Form(max_length=200)] = "",
    last_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    consent: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    shown = _sponsor_of(request, session, ref or None)
    if request.state.page_user is not None:
        return _join_form(request, shown, now=now)
    try:
        sponsor_id = signup.redeem_token(
            session, request.app.state.jwt_secret, form_token, settings=settings, now=now
        )
        if shown is not None and shown.id != sponsor_id:
            raise signup.SignupRefused("the token names another sponsor", code="form_invalid")
    except signup.SignupRefused as refused:
        errors = _check_signup(form | {"password": password, "consent": consent})
        if refused.code == "form_too_fast" and errors:
            # A person who sends a half-filled form at once needs the fields, not the timing.
            return _join_form(request, shown, now=now, status_code=422, form=form, errors=errors)
        return _join_form(
            request,
            shown,
            now=now,
            status_code=400,
            form=form,
            refusal=SIGNUP_REFUSALS[refused.code],
        )
    sponsor = shown or signup.sponsor_by_id(session, sponsor_id)
    errors = _check_signup(form | {"password": password, "consent": consent})
    if errors:
        return _join_form(request, sponsor, now=now, status_code=422, form=form, errors=errors)
    try:
        signup.count_attempt(session, client_address, settings=settings, now=now)
        user = signup.join(
            session,
            signup.Signup(first_name, last_name, email, phone.strip() or None, password),
            sponsor_id=sponsor.id,
            settings=settings,
            trees=trees,
            now=now,
        )
    except TooManyRequests:
        return _join_form(request, sponsor, now=now, status_code=429, form=form, refusal=TOO_MANY)
    except Invalid as refused:
        if refused.code == "email_taken":
            errors = {"email": EMAIL_TAKEN}
            return _join_form(request, sponsor, now=now, status_code=409, form=form, errors=errors)
        raise
    except AppError as refused:  # the sponsor was terminated or waits in a holding tank
        if refused.status_code not in (403, 404, 409):
            raise
        return _join_form(
            request, sponsor, now=now, status_code=409, form=form, refusal=SPONSOR_CLOSED
        )
    language = language_of(request, None)
    accounts.set_language(session, user, language)
    response = RedirectResponse("/home", status_code=303)
    start_session(request, response, session, user, now=now)
    set_language_cookie(request, response, language)
    return response


def _check_signup(values: dict[str, str]) -> dict[str, str]:
    """Field errors of the sign-up form (the enrollment's own model decides)."""
    errors: dict[str, str] = {}
    if values["consent"] != "yes":
        errors["consent"] = SIGNUP_FIELD_ERRORS["consent"]
    try:
        DistributorCreate(
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values["email"].strip() or None,
            phone=values["phone"].strip() or None,
            password=values["password"],
        )
    except ValidationError as invalid:
        for problem in invalid.errors():
            field = str(problem["loc"][0]) if problem["loc"] else ""
            if field in SIGNUP_FIELD_ERRORS:
                errors.setdefault(field, SIGNUP_FIELD_ERRORS[field])
    if not values["email"].strip():
        errors["email"] = SIGNUP_FIELD_ERRORS["email"]
    if not values["password"].strip():
        errors["password"] = SIGNUP_FIELD_ERRORS["password"]
    return errors


# -- the admins' page ------------------------------------------------------------------------

REVIEW_NOTICES = {
    "approved": N_("The text is published on the card."),
    "rejected": N_("The text is rejected: it stays off the card."),
    "stale": N_("The partner changed the text since you opened this page. Read it again."),
    "block_added": N_("The block is added: partners can choose it now."),
    "block_changed": N_("The block is changed."),
}
BLOCK_ERROR = N_("Write the block in both languages, at most 400 characters each.")


def admin_cards(
    request: Request,
    session: SessionDep,
    user: PageUser,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _admin_page(request, session, notice=REVIEW_NOTICES.get(done or ""))


def _admin_page(
    request: Request,
    session: SessionDep,
    *,
    status_code: int = 200,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    pending = cards.pending_texts(session, offset=0, limit=100)
    return render(
        request,
        "admin_cards.html",
        status_code=status_code,
        here="/admin/cards",
        tabs=ADMIN_TABS,
        pending=pending,
        blocks=cards.list_blocks(session, active_only=False),
        notice=notice,
        errors=errors or {},
        form=form or {},
    )


def _decide(
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    distributor_id: int,
    revision: int,
    *,
    approve: bool,
) -> Response:
    check_id(distributor_id)
    try:
        cards.decide(
            session, distributor_id, revision=revision, approve=approve, actor=user, now=now
        )
    except Conflict:
        return RedirectResponse("/admin/cards?done=stale", status_code=303)
    done = "approved" if approve else "rejected"
    return RedirectResponse(f"/admin/cards?done={done}", status_code=303)


def approve_text(
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    distributor_id: int,
    revision: Annotated[int, Form(ge=0, le=MAX_ID)],
) -> Response:
    return _decide(session, user, now, distributor_id, revision, approve=True)


def reject_text(
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    distributor_id: int,
    revision: Annotated[int, Form(ge=0, le=MAX_ID)],
) -> Response:
    return _decide(session, user, now, distributor_id, revision, approve=False)


def add_block(
    request: Request,
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    text_ru: Annotated[str, Form(max_length=2000)] = "",
    text_en: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        data = CardBlockCreate(text_ru=text_ru.strip(), text_en=text_en.strip())
    except ValidationError:
        form = {"text_ru": text_ru, "text_en": text_en}
        return _admin_page(
            request, session, status_code=422, errors={"block": BLOCK_ERROR}, form=form
        )
    cards.add_block(session, data, actor=user, now=now)
    return RedirectResponse("/admin/cards?done=block_added", status_code=303)


def change_block(
    session: SessionDep,
    user: PageUser,
    now: NowDep,
    block_id: int,
    active: Annotated[bool, Form()],
) -> Response:
    check_id(block_id, "card block")
    cards.update_block(session, block_id, CardBlockUpdate(active=active), actor=user, now=now)
    return RedirectResponse("/admin/cards?done=block_changed", status_code=303)


def add_card_pages(router: APIRouter) -> None:
    """Onto the pages' router (its guard and `PAGE_POLICY` apply); the card's files before
    the card, whose `{alias}` would not take a slash anyway."""
    router.add_api_route("/p/{alias}/vcard.vcf", card_vcard, methods=["GET"])
    router.add_api_route("/p/{alias}/qr.svg", card_qr, methods=["GET"])
    router.add_api_route("/p/{alias}", card_page, methods=["GET"])
    router.add_api_route("/r/{code}", referral, methods=["GET"])
    router.add_api_route("/join", join_page, methods=["GET"])
    router.add_api_route("/join", join, methods=["POST"], dependencies=CsrfChecked)
    router.add_api_route("/admin/cards", admin_cards, methods=["GET"])
    for path, handler in (
        ("/admin/cards/{distributor_id}/approval", approve_text),
        ("/admin/cards/{distributor_id}/rejection", reject_text),
        ("/admin/card-blocks", add_block),
        ("/admin/card-blocks/{block_id}", change_block),
    ):
        router.add_api_route(path, handler, methods=["POST"], dependencies=CsrfChecked)
