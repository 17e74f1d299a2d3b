"""The YML reader (Yandex, Prom, Rozetka, Epicentr): field mapping and source lines, per flavour."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from feedaudit.model import Availability, Condition, Dialect
from tests.feeds.conftest import read, yml


def test_prom_fixture_fields_and_lines(feeds_dir: Path) -> None:
    got = read(feeds_dir / "prom.xml")
    assert not got.issues
    feed = got.feed
    assert (feed.dialect, feed.flavour, feed.offers) == (Dialect.YML, "prom", 5)
    assert feed.shop.name == "Побутова техніка Дніпро"
    assert feed.shop.url == "https://tekhnika-dnipro.example.ua"
    assert feed.shop.currencies == {"UAH": Decimal(1), "USD": None}
    assert feed.shop.categories == {"10": "Чайники", "20": "Пилососи", "30": "Смартфони"}

    first = got.offer("KT-1001")
    assert first.line == 17
    assert first.dialect is Dialect.YML
    assert (first.price, first.price_text) == (Decimal(1299), "1299")
    assert (first.old_price, first.old_price_text) == (Decimal(1499), "1499")
    assert first.currency == "UAH"
    assert (first.availability, first.availability_text) == (Availability.IN_STOCK, "true")
    assert (first.quantity, first.quantity_text) == (12, "12")  # quantity_in_stock
    assert (first.condition, first.condition_text) == (Condition.NEW, "Новий")
    assert (first.warranty_months, first.warranty_text) == (Decimal(24), "24 місяці")
    assert first.vendor == "Bosch"
    assert first.vendor_code == "TWK3A011"
    assert first.category == "Чайники"
    assert first.url == "https://tekhnika-dnipro.example.ua/p/kt-1001"
    assert first.description is not None
    assert "Суточная норма" in first.description
    assert [(p.name, p.value, p.line) for p in first.params] == [("Стан", "Новий", 29), ("Гарантія", "24 місяці", 30)]
    assert dict(first.lines) == {
        "url": 18,
        "price": 19,
        "old_price": 20,
        "currency": 21,
        "category": 22,
        "name": 24,
        "vendor": 25,
        "vendor_code": 26,
        "description": 27,
        "quantity": 28,
        "condition": 29,
        "warranty": 30,
        "availability": 17,  # the offer's own `available` attribute
    }

    vacuum = got.offers[2]
    assert (vacuum.offer_id, vacuum.line) == ("VC-2001", 45)
    assert (vacuum.price, vacuum.price_text) == (Decimal("3850.00"), "3 850,00")  # comma decimal, spaced thousands
    assert (vacuum.quantity, vacuum.condition) == (0, None)
    assert vacuum.warranty_text == "14 днів на повернення"
    assert vacuum.line_of("warranty") == 55
    assert vacuum.line_of("condition") == 45  # absent field: the offer's line

    on_order = got.offers[3]
    assert on_order.line == 57
    # Prom (like Yandex): available="false" means "made to order", not "out of stock"
    assert (on_order.availability, on_order.availability_text) == (Availability.BACKORDER, "false")
    assert on_order.quantity is None
    assert (on_order.warranty_months, on_order.lines["warranty"]) == (Decimal(12), 67)

    no_id = got.offers[4]
    assert (no_id.offer_id, no_id.line, no_id.price, no_id.quantity) == (None, 69, Decimal(99999), 99999)


def test_rozetka_fixture_fields_and_lines(feeds_dir: Path) -> None:
    got = read(feeds_dir / "rozetka.xml")
    assert not got.issues
    assert (got.feed.flavour, got.feed.offers, got.feed.shop.name) == ("rozetka", 4, "Гаджет Маркет")
    headphones = got.offer("HP-501")
    assert (headphones.old_price, headphones.lines["old_price"]) == (Decimal(2499), 18)  # price_old
    assert (headphones.quantity, headphones.lines["quantity"]) == (25, 27)  # stock_quantity
    assert (headphones.vendor_code, headphones.lines["vendor_code"]) == ("JBLT520BT", 23)  # article
    assert (headphones.name, headphones.lines["name"]) == ("Навушники JBL Tune 520BT Black", 24)
    assert headphones.category == "Навушники"

    sold_out = got.offer("HP-502")
    # Rozetka: available="false" means "not in stock"
    assert (sold_out.availability, sold_out.availability_text, sold_out.lines["availability"]) == (
        Availability.OUT_OF_STOCK,
        "false",
        30,
    )
    assert (sold_out.quantity, sold_out.old_price, sold_out.price) == (50, Decimal(1399), Decimal(1599))
    assert (sold_out.warranty_months, sold_out.warranty_text, sold_out.lines["warranty"]) == (Decimal(12), "1 год", 40)

    laptops = [o for o in got.offers if o.offer_id == "NB-900"]
    assert [o.line for o in laptops] == [42, 54]
    assert (laptops[0].condition, laptops[0].condition_text, laptops[0].lines["condition"]) == (
        Condition.NEW,
        "new",
        51,
    )  # <state>
    assert (laptops[0].warranty_months, laptops[0].warranty_text) == (Decimal(6), "6 месяцев")
    assert laptops[1].warranty_text == "Обміну та поверненню не підлягає"
    assert laptops[1].warranty_months is None


def test_epicentr_fixture_fields_and_lines(feeds_dir: Path) -> None:
    got = read(feeds_dir / "epicentr.xml")  # UTF-8 with a BOM, no <shop>
    assert not got.issues
    assert (got.feed.flavour, got.feed.offers, got.feed.shop.name) == ("epicentr", 3, None)
    case = got.offer("33703-L-Black")
    assert (case.line, case.name, case.lines["name"]) == (4, "Валіза Snowball 33703 L чорна", 9)  # lang="ua"
    assert (case.price, case.old_price, case.lines["old_price"]) == (Decimal(3250), Decimal(3600), 6)
    assert (case.category, case.lines["category"]) == ("Валізи", 7)
    assert (case.warranty_months, case.warranty_text, case.lines["warranty"]) == (Decimal(12), "12 місяців", 15)
    assert (case.return_text, case.lines["return"]) == ("14 днів з дня покупки", 16)
    assert case.description == "Валіза на чотирьох колесах, 95 л."

    red = got.offer("33703-M-Red")
    # Epicentr, like Rozetka: available="false" means "not in stock"
    assert red.availability is Availability.OUT_OF_STOCK
    assert (red.price, red.price_text, red.lines["price"]) == (None, "договірна", 19)
    assert red.warranty_text is None

    blank = got.offers[2]
    assert (blank.offer_id, blank.line) == (None, 27)  # id="" is no id
    assert (blank.warranty_months, blank.warranty_text) == (None, "гарантія не надається")


def test_windows_1251_fixture_is_decoded(feeds_dir: Path) -> None:
    got = read(feeds_dir / "windows-1251.xml")
    assert not got.issues
    assert got.feed.shop.name == "Магазин"
    assert [(o.offer_id, o.line, o.name, o.price) for o in got.offers] == [
        ("W1", 6, "Ковдра вовняна 140x205", Decimal("499.90")),
        ("W1", 7, "Подушка пухова", Decimal(520)),
    ]


def test_gzip_fixture_reads_like_the_plain_file(feeds_dir: Path) -> None:
    plain = read(feeds_dir / "prom.xml")
    packed = read(feeds_dir / "prom.xml.gz")
    assert not packed.issues
    strip = [o.__class__.__name__ for o in packed.offers]
    assert len(strip) == 5
    for a, b in zip(plain.offers, packed.offers, strict=True):
        assert (a.offer_id, a.line, a.price_text, dict(a.lines)) == (b.offer_id, b.line, b.price_text, dict(b.lines))


QUANTITY_SPELLINGS = ["quantity_in_stock", "stock_quantity", "count", "quantity", "stock"]


@pytest.mark.parametrize("tag", QUANTITY_SPELLINGS)
def test_quantity_spellings(tag: str, write_feed: Callable[..., Path]) -> None:
    path = write_feed(yml(f'<offer id="1" available="true">\n<price>10</price>\n<{tag}>7</{tag}>\n</offer>'))
    offer = read(path).offers[0]
    assert (offer.quantity, offer.quantity_text, offer.lines["quantity"]) == (7, "7", 4)


@pytest.mark.parametrize("tag", ["oldprice", "price_old", "old_price"])
def test_old_price_spellings(tag: str, write_feed: Callable[..., Path]) -> None:
    path = write_feed(yml(f'<offer id="1">\n<price>10</price>\n<{tag}>12,5</{tag}>\n</offer>'))
    offer = read(path).offers[0]
    assert (offer.old_price, offer.old_price_text, offer.lines["old_price"]) == (Decimal("12.5"), "12,5", 4)


@pytest.mark.parametrize(
    ("available", "marketplace", "expected"),
    [
        ("true", None, Availability.IN_STOCK),
        ("false", None, Availability.BACKORDER),  # plain Yandex YML: made to order
        ("false", "prom", Availability.BACKORDER),
        ("false", "rozetka", Availability.OUT_OF_STOCK),
        ("false", "epicentr", Availability.OUT_OF_STOCK),
        ("", None, Availability.OUT_OF_STOCK),  # Prom: an empty value reads "not in stock"
        ("склад", None, Availability.IN_STOCK),
    ],
)
def test_available_attribute_per_marketplace(
    available: str, marketplace: str | None, expected: Availability, write_feed: Callable[..., Path]
) -> None:
    path = write_feed(yml(f'<offer id="1" available="{available}"><price>10</price></offer>'))
    offer = read(path, marketplace=marketplace).offers[0]
    assert (offer.availability, offer.availability_text, offer.lines["availability"]) == (expected, available, 2)


def test_no_available_attribute_is_no_availability(write_feed: Callable[..., Path]) -> None:
    offer = read(write_feed(yml('<offer id="1"><price>10</price></offer>'))).offers[0]
    assert (offer.availability, offer.availability_text, "availability" in offer.lines) == (None, None, False)


def test_rozetka_is_told_from_rz_id_without_being_named(write_feed: Callable[..., Path]) -> None:
    head = '<yml_catalog><shop><name>S</name><categories><category id="1" rz_id="5">C</category></categories><offers>\n'
    got = read(write_feed(yml('<offer id="1" available="false"><price>10</price></offer>', head=head)))
    assert got.feed.flavour == "rozetka"
    assert got.offers[0].availability is Availability.OUT_OF_STOCK


@pytest.mark.parametrize(
    ("element", "condition", "text"),
    [
        ('<condition type="used"><reason>Подряпини</reason></condition>', Condition.USED, "used"),
        ('<condition type="likenew"/>', Condition.DISCOUNTED, "likenew"),
        ('<condition type="preowned"/>', Condition.USED, "preowned"),
        ("<state>refurbished</state>", Condition.REFURBISHED, "refurbished"),
        ('<param name="Стан">Вживаний</param>', Condition.USED, "Вживаний"),
        ('<param name="Состояние товара">Новое</param>', Condition.NEW, "Новое"),
    ],
)
def test_condition_spellings(element: str, condition: Condition, text: str, write_feed: Callable[..., Path]) -> None:
    offer = read(write_feed(yml(f'<offer id="1">\n<price>10</price>\n{element}\n</offer>'))).offers[0]
    assert (offer.condition, offer.condition_text, offer.lines["condition"]) == (condition, text, 4)


@pytest.mark.parametrize(
    ("element", "months", "text"),
    [
        ("<warranty-days>P1Y</warranty-days>", Decimal(12), "P1Y"),
        ("<warranty-days>P6M</warranty-days>", Decimal(6), "P6M"),
        ('<param name="Гарантійний термін, міс">24</param>', Decimal(24), "24"),
        ('<param name="Гарантія" unit="міс">36</param>', Decimal(36), "36"),
        ('<param name="Гарантия">2 года</param>', Decimal(24), "2 года"),
        ("<warranty>18</warranty>", Decimal(18), "18"),
        ("<manufacturer_warranty>true</manufacturer_warranty>", None, "manufacturer's warranty"),
    ],
)
def test_warranty_spellings(element: str, months: Decimal | None, text: str, write_feed: Callable[..., Path]) -> None:
    offer = read(write_feed(yml(f'<offer id="1">\n<price>10</price>\n{element}\n</offer>'))).offers[0]
    assert (offer.warranty_months, offer.warranty_text, offer.lines["warranty"]) == (months, text, 4)


def test_delivery_options_offer_and_shop_level(write_feed: Callable[..., Path]) -> None:
    head = (
        "<yml_catalog><shop><name>S</name>\n"
        '<delivery-options><option cost="0" days="3-5"/><option cost="100" days="1"/></delivery-options>\n'
        "<offers>\n"
    )
    offers = (
        '<offer id="1">\n<price>10</price>\n'
        '<delivery-options><option cost="50" days="2-4"/></delivery-options>\n</offer>\n'
        '<offer id="2">\n<price>10</price>\n'
        '<delivery-options><option cost="0" days=""/></delivery-options>\n</offer>\n'
        '<offer id="3"><price>10</price></offer>'
    )
    got = read(write_feed(head + offers + "\n</offers></shop></yml_catalog>\n"))
    assert (got.feed.shop.delivery_min_days, got.feed.shop.delivery_max_days, got.feed.shop.delivery_line) == (1, 1, 2)
    assert got.feed.shop.delivery_text == "days=1"
    first, on_order, plain = got.offers
    assert (first.delivery_min_days, first.delivery_max_days, first.delivery_text) == (2, 4, "days=2-4")
    assert first.lines["delivery"] == 6
    assert (on_order.delivery_min_days, on_order.delivery_max_days) == (None, 60)  # empty days: on order
    assert on_order.lines["delivery"] == 10
    assert (plain.delivery_text, "delivery" in plain.lines) == (None, False)


def test_outlets_instock_sum_as_quantity(write_feed: Callable[..., Path]) -> None:
    outlets = '<outlets><outlet id="1" instock="3"/><outlet id="2" instock="4"/></outlets>'
    offer = read(write_feed(yml(f'<offer id="1"><price>10</price>{outlets}</offer>'))).offers[0]
    assert offer.quantity == 7


def test_vendor_model_name_and_barcode(write_feed: Callable[..., Path]) -> None:
    offer_xml = (
        '<offer id="1" type="vendor.model">\n<price>10</price>\n<typePrefix>Чайник</typePrefix>\n'
        "<vendor>Bosch</vendor>\n<model>TWK 3A011</model>\n<barcode>4242002958126</barcode>\n</offer>"
    )
    offer = read(write_feed(yml(offer_xml))).offers[0]
    assert offer.name == "Чайник Bosch TWK 3A011"
    assert (offer.vendor, offer.barcode, offer.lines["barcode"]) == ("Bosch", "4242002958126", 7)


def test_params_keep_units_and_lines(write_feed: Callable[..., Path]) -> None:
    offer_xml = (
        '<offer id="1">\n<price>10</price>\n<param name="Вага" unit="кг">1,2</param>\n'
        '<param name="Колір">Білий</param>\n</offer>'
    )
    offer = read(write_feed(yml(offer_xml))).offers[0]
    assert [(p.name, p.value, p.unit, p.line) for p in offer.params] == [
        ("Вага", "1,2", "кг", 4),
        ("Колір", "Білий", None, 5),
    ]
    assert offer.param("вага") is offer.params[0]


def test_namespaced_yml_catalog(write_feed: Callable[..., Path]) -> None:
    text = (
        '<yml_catalog xmlns="http://example.com/yml"><shop><name>S</name><offers>\n'
        '<offer id="1" available="true"><price>10</price></offer>\n</offers></shop></yml_catalog>\n'
    )
    got = read(write_feed(text))
    assert [(o.offer_id, o.price, o.line) for o in got.offers] == [("1", Decimal(10), 2)]


def test_html_entity_does_not_cut_the_text(write_feed: Callable[..., Path]) -> None:
    got = read(write_feed(yml('<offer id="1"><price>1&nbsp;299</price><name>Чайник&reg; Bosch</name></offer>')))
    offer = got.offers[0]
    # the undeclared entity is a well-formedness fault, but the text after it is kept
    assert [i.kind.value for i in got.issues] == ["not-well-formed", "not-well-formed"]
    assert (offer.price, offer.name) == (Decimal(1299), "Чайник® Bosch")


def test_param_values_per_language(write_feed: Callable[..., Path]) -> None:
    offer_xml = (
        '<offer id="1">\n<price>10</price>\n'
        '<param name="Гарантийный срок"><value lang="ru">12 месяцев</value>'
        '<value lang="uk">12 місяців</value></param>\n'
        '<param name="Доставка/Оплата"><value lang="ru">срок отправки может составлять 3-5 дней</value>'
        '<value lang="uk">термін відправки може становити 3-5 днів</value></param>\n'
        '<param name="Колір">\n<value lang="uk">Синій</value>\n</param>\n'
        '<param name="Вага" unit="кг"><value lang="en">1,2</value></param>\n</offer>'
    )
    offer = read(write_feed(yml(offer_xml))).offers[0]
    assert [(p.name, p.value, p.other_values, p.line) for p in offer.params] == [
        ("Гарантийный срок", "12 місяців", ("12 месяцев",), 4),
        (
            "Доставка/Оплата",
            "термін відправки може становити 3-5 днів",
            ("срок отправки может составлять 3-5 дней",),
            5,
        ),
        ("Колір", "Синій", (), 6),
        ("Вага", "1,2", (), 9),
    ]
    assert (offer.warranty_months, offer.warranty_text, offer.lines["warranty"]) == (Decimal(12), "12 місяців", 4)
    assert (offer.delivery_min_days, offer.delivery_max_days, offer.lines["delivery"]) == (3, 5, 5)


def test_param_read_in_another_language_when_the_main_one_says_no_number(write_feed: Callable[..., Path]) -> None:
    offer_xml = (
        '<offer id="1">\n<price>10</price>\n'
        '<param name="Гарантія"><value lang="uk">від виробника</value><value lang="ru">24 месяца</value></param>\n'
        "</offer>"
    )
    offer = read(write_feed(yml(offer_xml))).offers[0]
    assert (offer.warranty_months, offer.warranty_text) == (Decimal(24), "від виробника")


def test_corpus_params_written_as_values(corpus_dir: Path) -> None:
    got = read(corpus_dir / "sunlist-testxml" / "stage" / "amp-warranty.xml")
    dispatch = got.offer("2813")
    assert (dispatch.delivery_min_days, dispatch.delivery_max_days) == (3, 5)
    assert got.offer("1542").warranty_months == Decimal(12)  # «Гарантийный срок» = 12 місяців
    allo = read(corpus_dir / "sunlist-testxml" / "dev" / "allo.xml")
    assert allo.offer("80149").param("Цвет") == ("Цвет", "Синій", None, 53, ())
