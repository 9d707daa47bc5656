"""Checking a payout profile before it is recorded: pure (no database, no clock).

The Russian check-digit rules:

- INN (ИНН): a company's has 10 digits, the 10th a check digit; a person's (individual,
  self-employed, sole proprietor) has 12, the last two check digits. Each check digit is the
  weighted sum of the digits before it, mod 11, mod 10.
- BIK (БИК): 9 digits starting with ``04`` (Russia).
- Settlement account (расчётный счёт): 20 digits; the last 3 BIK digits followed by the 20 account
  digits, weighted 7, 1, 3, 7, 1, 3, ..., sum to a multiple of 10.
- Correspondent account (корр. счёт): 20 digits starting with ``30101``; ``0``, BIK digits 5-6
  and the 20 digits, weighted the same way, sum to a multiple of 10; its last 3 digits are the
  BIK's last 3.

`check` returns every problem at once, each naming its field with a stable `code` (what a form
translates) and an English sentence (what the API says).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.payees.models import PayeeDetails, PayoutRail, TaxStatus

INN_COMPANY_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_PERSON_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_PERSON_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
ACCOUNT_WEIGHTS = (7, 1, 3)
BANK_NAME_MAX = 200
# Who must give an INN: everyone but a private individual (the company, as their tax agent,
# may report them without one).
INN_REQUIRED = frozenset({TaxStatus.self_employed, TaxStatus.sole_proprietor, TaxStatus.company})


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str


def inn_check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    if not inn.isascii() or not inn.isdigit():
        return False
    if len(inn) == 10:
        return inn_check_digit(inn[:9], INN_COMPANY_WEIGHTS) == int(inn[9])
    if len(inn) == 12:
        return inn_check_digit(inn[:10], INN_PERSON_WEIGHTS_11) == int(inn[10]) and (
            inn_check_digit(inn[:11], INN_PERSON_WEIGHTS_12) == int(inn[11])
        )
    return False


def control_sum(key: str) -> int:
    """The account control sum: digits weighted 7, 1, 3 repeating, mod 10 (0 when valid)."""
    return sum(int(d) * ACCOUNT_WEIGHTS[i % 3] for i, d in enumerate(key)) % 10


def settlement_key(bik: str, account: str) -> str:
    return bik[-3:] + account


def correspondent_key(bik: str, account: str) -> str:
    return "0" + bik[4:6] + account


def corr_matches_bik(bik: str, corr: str) -> bool:
    """The control key, and the account's last 3 digits are the BIK's (the key alone reads
    only BIK digits 5-6, which many banks of one region share)."""
    return control_sum(correspondent_key(bik, corr)) == 0 and corr[-3:] == bik[-3:]


def bik_is_valid(bik: str) -> bool:
    return _digits(bik, 9) and bik.startswith("04")


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


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
    if not inn_is_valid(inn):
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
    elif not bik_is_valid(bik):
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
    elif not _digits(account, 20):
        errors.append(FieldError("bank_account", "account_format", "bank_account: 20 digits"))
    elif bik_ok and bik is not None and control_sum(settlement_key(bik, account)) != 0:
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
    elif not _digits(corr, 20) or not corr.startswith("30101"):
        errors.append(
            FieldError("corr_account", "corr_format", "corr_account: 20 digits starting with 30101")
        )
    elif bik_ok and bik is not None and not corr_matches_bik(bik, corr):
        errors.append(
            FieldError(
                "corr_account",
                "corr_checksum",
                "corr_account: its control digit does not match the BIK: one of them has a typo",
            )
        )
    return errors
