"""CN: condition labels: used, refurbished and discounted goods must say so, in a value the marketplace knows.

Evidence that an offer is not new comes from its name (in every language the feed gives), its
category and the shop's name (CN001, CN003), or from its description alone (CN005, a warning: a
description is looser text), read with the lexicon's condition words after normalisation. The
word "new" is never evidence: «Нова Пошта», «Новий рік», «Новинка» and "new arrivals" are not
conditions.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from feedaudit.model import Condition, FeedInfo, Offer, Problem, Severity
from feedaudit.rules.base import NAMES_AND_DESCRIPTIONS, NoOptions, RuleContext, offer_rule
from feedaudit.section import Section
from feedaudit.text import ConditionMention, condition_in_description, condition_in_short_text

_WHERE = {"name": "the name", "category": "the category", "shop": "the shop name", "description": "the description"}


class ConditionTextOptions(Section):
    description: bool = Field(
        default=False,
        description="Also read the offer's description (by default `condition-in-description` reports it apart).",
    )
    description_chars: int = Field(default=4000, gt=0, description="How much of a description to read.")


_READ_DESCRIPTIONS = ConditionTextOptions(description=True)


def _short_evidence(offer: Offer, feed: FeedInfo) -> tuple[str, ConditionMention] | None:
    """Where the offer's name (in any language), category or shop name says it is not new, and the words."""
    places = [("name", name) for name in offer.names] + [("category", offer.category), ("shop", feed.shop.name)]
    for where, text in places:
        mention = condition_in_short_text(text)
        if mention is not None:
            return where, mention
    return None


def _description_evidence(offer: Offer, chars: int) -> ConditionMention | None:
    """An unambiguous used / refurbished / discounted statement in the description, in any language."""
    for description in offer.descriptions:
        mention = condition_in_description(description, chars)
        if mention is not None:
            return mention
    return None


def _evidence(offer: Offer, feed: FeedInfo, options: ConditionTextOptions) -> tuple[str, ConditionMention] | None:
    """Where the offer's own text says it is not new, and the words that say so."""
    found = _short_evidence(offer, feed)
    if found is None and options.description:
        mention = _description_evidence(offer, options.description_chars)
        if mention is not None:
            return "description", mention
    return found


def _unlabelled(offer: Offer) -> bool:
    return offer.condition is None and not (offer.condition_text or "").strip()


@offer_rule(
    "CN001",
    "missing-condition-label",
    summary="The text says used, refurbished or discounted, but the offer has no condition label",
    severity=Severity.ERROR,
    options=ConditionTextOptions,
    reads=(*NAMES_AND_DESCRIPTIONS, "category", "condition", "condition_text"),
)
def missing_condition_label(offer: Offer, ctx: RuleContext[ConditionTextOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer without a condition label whose name (in any language the feed gives it:
    `<name lang="ru">` beside `<name lang="ua">`, `name_ua`), category or shop name says it is used
    (б/в, б/у, вживаний, бывший в употреблении, used, pre-owned), refurbished (відновлений,
    восстановленный, refurbished) or discounted (уцінка, уцінений, уценка, вітринний зразок, open
    box). A negated mention («новий, не б/в») never counts. A statement only in the description is
    reported by `condition-in-description`, at a lower severity. The label is the dialect's condition field: YML
    `<condition>`, a param «Стан» / «Состояние», Hotline `<condition>`, Google and Meta `g:condition`.

    ## Why is this bad?
    Without a label the marketplace shows the item as new: YML treats a missing `<condition>` as
    new, and Google disapproves used and refurbished items without `condition`. The buyer expects a
    new product, receives a used one, and complains (Rozetka requires «достоверное описание товара
    (новый, б/у, восстановленный/refurbished)»).

    ## Options
    - `description` (bool, default false): also read the description, at this rule's severity.
    - `description-chars` (int, default 4000): how many characters of a description to read.

    ## Example
    ```xml
    <offer id="VC-2001" available="true">
      <name>Пилосос Samsung VC07 (б/в, після ремонту)</name>
    </offer>
    ```

    Use instead:
    ```xml
    <offer id="VC-2001" available="true">
      <name>Пилосос Samsung VC07 (б/в, після ремонту)</name>
      <param name="Стан">Б/в</param>
    </offer>
    ```
    """
    if not _unlabelled(offer):
        return
    found = _evidence(offer, ctx.feed, ctx.options)
    if found is not None:
        where, mention = found
        yield Problem(
            f'{_WHERE[where]} says "{mention.words}" ({mention.condition.value}), but the offer has no condition label',
            field="condition",
            value=mention.words,
        )


@offer_rule(
    "CN002",
    "unknown-condition-value",
    summary="The condition label holds a value that is not a known condition",
    severity=Severity.WARNING,
    reads=("condition", "condition_text"),
)
def unknown_condition_value(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a condition label whose value means none of new, used, refurbished or discounted: a
    YML `<condition type="ololo">`, a Google `g:condition` outside `new` / `used` / `refurbished`
    (Google takes English values only, so `Новий` is unknown there), a param «Стан» of «Гарний».

    ## Why is this bad?
    The marketplace drops a condition it does not know (Yandex's importer discards unknown
    `type`s) and shows the item as new, which is the fault the label was meant to prevent.

    ## Example
    ```xml
    <item><g:id>BK-7</g:id><g:condition>вживаний</g:condition></item>
    ```

    Use instead:
    ```xml
    <item><g:id>BK-7</g:id><g:condition>used</g:condition></item>
    ```
    """
    text = (offer.condition_text or "").strip()
    if offer.condition is None and text:
        yield Problem(f'condition "{text}" is not a condition value the marketplace knows', field="condition")


class ContradictionOptions(ConditionTextOptions):
    description: bool = Field(default=False, description="Also let the description overrule an explicit 'new' label.")


class DescriptionOptions(Section):
    description_chars: int = Field(default=4000, gt=0, description="How much of a description to read.")


@offer_rule(
    "CN003",
    "contradicting-condition-label",
    summary="The condition label says new, but the name says used, refurbished or discounted",
    severity=Severity.ERROR,
    options=ContradictionOptions,
    reads=(*NAMES_AND_DESCRIPTIONS, "category", "condition", "condition_text"),
)
def contradicting_condition_label(offer: Offer, ctx: RuleContext[ContradictionOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer labelled new whose name, category or shop name says it is used, refurbished
    or discounted (the same vocabulary as `missing-condition-label`), such as `g:condition` `new`
    on «Лісова пісня (вживана)». By default the description does not overrule an explicit label
    (descriptions mention trade-ins and repairs of other goods); turn `description` on to read it
    too.

    ## Why is this bad?
    The label is what the marketplace shows and filters on: a used item listed as new misleads
    the buyer exactly as a missing label does, and the name on the same page gives it away.

    ## Options
    - `description` (bool, default false): also read the description.
    - `description-chars` (int, default 4000): how many characters of a description to read.

    ## Example
    ```xml
    <entry><g:id>BOOK-2</g:id><title>Лісова пісня (вживана)</title><g:condition>new</g:condition></entry>
    ```

    Use instead:
    ```xml
    <entry><g:id>BOOK-2</g:id><title>Лісова пісня (вживана)</title><g:condition>used</g:condition></entry>
    ```
    """
    if offer.condition is not Condition.NEW:
        return
    found = _evidence(offer, ctx.feed, ctx.options)
    if found is not None:
        where, mention = found
        yield Problem(
            f'condition says new, but {_WHERE[where]} says "{mention.words}" ({mention.condition.value})',
            field="condition",
        )


@offer_rule(
    "CN004",
    "missing-condition",
    summary="The offer has no condition label where the marketplace requires one for every item",
    severity=Severity.INFO,
    reads=(*NAMES_AND_DESCRIPTIONS, "category", "condition", "condition_text"),
)
def missing_condition(offer: Offer, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer with no condition label at all, for marketplaces that require one on every
    item (Meta). Where the offer's text says it is used, refurbished or discounted,
    `missing-condition-label` reports it instead, so an offer is never reported twice. Text such
    as "new arrivals" in a description is not a label. Most profiles turn this rule off: YML,
    Hotline and Google treat an item without a label as new.

    ## Why is this bad?
    A catalogue item without a required field is rejected by the marketplace's import.

    ## Example
    ```xml
    <item><g:id>KID-9</g:id><g:title>Plush bear</g:title><g:price>349 UAH</g:price></item>
    ```

    Use instead:
    ```xml
    <item><g:id>KID-9</g:id><g:title>Plush bear</g:title><g:price>349 UAH</g:price>
      <g:condition>new</g:condition></item>
    ```
    """
    if _unlabelled(offer) and _evidence(offer, ctx.feed, _READ_DESCRIPTIONS) is None:
        yield Problem("the offer has no condition label", field="condition")


@offer_rule(
    "CN005",
    "condition-in-description",
    summary="Only the description says used, refurbished or discounted; the label says new or is missing",
    severity=Severity.WARNING,
    options=DescriptionOptions,
    reads=(*NAMES_AND_DESCRIPTIONS, "category", "condition", "condition_text"),
)
def condition_in_description_only(offer: Offer, ctx: RuleContext[DescriptionOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an offer labelled new, or not labelled, whose description (in any language the feed
    gives it) says the item is used, refurbished or discounted («Вживаний телефон, є подряпини»
    under «Стан: Новий»), while its name, category and shop name do not (those are
    `missing-condition-label` and `contradicting-condition-label`). Only unambiguous forms count
    (б/в, вживаний, бывший в употреблении, refurbished; not "used", «як новий» or «уцінки»); a
    negated mention («не б/в») and a sentence about goods the shop takes in («приймаємо вживані в
    trade-in», «принимаем б/у технику в зачет») do not, and "new arrivals" is never a label.

    ## Why is this bad?
    The buyer who reads the description learns the item is not new after the label told them it
    was, the complaint marketplaces act on («достоверное описание товара (новый, б/у,
    восстановленный/refurbished)», Rozetka). A description is looser text than a name, so this is
    a warning rather than an error.

    ## Options
    - `description-chars` (int, default 4000): how many characters of a description to read.

    ## Example
    ```xml
    <offer id="PH-7"><name>Смартфон Samsung A54</name><param name="Стан">Новий</param>
      <description>Вживаний телефон, є подряпини на корпусі.</description></offer>
    ```

    Use instead:
    ```xml
    <offer id="PH-7"><name>Смартфон Samsung A54</name><param name="Стан">Б/в</param>
      <description>Вживаний телефон, є подряпини на корпусі.</description></offer>
    ```
    """
    if not (_unlabelled(offer) or offer.condition is Condition.NEW):
        return
    if _short_evidence(offer, ctx.feed) is not None:
        return
    mention = _description_evidence(offer, ctx.options.description_chars)
    if mention is None:
        return
    label = "says new" if offer.condition is Condition.NEW else "is missing"
    yield Problem(
        f'the description says "{mention.words}" ({mention.condition.value}), but the condition label {label}',
        field="description",
        value=mention.words,
    )
