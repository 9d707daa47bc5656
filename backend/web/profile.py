"""The profile: the account, a partner's contacts, payout wallet, referral link and public
card, the language and the password. Each form posts to its own address and comes back with
its errors next to its fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from backend.accounts import service as accounts
from backend.accounts.models import PasswordChange
from backend.cards import service as cards
from backend.cards.models import TextStatus
from backend.core.db import SessionDep
from backend.core.errors import Conflict, Invalid
from backend.genealogy.cards import card_of
from backend.genealogy.distributors import update_distributor
from backend.genealogy.models import DistributorUpdate
from backend.web.cards import card_url, public_base
from backend.web.deps import NowDep, SettingsDep
from backend.web.i18n import N_
from backend.web.render import PageUser, render
from backend.web.sessions import check_csrf, start_session

CsrfChecked = [Depends(check_csrf)]
SAVED = {
    "contacts": N_("Your contacts are saved."),
    "wallet": N_("Your payout wallet is saved."),
    "card": N_("Your card is saved."),
}
CONTACT_ERRORS = {
    "phone": N_("Enter a phone number: digits, spaces, brackets and a leading +."),
    "email": N_("Enter an e-mail address like name@example.com."),
    "messenger": N_("2 to 64 characters: letters, digits and @ . _ - + : /"),
}
WALLET_ERRORS = {
    "format": N_("A wallet address is 0x followed by 40 hexadecimal characters."),
    "checksum": N_(
        "The capital letters of this address do not match its checksum: there is a typo. "
        "Copy the address from your wallet."
    ),
    "unspendable": N_(
        "Nobody holds the key of this address (zero, burn or reserved): a payout sent there "
        "is lost. Give a wallet you control."
    ),
    "contract": N_(
        "This is one of the company's contracts, not a wallet: a payout sent there is lost."
    ),
    "taken": N_("This wallet belongs to another partner."),
    "password": N_("The password is wrong."),
}
CARD_ERRORS = {
    "alias_length": N_("The address name has 3 to 32 characters."),
    "alias_charset": N_(
        "Use Latin letters, digits and single hyphens, starting with a letter: anna-smirnova."
    ),
    "alias_reserved": N_("This name is reserved by the site. Choose another."),
    "alias_taken": N_("Another partner has this name. Choose another."),
    "alias_missing": N_("Choose the address name of your card to publish it."),
    "too_many_blocks": N_("Choose at most 3 blocks."),
    "unknown_block": N_("A block you chose is no longer offered. Choose again."),
    "text_length": N_("At most 600 characters."),
    "messenger_missing": N_("Add your messenger under Contacts first."),
}
TEXT_STATES = {
    TextStatus.approved: N_("Published on your card."),
    TextStatus.pending: N_(
        "Waiting for the company's approval: it has words that promise income (%(words)s). "
        "Until then your card shows your previous approved text, if any."
    ),
    TextStatus.rejected: N_(
        "The company did not approve this text: it stays off your card. Change it and save again."
    ),
}


def profile(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    changed: Annotated[bool, Query()] = False,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _profile(request, session, settings, user, changed=changed, saved=SAVED.get(saved or ""))


def _profile(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, object] | None = None,
    changed: bool = False,
    saved: str | None = None,
) -> Response:
    card = card_of(session, user, user.distributor_id) if user.distributor_id else None
    partner = cards.card_of(session, user.distributor_id) if user.distributor_id else None
    referral = (
        f"{public_base(request, settings)}/r/{card.distributor.referral_code}" if card else None
    )
    return render(
        request,
        "profile.html",
        status_code=status_code,
        here="/profile",  # after a refused POST too: the language switch comes back here
        card=card,
        partner=partner,
        card_counts=cards.card_counts(session, user.distributor_id)
        if user.distributor_id
        else None,
        blocks=cards.list_blocks(session, active_only=True) if card else [],
        referral_link=referral,
        card_link=card_url(request, settings, partner.alias) if partner and partner.alias else None,
        text_states=TEXT_STATES,
        errors=errors or {},
        form=form or {},
        changed=changed,
        saved=saved,
    )


def _saved(what: str) -> Response:
    return RedirectResponse(f"/profile?saved={what}#{what}", status_code=303)


def save_contacts(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    phone: Annotated[str, Form(max_length=100)] = "",
    email: Annotated[str, Form(max_length=300)] = "",
    messenger: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    assert user.distributor_id is not None  # the policy lets only distributors post here
    form: dict[str, object] = {"phone": phone, "email": email, "messenger": messenger}
    errors: dict[str, str] = {}
    try:
        update = DistributorUpdate(phone=phone.strip() or None, email=email.strip() or None)
    except ValidationError as invalid:
        for problem in invalid.errors():
            field = str(problem["loc"][0])
            errors[field] = CONTACT_ERRORS.get(field, CONTACT_ERRORS["phone"])
    try:
        cards.clean_messenger(messenger)
    except Invalid:
        errors["messenger"] = CONTACT_ERRORS["messenger"]
    if errors:
        return _profile(request, session, settings, user, status_code=422, errors=errors, form=form)
    update_distributor(session, user.distributor_id, update, actor=user, settings=settings)
    cards.set_messenger(session, user, messenger, now=now)
    return _saved("contacts")


def save_wallet(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    wallet: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    assert user.distributor_id is not None
    form: dict[str, object] = {"wallet": wallet}
    problem = None
    try:
        update = DistributorUpdate(wallet=wallet.strip() or None)
    except ValidationError as invalid:
        kind = invalid.errors()[0]
        if kind["type"] == "wallet_not_payable":
            problem = "unspendable"
        elif "checksum" in kind["msg"]:
            problem = "checksum"
        else:
            problem = "format"
    if problem is not None:
        errors = {"wallet": WALLET_ERRORS[problem]}
        return _profile(request, session, settings, user, status_code=422, errors=errors, form=form)
    try:
        accounts.confirm_password(user, password)
    except Invalid:
        errors = {"wallet_password": WALLET_ERRORS["password"]}
        return _profile(request, session, settings, user, status_code=422, errors=errors, form=form)
    try:
        update_distributor(
            session, user.distributor_id, update, actor=user, settings=settings, now=now
        )
    except (Invalid, Conflict) as refused:
        session.rollback()
        which = "contract" if refused.code == "wallet_not_payable" else "taken"
        errors = {"wallet": WALLET_ERRORS[which]}
        return _profile(request, session, settings, user, status_code=422, errors=errors, form=form)
    return _saved("wallet")


def save_card(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    alias: Annotated[str, Form(max_length=100)] = "",
    enabled: Annotated[bool, Form()] = False,
    show_email: Annotated[bool, Form()] = False,
    show_phone: Annotated[bool, Form()] = False,
    show_messenger: Annotated[bool, Form()] = False,
    block_ids: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI copies the default
    free_text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    data = cards.CardSettings(
        alias=alias,
        enabled=enabled,
        show_email=show_email,
        show_phone=show_phone,
        show_messenger=show_messenger,
        block_ids=block_ids,
        free_text=free_text,
    )
    try:
        cards.update_card(session, user, data, now=now)
    except Invalid as refused:
        field = (
            refused.details.get("field", "alias") if isinstance(refused.details, dict) else "alias"
        )
        message = CARD_ERRORS.get(refused.code, CARD_ERRORS["alias_charset"])
        form: dict[str, object] = {"card": data}
        return _profile(
            request, session, settings, user, status_code=422, errors={field: message}, form=form
        )
    return _saved("card")


def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    now: NowDep,
    current_password: Annotated[str, Form(max_length=128)] = "",
    new_password: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    try:
        change = PasswordChange(current_password=current_password, new_password=new_password)
    except ValidationError:
        errors = {"new_password": N_("The new password needs at least 8 characters.")}
        return _profile(request, session, settings, user, status_code=422, errors=errors)
    try:
        accounts.change_password(session, user, change, now=now)
    except Invalid:
        errors = {"current_password": N_("The current password is wrong.")}
        return _profile(request, session, settings, user, status_code=422, errors=errors)
    # Every other session of the account has ended; this browser gets a fresh one.
    response = RedirectResponse("/profile?changed=1", status_code=303)
    start_session(request, response, session, user, now=now)
    return response


def add_profile_pages(router: APIRouter) -> None:
    router.add_api_route("/profile", profile, methods=["GET"])
    for path, handler in (
        ("/profile/password", change_password),
        ("/profile/contacts", save_contacts),
        ("/profile/wallet", save_wallet),
        ("/profile/card", save_card),
    ):
        router.add_api_route(path, handler, methods=["POST"], dependencies=CsrfChecked)
