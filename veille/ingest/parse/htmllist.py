"""Entries of a web page without a feed, read with CSS selectors (``type: html``) — pure.

Issue 9: Réseau Canopé publishes its news as a page of cards, with no RSS. ``feeds.yaml``
gives, for such a source, CSS selectors (:class:`~veille.models.PageSpec`)::

    selectors:
      item: "article.card"                         # one element per news item (required)
      title: "h3"                                  # inside the item (required)
      link: "a.card__link"                         # its href; default: the item's first link
      date: "[itemprop=datePublished]@content"     # optional; default: first-seen time
      summary: ".card__text"                       # optional; its HTML, sanitised
    date_format: iso                               # or "%d %B %Y" (French names), or absent

**Selector syntax**: a CSS selector (matched inside the item, first match wins), optionally
followed by ``@attribute`` to read that attribute instead of the element: ``time@datetime``,
``[itemprop=datePublished]@content``, ``img@alt``. A lone ``@attribute`` reads the item element
itself (``@data-date``). Without ``@``, ``title`` reads the element's text, ``summary`` its
HTML, ``link`` its ``href`` (or the first link inside it) and ``date`` its microdata value:
``content`` (``<meta itemprop=… content=…>``), else ``datetime`` (``<time>``), else its text.

**Dates**: ``iso`` reads ISO 8601 (``2026-11-29``, ``2026-11-29T10:00:00+01:00``); a strptime
format reads French (and English) day and month names, ``1er``, accents and case ignored
(``"%d %B %Y"`` reads ``29 novembre 2026``, ``"%A %d %B %Y à %Hh%M"`` reads
``samedi 29 novembre 2026 à 14h30``); without ``date_format`` the date is guessed (ISO, RFC 822,
French). A date without a zone is in Europe/Paris.

Every entry goes through :func:`veille.ingest.parse.sanitize.build_entry` like a feed's: plain-text
titles, sanitised summaries, absolute links without tracking parameters, the canonical link
as identity. A page where the selectors find no entry raises :class:`ParseError`: the site
changed, and the referent must know (never a silent empty source).

Run :func:`parse_page` in :class:`veille.ingest.workers.ParserPool`, like
:func:`veille.ingest.parse.feed.parse`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from veille.config.html_source import (
    DATE_DIRECTIVE,
    date_format_problem,
    selector_problem,
    split_selector,
)
from veille.errors import ParseError
from veille.ingest.parse.charset import decode
from veille.ingest.parse.dates import MONTHS, PARIS, parse_date
from veille.ingest.parse.feed import dedupe
from veille.ingest.parse.sanitize import RawEntry, build_entry, plain_text, text_to_html
from veille.models import PageSpec, ParsedEntry, ParsedFeed
from veille.text import WEEKDAY_ABBREVIATIONS, WEEKDAYS

__all__ = [
    "NO_MATCH",
    "date_format_problem",
    "parse_page",
    "read_date",
    "selector_problem",
    "split_selector",
]

NO_MATCH = "0 article : les sélecteurs ne correspondent plus à la page"
MAX_ITEMS = 500  # a list page, not an archive: bounds the work on a pathological page

# --- dates ------------------------------------------------------------------------------------

_ENGLISH_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTH_NUMBERS = {m: i for i, m in enumerate(_ENGLISH_MONTHS, 1)}
_MONTH_NUMBERS |= {m[:3]: i for i, m in enumerate(_ENGLISH_MONTHS, 1)}
_MONTH_NUMBERS |= MONTHS  # the French names and abbreviations of veille.ingest.parse.dates
_DAY_NAMES = (
    *WEEKDAYS,
    *WEEKDAY_ABBREVIATIONS,
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
)  # fmt: skip
_MONTH_WORD = re.compile(r"\b([a-z]+)\b\.?")
_DAY_WORD = re.compile(rf"\b(?:{'|'.join(_DAY_NAMES)})\b\.?")


def _fold(s: str) -> str:
    decomposed = unicodedata.normalize("NFKD", s.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _numeric_format(fmt: str) -> tuple[str, bool, bool]:
    """The format with literals folded, ``%B``/``%b`` → ``%m``, ``%A``/``%a`` removed (a
    weekday is redundant with the date); also whether it had month and day names."""
    out, months, days, pos = [], False, False, 0
    for m in DATE_DIRECTIVE.finditer(fmt):
        out.append(_fold(fmt[pos : m.start()]))
        directive = m.group(0).replace("-", "").replace("#", "")
        pos = m.end()
        if directive in ("%B", "%b"):
            months = True
            directive = "%m"
            pos += fmt.startswith(".", pos)
        elif directive in ("%A", "%a"):
            days = True
            directive = ""
            pos += fmt.startswith(".", pos)
        out.append(directive)
    out.append(_fold(fmt[pos:]))
    return " ".join("".join(out).split()), months, days


def _paris(value: datetime) -> datetime:
    return value.replace(tzinfo=PARIS) if value.tzinfo is None else value


def _iso(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return _paris(value)


def _strptime_fr(text: str, fmt: str) -> datetime | None:
    numeric, months, days = _numeric_format(fmt)
    folded = re.sub(r"\b1er\b", "1", _fold(text))
    if days:
        folded = _DAY_WORD.sub(" ", folded, count=1)
    if months:

        def number(m: re.Match[str]) -> str:
            n = _MONTH_NUMBERS.get(m.group(1))
            return f"{n:02d}" if n else m.group(0)

        folded = _MONTH_WORD.sub(number, folded)
    try:
        return _paris(datetime.strptime(" ".join(folded.split()), numeric))
    except ValueError:
        return None


def read_date(text: str, fmt: str | None) -> datetime | None:
    """A page's date text read with ``date_format`` (see the module docstring); None if
    unreadable. Aware (Europe/Paris when the text has no zone)."""
    text = " ".join(text.split())
    if not text:
        return None
    if fmt is None:
        return _iso(text) or parse_date(text)
    if fmt.strip().lower() == "iso":
        return _iso(text)
    return _strptime_fr(text, fmt)


# --- the page ---------------------------------------------------------------------------------


def _select(item: LexborNode, selector: str) -> tuple[LexborNode | None, str | None]:
    css, attribute = split_selector(selector)
    node = item if css is None else item.css_first(css)
    return node, attribute


def _escaped(text: str) -> str:
    return html.escape(text, quote=False)


def _markup(
    item: LexborNode,
    selector: str | None,
    *,
    microdata: bool = False,
    attribute_html: Callable[[str], str] = _escaped,
) -> str:
    """The selected attribute (it is text: made HTML by ``attribute_html``, escaped by
    default), else (``microdata``: its ``content``/``datetime``, escaped, else) the node's
    HTML; "" when nothing is selected.

    HTML, not text: :func:`veille.ingest.parse.sanitize.plain_text` then decodes it exactly once.
    """
    if not selector:
        return ""
    node, attribute = _select(item, selector)
    if node is None:
        return ""
    if attribute:
        return attribute_html(node.attributes.get(attribute) or "")
    values = node.attributes
    if microdata and (values.get("content") or values.get("datetime")):
        return _escaped(values.get("content") or values.get("datetime") or "")
    return node.html or ""


def _date(item: LexborNode, selector: str | None) -> str:
    return plain_text(_markup(item, selector, microdata=True))


def _link(item: LexborNode, selector: str | None) -> str | None:
    node, attribute = _select(item, selector) if selector else (item, None)
    if node is None:
        return None
    if attribute:
        return node.attributes.get(attribute)
    if node.attributes.get("href"):
        return node.attributes["href"]
    inner = node.css_first("a[href]")
    return inner.attributes.get("href") if inner is not None else None


def _summary(item: LexborNode, selector: str | None) -> str:
    """The summary's HTML: a selected attribute's text becomes paragraphs."""
    return _markup(item, selector, attribute_html=text_to_html)


def _base_href(tree: LexborHTMLParser, url: str) -> str:
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    return urljoin(url, href) if href else url


def parse_page(
    url: str, body: bytes, headers: Mapping[str, str], now: datetime, spec: PageSpec
) -> ParsedFeed:
    """The entries ``spec`` finds on the page; :class:`ParseError` when there are none."""
    headers = {k.lower(): v for k, v in headers.items()}
    text, _ = decode(body, headers, html=True)
    tree = LexborHTMLParser(text)
    try:
        items = tree.css(spec.item)[:MAX_ITEMS]
    except SelectolaxError as e:  # feeds.yaml is checked, but be explicit anyway
        raise ParseError(url, f"sélecteur CSS invalide « {spec.item} »") from e
    base = _base_href(tree, url)
    entries: list[ParsedEntry] = []
    try:
        for item in items:
            raw = RawEntry(
                guid=None,  # identity: the canonical link (else a hash of title and summary)
                link=_link(item, spec.link),
                title=_markup(item, spec.title),
                summary_html=_summary(item, spec.summary),
                base=base,
                published=read_date(_date(item, spec.date), spec.date_format),
            )
            entry = build_entry(raw, now)
            if entry.title:  # a card without a title is decoration (an ad, a placeholder)
                entries.append(entry)
    except SelectolaxError as e:
        raise ParseError(url, f"sélecteur CSS invalide ({e})") from e
    if not entries:
        found = f" ({len(items)} blocs « item » trouvés, sans titre)" if items else ""
        raise ParseError(url, NO_MATCH + found)
    title_node = tree.css_first("title")
    return ParsedFeed(
        kind="page",
        title=plain_text(title_node.html or "" if title_node is not None else ""),
        site_url=url,
        entries=dedupe(entries),
    )
