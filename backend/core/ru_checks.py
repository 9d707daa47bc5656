"""Check digits of Russian business identifiers, as pure functions (no database, no I/O).

Each ``*_problem`` function returns ``None`` for a valid value, or a short code saying what is
wrong: ``format`` (wrong length or not digits) or ``checksum`` (the check digit or the account
key does not match). Callers map the code to their own message. The rules:

- **INN** (ИНН): 10 digits for an organisation (one check digit), 12 for a person (two);
  weighted sums mod 11 mod 10.
- **KPP** (КПП): 4 digits, 2 digits or capital Latin letters, 3 digits. No check digit.
- **OGRN** (ОГРН): 13 digits, the last = (first 12 as a number mod 11) mod 10; an individual
  entrepreneur's OGRNIP has 15 digits, the last = (first 14 mod 13) mod 10.
- **BIK** (БИК): 9 digits, starting with ``04`` (a Russian bank). No check digit.
- **Accounts** (расчётный и корреспондентский счёт): 20 digits whose control key (the 9th
  digit) checks with the bank's BIK: the digits weighted 7, 1, 3, 7, 1, 3, ... over a 23-digit
  string must sum to a multiple of 10. For a settlement account the string is the BIK's last
  three digits followed by the account (for a bank branch of the Bank of Russia, whose BIK ends
  in 000-002, ``0`` and the BIK's 5th and 6th digits instead); for a correspondent account it is
  ``0``, the BIK's 5th and 6th digits, then the account. A correspondent account starts ``301``
  and ends with the BIK's last three digits.
"""

from __future__ import annotations

import re

__all__ = [
    "account_problem",
    "bik_problem",
    "corr_account_problem",
    "inn_problem",
    "kpp_problem",
    "ogrn_problem",
]

_KPP = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")
_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def _digits(value: str, *lengths: int) -> bool:
    return value.isascii() and value.isdigit() and len(value) in lengths


def _weighted(value: str, weights: tuple[int, ...]) -> int:
    return sum(int(digit) * weight for digit, weight in zip(value, weights, strict=False))


def inn_problem(inn: str, *, lengths: tuple[int, ...] = (10, 12)) -> str | None:
    """An INN of one of ``lengths`` digits (10: an organisation, 12: a person)."""
    if not _digits(inn, *lengths):
        return "format"
    if len(inn) == 10:
        ok = _weighted(inn, _INN10) % 11 % 10 == int(inn[9])
    else:
        ok = _weighted(inn, _INN12_11) % 11 % 10 == int(inn[10]) and _weighted(
            inn, _INN12_12
        ) % 11 % 10 == int(inn[11])
    return None if ok else "checksum"


def kpp_problem(kpp: str) -> str | None:
    return None if _KPP.fullmatch(kpp) else "format"


def ogrn_problem(ogrn: str) -> str | None:
    """An OGRN (13 digits) or an individual entrepreneur's OGRNIP (15 digits)."""
    if not _digits(ogrn, 13, 15):
        return "format"
    modulus = 11 if len(ogrn) == 13 else 13
    return None if int(ogrn[:-1]) % modulus % 10 == int(ogrn[-1]) else "checksum"


def bik_problem(bik: str) -> str | None:
    return None if _digits(bik, 9) and bik.startswith("04") else "format"


def _key_ok(prefix: str, account: str) -> bool:
    return _weighted(prefix + account, _ACCOUNT_WEIGHTS) % 10 == 0


def account_problem(account: str, bik: str | None = None) -> str | None:
    """A settlement account (20 digits); its key is checked when a valid ``bik`` is given."""
    if not _digits(account, 20):
        return "format"
    if bik is None or bik_problem(bik) is not None:
        return None
    prefix = "0" + bik[4:6] if bik[6:] in ("000", "001", "002") else bik[6:]
    return None if _key_ok(prefix, account) else "checksum"


def corr_account_problem(corr: str, bik: str | None = None) -> str | None:
    """A bank's correspondent account (20 digits, ``301...``); its key is checked when a valid
    ``bik`` is given."""
    if not _digits(corr, 20) or not corr.startswith("301"):
        return "format"
    if bik is None or bik_problem(bik) is not None:
        return None
    # A bank's correspondent account ends with its BIK's last three digits.
    return None if _key_ok("0" + bik[4:6], corr) and corr[17:] == bik[6:] else "checksum"
