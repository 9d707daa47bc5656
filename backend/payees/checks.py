"""Checking a payout profile before it is recorded: pure (no database, no clock).

The Russian check-digit rules (INN, BIK, settlement and correspondent accounts against the BIK)
are `backend.core.ru_checks`'; this module says what a payout profile needs of them: an INN of
10 digits for a company and 12 for a person (individual, self-employed, sole proprietor),
required of everyone but a private individual, and the bank details the bank rail needs.

`check` returns every problem at once, each naming its field with a stable `code` (what a form
translates) and an English sentence (what the API says).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.core import ru_checks
from backend.payees.models import PayeeDetails, PayoutRail, TaxStatus

BANK_NAME_MAX = 200
# Who must give an INN: everyone but a private individual (the company, as their tax agent,
# may report them without one).
INN_REQUIRED = frozenset({TaxStatus.self_employed, TaxStatus.sole_proprietor, TaxStatus.company})


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str


def normalized(details: PayeeDetails) -> PayeeDetails:
    """Spaces removed from the numbers (people paste ``4081 7810 ...``), empty strings as
    absent, the bank name trimmed."""

    def number(value: str | None) -> str | None:
        cleaned = "".join((value or "").split())
        return cleaned or None

    return details.model_copy(
        update={
            "inn": number(details.inn),
            "bank_account": number(details.bank_account),
            "bik": number(details.bik),
            "corr_account": number(details.corr_account),
            "bank_name": " ".join((details.bank_name or "").split()) or None,
        }
    )


def check(details: PayeeDetails) -> list[FieldError]:
    """Every problem of these (normalized) details on their own, field by field."""
    errors: list[FieldError] = []
    errors += _check_inn(details.inn, details.tax_status)
    errors += _check_bank(details, required=details.rail == PayoutRail.bank)
    if details.bank_name is not None and len(details.bank_name) > BANK_NAME_MAX:
        errors.append(
            FieldError(
                "bank_name", "bank_name_length", f"bank_name: at most {BANK_NAME_MAX} characters"
            )
        )
    return errors


def check_rail(rail: PayoutRail, *, wallet: str | None) -> FieldError | None:
    """What the stored record must already hold for the rail: a token payout goes to the
    distributor's registered wallet."""
    if rail == PayoutRail.token and wallet is None:
        return FieldError(
            "rail",
            "wallet_missing",
            "rail: a token payout needs a registered wallet; register one first (PATCH "
            "/api/distributors/{id} with `wallet`) or choose the bank rail",
        )
    return None


def _check_inn(inn: str | None, status: TaxStatus) -> list[FieldError]:
    company = status == TaxStatus.company
    if inn is None:
        if status in INN_REQUIRED:
            return [
                FieldError("inn", "inn_missing", f"inn: required for the tax status {status.value}")
            ]
        return []
    if not inn.isascii() or not inn.isdigit():
        return [FieldError("inn", "inn_not_digits", "inn: digits only")]
    if company and len(inn) != 10:
        return [
            FieldError(
                "inn", "inn_length_company", f"inn: a company's INN has 10 digits, not {len(inn)}"
            )
        ]
    if not company and len(inn) != 12:
        return [
            FieldError(
                "inn", "inn_length_person", f"inn: a person's INN has 12 digits, not {len(inn)}"
            )
        ]
    if ru_checks.inn_problem(inn) is not None:
        return [
            FieldError("inn", "inn_checksum", "inn: the check digits do not match: there is a typo")
        ]
    return []


def _check_bank(details: PayeeDetails, *, required: bool) -> list[FieldError]:
    """The bank details: all required for the bank rail; on the token rail those given are
    checked all the same (kept for a later switch to the bank)."""
    errors: list[FieldError] = []
    bik, account, corr = details.bik, details.bank_account, details.corr_account
    bik_ok = False
    if bik is None:
        if required:
            errors.append(FieldError("bik", "bik_missing", "bik: required for a bank payout"))
    elif ru_checks.bik_problem(bik) is not None:
        errors.append(FieldError("bik", "bik_format", "bik: 9 digits starting with 04"))
    else:
        bik_ok = True
    if account is None:
        if required:
            errors.append(
                FieldError(
                    "bank_account", "account_missing", "bank_account: required for a bank payout"
                )
            )
    elif ru_checks.account_problem(account) is not None:
        errors.append(FieldError("bank_account", "account_format", "bank_account: 20 digits"))
    elif bik_ok and ru_checks.account_problem(account, bik) is not None:
        errors.append(
            FieldError(
                "bank_account",
                "account_checksum",
                "bank_account: its control digit does not match the BIK: one of them has a typo",
            )
        )
    if corr is None:
        if required:
            errors.append(
                FieldError(
                    "corr_account", "corr_missing", "corr_account: required for a bank payout"
                )
            )
    elif ru_checks.corr_account_problem(corr) is not None or not corr.startswith("30101"):
        errors.append(
            FieldError("corr_account", "corr_format", "corr_account: 20 digits starting with 30101")
        )
    elif bik_ok and ru_checks.corr_account_problem(corr, bik) is not None:
        errors.append(
            FieldError(
                "corr_account",
                "corr_checksum",
                "corr_account: its control digit does not match the BIK: one of them has a typo",
            )
        )
    return errors
