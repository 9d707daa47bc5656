"""The company's details (реквизиты): what a payment order, an act or a bank file names as the
payer. An admin sets them on the admin page; each is a row of `company_requisite` and each
change an entry of the admin log (``setting_changed``, target ``setting:requisites.<name>``,
old and new value). A detail not given is ``None``: a document that needs it refuses with the
list `missing` returns, never with a half-filled form.

Checks (`backend.core.ru_checks`): INN 10 digits (an organisation) or 12 (an individual
entrepreneur) with its check digits, KPP (required with a 10-digit INN), OGRN or OGRNIP, BIK,
the settlement and correspondent accounts with their keys against the BIK; ``vat_payer`` is
"yes" or "no" (`VAT_PAYER`: whether the company charges VAT, which decides the UPD's status).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import partial

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.admin_log import service as admin_log
from backend.company.models import REQUISITES, VAT_PAYER, CompanyRequisite
from backend.core import ru_checks
from backend.core.db import begin_write
from backend.core.errors import Invalid
from backend.core.model_base import now_utc

#: Details written as digits (spaces people type between groups are dropped).
DIGITS = ("inn", "kpp", "ogrn", "bik", "account", "corr_account")
#: The longest text each free-text detail may hold.
MAX_TEXT = {
    "legal_name": 300,
    "legal_address": 300,
    "bank_name": 200,
    "director": 120,
    "chief_accountant": 120,
}
#: What a payment order needs of the payer (and ``kpp`` with a 10-digit INN: `payer_needs`).
PAYER = ("legal_name", "inn", "account", "bank_name", "bik", "corr_account")


@dataclass(frozen=True)
class CompanyRequisites:
    legal_name: str | None = None
    inn: str | None = None
    kpp: str | None = None
    ogrn: str | None = None
    legal_address: str | None = None
    bank_name: str | None = None
    bik: str | None = None
    account: str | None = None
    corr_account: str | None = None
    director: str | None = None
    chief_accountant: str | None = None
    vat_payer: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


@dataclass(frozen=True)
class RequisiteState:
    """One detail as the admin page shows it: its value and who set it when."""

    name: str
    value: str | None
    changed_by: str | None = None
    changed_at: datetime | None = None


def requisites(session: Session) -> CompanyRequisites:
    """The company's details as they stand."""
    rows = session.exec(select(CompanyRequisite)).all()
    return CompanyRequisites(**{row.name: row.value for row in rows if row.name in REQUISITES})


def missing(given: CompanyRequisites, needed: Iterable[str]) -> list[str]:
    """The names in ``needed`` (in that order) whose detail is not given."""
    values = given.as_dict()
    unknown = [name for name in needed if name not in values]
    if unknown:
        raise ValueError(f"not company details: {', '.join(unknown)}")
    return [name for name in needed if not values[name]]


def payer_needs(given: CompanyRequisites) -> tuple[str, ...]:
    """What a payment order needs of the company as payer: `PAYER`, and the KPP for an
    organisation (a 10-digit INN, or no INN yet)."""
    return PAYER + (("kpp",) if given.inn is None or len(given.inn) == 10 else ())


def states(session: Session) -> list[RequisiteState]:
    """Every detail, in `REQUISITES` order, with who set it when."""
    rows = {row.name: row for row in session.exec(select(CompanyRequisite))}
    emails = admin_log.actor_emails(session, (row.changed_by for row in rows.values()))
    shown: list[RequisiteState] = []
    for name in REQUISITES:
        row = rows.get(name)
        if row is None:
            shown.append(RequisiteState(name, None))
        else:
            by = emails.get(row.changed_by) if row.changed_by is not None else None
            shown.append(RequisiteState(name, row.value, by, row.changed_at))
    return shown


def normalised(name: str, raw: str) -> str | None:
    """The value ``raw`` (as typed) means for detail ``name``: ``None`` when empty."""
    if name in DIGITS:
        text = re.sub(r"[\s\u00a0\u202f\u2009]", "", raw).upper()
    elif name == "vat_payer":
        text = raw.strip().lower()
    else:
        text = " ".join(raw.split())
    return text or None


def problems(values: Mapping[str, str | None]) -> dict[str, str]:
    """What is wrong with a full set of (normalised) details, by name: ``format``,
    ``checksum``, ``too_long``, ``kpp_required`` (a 10-digit INN without KPP) or
    ``kpp_not_allowed`` (a KPP with a person's 12-digit INN), ``choice`` (``vat_payer`` other
    than yes or no). Empty details are not problems."""
    found: dict[str, str] = {}
    vat_payer = values.get("vat_payer")
    if vat_payer is not None and vat_payer not in VAT_PAYER:
        found["vat_payer"] = "choice"
    for name, limit in MAX_TEXT.items():
        value = values.get(name)
        if value is not None and len(value) > limit:
            found[name] = "too_long"
    bik = values.get("bik")
    if bik is not None and (problem := ru_checks.bik_problem(bik)):
        found["bik"] = problem
    checks: dict[str, Callable[[str], str | None]] = {
        "inn": ru_checks.inn_problem,
        "kpp": ru_checks.kpp_problem,
        "ogrn": ru_checks.ogrn_problem,
        "account": partial(ru_checks.account_problem, bik=bik),
        "corr_account": partial(ru_checks.corr_account_problem, bik=bik),
    }
    for name, check in checks.items():
        value = values.get(name)
        if value is not None and (problem := check(value)):
            found[name] = problem
    inn, kpp = values.get("inn"), values.get("kpp")
    if "inn" not in found and "kpp" not in found and inn is not None:
        if len(inn) == 10 and kpp is None:
            found["kpp"] = "kpp_required"
        elif len(inn) == 12 and kpp is not None:
            found["kpp"] = "kpp_not_allowed"
    return found


def validated(raw: Mapping[str, str]) -> dict[str, str | None]:
    """Every detail from a form (a name absent from ``raw`` is empty), normalised; `Invalid`
    (code ``requisites``, ``details`` = `problems`) when any is wrong."""
    unknown = sorted(set(raw) - set(REQUISITES))
    if unknown:
        raise Invalid(f"not company details: {', '.join(unknown)}", code="unknown_requisite")
    values = {name: normalised(name, raw.get(name, "")) for name in REQUISITES}
    found = problems(values)
    if found:
        listed = ", ".join(f"{name} ({code})" for name, code in found.items())
        raise Invalid(f"wrong company details: {listed}", code="requisites", details=found)
    return values


def change(
    session: Session, raw: Mapping[str, str], *, actor: User, now: datetime | None = None
) -> list[str]:
    """Set every detail to what the form ``raw`` holds (all validated together: the accounts'
    keys depend on the BIK), logging each one that changes with its old and new value; the
    names changed, in `REQUISITES` order (nothing written when none did)."""
    values = validated(raw)
    begin_write(session)
    rows = {row.name: row for row in session.exec(select(CompanyRequisite))}
    at = now or now_utc()
    changed: list[str] = []
    for name in REQUISITES:
        row, value = rows.get(name), values[name]
        old = row.value if row is not None else None
        if old == value:
            continue
        if value is None:
            session.delete(row)
        elif row is None:
            session.add(
                CompanyRequisite(name=name, value=value, changed_by=actor.id, changed_at=at)
            )
        else:
            row.value, row.changed_by, row.changed_at = value, actor.id, at
            session.add(row)
        admin_log.setting_changed(session, f"requisites.{name}", old, value, actor=actor, now=at)
        changed.append(name)
    if not changed:
        session.rollback()
        return []
    session.commit()
    return changed
