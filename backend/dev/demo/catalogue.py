"""The demo company's catalogue: what a Russian direct-selling company of supplements and
cosmetics sells, priced in roubles, with a price list in tenge for its partners in Kazakhstan.

Prices are VAT-inclusive roubles. Volume follows one rule, the plan's: a point is worth
100.00 RUB, PV is the wholesale price in points and CV 80 % of it (so bonuses paid on CV are a
share of what partners actually paid); starter kits and business kits carry no volume at all.
The tenge list is the rouble list at about 6.2 tenge to the rouble, rounded to 10 tenge, as a
company would publish it for a season (not recomputed from each day's rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

POINT_RUB = 100  # one point of volume is worth 100.00 RUB (the plan's point value)
CV_SHARE_PCT = 80


@dataclass(frozen=True)
class Item:
    sku: str
    name_ru: str
    name_en: str
    retail_rub: int  # whole roubles, VAT included
    wholesale_rub: int
    kind: Literal["product", "kit"] = "product"
    vat: Literal["standard", "reduced"] = "standard"

    @property
    def pv(self) -> int:
        return 0 if self.kind == "kit" else self.wholesale_rub // POINT_RUB

    @property
    def cv(self) -> int:
        return 0 if self.kind == "kit" else self.wholesale_rub * CV_SHARE_PCT // 100 // POINT_RUB

    def tenge(self, roubles: int) -> int:
        """The tenge list price (whole tenge, rounded to 10) of a rouble price."""
        return (roubles * 62 + 50) // 100 * 10


CATALOGUE: tuple[Item, ...] = (
    Item("KIT-START", "Стартовый набор партнёра", "Partner starter kit", 2990, 2990, "kit"),
    Item("KIT-BUSINESS", "Бизнес-набор партнёра", "Partner business kit", 9900, 9900, "kit"),
    Item("SUP-OMEGA3", "Омега-3 премиум, 90 капсул", "Omega-3 Premium, 90 capsules", 2490, 1990),
    Item(
        "SUP-D3", "Витамин D3 2000 МЕ, 120 таблеток", "Vitamin D3 2000 IU, 120 tablets", 1290, 990
    ),
    Item("SUP-MGB6", "Магний B6, 60 таблеток", "Magnesium B6, 60 tablets", 1190, 920),
    Item("SUP-COLL", "Коллаген морской, 300 г", "Marine collagen powder, 300 g", 3490, 2790),
    Item("SUP-PROB", "Пробиотик комплекс, 30 капсул", "Probiotic complex, 30 capsules", 1890, 1490),
    Item("SUP-ZNSE", "Цинк и селен, 60 таблеток", "Zinc and selenium, 60 tablets", 890, 690),
    Item(
        "SUP-PROT",
        "Протеиновый коктейль, ваниль, 500 г",
        "Protein shake, vanilla, 500 g",
        2790,
        2190,
    ),
    Item(
        "SUP-GTEA", "Экстракт зелёного чая, 60 капсул", "Green tea extract, 60 capsules", 1390, 1090
    ),
    Item("SUP-FE", "Железо хелат, 60 капсул", "Iron chelate, 60 capsules", 990, 790),
    Item(
        "SUP-WOMEN",
        "Мультивитамины для женщин, 60 таблеток",
        "Women's multivitamin, 60 tablets",
        1690,
        1320,
    ),
    Item(
        "COS-CREAM",
        "Крем для лица увлажняющий, 50 мл",
        "Moisturising face cream, 50 ml",
        1990,
        1590,
    ),
    Item(
        "COS-SERUM",
        "Сыворотка с гиалуроновой кислотой, 30 мл",
        "Hyaluronic serum, 30 ml",
        2290,
        1790,
    ),
    Item("COS-SHAMPOO", "Шампунь восстанавливающий, 250 мл", "Repair shampoo, 250 ml", 790, 620),
    Item("COS-BALM", "Бальзам для волос, 250 мл", "Hair conditioner, 250 ml", 790, 620),
    Item("COS-PASTE", "Зубная паста с травами, 100 мл", "Herbal toothpaste, 100 ml", 390, 300),
    Item("COS-SPF50", "Солнцезащитный крем SPF 50, 100 мл", "Sunscreen SPF 50, 100 ml", 1490, 1160),
    Item("COS-MASK", "Маска для лица с глиной, 75 мл", "Clay face mask, 75 ml", 990, 780),
    Item(
        "FOOD-LINSEED",
        "Масло льняное нерафинированное, 250 мл",
        "Cold-pressed linseed oil, 250 ml",
        690,
        540,
        vat="reduced",
    ),
)
