"""FD: faults of the feed as a whole: unreadable, not well-formed, wrong encoding, unknown, empty, too big, stale."""

from __future__ import annotations

import datetime
import email.utils
import re
from collections.abc import Iterator

from pydantic import Field

from feedaudit.model import FeedInfo, FeedIssue, FeedIssueKind, Problem, Severity
from feedaudit.rules.base import NoOptions, RuleContext, feed_issue_rule, feed_rule
from feedaudit.section import Section


def _issues_of(kind: FeedIssueKind, issue: FeedIssue) -> Iterator[Problem]:
    if issue.kind is kind:
        yield Problem(issue.message, line=issue.line, column=issue.column, detail=issue.detail)


@feed_issue_rule(
    "FD001",
    "feed-not-well-formed",
    summary="The feed is not well-formed XML; what could be recovered is still audited",
    severity=Severity.ERROR,
)
def feed_not_well_formed(issue: FeedIssue, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports each place where the feed breaks the XML syntax (an unescaped `&`, a tag that is not
    closed, a file cut off in the middle), with the line and column the parser stopped at. The offers
    that can be recovered around the fault are still audited.

    ## Why is this bad?
    Marketplaces reject a feed that is not well-formed, or silently drop the offers around the fault,
    so products disappear from the catalogue without a word to the shop.

    ## Example
    ```xml
    <offer id="1"><name>Чай & кава</name></offer>
    ```

    Use instead:
    ```xml
    <offer id="1"><name>Чай &amp; кава</name></offer>
    ```
    """
    yield from _issues_of(FeedIssueKind.NOT_WELL_FORMED, issue)


@feed_issue_rule(
    "FD002",
    "feed-encoding-error",
    summary="The feed's bytes do not match its declared encoding",
    severity=Severity.ERROR,
)
def feed_encoding_error(issue: FeedIssue, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports bytes that are invalid in the encoding the feed declares (or UTF-8, when it declares
    none), and a declared single-byte encoding such as `windows-1251` over bytes that are really UTF-8.
    Also reports control characters XML does not allow (U+0003 pasted into a description); each is
    read as a space, so the parser does not lose its way after it (inside a CDATA section it would).

    ## Why is this bad?
    The marketplace decodes the feed with the declared encoding: names, prices and statuses turn into
    mojibake («Р¦С–РЅР°» instead of «Ціна») or the import fails outright.

    ## Example
    ```xml
    <?xml version="1.0" encoding="windows-1251"?>  <!-- but the file was saved as UTF-8 -->
    ```

    Use instead:
    ```xml
    <?xml version="1.0" encoding="UTF-8"?>
    ```
    """
    yield from _issues_of(FeedIssueKind.ENCODING, issue)


@feed_issue_rule(
    "FD003",
    "unreadable-feed",
    summary="The feed cannot be opened or downloaded",
    severity=Severity.ERROR,
)
def unreadable_feed(issue: FeedIssue, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a feed that cannot be read at all: a missing file, an HTTP error, a refused connection, a
    corrupt gzip or zip archive.

    ## Why is this bad?
    A marketplace that cannot fetch the feed keeps showing yesterday's prices and stock, or delists
    the shop's offers after a few failed imports.

    ## Example
    ```text
    https://shop.example/feed.xml -> HTTP 404 Not Found
    ```

    Use instead:
    ```text
    https://shop.example/feed.xml -> HTTP 200, a well-formed feed
    ```
    """
    yield from _issues_of(FeedIssueKind.UNREADABLE, issue)


@feed_issue_rule(
    "FD004",
    "unknown-dialect",
    summary="The document is not a product feed dialect feedaudit reads",
    severity=Severity.ERROR,
)
def unknown_dialect(issue: FeedIssue, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a document whose root element is not one of the product feed dialects: YML
    (`yml_catalog`), Hotline (`price`), Google or Meta RSS/Atom with the `g:` namespace. It names the
    root it found, such as a sitemap's `urlset` or an HTML error page.

    ## Why is this bad?
    A feed URL that serves a sitemap, an error page or an empty RSS channel gives the marketplace no
    offers at all; the shop's catalogue empties on the next import.

    ## Example
    ```xml
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">…</urlset>
    ```

    Use instead:
    ```xml
    <yml_catalog date="2026-11-23 10:00"><shop>…<offers>…</offers></shop></yml_catalog>
    ```
    """
    yield from _issues_of(FeedIssueKind.UNKNOWN_DIALECT, issue)


@feed_rule(
    "FD005",
    "empty-feed",
    summary="The feed holds no offers",
    severity=Severity.ERROR,
)
def empty_feed(feed: FeedInfo, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a well-formed feed of a known dialect that holds no offers at all. (A feed that could
    not be read to the end is reported by the rule that says why, not by this one.)

    ## Why is this bad?
    Importing an empty feed removes every product of the shop from the marketplace. It usually means
    the export script failed half-way, not that the shop sold out.

    ## Example
    ```xml
    <yml_catalog><shop><name>Shop</name><offers/></shop></yml_catalog>
    ```

    Use instead:
    ```xml
    <yml_catalog><shop><name>Shop</name><offers><offer id="1">…</offer></offers></shop></yml_catalog>
    ```
    """
    if feed.dialect is not None and feed.offers == 0 and feed.issues == 0:
        yield Problem(f"the {feed.dialect.value} feed holds no offers", line=1)


@feed_issue_rule(
    "FD006",
    "feed-size-limit",
    summary="The feed is larger than the size limit; the rest was not read",
    severity=Severity.ERROR,
)
def feed_size_limit(issue: FeedIssue, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a feed (after decompression) larger than the configured limit (`max-feed-bytes`,
    8 GiB by default). The offers before the limit are audited; the rest are not read.

    The reader's other caps (`[limits]`) end the feed the same way, at the line where one is exceeded:
    offers in one feed (`max-offers`), elements inside one offer (`max-offer-elements`), child elements
    of any one element (`max-children`), attributes of one element (`max-attributes`), bytes of one
    field or tag (`max-field-bytes`), and bytes before the root element (`max-preamble-bytes`).

    ## Why is this bad?
    Marketplaces cap feed size (Google: 4 GB per file) and reject or truncate larger ones. A small
    compressed file that expands past the limit is also how a decompression bomb looks.

    ## Example
    ```text
    feed.xml.gz: 40 MB compressed, 12 GB of XML
    ```

    Use instead:
    ```text
    several feeds of under 4 GB each, every offer in exactly one of them
    ```
    """
    yield from _issues_of(FeedIssueKind.SIZE_LIMIT, issue)


@feed_issue_rule(
    "FD007",
    "hostile-xml",
    summary="The feed uses entity tricks (XXE, entity expansion bombs)",
    severity=Severity.ERROR,
)
def hostile_xml(issue: FeedIssue, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports entity declarations that point outside the document (XXE) and entity expansion that
    exceeds the parser's amplification limit ("billion laughs"). feedaudit never resolves them.

    ## Why is this bad?
    Such a feed can make a marketplace importer read local files or run out of memory; importers
    reject it, and it may signal a compromised shop site.

    ## Example
    ```xml
    <!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>
    ```

    Use instead:
    ```xml
    <?xml version="1.0" encoding="UTF-8"?>  <!-- no DOCTYPE with entities -->
    ```
    """
    yield from _issues_of(FeedIssueKind.HOSTILE, issue)


@feed_issue_rule(
    "FD999",
    "audit-not-finished",
    summary="feedaudit itself failed on this feed; the findings for it are incomplete",
    severity=Severity.ERROR,
)
def audit_not_finished(issue: FeedIssue, ctx: RuleContext[NoOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports an unexpected error inside feedaudit while it audited this feed: a reader, a rule, the
    inventory lookup or the page fetcher raised where it never should. The finding names the error and
    where it happened (the offer, or the rule); a rule that failed is not run again for this feed, and
    a reader that failed ends the reading of this feed. Every other feed of the run, the report file
    and the history record are still produced, and the run exits with status 2. This finding is always
    reported, whatever `--select`, `--ignore`, the profile or the baseline say; `--verbose` prints the
    traceback.

    ## Why is this bad?
    The feed was not fully audited, so the absence of other findings proves nothing about it. It is
    a fault in feedaudit, not in the feed: please report it with the traceback and, if you can, the
    part of the feed it names.

    ## Example
    ```text
    feed.xml:120: FD999 feedaudit could not finish this feed: ValueError: … (in rule PR001)
    ```

    Use instead:
    ```text
    a feedaudit release with the fault fixed (until then, `--ignore` the failing rule for this feed)
    ```
    """
    yield from _issues_of(FeedIssueKind.INTERNAL, issue)


class StaleFeedOptions(Section):
    max_age_days: int | None = Field(
        default=None,
        ge=1,
        description="Days the feed's own date may lie behind the reference date; unset: the age is not judged.",
    )
    today: datetime.date | None = Field(
        default=None, description="The reference date (default: today, UTC); set it to audit an archived feed."
    )


_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_DOTTED_DAY = re.compile(r"^\s*(\d{2})\.(\d{2})\.(\d{4})")


def feed_day(text: str | None) -> datetime.date | None:
    """The day a feed says it was made: `2024-03-11 10:00`, `2024-03-11T10:00:00+03:00`, `24.06.2024`,
    or an RSS date (`Mon, 24 Jun 2024 12:00:00 +0000`); None when the text is no such date."""
    if not text:
        return None
    try:
        match = _ISO_DAY.match(text)
        if match:
            return datetime.date(*(int(g) for g in match.groups()))
        match = _DOTTED_DAY.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        return email.utils.parsedate_to_datetime(text).date()
    except (ValueError, TypeError, IndexError):
        return None


@feed_rule(
    "FD008",
    "stale-feed",
    summary="The feed's own date is older than the allowed age: its prices and stock are likely stale",
    severity=Severity.WARNING,
    options=StaleFeedOptions,
)
def stale_feed(feed: FeedInfo, ctx: RuleContext[StaleFeedOptions]) -> Iterator[Problem]:
    """
    ## What it does
    Reports a feed whose own date (YML `<yml_catalog date="…">`, Hotline `<date>`) lies more than
    `max-age-days` before the reference date (`today`, by default the current UTC date). Live feeds
    dated 2018 or 2019 are still served by shops whose software stopped exporting. A feed without a
    readable date is not reported.

    The age is judged only when `max-age-days` is set (7 is Hotline's limit: a feed not updated for
    more than seven days is stale; shop software regenerates its feed, and its date, on every export,
    usually daily). It is not set by default because an audit of a saved copy would report every copy
    older than a week: 158 of the 170 feeds of the public corpus are such snapshots, dated 2011 to
    2025. Set it for audits of live feeds (a nightly run, CI fetching the feed's URL).

    ## Why is this bad?
    A feed that has not been regenerated for weeks carries old prices and old stock: buyers order what
    is gone or at a price that changed, the complaint marketplaces delist shops for.

    ## Options
    - `max-age-days` (integer, unset by default): how old the feed's date may be.
    - `today` (date): the reference date, for archived feeds and reproducible runs.

    ## Example
    ```xml
    <yml_catalog date="2019-11-01 10:00"><shop>…</shop></yml_catalog>
    ```

    Use instead:
    ```xml
    <yml_catalog date="2026-12-04 06:00"><shop>…</shop></yml_catalog>
    ```
    """
    day = feed_day(feed.shop.feed_date)
    if day is None or ctx.options.max_age_days is None:
        return
    today = ctx.options.today or datetime.datetime.now(datetime.UTC).date()
    age = (today - day).days
    if age > ctx.options.max_age_days:
        yield Problem(
            f"the feed is dated {feed.shop.feed_date}, {age} days before {today.isoformat()}: "
            f"its prices and stock are likely stale (allowed: {ctx.options.max_age_days} days)",
            value=feed.shop.feed_date,
            line=1,
        )
