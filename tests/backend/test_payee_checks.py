"""The payout profile's checks (backend.payees.checks) on real numbers: the INN's check digits,
the BIK, the settlement and correspondent accounts' control keys against the BIK, and what each
rail needs. Valid numbers are real (Sberbank's INN, BIK and correspondent account) or computed
with the algorithm here; each invalid one differs from a valid one by one digit."""

from __future__ import annotations

import pytest

from backend.core.ru_checks import account_problem, corr_account_problem, inn_problem
from backend.payees.checks import check, check_rail, normalized
from backend.payees.models import PayeeDetails, PayoutRail, TaxStatus

SBER_INN = "7707083893"  # ПАО Сбербанк
SBER_BIK, SBER_CORR = "044525225", "30101810400000000225"
TBANK_BIK, TBANK_CORR = "044525974", "30101810145250000974"
PERSON_INN = "500100732259"


def with_key(bik: str, account: str) -> str:
    """`account` with its 9th digit (the control key) set so that it matches `bik`."""
    for key in "0123456789":
        candidate = account[:8] + key + account[9:]
        if account_problem(candidate, bik) is None:
            return candidate
    raise AssertionError("no key digit fits")  # pragma: no cover - one always does


def person_inn(first_ten: str) -> str:
    """A 12-digit INN built with the algorithm from its first ten digits."""
    w11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    w12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    n11 = sum(int(d) * w for d, w in zip(first_ten, w11, strict=True)) % 11 % 10
    eleven = first_ten + str(n11)
    n12 = sum(int(d) * w for d, w in zip(eleven, w12, strict=True)) % 11 % 10
    return eleven + str(n12)


ACCOUNT = with_key(SBER_BIK, "40817810000000001234")


def bank(status: TaxStatus = TaxStatus.individual, **fields: str | None) -> PayeeDetails:
    base: dict[str, str | None] = {
        "inn": PERSON_INN,
        "bank_account": ACCOUNT,
        "bik": SBER_BIK,
        "corr_account": SBER_CORR,
        "bank_name": "ПАО Сбербанк",
    }
    return normalized(PayeeDetails(tax_status=status, rail=PayoutRail.bank, **(base | fields)))


def codes(details: PayeeDetails) -> dict[str, str]:
    return {e.field: e.code for e in check(details)}


def test_real_numbers_pass() -> None:
    assert ACCOUNT == "40817810000000001234"  # its key digit happens to be 0
    assert inn_problem(SBER_INN) is None and inn_problem(PERSON_INN) is None
    assert inn_problem(person_inn("7743013902")) is None
    assert corr_account_problem(SBER_CORR, SBER_BIK) is None
    assert corr_account_problem(TBANK_CORR, TBANK_BIK) is None
    assert codes(bank()) == {}
    assert codes(bank(TaxStatus.company, inn=SBER_INN)) == {}
    tbank = with_key(TBANK_BIK, "40802810000000012345")
    assert codes(bank(TaxStatus.sole_proprietor, bik=TBANK_BIK, corr_account=TBANK_CORR,
                      bank_account=tbank)) == {}  # fmt: skip


@pytest.mark.parametrize("position", range(12))
def test_any_one_wrong_digit_of_a_persons_inn_is_caught(position: int) -> None:
    digit = int(PERSON_INN[position])
    wrong = PERSON_INN[:position] + str((digit + 1) % 10) + PERSON_INN[position + 1 :]
    assert inn_problem(wrong) == "checksum"
    assert codes(bank(inn=wrong)) == {"inn": "inn_checksum"}


def test_inn_length_follows_the_tax_status() -> None:
    assert codes(bank(TaxStatus.company, inn=PERSON_INN)) == {"inn": "inn_length_company"}
    assert codes(bank(TaxStatus.self_employed, inn=SBER_INN)) == {"inn": "inn_length_person"}
    assert codes(bank(inn="77O7083893")) == {"inn": "inn_not_digits"}
    assert codes(bank(TaxStatus.company, inn="7707083894")) == {"inn": "inn_checksum"}
    message = check(bank(TaxStatus.company, inn=PERSON_INN))[0].message
    assert message == "inn: a company's INN has 10 digits, not 12"


@pytest.mark.parametrize(
    "status", [TaxStatus.self_employed, TaxStatus.sole_proprietor, TaxStatus.company]
)
def test_inn_is_required_except_for_an_individual(status: TaxStatus) -> None:
    assert codes(bank(status, inn=None)) == {"inn": "inn_missing"}
    assert codes(bank(TaxStatus.individual, inn=None)) == {}
    assert codes(bank(TaxStatus.individual, inn="   ")) == {}


def test_bik_is_nine_digits_starting_with_04() -> None:
    for bik in ("044525", "144525225", "04452522A", "0445252250"):
        assert codes(bank(bik=bik)) == {"bik": "bik_format"}, bik


def test_the_settlement_account_must_match_the_bik() -> None:
    wrong = ACCOUNT[:-1] + "5"
    assert codes(bank(bank_account=wrong)) == {"bank_account": "account_checksum"}
    # The same account is valid at a bank whose BIK makes its key right, not at another.
    assert codes(bank(bik=TBANK_BIK, corr_account=TBANK_CORR)) == {
        "bank_account": "account_checksum"
    }
    assert codes(bank(bank_account=ACCOUNT[:19])) == {"bank_account": "account_format"}
    spaced = " ".join(ACCOUNT[i : i + 4] for i in range(0, 20, 4))
    assert codes(bank(bank_account=spaced)) == {}
    assert bank(bank_account=spaced).bank_account == ACCOUNT


def test_the_correspondent_account_must_match_the_bik() -> None:
    # Both banks are in Moscow (BIK digits 5-6 "52"): the key passes, the last 3 digits do not.
    assert corr_account_problem(TBANK_CORR, SBER_BIK) == "checksum"
    assert codes(bank(corr_account=TBANK_CORR)) == {"corr_account": "corr_checksum"}
    assert codes(bank(corr_account="40101810400000000225")) == {"corr_account": "corr_format"}
    assert codes(bank(corr_account=SBER_CORR[:-1] + "6")) == {"corr_account": "corr_checksum"}


def test_the_bank_rail_needs_every_bank_detail_but_the_name() -> None:
    bare = bank(bank_account=None, bik=None, corr_account=None, bank_name=None)
    assert codes(bare) == {
        "bank_account": "account_missing",
        "bik": "bik_missing",
        "corr_account": "corr_missing",
    }
    assert codes(bank(bank_name=None)) == {}
    assert codes(bank(bank_name="Б" * 201)) == {"bank_name": "bank_name_length"}


def test_the_token_rail_needs_a_wallet_and_checks_what_bank_details_are_given() -> None:
    token = PayeeDetails(tax_status=TaxStatus.individual, rail=PayoutRail.token)
    assert codes(normalized(token)) == {}
    refused = check_rail(PayoutRail.token, wallet=None)
    assert refused is not None and (refused.field, refused.code) == ("rail", "wallet_missing")
    assert check_rail(PayoutRail.token, wallet="0x" + "12" * 20) is None
    assert check_rail(PayoutRail.bank, wallet=None) is None
    half = normalized(token.model_copy(update={"bik": "04452522"}))
    assert codes(half) == {"bik": "bik_format"}


def test_every_problem_comes_back_at_once_each_naming_its_field() -> None:
    details = bank(TaxStatus.company, inn="123", bik="999", bank_account="1", corr_account="2")
    errors = check(details)
    assert [e.field for e in errors] == ["inn", "bik", "bank_account", "corr_account"]
    assert all(e.message.startswith(e.field + ": ") for e in errors)
