"""The rouble company of `lineage demo --currency RUB`: a plan paying in roubles with NDFL
withheld (`ledger/plans/company_rub_bank.toml`), the company's details filled in, and each
partner's payee profile as they join: most paid by bank transfer (private individuals, who are
taxed; self-employed; sole proprietors; companies), a few in the RUB-pegged test token.

Every identifier is generated with valid check digits (INN, OGRN, account keys against the
BIK) from the demo's seed and a partner's number, so the payment file and the statement pass
the bank-side checks; none is anyone's real one on purpose (names are the demo's fake ones, the
banks' BIKs and correspondent accounts are public data).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from backend.accounts.models import User
from backend.company import requisites
from backend.genealogy.models import Distributor
from backend.payees import service as payees
from backend.payees.models import PayeeDetails, PayoutRail, TaxStatus

__all__ = [
    "RUB_PLAN",
    "PayeeMaker",
    "account",
    "company_requisites",
    "inn10",
    "inn12",
    "install_plan",
    "ogrn13",
]

RUB_PLAN = Path(__file__).resolve().parents[3] / "ledger" / "plans" / "company_rub_bank.toml"
#: Banks partners hold accounts with: (BIK, correspondent account, name). Public data.
BANKS = (
    ("044525225", "30101810400000000225", "ПАО Сбербанк"),
    ("044525974", "30101810145250000974", "АО «ТБанк»"),
    ("044525593", "30101810200000000593", "АО «Альфа-Банк»"),
)
#: Settlement account prefixes (balance account + currency 810): a person's card account, a
#: sole proprietor's, a company's.
PREFIX = {
    TaxStatus.individual: "40817810",
    TaxStatus.self_employed: "40817810",
    TaxStatus.sole_proprietor: "40802810",
    TaxStatus.company: "40702810",
}
#: How partners are paid, in shares of a hundred (the token rail needs a wallet).
MIX = (
    (60, TaxStatus.individual, PayoutRail.bank),
    (15, TaxStatus.self_employed, PayoutRail.bank),
    (8, TaxStatus.sole_proprietor, PayoutRail.bank),
    (5, TaxStatus.company, PayoutRail.bank),
    (12, TaxStatus.self_employed, PayoutRail.token),
)

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def _pick(roll: int) -> tuple[TaxStatus, PayoutRail]:
    """The `MIX` row a roll in 0..99 lands in."""
    for share, status, rail in MIX:
        if roll < share:
            return status, rail
        roll -= share
    raise AssertionError("MIX covers a hundred")  # pragma: no cover


def _check(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)


def inn10(body: str) -> str:
    """An organisation's INN: 9 digits and their check digit."""
    assert len(body) == 9 and body.isdigit()
    return body + _check(body, _INN10)


def inn12(body: str) -> str:
    """A person's INN: 10 digits and their two check digits."""
    assert len(body) == 10 and body.isdigit()
    eleven = body + _check(body, _INN12_11)
    return eleven + _check(eleven, _INN12_12)


def ogrn13(body: str) -> str:
    assert len(body) == 12 and body.isdigit()
    return body + str(int(body) % 11 % 10)


def account(prefix: str, serial: str, bik: str) -> str:
    """A settlement account: ``prefix`` (8 digits), the key, ``serial`` (11 digits), the key
    computed against the BIK (docs in `backend.core.ru_checks`)."""
    assert len(prefix) == 8 and len(serial) == 11
    bank = "0" + bik[4:6] if bik[6:] in ("000", "001", "002") else bik[6:]
    for key in "0123456789":
        candidate = prefix + key + serial
        total = sum(int(d) * w for d, w in zip(bank + candidate, _ACCOUNT_WEIGHTS, strict=False))
        if total % 10 == 0:
            return candidate
    raise AssertionError("an account key always exists")  # pragma: no cover


def company_requisites() -> dict[str, str]:
    """The demo company's details, as the admin's form sends them."""
    bik, corr, bank = BANKS[0]
    return {
        "legal_name": "ООО «Линия Демо»",
        "inn": inn10("990100000"),
        "kpp": "990101001",
        "ogrn": ogrn13("102990000000"),
        "legal_address": "г. Москва, ул. Демонстрационная, д. 1",
        "bank_name": bank,
        "bik": bik,
        "account": account("40702810", "00000000001", bik),
        "corr_account": corr,
        "director": "Демидова А. Б.",
        "chief_accountant": "Демин В. Г.",
    }


def install_plan(data_dir: Path) -> Path | None:
    """The rouble plan as the data folder's company plan (before the chain is deployed, which
    picks the test token of the plan's currency); the file when written now, None when it was
    there already. A different plan already there is refused."""
    target = data_dir / "plan.toml"
    wanted = RUB_PLAN.read_bytes()
    if target.exists():
        if target.read_bytes() != wanted:
            raise ValueError(
                f"{target} is another plan: the rouble demo needs an empty data folder"
            )
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    target.write_bytes(wanted)
    return target


def fill_requisites(session: Session, *, actor: User, now: datetime) -> None:
    requisites.change(session, company_requisites(), actor=actor, now=now)


@dataclass
class PayeeMaker:
    """Records each new partner's payee profile, seeded."""

    seed: int

    def __post_init__(self) -> None:
        self.rng = random.Random(f"payees-{self.seed}")
        self.counts: dict[tuple[str, str], int] = {}

    def details(self, person: Distributor, *, company: bool = False) -> PayeeDetails:
        """A partner's profile drawn from `MIX`; ``company``: a company paid by bank."""
        assert person.id is not None
        status, rail = _pick(self.rng.randrange(100))
        if company:
            status, rail = TaxStatus.company, PayoutRail.bank
        if rail == PayoutRail.token and person.wallet is None:
            rail = PayoutRail.bank
        number = f"{person.id:08d}"
        inn = inn10("99" + number[1:]) if status == TaxStatus.company else inn12("99" + number)
        if rail == PayoutRail.token:
            return PayeeDetails(tax_status=status, rail=rail, inn=inn)
        bik, corr, bank = BANKS[person.id % len(BANKS)]
        return PayeeDetails(
            tax_status=status,
            rail=rail,
            inn=inn,
            bank_account=account(PREFIX[status], "000" + number, bik),
            bik=bik,
            corr_account=corr,
            bank_name=bank,
        )

    def record(
        self,
        session: Session,
        people: Sequence[Distributor],
        *,
        actor: User,
        now: datetime,
        company: bool = False,
    ) -> None:
        for person in people:
            assert person.id is not None
            details = self.details(person, company=company)
            payees.record(session, person.id, details, actor=actor, now=now)
            key = (details.tax_status.value, details.rail.value)
            self.counts[key] = self.counts.get(key, 0) + 1
