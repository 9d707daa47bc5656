"""The rouble company whose period pays by bank and by token (shared by the bank payout tests):
test_api_periods' company (root 1 > 2 > 3, 4; 3 > 5 (no wallet) > 6; each of 2..6 buys
200 PV) under a rouble plan with NDFL withholding, 1 point = 1.00 RUB and a one-level 10 %
unilevel on the enroller tree, so each sponsor earns 20.00 RUB per person they enrolled:
- 2, an individual paid by bank: 40.00 gross, 5.00 withheld, 35.00 by transfer;
- 3, self-employed, paid by token to the wallet: 20.00;
- 5, self-employed, paid by bank (no wallet needed): 20.00;
- 1 has no profile: held for an unknown tax status.
The company's details are set (the payment file needs them) unless asked not to.
"""

from __future__ import annotations

from lineage_api import Api
from sqlmodel import select
from test_api_periods import at, make_company, month_start

from backend.accounts.models import User
from backend.company import requisites
from backend.core.model_base import Role
from backend.payees.models import PayeeProfile

RUB = 100  # kopecks
COMPANY = {
    "legal_name": "ООО «Линия»", "inn": "7701000001", "kpp": "770101001",
    "ogrn": "1027700000008", "legal_address": "г. Москва, ул. Примерная, д. 1",
    "bank_name": "ПАО Сбербанк", "bik": "044525225", "account": "40702810938000012345",
    "corr_account": "30101810400000000225", "director": "Иванова А. Б.",
    "chief_accountant": "Петров В. Г.",
}  # fmt: skip
SBER = {"bik": "044525225", "corr_account": "30101810400000000225", "bank_name": "ПАО Сбербанк"}
TBANK = {"bik": "044525974", "corr_account": "30101810145250000974", "bank_name": "АО «ТБанк»"}
ACCOUNTS = {2: "40817810000000001234", 5: "40817810500001234567"}
PROFILES = {
    2: {"tax_status": "individual", "rail": "bank", "inn": "500100732259",
        "bank_account": ACCOUNTS[2], **SBER},
    3: {"tax_status": "self_employed", "rail": "token", "inn": "771234567859"},
    5: {"tax_status": "self_employed", "rail": "bank", "inn": "660123456729",
        "bank_account": ACCOUNTS[5], **TBANK},
}  # fmt: skip
NET = {2: 35 * RUB, 3: 20 * RUB, 5: 20 * RUB}
PLAN = """
[plan]
name = "Roubles, taxed, two rails"

[currency]
code = "RUB"
decimals = 2
minor_per_point = 100

[calendar]
period = "monthly"
start = {start}

[unilevel]
tree = "enroller"
pct = [10]

[withholding]
scale = "ru-ndfl"
unknown_status = "hold"
"""


def rouble_company(api: Api, *, with_requisites: bool = True) -> Api:
    make_company(api)
    start = month_start(3)
    (api.settings.data_dir / "plan.toml").write_text(PLAN.format(start=start.isoformat()))
    with api.session() as session:
        for who, profile in PROFILES.items():
            session.add(PayeeProfile(distributor_id=who, effective_at=at(start), **profile))
        session.commit()
        if with_requisites:
            set_requisites(api)
    return api


def set_requisites(api: Api) -> None:
    with api.session() as session:
        admin = session.exec(select(User).where(User.role == Role.admin)).first()
        assert admin is not None
        requisites.change(session, COMPANY, actor=admin)
        session.commit()


def leaf_of(api: Api, period: int, who: int) -> int:
    found = api.client.get(f"/api/periods/{period}/statements/{who}", headers=api.as_("auditor"))
    assert found.status_code == 200, found.text
    leaf = found.json()["leaf"]
    assert leaf is not None
    return int(leaf[1])
