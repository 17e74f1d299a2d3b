"""Deterministic synthetic product feeds of any size, for benchmarks and large-feed tests.

`generate` writes a realistic Prom/Rozetka-style YML feed (or a Hotline or Google Merchant variant) to
disk as it goes, so memory stays constant whatever the size: Ukrainian names and descriptions, a
category tree, currencies, shop-level delivery options, 3-8 pictures and 10-24 params per offer,
about 3-4 KB per offer like the median real Ukrainian feed. The same seed and size give the same
bytes. A small share of offers carries a realistic fault; each one is counted (and, on request,
listed with its offer index, id and line) so a test can check that the audit finds exactly those.

    python bench/generate.py bench/out/feed-100mb.xml --size 100MB
    python bench/generate.py bench/out/small.xml.gz --offers 500 --dialect hotline --faults 0.05
"""

from __future__ import annotations

import argparse
import gzip
import io
import itertools
import random
import re
import sys
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

DIALECTS = ("yml", "hotline", "google")
CHUNK_BYTES = 1 << 20

# Fault kinds planted into offers. The first two are what the ID rules catch; the others are the
# listing faults the other rule families look for (placeholder price, bad stock, used goods sold as
# new, no warranty, broken XML).
FAULTS = (
    "missing-id",  # the offer has no id at all
    "duplicate-id",  # the offer reuses the id of a recent offer
    "zero-price",  # price 0: a placeholder
    "price-on-request",  # price text "Ціну уточнюйте"
    "old-price-below-price",  # the "was" price is lower than the price
    "negative-stock",  # quantity -1
    "used-as-new",  # "б/в" in the name, no condition stated
    "no-warranty",  # the warranty param is missing
    "unescaped-ampersand",  # a bare & in the name: not well-formed XML
)
WELL_FORMED_FAULTS = tuple(kind for kind in FAULTS if kind != "unescaped-ampersand")

WORDS = (  # noqa: SIM905 - a paragraph of words reads better than a list literal
    "якісний надійний сучасний зручний легкий міцний компактний потужний тихий економний стильний "
    "практичний універсальний класичний оригінальний ергономічний безпечний довговічний функціональний "
    "корпус матеріал поверхня конструкція комплект модель серія колір розмір вага об'єм потужність "
    "режим функція покриття ручка кнопка дисплей акумулятор зарядка кабель фільтр чохол панель "
    "для дому офісу кухні дачі подорожей щоденного використання спорту відпочинку роботи навчання "
    "забезпечує гарантує дозволяє підходить поєднує зберігає захищає підтримує працює виготовлений "
    "з нержавіючої сталі пластику алюмінію скла дерева тканини шкіри кераміки силікону бавовни "
    "висока низька швидка тривала зручна проста надійна ефективна безшумна енергоефективна "
    "виробник країна Україна Польща Німеччина Китай Туреччина Італія доставка оплата замовлення "
    "новинка хіт продажу акція знижка подарунок сертифікат стандарт якість сервіс підтримка"
).split()

CATEGORY_NAMES = (
    "Побутова техніка",
    "Чайники",
    "Мікрохвильові печі",
    "Пилососи",
    "Праски",
    "Кавоварки",
    "Блендери",
    "Мультиварки",
    "Холодильники",
    "Пральні машини",
    "Смартфони",
    "Навушники",
    "Ноутбуки",
    "Планшети",
    "Павербанки",
    "Чохли для телефонів",
    "Зарядні пристрої",
    "Розумні годинники",
    "Інструменти",
    "Дрилі та шуруповерти",
    "Болгарки",
    "Садова техніка",
    "Газонокосарки",
    "Товари для дому",
    "Посуд",
    "Каструлі",
    "Сковорідки",
    "Текстиль",
    "Постільна білизна",
    "Рушники",
    "Дитячі товари",
    "Іграшки",
    "Конструктори",
    "Спорт і відпочинок",
    "Велосипеди",
    "Туристичне спорядження",
    "Намети",
    "Спальники",
    "Одяг",
    "Взуття",
)

BRANDS = (  # noqa: SIM905
    "Bosch Philips Samsung Xiaomi Tefal Gorenje Electrolux Braun Rowenta Zelmer Ardesto Grunhelm Vitek "
    "Lenovo Asus HP Acer Apple JBL Sony Anker Baseus Makita DeWalt Dnipro-M Intertool Stanley Gardena "
    "Ringel Tramontina Lego Cubot Blackview Nokia Sigma Vinga"
).split()

PRODUCT_NOUNS = (
    "Електрочайник",
    "Мікрохвильова піч",
    "Пилосос",
    "Праска",
    "Кавоварка",
    "Блендер",
    "Мультиварка",
    "Смартфон",
    "Навушники",
    "Ноутбук",
    "Планшет",
    "Павербанк",
    "Шуруповерт",
    "Болгарка",
    "Газонокосарка",
    "Каструля",
    "Сковорідка",
    "Комплект постільної білизни",
    "Рушник",
    "Конструктор",
    "Велосипед",
    "Намет",
    "Спальний мішок",
    "Куртка",
    "Кросівки",
)

SERIES = ("Comfort", "Classic", "Premium", "Eco", "Smart", "Pro", "Домашній затишок", "Мрія")
COLOURS = ("чорний", "білий", "сірий", "синій", "червоний", "зелений", "бежевий", "сріблястий", "графітовий")
MATERIALS = ("пластик", "нержавіюча сталь", "алюміній", "скло", "кераміка", "бавовна", "поліестер", "дерево")
COUNTRIES = ("Україна", "Китай", "Польща", "Німеччина", "Туреччина", "Італія", "Чехія", "В'єтнам")

# (param name, value kind, unit)
PARAM_SPECS = (
    ("Колір", "colour", None),
    ("Матеріал корпусу", "material", None),
    ("Країна виробник", "country", None),
    ("Вага", "weight", "кг"),
    ("Потужність", "power", "Вт"),
    ("Об'єм", "volume", "л"),
    ("Довжина кабелю", "cable", "м"),
    ("Напруга живлення", "voltage", "В"),
    ("Ширина", "size", "см"),
    ("Висота", "size", "см"),
    ("Глибина", "size", "см"),
    ("Кількість режимів", "count", None),
    ("Тип управління", "control", None),
    ("Комплектація", "kit", None),
    ("Особливості", "features", None),
    ("Клас енергоспоживання", "energy", None),
    ("Рівень шуму", "noise", "дБ"),
    ("Тип живлення", "supply", None),
    ("Індикатор роботи", "yesno", None),
    ("Захист від перегріву", "yesno", None),
    ("Автовимкнення", "yesno", None),
    ("Артикул виробника", "article", None),
)

_TRANSLIT = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "h",
        "ґ": "g",
        "д": "d",
        "е": "e",
        "є": "ie",
        "ж": "zh",
        "з": "z",
        "и": "y",
        "і": "i",
        "ї": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ь": "",
        "ю": "iu",
        "я": "ia",
        "'": "",
    }
)


@dataclass(slots=True)
class PlantedFault:
    kind: str
    index: int  # 0-based offer index in the feed
    offer_id: str | None
    line: int  # line of the offer's start tag
    id_line: int | None  # line of the offer's id (the start tag in YML, the next line in the others)


@dataclass(slots=True)
class Manifest:
    """What was written: sizes, counts, and the faults planted."""

    path: str
    dialect: str
    seed: int
    offers: int = 0
    bytes: int = 0  # uncompressed bytes
    lines: int = 0
    fault_counts: Counter[str] = field(default_factory=Counter)
    faults: list[PlantedFault] = field(default_factory=list)  # only when asked (keep_faults=True)


@dataclass(slots=True)
class _Product:
    index: int
    offer_id: str | None
    name: str
    vendor: str
    vendor_code: str
    category_id: int
    price: str
    old_price: str | None
    quantity: int
    available: str
    url: str
    pictures: list[str]
    description: str
    params: list[tuple[str, str, str | None]]
    country: str
    fault: str | None = None


def parse_size(text: str) -> int:
    """`'100MB'` → 100_000_000, `'1GB'` → 1_000_000_000, `'512KiB'` → 524_288, `'2000'` → bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*", text, re.I)
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 100MB, 1GB, 512KiB)")
    number = float(match.group(1))
    unit = (match.group(2) or "B").upper().rstrip("B") or "B"
    scale = {"B": 1, "K": 10**3, "M": 10**6, "G": 10**9, "KI": 2**10, "MI": 2**20, "GI": 2**30}[unit]
    return int(number * scale)


class _Generator:
    def __init__(self, seed: int, fault_rate: float, kinds: tuple[str, ...] = FAULTS) -> None:
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.kinds = kinds
        self.recent_ids: deque[str] = deque(maxlen=64)
        self.categories = self._categories()

    def _categories(self) -> list[tuple[int, int | None, str]]:
        rng = self.rng
        result: list[tuple[int, int | None, str]] = []
        next_id = 100
        for top in CATEGORY_NAMES[::4]:
            top_id = next_id
            next_id += 1
            result.append((top_id, None, top))
            for _ in range(rng.randint(3, 8)):
                result.append((next_id, top_id, f"{rng.choice(CATEGORY_NAMES)} {rng.choice(BRANDS)}"))
                next_id += 1
        return result

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(WORDS, k=self.rng.randint(low, high)))

    def product(self, index: int) -> _Product:
        rng = self.rng
        noun = rng.choice(PRODUCT_NOUNS)
        vendor = rng.choice(BRANDS)
        model = f"{rng.choice('ABCDEFGHKMPRSTVX')}{rng.choice('ABCDEFGHKMPRSTVX')}-{rng.randint(100, 9999)}"
        colour = rng.choice(COLOURS)
        series = f' серія "{rng.choice(SERIES)}"' if rng.random() < 0.2 else ""
        name = f"{noun} {vendor} {model}{series} {self.words(1, 3)} {colour}"
        offer_id = f"{rng.randint(10, 99)}{index:08d}"
        category_id = rng.choice(self.categories)[0]
        price_value = rng.randint(99, 60000)
        price = str(price_value) if rng.random() < 0.7 else f"{price_value}.{rng.randint(0, 99):02d}"
        old_price = str(price_value + rng.randint(1, price_value // 3 + 2)) if rng.random() < 0.3 else None
        quantity = rng.choice((0, 0, 1, 2, 3, 5, 8, 12, 20, 35, 50, 100, 250))
        available = "true" if quantity > 0 or rng.random() < 0.2 else "false"
        slug = f"{noun.lower().translate(_TRANSLIT).replace(' ', '-')}-{vendor.lower()}-{model.lower()}"
        url = f"https://tekhnomarket.example.ua/ua/p{index}-{slug}.html"
        pictures = [
            f"https://images.prom.ua/{rng.randint(1000000000, 5999999999)}_w640_h640_{slug[:24]}.jpg"
            for _ in range(rng.randint(3, 8))
        ]
        paragraphs = [f"<p>{self.words(14, 30)}.</p>" for _ in range(rng.randint(2, 4))]
        features = "".join(f"<li>{self.words(3, 8)}</li>" for _ in range(rng.randint(2, 5)))
        description = f"<h2>{name}</h2>{''.join(paragraphs)}<ul>{features}</ul>"
        months = rng.choice((6, 12, 12, 24, 36))
        warranty = f"{months} {'місяці' if months % 10 in (2, 3, 4) and months // 10 != 1 else 'місяців'}"
        params: list[tuple[str, str, str | None]] = [("Стан", "Новий", None), ("Гарантія", warranty, None)]
        for spec_name, kind, unit in rng.sample(PARAM_SPECS, rng.randint(8, 20)):
            params.append((spec_name, self._param_value(kind, colour), unit))
        product = _Product(
            index=index,
            offer_id=offer_id,
            name=name,
            vendor=vendor,
            vendor_code=model,
            category_id=category_id,
            price=price,
            old_price=old_price,
            quantity=quantity,
            available=available,
            url=url,
            pictures=pictures,
            description=description,
            params=params,
            country=rng.choice(COUNTRIES),
        )
        if self.fault_rate and rng.random() < self.fault_rate:
            self._plant(product)
        if product.offer_id is not None and product.fault != "duplicate-id":
            self.recent_ids.append(product.offer_id)
        return product

    def _param_value(self, kind: str, colour: str) -> str:
        rng = self.rng
        values: dict[str, Callable[[], str]] = {
            "colour": lambda: colour,
            "material": lambda: rng.choice(MATERIALS),
            "country": lambda: rng.choice(COUNTRIES),
            "weight": lambda: f"{rng.randint(1, 250) / 10:.1f}".replace(".", ","),
            "power": lambda: str(rng.choice((600, 800, 1200, 1800, 2200, 2400))),
            "volume": lambda: f"{rng.randint(5, 60) / 10:.1f}".replace(".", ","),
            "cable": lambda: f"{rng.randint(7, 30) / 10:.1f}".replace(".", ","),
            "voltage": lambda: "220-240",
            "size": lambda: str(rng.randint(5, 120)),
            "count": lambda: str(rng.randint(1, 12)),
            "control": lambda: rng.choice(("механічне", "сенсорне", "електронне", "кнопкове")),
            "kit": lambda: ", ".join(rng.sample(("інструкція", "гарантійний талон", "кабель", "чохол", "адаптер"), 3)),
            "features": lambda: self.words(4, 10),
            "energy": lambda: rng.choice(("A", "A+", "A++", "B")),
            "noise": lambda: str(rng.randint(30, 80)),
            "supply": lambda: rng.choice(("від мережі", "акумулятор", "батарейки")),
            "yesno": lambda: rng.choice(("Так", "Ні")),
            "article": lambda: f"{rng.randint(100000, 999999)}",
        }
        return values[kind]()

    def _plant(self, product: _Product) -> None:
        kind = self.rng.choice(self.kinds)
        if kind == "duplicate-id" and not self.recent_ids:
            kind = "missing-id"
        product.fault = kind
        if kind == "missing-id":
            product.offer_id = None
        elif kind == "duplicate-id":
            product.offer_id = self.rng.choice(self.recent_ids)
        elif kind == "zero-price":
            product.price = "0"
        elif kind == "price-on-request":
            product.price = "Ціну уточнюйте"
        elif kind == "old-price-below-price":
            product.old_price = str(max(1, int(float(product.price)) // 2))
        elif kind == "negative-stock":
            product.quantity = -1
        elif kind == "used-as-new":
            product.name += " (б/в)"
            product.params = [p for p in product.params if p[0] != "Стан"]
        elif kind == "no-warranty":
            product.params = [p for p in product.params if p[0] != "Гарантія"]
        elif kind == "unescaped-ampersand":
            product.name = product.name.replace(" ", " & ", 1)


# -- dialect writers ---------------------------------------------------------------------------------


_QUOTES = {'"': "&quot;", "'": "&#039;"}  # what PHP's htmlspecialchars(ENT_QUOTES) writes, as most shops do


def _text(value: str, product: _Product | None = None) -> str:
    """Escape text the PHP way, except the planted bare ampersand."""
    if product is not None and product.fault == "unescaped-ampersand":
        return escape(value.replace(" & ", " \0 "), _QUOTES).replace("\0", "&")
    return escape(value, _QUOTES)


def _yml_head(gen: _Generator) -> str:
    categories = "\n".join(
        f'      <category id="{cid}" parentId="{parent}">{escape(name)}</category>'
        if parent is not None
        else f'      <category id="{cid}">{escape(name)}</category>'
        for cid, parent, name in gen.categories
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-11-20 09:00">
  <shop>
    <name>Техномаркет</name>
    <company>ТОВ «Техномаркет Україна»</company>
    <url>https://tekhnomarket.example.ua</url>
    <platform>Prom.ua</platform>
    <currencies>
      <currency id="UAH" rate="1"/>
      <currency id="USD" rate="CB"/>
      <currency id="EUR" rate="CB"/>
    </currencies>
    <categories>
{categories}
    </categories>
    <delivery-options>
      <option cost="0" days="1-3"/>
      <option cost="70" days="1"/>
    </delivery-options>
    <offers>
"""


def _yml_offer(p: _Product) -> str:
    id_attr = f' id="{escape(p.offer_id)}"' if p.offer_id is not None else ""
    parts = [
        f'      <offer{id_attr} available="{p.available}" presence_sure="true">\n',
        f"        <url>{escape(p.url)}</url>\n",
        f"        <price>{escape(p.price)}</price>\n",
    ]
    if p.old_price is not None:
        parts.append(f"        <oldprice>{p.old_price}</oldprice>\n")
    parts.append(f"        <currencyId>UAH</currencyId>\n        <categoryId>{p.category_id}</categoryId>\n")
    parts.extend(f"        <picture>{escape(url)}</picture>\n" for url in p.pictures)
    name = _text(p.name, p)
    parts.append(
        f"        <name>{name}</name>\n"
        f"        <name_ua>{name}</name_ua>\n"
        f"        <vendor>{escape(p.vendor)}</vendor>\n"
        f"        <vendorCode>{escape(p.vendor_code)}</vendorCode>\n"
        f"        <country_of_origin>{p.country}</country_of_origin>\n"
        f"        <description><![CDATA[{p.description}]]></description>\n"
        f"        <quantity_in_stock>{p.quantity}</quantity_in_stock>\n"
    )
    for name_, value, unit in p.params:
        unit_attr = f" unit={quoteattr(unit)}" if unit else ""
        parts.append(f"        <param name={quoteattr(name_)}{unit_attr}>{_text(value)}</param>\n")
    parts.append("      </offer>\n")
    return "".join(parts)


_YML_TAIL = "    </offers>\n  </shop>\n</yml_catalog>\n"


def _hotline_head(gen: _Generator) -> str:
    categories = "".join(
        f"    <category>\n      <id>{cid}</id>\n"
        + (f"      <parentId>{parent}</parentId>\n" if parent is not None else "")
        + f"      <name>{escape(name)}</name>\n    </category>\n"
        for cid, parent, name in gen.categories
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<price>
  <date>2026-11-20 12:00</date>
  <firmName>Техномаркет</firmName>
  <firmId>31234</firmId>
  <rate>41.5</rate>
  <delivery id="1" type="warehouse" cost="60" freeFrom="3000" time="1" carrier="NP"/>
  <categories>
{categories}  </categories>
  <items>
"""


def _hotline_offer(p: _Product) -> str:
    parts = ["    <item>\n"]
    if p.offer_id is not None:
        parts.append(f"      <id>{escape(p.offer_id)}</id>\n")
    parts.append(
        f"      <categoryId>{p.category_id}</categoryId>\n"
        f"      <code>{escape(p.vendor_code)}</code>\n"
        f"      <vendor>{escape(p.vendor)}</vendor>\n"
        f"      <name>{_text(p.name, p)}</name>\n"
        f"      <description><![CDATA[{p.description}]]></description>\n"
        f"      <url>{escape(p.url)}</url>\n"
    )
    parts.extend(f"      <image>{escape(url)}</image>\n" for url in p.pictures)
    parts.append(f"      <priceRUAH>{escape(p.price)}</priceRUAH>\n")
    if p.old_price is not None:
        parts.append(f"      <oldprice>{p.old_price}</oldprice>\n")
    stock = "В наявності" if p.available == "true" else "Під замовлення"
    parts.append(f"      <stock>{stock}</stock>\n      <stock_quantity>{p.quantity}</stock_quantity>\n")
    for name_, value, _unit in p.params:
        if name_ == "Гарантія":
            parts.append(f'      <guarantee type="manufacturer">{value.split()[0]}</guarantee>\n')
        elif name_ == "Стан":
            parts.append("      <condition>0</condition>\n")
        else:
            parts.append(f"      <param name={quoteattr(name_)}>{_text(value)}</param>\n")
    parts.append("    </item>\n")
    return "".join(parts)


_HOTLINE_TAIL = "  </items>\n</price>\n"


def _google_head(gen: _Generator) -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
  <channel>
    <title>Техномаркет</title>
    <link>https://tekhnomarket.example.ua</link>
    <description>Побутова техніка, електроніка та товари для дому</description>
"""


def _google_offer(p: _Product) -> str:
    parts = ["    <item>\n"]
    if p.offer_id is not None:
        parts.append(f"      <g:id>{escape(p.offer_id)}</g:id>\n")
    price = p.price if not p.price[:1].isdigit() else f"{p.price} UAH"
    availability = "in_stock" if p.available == "true" else "backorder"
    parts.append(
        f"      <g:title>{_text(p.name, p)}</g:title>\n"
        f"      <g:description><![CDATA[{p.description}]]></g:description>\n"
        f"      <g:link>{escape(p.url)}</g:link>\n"
        f"      <g:image_link>{escape(p.pictures[0])}</g:image_link>\n"
    )
    parts.extend(f"      <g:additional_image_link>{escape(url)}</g:additional_image_link>\n" for url in p.pictures[1:])
    if p.old_price is not None:
        parts.append(
            f"      <g:price>{p.old_price} UAH</g:price>\n      <g:sale_price>{escape(price)}</g:sale_price>\n"
        )
    else:
        parts.append(f"      <g:price>{escape(price)}</g:price>\n")
    parts.append(
        f"      <g:availability>{availability}</g:availability>\n"
        f"      <g:brand>{escape(p.vendor)}</g:brand>\n"
        f"      <g:mpn>{escape(p.vendor_code)}</g:mpn>\n"
    )
    if any(name == "Стан" for name, _, _ in p.params):
        parts.append("      <g:condition>new</g:condition>\n")
    for name_, value, unit in p.params:
        if name_ == "Гарантія":
            parts.append(
                "      <g:product_detail>\n        <g:section_name>Гарантія</g:section_name>\n"
                f"        <g:attribute_name>Гарантія</g:attribute_name>\n"
                f"        <g:attribute_value>{escape(value)}</g:attribute_value>\n      </g:product_detail>\n"
            )
        elif name_ not in ("Стан",):
            shown = f"{value} {unit}" if unit else value
            parts.append(
                "      <g:product_detail>\n        <g:section_name>Характеристики</g:section_name>\n"
                f"        <g:attribute_name>{escape(name_)}</g:attribute_name>\n"
                f"        <g:attribute_value>{escape(shown)}</g:attribute_value>\n      </g:product_detail>\n"
            )
    parts.append(
        "      <g:shipping>\n        <g:country>UA</g:country>\n        <g:price>0 UAH</g:price>\n"
        "        <g:min_handling_time>0</g:min_handling_time>\n        <g:max_handling_time>1</g:max_handling_time>\n"
        "      </g:shipping>\n    </item>\n"
    )
    return "".join(parts)


_GOOGLE_TAIL = "  </channel>\n</rss>\n"

_WRITERS = {
    "yml": (_yml_head, _yml_offer, _YML_TAIL),
    "hotline": (_hotline_head, _hotline_offer, _HOTLINE_TAIL),
    "google": (_google_head, _google_offer, _GOOGLE_TAIL),
}


def generate(
    path: str | Path,
    *,
    size: int | None = None,
    offers: int | None = None,
    dialect: str = "yml",
    seed: int = 1,
    fault_rate: float = 0.01,
    kinds: tuple[str, ...] = FAULTS,
    compress: bool | None = None,
    keep_faults: bool = False,
) -> Manifest:
    """Write a synthetic feed of about `size` uncompressed bytes or exactly `offers` offers.

    Stops after the offer that reaches `size` (so the file is a few KB over it). `compress` defaults
    to "the path ends in .gz". Memory stays constant unless `keep_faults` lists every planted fault.
    """
    if (size is None) == (offers is None):
        raise ValueError("give exactly one of size and offers")
    if dialect not in _WRITERS:
        raise ValueError(f"unknown dialect {dialect!r} (one of {', '.join(DIALECTS)})")
    path = Path(path)
    compress = path.suffix == ".gz" if compress is None else compress
    head_of, offer_of, tail = _WRITERS[dialect]
    unknown = set(kinds) - set(FAULTS)
    if unknown or not kinds:
        raise ValueError(f"unknown fault kinds {sorted(unknown)} (known: {', '.join(FAULTS)})")
    gen = _Generator(seed, fault_rate, tuple(kinds))
    manifest = Manifest(path=str(path), dialect=dialect, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: io.BufferedIOBase = gzip.open(path, "wb", compresslevel=6) if compress else open(path, "wb")  # noqa: SIM115
    with handle:
        head = head_of(gen).encode("utf-8")
        handle.write(head)
        written = len(head)
        line = head.count(b"\n") + 1  # the line the next offer starts on
        buffer: list[bytes] = []
        buffered = 0
        for index in itertools.count() if offers is None else range(offers):
            product = gen.product(index)
            data = offer_of(product).encode("utf-8")
            if product.fault is not None:
                manifest.fault_counts[product.fault] += 1
                if keep_faults:
                    id_line = None if product.offer_id is None else line + (dialect != "yml")
                    manifest.faults.append(PlantedFault(product.fault, product.index, product.offer_id, line, id_line))
            line += data.count(b"\n")
            buffer.append(data)
            buffered += len(data)
            written += len(data)
            manifest.offers += 1
            if buffered >= CHUNK_BYTES:
                handle.write(b"".join(buffer))
                buffer.clear()
                buffered = 0
            if size is not None and written >= size:
                break
        closing = tail.encode("utf-8")
        buffer.append(closing)
        handle.write(b"".join(buffer))
        written += len(closing)
        line += closing.count(b"\n")
    manifest.bytes = written
    manifest.lines = line - 1
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("path", help="where to write the feed (.gz compresses)")
    amount = parser.add_mutually_exclusive_group(required=True)
    amount.add_argument("--size", type=parse_size, help="uncompressed size, e.g. 100MB, 1GB")
    amount.add_argument("--offers", type=int, help="number of offers")
    parser.add_argument("--dialect", choices=DIALECTS, default="yml")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", type=float, default=0.01, help="share of offers with a planted fault")
    parser.add_argument(
        "--kinds",
        default=",".join(FAULTS),
        help="comma-separated fault kinds to plant (default: all); 'well-formed' = all but the XML-breaking one",
    )
    parser.add_argument("--gzip", action="store_true", help="compress even without a .gz suffix")
    args = parser.parse_args(argv)
    manifest = generate(
        args.path,
        size=args.size,
        offers=args.offers,
        dialect=args.dialect,
        seed=args.seed,
        fault_rate=args.faults,
        kinds=WELL_FORMED_FAULTS if args.kinds == "well-formed" else tuple(args.kinds.split(",")),
        compress=True if args.gzip else None,
    )
    print(
        f"{manifest.path}: {manifest.dialect}, {manifest.offers:,} offers, {manifest.bytes:,} bytes "
        f"({manifest.bytes / max(manifest.offers, 1):,.0f} B/offer), {manifest.lines:,} lines, "
        f"{sum(manifest.fault_counts.values()):,} planted faults"
    )
    for kind, count in sorted(manifest.fault_counts.items()):
        print(f"  {count:>7,}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
