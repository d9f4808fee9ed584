"""bytes → :class:`ParsedFeed`: the parse step of the pipeline — pure (no network, clock, DB).

:func:`parse` only dispatches on what the bytes are (not on what the server says they are):

* JSON → :mod:`veille.ingest.parse.jsonfeed` (feedparser 6.0.x cannot read JSON Feed);
* an HTML page → ``kind="html"`` with the feeds it advertises (``<link rel="alternate">``);
* anything else → XML through feedparser, after :func:`prepare_xml` made the bytes safe.

Then every entry goes through :func:`veille.ingest.parse.sanitize.build_entry` (safe HTML, plain
text, canonical
link, identity, dates clamped to ``now``) and :func:`dedupe`.

feedparser is called with ``sanitize_html=False, resolve_relative_uris=False``: nh3 sanitises
and resolves URLs afterwards, about three times faster than feedparser's own passes. We decode
the bytes ourselves (:mod:`veille.ingest.parse.charset`, which weighs the HTTP charset against the
document)
and hand feedparser UTF-8 with headers saying so; Content-Location and Content-Language are
passed on. feedparser can still be very slow on crafted input (catastrophic regexes): run
:func:`parse` in :class:`veille.ingest.workers.ParserPool`, never in the event loop.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.mixin import _FeedParserMixin

from veille.errors import ParseError
from veille.ingest.parse import fastfeed
from veille.ingest.parse.charset import decode
from veille.ingest.parse.dates import entry_date
from veille.ingest.parse.jsonfeed import read_json_feed
from veille.ingest.parse.sanitize import (
    RawEntry,
    build_entry,
    canonical_url,
    plain_text,
    strip_controls,
    text_to_html,
)
from veille.models import ParsedEntry, ParsedFeed

NOT_A_FEED = "document illisible : ce n'est ni un flux RSS/Atom ni un JSON Feed"
LOOSE_WARNING = "XML mal formé, lu en mode tolérant"

# feedparser resolves an RSS <guid> (isPermaLink defaults to true) against the feed URL, so
# "123" becomes "https://site/feed/123" and every key would change the day the feed moves
# (a 301 updates its URL). Ids are identifiers, not links: never resolve them. The link
# fallback (guid as link) still happens, unresolved, and canonical_url resolves it.
_FeedParserMixin.can_be_relative_uri = _FeedParserMixin.can_be_relative_uri - {"id"}

FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)


def parse(url: str, body: bytes, headers: Mapping[str, str], now: datetime) -> ParsedFeed:
    """Parse a fetched document; raise :class:`ParseError` (French message) if unreadable."""
    headers = {k.lower(): v for k, v in headers.items()}
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise ParseError(url, "document vide")
    if start[:1] in (b"{", b"["):
        feed = read_json_feed(url, body, now)
    else:
        text, _ = decode(body, headers)
        if _is_html(text):
            return _read_page(url, body, text, headers, now)
        feed = _read_xml(url, text, headers, now)
    return replace(feed, entries=dedupe(feed.entries))


def dedupe(entries: Iterable[ParsedEntry]) -> tuple[ParsedEntry, ...]:
    """Entries with unique keys, in document order.

    An exact repeat (same key, same link) is kept once. A guid repeated with *different* links
    (a publisher's error, e.g. a CMS giving every item the feed's guid) would merge distinct
    articles: each of them is keyed ``"<guid> <link>"`` instead. All the entries of such a group
    get the suffix, so the keys do not depend on which one comes first.
    """
    entries = tuple(entries)
    links: dict[str, set[str | None]] = {}
    for entry in entries:
        links.setdefault(entry.key, set()).add(entry.url)
    seen: set[str] = set()
    result = []
    for entry in entries:
        if entry.guid and entry.url and len(links[entry.key]) > 1:
            entry = replace(entry, key=f"{entry.key} {entry.url}")
        if entry.key not in seen:
            seen.add(entry.key)
            result.append(entry)
    return tuple(result)


# --- XML ----------------------------------------------------------------------------------

_XML_DECLARATION = re.compile(r"^<\?xml[^>]*>")
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_PROLOG_JUNK = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_DOCTYPE_START = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(r"<!ENTITY[^>]*>", re.IGNORECASE)
_NAMED_REFERENCE = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})


def _root_name(text: str) -> str:
    """The name of the first element, skipping declarations, comments and the DOCTYPE."""
    pos = 0
    while True:
        junk = _PROLOG_JUNK.match(text, pos)
        if junk and junk.end() > pos:
            pos = junk.end()
            continue
        if text.startswith("<!", pos):  # DOCTYPE (its internal subset may contain '>')
            end = _doctype_end(text, pos)
            if end <= pos:
                return ""
            pos = end
            continue
        root = _ROOT.match(text, pos)
        return root[1].lower() if root else ""


def _doctype_end(text: str, start: int) -> int:
    close = text.find(">", start)
    bracket = text.find("[", start)
    if 0 <= bracket < close or (bracket >= 0 and close < 0):
        end = re.compile(r"\]\s*>").search(text, bracket)
        return end.end() if end else len(text)
    return close + 1 if close >= 0 else len(text)


def _is_html(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if re.match(r"(<!--.*?-->\s*)*<!DOCTYPE\s+html", head, re.IGNORECASE | re.DOTALL):
        return True
    return _root_name(head).split(":")[-1] == "html"


def prepare_xml(text: str) -> bytes:
    """UTF-8 bytes feedparser can read safely.

    * the XML declaration is replaced by one saying UTF-8 (the text is already decoded) and
      the whitespace before it, a fatal XML error common in the wild, is dropped;
    * control characters are removed (expat refuses them, feedparser would fall back to its
      slower loose parser);
    * the DOCTYPE and every ENTITY declaration of the prolog are removed, so that neither an
      entity bomb ("billion laughs") nor an external entity (``SYSTEM "file:///etc/passwd"``)
      can ever be expanded; references to them stay unresolved text;
    * HTML named entities (``&eacute;``, ``&nbsp;``…), undefined in XML and fatal for expat,
      become numeric references.
    """
    text = strip_controls(text).lstrip("\ufeff \t\r\n")
    text = _XML_DECLARATION.sub("", text, count=1)
    root = _ROOT.search(text)
    prolog_end = root.start() if root else len(text)
    while True:
        doctype = _DOCTYPE_START.search(text, 0, prolog_end)
        if not doctype:
            break
        end = _doctype_end(text, doctype.start())
        text = text[: doctype.start()] + text[end:]
        root = _ROOT.search(text, doctype.start())
        prolog_end = root.start() if root else len(text)
    text = _ENTITY_DECLARATION.sub("", text[:prolog_end]) + text[prolog_end:]
    text = _NAMED_REFERENCE.sub(_numeric_reference, text)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + text.encode("utf-8")


def _numeric_reference(match: re.Match[str]) -> str:
    name = match[1]
    if name in _XML_ENTITIES:
        return match[0]
    char = html.entities.html5.get(f"{name};")
    if char is None:
        return match[0]
    return "".join(f"&#{ord(c)};" for c in char)


def _get(obj: Any, key: str) -> Any:
    # dict.get bypasses FeedParserDict's key aliases (and their DeprecationWarnings).
    return dict.get(obj, key) if isinstance(obj, dict) else None


def _kind(version: str) -> str:
    if version.startswith("atom"):
        return "atom"
    if version in ("rss090", "rss10"):
        return "rdf"
    return "rss"


def _read_xml(url: str, text: str, headers: Mapping[str, str], now: datetime) -> ParsedFeed:
    base = urljoin(url, headers.get("content-location", "")) or url
    prepared = prepare_xml(text)
    data = fastfeed.read(prepared, base, headers) or _feedparser_read(url, prepared, base, headers)
    return ParsedFeed(
        kind=data.kind,  # type: ignore[arg-type]
        title=plain_text(data.title),
        site_url=canonical_url(data.link, base),
        description=plain_text(data.subtitle),
        language=plain_text(data.language or "") or None,
        entries=tuple(build_entry(e, now) for e in data.entries),
        warnings=(LOOSE_WARNING,) if data.loose else (),
    )


def _feedparser_read(
    url: str, prepared: bytes, base: str, headers: Mapping[str, str]
) -> fastfeed.FeedData:
    """Anything :mod:`veille.ingest.parse.fastfeed` does not read: feedparser, strict then
    tolerant."""
    response_headers = {"content-type": "application/xml; charset=utf-8"}
    if base:
        response_headers["content-location"] = base
    if headers.get("content-language"):
        response_headers["content-language"] = headers["content-language"]
    try:
        result = feedparser.parse(
            prepared,
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as e:  # feedparser's loose parser has raised on odd input (sgmllib)
        raise ParseError(url, f"{NOT_A_FEED} ({type(e).__name__})") from e
    data = _get(result, "feed") or {}
    entries = _get(result, "entries") or []
    version = _get(result, "version") or ""
    if not version and not entries:
        raise ParseError(url, NOT_A_FEED)
    return fastfeed.FeedData(
        kind=_kind(version),
        title=_get(data, "title") or "",
        link=_get(data, "link"),
        subtitle=_get(data, "subtitle") or "",
        language=_get(data, "language") or None,
        entries=[_raw_entry(e, base) for e in entries],
        loose=bool(_get(result, "bozo")),
    )


def _html_of(detail: Any) -> str:
    value = _get(detail, "value") or ""
    if _get(detail, "type") == "text/plain":
        return text_to_html(value)
    return str(value)


def _raw_entry(entry: Any, feed_base: str) -> RawEntry:
    contents = _get(entry, "content") or []
    content = next((c for c in contents if _get(c, "type") != "text/plain"), None)
    content = content or (contents[0] if contents else None)
    summary = _get(entry, "summary_detail")
    base = _get(content, "base") or _get(summary, "base") or feed_base
    authors = [_get(a, "name") for a in _get(entry, "authors") or []]
    author = ", ".join(a for a in authors if a) or _get(entry, "author")
    tags = [_get(t, "term") or _get(t, "label") or "" for t in _get(entry, "tags") or []]
    return RawEntry(
        guid=_get(entry, "id"),
        link=_get(entry, "link"),
        title=_get(entry, "title") or "",
        author=author,
        summary_html=_html_of(summary) if summary else "",
        content_html=_html_of(content) if content else "",
        base=base,
        published=entry_date(_get(entry, "published"), _get(entry, "published_parsed")),
        updated=entry_date(_get(entry, "updated"), _get(entry, "updated_parsed")),
        categories=tags,
    )


# --- HTML pages ---------------------------------------------------------------------------


class _AlternateLinks(HTMLParser):
    """Collects ``<link rel="alternate" type="…feed type…">`` and ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").split(";")[0].strip().lower()
            if "alternate" in rels and kind in FEED_TYPES and values.get("href", "").strip():
                self.links.append(values["href"].strip())


def _read_page(
    url: str, body: bytes, text: str, headers: Mapping[str, str], now: datetime
) -> ParsedFeed:
    """A web page: the feeds it advertises; failing that, a feed embedded in (X)HTML."""
    page_text, _ = decode(body, headers, html=True)
    finder = _AlternateLinks()
    finder.feed(page_text)
    finder.close()
    base = urljoin(url, finder.base) if finder.base else url
    found = (canonical_url(href, base) for href in finder.links)
    discovered = tuple(dict.fromkeys(u for u in found if u))
    if discovered:
        return ParsedFeed(kind="html", discovered=discovered)
    try:  # e.g. an Atom <feed> inside an XHTML page (feedjira's DuplicateContentAtomFeed)
        feed = _read_xml(url, text, headers, now)
    except ParseError:
        feed = None
    if feed is None or not feed.entries:
        raise ParseError(
            url, "page web sans flux annoncé : ce n'est ni un flux RSS/Atom ni un JSON Feed"
        )
    return replace(feed, entries=dedupe(feed.entries))
