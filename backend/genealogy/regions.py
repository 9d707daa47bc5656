"""Regions a distributor may state: the ISO 3166-2 subdivisions of Russia and Kazakhstan, the
countries the company sells in, with their Russian and English names. Kazakhstan's codes are
the numeric ones ISO has used since 2020 (with the three regions of 2022); the letter codes
before them (KZ-ALA for Almaty...) are still common in other systems, so they are taken and
stored as the current code. A region belongs to its country: RU-MOW is refused for KZ."""

from __future__ import annotations

from backend.core.errors import Invalid

# code -> (Russian name, English name)
REGIONS: dict[str, tuple[str, str]] = {
    "RU-AD": ("Республика Адыгея", "Adygea"),
    "RU-AL": ("Республика Алтай", "Altai Republic"),
    "RU-BA": ("Республика Башкортостан", "Bashkortostan"),
    "RU-BU": ("Республика Бурятия", "Buryatia"),
    "RU-CE": ("Чеченская Республика", "Chechnya"),
    "RU-CU": ("Чувашская Республика", "Chuvashia"),
    "RU-DA": ("Республика Дагестан", "Dagestan"),
    "RU-IN": ("Республика Ингушетия", "Ingushetia"),
    "RU-KB": ("Кабардино-Балкарская Республика", "Kabardino-Balkaria"),
    "RU-KL": ("Республика Калмыкия", "Kalmykia"),
    "RU-KC": ("Карачаево-Черкесская Республика", "Karachay-Cherkessia"),
    "RU-KR": ("Республика Карелия", "Karelia"),
    "RU-KK": ("Республика Хакасия", "Khakassia"),
    "RU-KO": ("Республика Коми", "Komi"),
    "RU-ME": ("Республика Марий Эл", "Mari El"),
    "RU-MO": ("Республика Мордовия", "Mordovia"),
    "RU-SA": ("Республика Саха (Якутия)", "Sakha (Yakutia)"),
    "RU-SE": ("Республика Северная Осетия — Алания", "North Ossetia–Alania"),
    "RU-TA": ("Республика Татарстан", "Tatarstan"),
    "RU-TY": ("Республика Тыва", "Tuva"),
    "RU-UD": ("Удмуртская Республика", "Udmurtia"),
    "RU-ALT": ("Алтайский край", "Altai Krai"),
    "RU-KAM": ("Камчатский край", "Kamchatka Krai"),
    "RU-KHA": ("Хабаровский край", "Khabarovsk Krai"),
    "RU-KDA": ("Краснодарский край", "Krasnodar Krai"),
    "RU-KYA": ("Красноярский край", "Krasnoyarsk Krai"),
    "RU-PER": ("Пермский край", "Perm Krai"),
    "RU-PRI": ("Приморский край", "Primorsky Krai"),
    "RU-STA": ("Ставропольский край", "Stavropol Krai"),
    "RU-ZAB": ("Забайкальский край", "Zabaykalsky Krai"),
    "RU-AMU": ("Амурская область", "Amur Oblast"),
    "RU-ARK": ("Архангельская область", "Arkhangelsk Oblast"),
    "RU-AST": ("Астраханская область", "Astrakhan Oblast"),
    "RU-BEL": ("Белгородская область", "Belgorod Oblast"),
    "RU-BRY": ("Брянская область", "Bryansk Oblast"),
    "RU-CHE": ("Челябинская область", "Chelyabinsk Oblast"),
    "RU-IRK": ("Иркутская область", "Irkutsk Oblast"),
    "RU-IVA": ("Ивановская область", "Ivanovo Oblast"),
    "RU-KGD": ("Калининградская область", "Kaliningrad Oblast"),
    "RU-KLU": ("Калужская область", "Kaluga Oblast"),
    "RU-KEM": ("Кемеровская область — Кузбасс", "Kemerovo Oblast"),
    "RU-KIR": ("Кировская область", "Kirov Oblast"),
    "RU-KOS": ("Костромская область", "Kostroma Oblast"),
    "RU-KGN": ("Курганская область", "Kurgan Oblast"),
    "RU-KRS": ("Курская область", "Kursk Oblast"),
    "RU-LEN": ("Ленинградская область", "Leningrad Oblast"),
    "RU-LIP": ("Липецкая область", "Lipetsk Oblast"),
    "RU-MAG": ("Магаданская область", "Magadan Oblast"),
    "RU-MOS": ("Московская область", "Moscow Oblast"),
    "RU-MUR": ("Мурманская область", "Murmansk Oblast"),
    "RU-NIZ": ("Нижегородская область", "Nizhny Novgorod Oblast"),
    "RU-NGR": ("Новгородская область", "Novgorod Oblast"),
    "RU-NVS": ("Новосибирская область", "Novosibirsk Oblast"),
    "RU-OMS": ("Омская область", "Omsk Oblast"),
    "RU-ORE": ("Оренбургская область", "Orenburg Oblast"),
    "RU-ORL": ("Орловская область", "Oryol Oblast"),
    "RU-PNZ": ("Пензенская область", "Penza Oblast"),
    "RU-PSK": ("Псковская область", "Pskov Oblast"),
    "RU-ROS": ("Ростовская область", "Rostov Oblast"),
    "RU-RYA": ("Рязанская область", "Ryazan Oblast"),
    "RU-SAK": ("Сахалинская область", "Sakhalin Oblast"),
    "RU-SAM": ("Самарская область", "Samara Oblast"),
    "RU-SAR": ("Саратовская область", "Saratov Oblast"),
    "RU-SMO": ("Смоленская область", "Smolensk Oblast"),
    "RU-SVE": ("Свердловская область", "Sverdlovsk Oblast"),
    "RU-TAM": ("Тамбовская область", "Tambov Oblast"),
    "RU-TOM": ("Томская область", "Tomsk Oblast"),
    "RU-TUL": ("Тульская область", "Tula Oblast"),
    "RU-TVE": ("Тверская область", "Tver Oblast"),
    "RU-TYU": ("Тюменская область", "Tyumen Oblast"),
    "RU-ULY": ("Ульяновская область", "Ulyanovsk Oblast"),
    "RU-VLA": ("Владимирская область", "Vladimir Oblast"),
    "RU-VGG": ("Волгоградская область", "Volgograd Oblast"),
    "RU-VLG": ("Вологодская область", "Vologda Oblast"),
    "RU-VOR": ("Воронежская область", "Voronezh Oblast"),
    "RU-YAR": ("Ярославская область", "Yaroslavl Oblast"),
    "RU-MOW": ("Москва", "Moscow"),
    "RU-SPE": ("Санкт-Петербург", "Saint Petersburg"),
    "RU-YEV": ("Еврейская автономная область", "Jewish Autonomous Oblast"),
    "RU-CHU": ("Чукотский автономный округ", "Chukotka"),
    "RU-KHM": ("Ханты-Мансийский автономный округ — Югра", "Khanty-Mansi"),
    "RU-NEN": ("Ненецкий автономный округ", "Nenets"),
    "RU-YAN": ("Ямало-Ненецкий автономный округ", "Yamalo-Nenets"),
    "KZ-10": ("Абайская область", "Abai Region"),
    "KZ-11": ("Акмолинская область", "Akmola Region"),
    "KZ-15": ("Актюбинская область", "Aktobe Region"),
    "KZ-19": ("Алматинская область", "Almaty Region"),
    "KZ-23": ("Атырауская область", "Atyrau Region"),
    "KZ-27": ("Западно-Казахстанская область", "West Kazakhstan Region"),
    "KZ-31": ("Жамбылская область", "Jambyl Region"),
    "KZ-33": ("Жетысуская область", "Jetisu Region"),
    "KZ-35": ("Карагандинская область", "Karaganda Region"),
    "KZ-39": ("Костанайская область", "Kostanay Region"),
    "KZ-43": ("Кызылординская область", "Kyzylorda Region"),
    "KZ-47": ("Мангистауская область", "Mangystau Region"),
    "KZ-55": ("Павлодарская область", "Pavlodar Region"),
    "KZ-59": ("Северо-Казахстанская область", "North Kazakhstan Region"),
    "KZ-61": ("Туркестанская область", "Turkistan Region"),
    "KZ-62": ("Улытауская область", "Ulytau Region"),
    "KZ-63": ("Восточно-Казахстанская область", "East Kazakhstan Region"),
    "KZ-71": ("Астана", "Astana"),
    "KZ-75": ("Алматы", "Almaty"),
    "KZ-79": ("Шымкент", "Shymkent"),
}
# Kazakhstan's letter codes before 2020 -> the code that replaced them.
FORMER: dict[str, str] = {
    "KZ-AKM": "KZ-11",
    "KZ-AKT": "KZ-15",
    "KZ-ALM": "KZ-19",
    "KZ-ATY": "KZ-23",
    "KZ-ZAP": "KZ-27",
    "KZ-ZHA": "KZ-31",
    "KZ-KAR": "KZ-35",
    "KZ-KUS": "KZ-39",
    "KZ-KZY": "KZ-43",
    "KZ-MAN": "KZ-47",
    "KZ-PAV": "KZ-55",
    "KZ-SEV": "KZ-59",
    "KZ-YUZ": "KZ-61",
    "KZ-VOS": "KZ-63",
    "KZ-AST": "KZ-71",
    "KZ-ALA": "KZ-75",
    "KZ-SHY": "KZ-79",
}
COUNTRIES = frozenset(code[:2] for code in REGIONS)


def region_code(text: str) -> str:
    """The stored code of a region as given (any case; a former letter code of Kazakhstan
    becomes the current one); refused when it is not a region we know."""
    code = text.strip().upper()
    code = FORMER.get(code, code)
    if code not in REGIONS:
        raise Invalid(
            f"region {text!r} is not an ISO 3166-2 subdivision of Russia or Kazakhstan "
            "(e.g. RU-MOW, KZ-75)",
            code="unknown_region",
        )
    return code


def check_region(region: str | None, country: str | None) -> None:
    """A region needs its own country beside it."""
    if region is not None and region[:2] != country:
        raise Invalid(
            f"region {region} is in {region[:2]}, not in the country given "
            f"({country or 'none'}): give country {region[:2]}",
            code="region_country",
        )


def region_name(code: str, language: str) -> str:
    names = REGIONS.get(code)
    if names is None:
        return code
    return names[1] if language == "en" else names[0]
