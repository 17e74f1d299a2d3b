"""Normalisation and what feed text means: each step of `normalise`, and each reading on its own."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from feedaudit import lexicon
from feedaudit.model import Availability, Condition
from feedaudit.text import (
    WarrantyKind,
    availability_from_text,
    availability_placeholder,
    condition_from_text,
    condition_in_description,
    condition_in_short_text,
    delivery_days,
    normalise,
    period_months,
    price_placeholder,
    quantity_placeholder,
    read_warranty,
    warranty_in_text,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ціну\u00a0уточнюйте", "ціну уточнюйте"),  # NFKC: no-break space
        ("ＣＡＬＬ", "call"),  # NFKC: full-width letters
        ("ЦІНА", "ціна"),  # casefold
        ("ещё", "еще"),  # ё → е
        ("м’ясо мʼясо м`ясо м‘ясо", "м'ясо м'ясо м'ясо м'ясо"),  # apostrophes
        ("1–2 дні — 3−4", "1-2 дні - 3-4"),  # dashes
        ("б\\у", "б/у"),  # backslash
        ("  a \t\n b  ", "a b"),  # whitespace
        ("<p>Ціна&nbsp;<b>договірна</b></p>", "ціна договірна"),  # HTML and entities
        ("<![CDATA[Під замовлення]]>", "під замовлення"),  # CDATA markers
    ],
)
def test_each_normalisation_step(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Сall for рrice", "call for price"),  # Cyrillic С and р in English words
        ("Цeнa пo зaпpocу", "цена по запросу"),  # Latin e, a, o, p, c in Russian words
        ("зaпpocу", "запросу"),  # 4 Latin letters against 2 Cyrillic: strong з and у decide, not the majority
        ("ЦIНА ДОГОВIРНА", "ціна договірна"),  # Latin I in Ukrainian words
        ("наявнiсть", "наявність"),
        ("yточняйте", "уточняйте"),
        ("Bosch TWK3A011 чайник", "bosch twk3a011 чайник"),  # words in one script stay as they are
        ("А54", "а54"),  # a model number in one script is not folded
        ("оa", "оа"),  # only look-alikes, tie: Cyrillic
        ("aaо", "aao"),  # only look-alikes: the majority decides
    ],
)
def test_look_alike_letters_fold_by_strong_letters(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_lexicon_patterns_compile_and_avoid_ranges() -> None:
    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, str) and not path.endswith("literals"):
                    re.compile(item)
                    assert not re.search(r"\[[^\]]*\w-\w[^\]]*\]", item), f"{path}: character range in {item!r}"

    walk(lexicon._data(), "")


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("В наявності", Availability.IN_STOCK),
        ("Немає в наявності", Availability.OUT_OF_STOCK),  # negative first
        ("Нет в наличии", Availability.OUT_OF_STOCK),
        ("Під замовлення", Availability.BACKORDER),
        ("На заказ", Availability.BACKORDER),
        ("Очікується", Availability.PREORDER),
        ("preorder", Availability.PREORDER),
        ("out of stock", Availability.OUT_OF_STOCK),
        ("Уточнюйте наявність", Availability.ON_REQUEST),
        ("check availability", Availability.ON_REQUEST),
        ("Під замовлення?", Availability.ON_REQUEST),
        ("В наявностi", Availability.IN_STOCK),  # Latin i
        ("ggwp", Availability.UNKNOWN),
        ("", None),
    ],
)
def test_availability_from_text(text: str, status: Availability | None) -> None:
    assert availability_from_text(text) is status


def test_placeholders_are_read_per_field() -> None:
    assert price_placeholder("Ціну уточнюйте") == "уточнюйте"
    assert price_placeholder("Суточная") is None  # «уточн» inside a word is not a placeholder
    assert price_placeholder("1 299 грн") is None
    assert price_placeholder("—") == "-"
    assert availability_placeholder("Під замовлення, уточнюйте термін") is None  # a real status wins
    assert availability_placeholder("Уточняйте наличие") == "уточняйте"
    assert quantity_placeholder("багато") == "багато"
    assert quantity_placeholder("12") is None


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("Б/в", Condition.USED),
        ("Новий", Condition.NEW),
        ("refurbished", Condition.REFURBISHED),
        ("як новий", Condition.DISCOUNTED),
        ("Уценка", Condition.DISCOUNTED),
        ("Гарний", None),
    ],
)
def test_condition_labels(text: str, condition: Condition | None) -> None:
    assert condition_from_text(text) is condition


def test_condition_mentions_skip_traps_and_negations() -> None:
    assert condition_in_short_text("Пилосос (б/в)") is not None
    for text in ("Нова Пошта", "Новий рік", "Новинка", "New arrivals", "Новий, не б/в", "ЕБУ двигуна", "бумага"):
        assert condition_in_short_text(text) is None, text
    assert condition_in_description("Вживаний пилосос, є сліди використання.") is not None
    assert condition_in_description("Can be used for everything. Looks like new.") is None  # names only
    assert condition_in_description("Крем відновлює шкіру, енергоспоживання низьке.") is None
    late = "слово " * 200 + "Товар вживаний"
    assert condition_in_description(late) is not None
    assert condition_in_description(late, limit=100) is None


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("12 місяців", Decimal(12)),
        ("1 год", Decimal(12)),
        ("2 роки", Decimal(24)),
        ("3 міс.", Decimal(3)),
        ("24 months", Decimal(24)),
        ("14 дней", Decimal("0.47")),
        ("12 месяцев, от производителя", Decimal(12)),
        ("24", None),
        ("два роки", Decimal(24)),  # numbers in words
        ("один рік", Decimal(12)),
        ("три года", Decimal(36)),
        ("one year", Decimal(12)),
        ("два", None),  # a number in words needs its unit
    ],
)
def test_period_months(text: str, months: Decimal | None) -> None:
    assert period_months(text) == months


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("12 місяців", WarrantyKind.PERIOD),
        ("14 днів на повернення", WarrantyKind.RETURN_POLICY),  # not a 14-day warranty
        ("Обміну та поверненню не підлягає", WarrantyKind.RETURN_POLICY),
        ("Гарантія 12 міс, обмін протягом 14 днів", WarrantyKind.PERIOD),
        ("гарантія не надається", WarrantyKind.NONE),  # information, not silence
        ("0", WarrantyKind.NONE),
        ("від виробника", WarrantyKind.KIND),
        ("див. опис", WarrantyKind.UNKNOWN),
    ],
)
def test_read_warranty(text: str, kind: WarrantyKind) -> None:
    reading = read_warranty(text)
    assert reading is not None
    assert reading.kind is kind


def test_warranty_in_free_text() -> None:
    assert warranty_in_text("Гарантія 12 місяців від виробника") is not None
    assert warranty_in_text("без гарантії") is not None
    assert warranty_in_text("гарантуватиме комфорт") is None
    assert warranty_in_text("Гарантія повернення коштів") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("100% оригінала. Гарантія - два роки.", "гарантія - 2 роки"),
        ("Гарантия один год", "гарантия 1 год"),
        ("Гарантия: пять лет", "гарантия: 5 лет"),
        ("дві роки гарантії", "2 роки гарантії"),
        ("Warranty: two years", "warranty: 2 years"),
        ("100 % оригіналів, гарантує 24 міс.", "гарантує 24 міс"),
        ("100% оригіналів, гарантує 24 місяці", "гарантує 24 місяці"),
        ("Производитель гарантирует 24 мес. работы", "гарантирует 24 мес"),
        ("Виробник гарантує два роки роботи", "гарантує 2 роки"),
        ("Опис товару. " * 20 + "Гарантія - п'ять років.", "гарантія - 5 років"),  # a long text: read around anchors
        ("Опис товару. " * 20 + "Магазин гарантує 12 міс.", "гарантує 12 міс"),
    ],
)
def test_warranty_in_words_and_by_the_verb(text: str, words: str) -> None:
    assert warranty_in_text(text) == words


@pytest.mark.parametrize(
    "text",
    [
        "гарантуємо якість",
        "Гарантія повернення коштів",
        "Гарантія повернення коштів протягом двох тижнів",
        "гарантирует защиту",
        "Гарантированный анализ: протеин 26%, жир 16%",
        "гарантуємо доставку за 2 дні",  # the verb with a time that is no warranty
        "гарантуємо 14 днів на повернення",
        "Гарантія на одна з 2 моделей",
        "Опис товару. " * 20 + "Гарантуємо якість: одна з двох моделей",
    ],
)
def test_warranty_look_alikes_stay_unread(text: str) -> None:
    assert warranty_in_text(text) is None


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Доставка 1-2 дні", (1, 2)),
        ("Термін доставки від 2 до 5 робочих днів", (2, 5)),
        ("Відправка протягом 24 год", (1, 1)),  # «год» is hours in a delivery field
        ("Под заказ, срок поставки 2-3 недели", (14, 21)),
        ("Відправка в день замовлення", (0, 0)),
        ("Отправим завтра", (1, 1)),
        ("ships in 3 business days", (3, 3)),
        ("Новою Поштою", None),
    ],
)
def test_delivery_days(text: str, days: tuple[int, int] | None) -> None:
    assert delivery_days(text) == days


@pytest.mark.parametrize(
    "words",
    [
        "б/в", "б\\у", "б.у.", "Б/У", "бу", "бв", "вживаний", "уживана", "вживaний", "used", "pre-owned",
        "second hand", "секонд хенд", "з розборки", "використаний", "потриманий", "подержанный",
        "бывший в употреблении", "відновлений", "восстановленный", "восстановлен", "refurbished", "refurb",
        "renewed", "reconditioned", "remanufactured", "certified pre-owned", "уцінений", "уцененный", "уцінка",
        "уценка", "вітринний зразок", "витринный образец", "open box", "open-box", "like new", "як новий",
        "как новый", "відкрита упаковка", "пошкоджена упаковка", "вскрытая упаковка", "display model",
        "ex-display",
    ],
)  # fmt: skip
def test_every_condition_form_is_read_in_a_name(words: str) -> None:
    assert condition_in_short_text(f"Товар {words} (арт. 5)") is not None
