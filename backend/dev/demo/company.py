"""The demo company's history on a simulated clock: catalog, stock, enrollment waves, orders.

Everything goes through the services with a backdated `now`, month by month, so the periods
see what a real company would have produced: distributors enrolled in waves, their own and
their retail customers' orders paid and shipped inside the month, a few returns (some landing
in the next month, which claws back), and distributors who stop buying or go inactive.
All names are obviously fake; wallets are derived from a hash (no one's real address).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from backend.accounts import service as users
from backend.accounts.models import User, UserCreate
from backend.cards import service as cards
from backend.catalog import service as catalog
from backend.catalog.models import PriceListCreate, PriceListItemIn, ProductCreate
from backend.core.config import Settings
from backend.core.model_base import (
    DistributorStatus,
    MovementKind,
    ProductCategory,
    Role,
    VatCategory,
)
from backend.dev.demo.catalogue import CATALOGUE
from backend.dev.demo.rub import PayeeMaker
from backend.genealogy import distributors, enrollment
from backend.genealogy.models import Distributor, DistributorCreate, Placement, StatusChange
from backend.genealogy.tree_cache import PlacementTreeCache
from backend.orders import customers
from backend.orders import service as orders
from backend.orders.models import (
    CancelIn,
    Order,
    OrderCreate,
    OrderLineIn,
    PaymentIn,
    RetailCustomerCreate,
    ReturnIn,
)
from backend.periods.models import PeriodPayee
from backend.rates import service as rates
from backend.rates.models import RateCreate
from backend.stock import service as stock
from backend.stock.models import WarehouseCreate

Tick = Callable[[int], None]

# Partners' names as a Russian company's genealogy has them: (first names, surnames) by
# country, men and women; a woman's surname takes the feminine ending.
NAMES = {
    "RU": (
        ("Алексей", "Иван", "Дмитрий", "Сергей", "Андрей", "Михаил", "Никита", "Павел"),
        ("Анна", "Мария", "Ольга", "Елена", "Татьяна", "Наталья", "Ирина", "Светлана"),
        ("Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков",
         "Морозов", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев"),
    ),
    "KZ": (
        ("Нурлан", "Ерлан", "Айдар", "Бауыржан", "Данияр", "Асхат"),
        ("Айгерим", "Жанар", "Гульнара", "Динара", "Асель", "Мадина"),
        ("Ахметов", "Серикбаев", "Нурланов", "Жумабаев", "Касымов", "Токаев", "Абдрахманов"),
    ),
}  # fmt: skip


# Where partners live, by country, with weights; about one in eight does not say.
REGIONS_BY_WEIGHT = {
    "RU": (
        ("RU-MOW", 30), ("RU-MOS", 15), ("RU-SPE", 12), ("RU-KDA", 8), ("RU-SVE", 7),
        ("RU-TA", 6), ("RU-NVS", 5), ("RU-ROS", 5), ("RU-BA", 4), ("RU-SAM", 4),
    ),
    "KZ": (("KZ-75", 40), ("KZ-71", 30), ("KZ-79", 15), ("KZ-35", 10), ("KZ-63", 5)),
}  # fmt: skip


def partner_region(rng: random.Random, country: str) -> str | None:
    if rng.random() < 0.125:
        return None
    codes, weights = zip(*REGIONS_BY_WEIGHT[country], strict=True)
    return str(rng.choices(codes, weights=weights)[0])


def partner_name(rng: random.Random, country: str) -> tuple[str, str]:
    men, women, surnames = NAMES[country]
    surname = rng.choice(surnames)
    if rng.random() < 0.6:  # direct selling: more women than men
        return rng.choice(women), surname + "а"
    return rng.choice(men), surname


#: Month-end rates the demo's finance enters, in turn: (currency, RUB per unit).
DEMO_RATES = (
    (("USD", "81.2345"), ("KZT", "0.161234")),
    (("USD", "82.0170"), ("KZT", "0.163050")),
    (("USD", "80.8859"), ("KZT", "0.159870")),
    (("USD", "79.9532"), ("KZT", "0.158412")),
)
DEMO_DOMAIN = "demo.lineage.local"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


LEADER = DemoLogin("distributor: a leader", f"leader@{DEMO_DOMAIN}", "demo-leader-1")
LEADER_CARD = "demo-leader"  # the alias of the leader's public card: /p/demo-leader
NEWCOMER = DemoLogin("distributor: joined last month", f"partner@{DEMO_DOMAIN}", "demo-partner-1")
FINANCE = DemoLogin("finance (computes)", f"finance@{DEMO_DOMAIN}", "demo-finance-1")
AUDITOR = DemoLogin("auditor", f"auditor@{DEMO_DOMAIN}", "demo-auditor")


@dataclass
class Company:
    """What the generator made, for the period closer and the summary."""

    admin: User
    finance: User
    checker: User
    logins: list[DemoLogin]
    months: list[date]
    distributor_ids: list[int] = field(default_factory=list)
    orders: int = 0
    returns: int = 0
    inactive: int = 0


def month_starts(count: int, today: date) -> list[date]:
    """The first days of the `count` full months before `today`'s month, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date((index - k) // 12, (index - k) % 12 + 1, 1) for k in range(count, 0, -1)]


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def pay_and_ship(
    session: Session,
    company: Company,
    order: Order,
    *,
    placed: datetime,
    reference: str,
    threshold: int,
) -> None:
    """Finance records the exact payment half an hour after the order was placed; the
    warehouse ships it three hours after, as the services the API calls do it."""
    assert order.id is not None
    payment = PaymentIn(
        amount=order.total_amount, currency=order.currency, reference=f"{reference}-{order.id}"
    )
    orders.pay_order(
        session,
        order.id,
        payment,
        actor=company.finance,
        idempotency_key=None,
        now=placed + timedelta(minutes=30),
    )
    orders.ship_order(
        session,
        order.id,
        actor=company.admin,
        now=placed + timedelta(hours=3),
        default_threshold=threshold,
    )


def fake_wallet(number: int) -> str:
    return "0x" + hashlib.sha256(f"lineage-demo-wallet-{number}".encode()).hexdigest()[:40]


class CompanyBuilder:
    def __init__(
        self, engine: Engine, settings: Settings, *, seed: int, payees: PayeeMaker | None = None
    ) -> None:
        self.engine = engine
        #: The rouble company records each partner's payee profile as they join (None: not).
        self.payees = payees
        self.settings = settings
        self.rng = random.Random(seed)
        # Names draw from their own stream, so the company's shape and money stay as they were.
        self.names = random.Random(f"names-{seed}")
        # Regions from their own stream, so the rest of the company stays as it was.
        self.regions = random.Random(f"regions-{seed}")
        self.trees = PlacementTreeCache(
            width=settings.tree_width, root_id=settings.default_sponsor_id
        )
        self.threshold = settings.low_stock_default
        self.products: list[tuple[int, bool]] = []  # (id, carries volume)
        self.warehouses: dict[str, list[int]] = {"RU": [], "KZ": []}
        self.tenge_list = 0
        self.kazakh: set[int] = set()  # partners in Kazakhstan: tenge list, Almaty warehouse
        self.customers: dict[int, int] = {}  # distributor -> retail customer
        self.inactive: set[int] = set()
        self.pending_returns: list[tuple[datetime, int]] = []

    # -- set-up -------------------------------------------------------------------------

    def users(self, months: list[date]) -> Company:
        """The finance pair (maker and checker), an auditor, a warehouse keeper; backdate the
        root to month one."""
        start = at(months[0], 0)
        logins = [
            FINANCE,
            DemoLogin("finance (approves)", f"checker@{DEMO_DOMAIN}", "demo-finance-2"),
            AUDITOR,
            DemoLogin("warehouse", f"warehouse@{DEMO_DOMAIN}", "demo-warehouse-1"),
        ]
        roles = (Role.finance, Role.finance, Role.auditor, Role.warehouse)
        with Session(self.engine) as session:
            session.execute(update(Distributor).values(enrolled_at=start, status_changed_at=start))
            session.execute(update(Placement).values(placed_at=start))
            session.commit()
            made = [
                users.create_user(
                    session,
                    UserCreate(
                        email=login.email,
                        full_name=f"Demo {login.role}",
                        role=role,
                        password=login.password,
                    ),
                    now=start,
                )
                for login, role in zip(logins, roles, strict=True)
            ]
            admin = session.exec(select(User).where(User.role == Role.admin)).first()
            assert admin is not None
            for user in (admin, *made):
                session.refresh(user)
                session.expunge(user)
        return Company(admin=admin, finance=made[0], checker=made[1], logins=logins, months=months)

    def distributor_logins(self, company: Company, last_period: int) -> list[DemoLogin]:
        """Two offices worth opening, with passwords set through the accounts service: a
        leader (the largest total payout of the closed periods, so a large team and paid
        statements) and a partner who joined in the last month (the one who earned most in
        its period, if anyone did)."""
        root = self.settings.default_sponsor_id
        joined_last = at(company.months[-1], 0)
        with Session(self.engine) as session:
            total = func.sum(PeriodPayee.payout)
            leader = session.exec(
                select(PeriodPayee.distributor_id)
                .where(PeriodPayee.distributor_id != root)
                .group_by(col(PeriodPayee.distributor_id))
                .order_by(total.desc(), col(PeriodPayee.distributor_id))
                .limit(1)
            ).first()
            newcomer = session.exec(
                select(Distributor.id)
                .join(
                    PeriodPayee,
                    (col(PeriodPayee.distributor_id) == col(Distributor.id))
                    & (col(PeriodPayee.period_id) == last_period),
                    isouter=True,
                )
                .where(col(Distributor.enrolled_at) >= joined_last)
                .where(Distributor.status == DistributorStatus.active)
                .where(col(Distributor.id) != leader)
                .order_by(func.coalesce(PeriodPayee.earned, 0).desc(), col(Distributor.id))
                .limit(1)
            ).first()
            chosen = [(LEADER, leader), (NEWCOMER, newcomer)]
            logins = []
            for login, distributor_id in chosen:
                if distributor_id is None:
                    continue
                users.create_user(
                    session,
                    UserCreate(
                        email=login.email,
                        full_name=f"Demo {login.role}",
                        role=Role.distributor,
                        password=login.password,
                        distributor_id=distributor_id,
                    ),
                    actor=company.admin,
                )
                logins.append(login)
        return logins

    def leader_card(self, company: Company) -> str | None:
        """The leader's public card, published with two company blocks and a text of their
        own that passes the earnings-claim check: its alias (None without a leader login)."""
        now = at(company.months[-1], 9)
        with Session(self.engine) as session:
            leader = session.exec(select(User).where(User.email == LEADER.email)).first()
            if leader is None:
                return None
            cards.set_messenger(session, leader, "@lineage_demo_leader", now=now)
            card = cards.update_card(
                session,
                leader,
                cards.CardSettings(
                    alias=LEADER_CARD,
                    enabled=True,
                    show_email=False,
                    show_phone=False,
                    show_messenger=True,
                    block_ids=[1, 2, 4],
                    free_text="Помогу подобрать продукты и расскажу, как устроена работа "
                    "партнёра. Пишите в мессенджер, отвечаю в течение дня.",
                ),
                now=now,
            )
            return card.alias

    def catalog(self, company: Company) -> None:
        """The catalogue (supplements, cosmetics, two starter kits without volume) priced in
        roubles, a tenge price list for the partners in Kazakhstan, and three warehouses
        (Moscow, St Petersburg, Almaty) stocked for the whole demo."""
        now = at(company.months[0], 1)
        with Session(self.engine) as session:
            tenge = catalog.create_price_list(
                session,
                PriceListCreate(
                    name="Прайс-лист Казахстан / Kazakhstan price list", currency="KZT"
                ),
            )
            assert tenge.id is not None
            self.tenge_list = tenge.id
            for item in CATALOGUE:
                created = catalog.create_product(
                    session,
                    ProductCreate(
                        sku=item.sku,
                        name_ru=item.name_ru,
                        name_en=item.name_en,
                        category=ProductCategory.kit
                        if item.kind == "kit"
                        else ProductCategory.product,
                        retail_price=item.retail_rub * 100,
                        wholesale_price=item.wholesale_rub * 100,
                        currency="RUB",
                        pv=item.pv,
                        cv=item.cv,
                        vat_category=VatCategory(item.vat),
                    ),
                )
                assert created.id is not None
                self.products.append((created.id, item.kind != "kit"))
                catalog.set_price(
                    session,
                    tenge.id,
                    PriceListItemIn(
                        product_id=created.id,
                        retail_price=item.tenge(item.retail_rub) * 100,
                        wholesale_price=item.tenge(item.wholesale_rub) * 100,
                    ),
                    actor=company.admin,
                    now=now,
                )
            for code, name, country in (
                ("MSK", "Moscow", "RU"),
                ("SPB", "St Petersburg", "RU"),
                ("ALA", "Almaty", "KZ"),
            ):
                house = stock.create_warehouse(
                    session, WarehouseCreate(code=code, name=f"Demo {name}", country=country)
                )
                assert house.id is not None
                self.warehouses[country].append(house.id)
            assert company.admin.id is not None
            for houses in self.warehouses.values():
                for house_id in houses:
                    for product_id, _ in self.products:
                        stock.move(
                            session,
                            warehouse_id=house_id,
                            product_id=product_id,
                            kind=MovementKind.receipt,
                            quantity=1_000_000,
                            actor_id=company.admin.id,
                            default_threshold=self.threshold,
                            now=now,
                        )
            session.commit()

    def rates(self, company: Company, index: int) -> None:
        """Finance enters the month's closing rates (USD/RUB, KZT/RUB), dated its last day.

        Illustrative values near the Central Bank's of late 2026, drifting month to month;
        a real company imports the bank's daily file instead (`lineage rates import-cbr`).
        """
        first = company.months[index]
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        with Session(self.engine) as session:
            for base, value in DEMO_RATES[index % len(DEMO_RATES)]:
                rates.set_rate(
                    session,
                    RateCreate(
                        base=base,
                        quote="RUB",
                        day=last,
                        rate=value,
                        source="demo: illustrative month-end rate, not the Central Bank's",
                    ),
                    actor=company.finance,
                    now=at(last, 17),
                )

    # -- one month ----------------------------------------------------------------------

    def month(self, company: Company, index: int, count: int, tick: Tick) -> None:
        """Days 2..28 of month `index`: an enrollment wave, orders paid and shipped, returns."""
        first = company.months[index]
        days = [first + timedelta(days=d) for d in range(1, 28)]
        joining = self._spread(count, len(days))
        if index > 0:
            self._lapse(company, at(days[0], 8))
        for day, joined in zip(days, joining, strict=True):
            self._enroll(company, day, joined)
            self._orders(company, day)
            self._returns_due(company, at(day, 18))
            tick(1)
        self._returns_due(company, at(days[-1], 23))
        if index == len(company.months) - 1:
            self.pending_returns.clear()  # after the last month: nothing more comes back

    def month_so_far(self, company: Company, days: list[date], tick: Tick) -> None:
        """The open month up to yesterday: orders only (no one joins or lapses yet)."""
        for day in days:
            self._orders(company, day)
            tick(1)

    def _spread(self, count: int, days: int) -> list[int]:
        weights = [1.0 + 2.0 * d / days for d in range(days)]  # the wave builds up
        total = sum(weights)
        shares = [int(count * w / total) for w in weights]
        shares[-1] += count - sum(shares)
        return shares

    def _enroll(self, company: Company, day: date, joined: int) -> None:
        if joined <= 0:
            return
        known = [self.settings.default_sponsor_id, *company.distributor_ids]
        batch: list[DistributorCreate] = []
        countries = []
        for _ in range(joined):
            number = len(company.distributor_ids) + len(batch) + 2
            # Older distributors have had longer to recruit: favour the front of the list.
            sponsor = known[int(len(known) * self.rng.random() ** 1.6)]
            # About one partner in twelve lives in Kazakhstan (more when their sponsor does).
            kazakh = self.rng.random() < (0.5 if sponsor in self.kazakh else 0.08)
            countries.append("KZ" if kazakh else "RU")
            first_name, last_name = partner_name(self.names, countries[-1])
            batch.append(
                DistributorCreate(
                    first_name=first_name,
                    last_name=last_name,
                    country=countries[-1],
                    region=partner_region(self.regions, countries[-1]),
                    wallet=fake_wallet(number) if self.rng.random() > 0.08 else None,
                    sponsor_id=sponsor,
                )
            )
        with Session(self.engine) as session:
            made = enrollment.enroll_many(
                session,
                batch,
                actor=company.admin,
                settings=self.settings,
                trees=self.trees,
                now=at(day, 10),
            )
            for person, country in zip(made, countries, strict=True):
                assert person.id is not None
                company.distributor_ids.append(person.id)
                if country == "KZ":
                    self.kazakh.add(person.id)
            if self.payees is not None:
                self.payees.record(session, made, actor=company.admin, now=at(day, 10, 30))
            # Most new partners place their first order the day they join: the starter kit
            # (no volume) and a few products.
            for person in made:
                assert person.id is not None
                if self.rng.random() < 0.8:
                    self._order(
                        session, company, person.id, at(day, 13, self.rng.randrange(60)), kit=True
                    )

    def _lapse(self, company: Company, now: datetime) -> None:
        """A few distributors stop: marked inactive, they buy nothing more."""
        candidates = [d for d in company.distributor_ids if d not in self.inactive]
        lapsing = self.rng.sample(candidates, k=max(len(candidates) // 25, 1 if candidates else 0))
        with Session(self.engine) as session:
            for number in lapsing:
                distributors.change_status(
                    session,
                    number,
                    StatusChange(status=DistributorStatus.inactive, reason="demo: stopped buying"),
                    actor=company.admin,
                    now=now,
                )
        self.inactive.update(lapsing)
        company.inactive = len(self.inactive)

    def _orders(self, company: Company, day: date) -> None:
        buyers = [d for d in company.distributor_ids if d not in self.inactive]
        with Session(self.engine) as session:
            for buyer in buyers:
                if self.rng.random() < 0.9 / 27:
                    self._order(session, company, buyer, at(day, 11, self.rng.randrange(60)))
                if self.rng.random() < 0.4 / 27:
                    customer = self._customer(session, company, buyer)
                    self._order(session, company, buyer, at(day, 15), customer)

    def _customer(self, session: Session, company: Company, owner: int) -> int:
        if owner not in self.customers:
            made = customers.create_customer(
                session,
                RetailCustomerCreate(
                    first_name=(name := partner_name(self.names, "RU"))[0],
                    last_name=name[1],
                    distributor_id=owner,
                ),
                actor=company.admin,
            )
            assert made.id is not None
            self.customers[owner] = made.id
        return self.customers[owner]

    def _order(
        self,
        session: Session,
        company: Company,
        buyer: int,
        now: datetime,
        customer: int | None = None,
        *,
        kit: bool = False,
    ) -> None:
        picks = self.rng.sample(
            [p for p, volume in self.products if volume], self.rng.randint(2, 4)
        )
        if kit:
            picks.insert(0, next(p for p, volume in self.products if not volume))
        kazakh = buyer in self.kazakh
        data = OrderCreate(
            distributor_id=buyer,
            customer_id=customer,
            warehouse_id=self.rng.choice(self.warehouses["KZ" if kazakh else "RU"]),
            price_list_id=self.tenge_list if kazakh else None,
            lines=[
                OrderLineIn(product_id=p, quantity=1 if kit and i == 0 else self.rng.randint(1, 3))
                for i, p in enumerate(picks)
            ],
        )
        order, _ = orders.place_order(
            session,
            data,
            actor=company.admin,
            idempotency_key=None,
            default_threshold=self.threshold,
            now=now,
        )
        assert order.id is not None
        company.orders += 1
        if self.rng.random() < 0.03:  # never paid: cancelled after a week
            orders.cancel_order(
                session,
                order.id,
                CancelIn(reason="demo: never paid"),
                actor=company.finance,
                now=now + timedelta(hours=1),
                default_threshold=self.threshold,
            )
            return
        pay_and_ship(
            session, company, order, placed=now, reference="DEMO", threshold=self.threshold
        )
        if self.rng.random() < 0.04:
            back = now + timedelta(days=self.rng.randint(3, 20), hours=2)
            self.pending_returns.append((back, order.id))

    def _returns_due(self, company: Company, now: datetime) -> None:
        due = [(when, order) for when, order in self.pending_returns if when <= now]
        if not due:
            return
        self.pending_returns = [item for item in self.pending_returns if item[0] > now]
        with Session(self.engine) as session:
            for when, order_id in sorted(due):
                orders.return_order(
                    session,
                    order_id,
                    ReturnIn(reason="demo: returned by the buyer"),
                    actor=company.admin,
                    now=when,
                    default_threshold=self.threshold,
                )
                company.returns += 1
