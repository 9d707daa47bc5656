"""Check digits of Russian identifiers (`backend.core.ru_checks`): published identifiers of
real organisations pass, one changed digit fails, a wrong length or a letter is a format
error."""

from __future__ import annotations

import pytest

from backend.core.ru_checks import (
    account_problem,
    bik_problem,
    corr_account_problem,
    inn_problem,
    kpp_problem,
    ogrn_problem,
)

# Sberbank's published details (INN, OGRN, KPP, BIK and correspondent account in Moscow).
SBER = {
    "inn": "7707083893",
    "ogrn": "1027700132195",
    "kpp": "773601001",
    "bik": "044525225",
    "corr": "30101810400000000225",
}


def bumped(value: str, at: int) -> str:
    return value[:at] + str((int(value[at]) + 1) % 10) + value[at + 1 :]


def test_published_identifiers_pass() -> None:
    assert inn_problem(SBER["inn"]) is None
    assert inn_problem("500100732259") is None  # a person's (12 digits)
    assert ogrn_problem(SBER["ogrn"]) is None
    assert ogrn_problem("304500116000157") is None  # an entrepreneur's OGRNIP
    assert kpp_problem(SBER["kpp"]) is None and kpp_problem("7736AB001") is None
    assert bik_problem(SBER["bik"]) is None
    assert corr_account_problem(SBER["corr"], SBER["bik"]) is None
    assert corr_account_problem("30101810145250000974", "044525974") is None
    # Another bank's BIK in the same region: the key still checks, the last digits do not.
    assert corr_account_problem(SBER["corr"], "044525974") == "checksum"


@pytest.mark.parametrize("at", range(12))
def test_one_changed_digit_breaks_a_check(at: int) -> None:
    assert inn_problem(bumped("500100732259", at)) == "checksum"
    if at < 10:
        assert inn_problem(bumped(SBER["inn"], at)) == "checksum"
    assert ogrn_problem(bumped(SBER["ogrn"], at)) == "checksum"
    assert corr_account_problem(bumped(SBER["corr"], at + 8), SBER["bik"]) == "checksum"


def test_settlement_account_key_against_the_bik() -> None:
    good = "40702810938000012345"
    assert account_problem(good, "044525225") is None
    assert account_problem(bumped(good, 8), "044525225") == "checksum"
    assert account_problem(good, "044525974") == "checksum"  # another bank's BIK
    assert account_problem(good) is None  # no BIK: only the format
    assert account_problem(good, "bad") is None  # a wrong BIK is the BIK's problem
    # A branch of the Bank of Russia (BIK ending 000-002): "0" + the BIK's 5th-6th digits.
    assert account_problem("40101810045250010041", "044525000") is None
    assert account_problem("40101810045250010042", "044525000") == "checksum"


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (inn_problem, "770708389"),
        (inn_problem, "77070838931"),
        (inn_problem, "77070838９3"),  # a full-width digit
        (inn_problem, "7707O83893"),
        (kpp_problem, "77360100"),
        (kpp_problem, "7736ab001"),
        (ogrn_problem, "10277001321950"),
        (bik_problem, "44525225"),
        (bik_problem, "144525225"),
        (account_problem, "4070281093800001234"),
        (corr_account_problem, "40101810400000000225"),
    ],
)
def test_wrong_formats(check: object, value: str) -> None:
    assert check(value) == "format"  # type: ignore[operator]


def test_an_inn_of_a_length_not_allowed() -> None:
    assert inn_problem("500100732259", lengths=(10,)) == "format"
    assert inn_problem(SBER["inn"], lengths=(12,)) == "format"
