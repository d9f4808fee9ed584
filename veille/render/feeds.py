"""Output feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 from one selection — pure.

::

    meta = FeedMeta(title="La veille du jour", home_url=…, self_url=…, id_authority=…)
    render_rss(meta, entries) / render_atom(meta, entries) / render_jsonfeed(meta, entries) -> bytes

Item ids are ``tag:`` URIs derived from the entry's feed and key (``item_id``), never from the
database id: they are the same in the three formats, in every digest or theme that carries
the entry, and after a database copy — so a reader subscribed to two themes shows an article
once. Their authority is the store's (``Store.id_authority``), recorded once: a later change
of the public address changes links, never ids. XML goes through ElementTree (escaping is
the serializer's job); characters XML 1.0 cannot carry are removed from every string, even
though entries are sanitised upstream.
HTML fields (already sanitised by nh3 at parse time) travel as escaped text.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from veille.models import EntryView
from veille.render.french import summary_text
from veille.render.json import rfc3339

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSONFEED_TYPE = "application/feed+json"

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"

# The year in tag: URIs (RFC 4151) is the date the authority minted them; it never changes.
TAG_YEAR = 2026
SUMMARY_CHARS = 300  # JSON Feed's summary is "a plain text sentence or two"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Standard prefixes (ElementTree's registry is process-wide; these URIs have no other use).
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("content", CONTENT_NS)
ET.register_namespace("dc", DC_NS)

# What XML 1.0 cannot carry: a last guard at the output (ingestion, sanitize.strip_controls,
# already removes these and DEL and C1 too; render imports no parser module).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class FeedMeta:
    """What an output feed says about itself.

    ``self_url`` is the public URL of this very document (built from ``VEILLE_BASE_URL``);
    ``id_authority`` is the authority of the item ids (``Store.id_authority``). ``updated`` is
    the document's last change (the outputs' ``Last-Modified``); without it, the newest
    entry's date. Either way the bytes depend on the data alone.
    """

    title: str
    home_url: str
    self_url: str
    id_authority: str
    description: str = ""
    language: str = "fr"
    updated: datetime | None = None
    author: str = "veille"
    generator: str = "veille"
    # Names shown for tags (``Config.tag_labels``): readers display categories as they are,
    # so they get « Évaluation », not the id ``evaluation`` (Atom keeps the id as ``term``).
    labels: Mapping[str, str] | None = None

    def label(self, tag: str) -> str:
        return (self.labels or {}).get(tag, tag)


def authority_of(base_url: str) -> str:
    """The ``tag:`` authority a public address would give: its host name."""
    return urlsplit(base_url).hostname or "localhost"


def item_id(authority: str, feed: str, key: str) -> str:
    """The stable ``tag:`` URI of an entry: ``tag:host,2026:feed/0123456789abcdef``."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"tag:{authority},{TAG_YEAR}:{quote(feed, safe='-._~')}/{digest}"


def feed_updated(meta: FeedMeta, entries: Sequence[EntryView]) -> datetime:
    """The document's date: ``meta.updated``, else its newest entry."""
    newest = max((e.published for e in entries), default=None)
    return meta.updated or newest or EPOCH


def rfc822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def clean(text: str) -> str:
    """Remove the characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return _ILLEGAL.sub("", text)


# --- RSS 2.0 ------------------------------------------------------------------------------------


def render_rss(meta: FeedMeta, entries: Sequence[EntryView]) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = sub_element(rss, "channel")
    sub_element(channel, "title", meta.title)
    sub_element(channel, "link", meta.home_url)
    sub_element(channel, "description", meta.description or meta.title)
    sub_element(channel, "language", meta.language)
    sub_element(channel, "lastBuildDate", rfc822(feed_updated(meta, entries)))
    sub_element(channel, "generator", meta.generator)
    sub_element(channel, f"{{{ATOM_NS}}}link", href=meta.self_url, rel="self", type=RSS_TYPE)
    for e in entries:
        item = sub_element(channel, "item")
        sub_element(item, "title", e.title)
        if e.url:
            sub_element(item, "link", e.url)
        # tag: URIs are not links: isPermaLink="false" keeps readers from opening them.
        sub_element(item, "guid", item_id(meta.id_authority, e.feed, e.key), isPermaLink="false")
        sub_element(item, "pubDate", rfc822(e.published))
        sub_element(item, f"{{{DC_NS}}}creator", e.author or e.feed_title)
        for tag in e.tags:
            sub_element(item, "category", meta.label(tag))
        sub_element(item, "description", e.summary or e.content_html)
        if e.content_html:
            sub_element(item, f"{{{CONTENT_NS}}}encoded", e.content_html)
    return xml_document(rss)


# --- Atom 1.0 -----------------------------------------------------------------------------------


def render_atom(meta: FeedMeta, entries: Sequence[EntryView]) -> bytes:
    # Unprefixed names under a literal xmlns: ElementTree's ``default_namespace`` option
    # refuses the unqualified attributes (rel, href, type) that Atom uses.
    feed = ET.Element("feed", {"xmlns": ATOM_NS, f"{{{XML_NS}}}lang": meta.language})
    sub_element(feed, "id", meta.self_url)
    sub_element(feed, "title", meta.title, type="text")
    if meta.description:
        sub_element(feed, "subtitle", meta.description, type="text")
    sub_element(feed, "updated", rfc3339(feed_updated(meta, entries)))
    sub_element(sub_element(feed, "author"), "name", meta.author)
    sub_element(feed, "link", rel="self", type=ATOM_TYPE, href=meta.self_url)
    sub_element(feed, "link", rel="alternate", type="text/html", href=meta.home_url)
    sub_element(feed, "generator", meta.generator)
    for e in entries:
        entry = atom_entry(feed, item_id(meta.id_authority, e.feed, e.key), e)
        for tag in e.tags:
            sub_element(entry, "category", term=tag, label=meta.label(tag))
        if e.summary:
            sub_element(entry, "summary", e.summary, type="html")
        sub_element(entry, "content", e.content_html or e.summary, type="html")
    return xml_document(feed)


def atom_entry(feed: ET.Element, entry_id: str, e: EntryView) -> ET.Element:
    """An Atom ``<entry>`` of ``feed`` with what every Atom rendering of an entry says first
    (id, title, dates, author, link); the caller adds categories and text."""
    entry = sub_element(feed, "entry")
    sub_element(entry, "id", entry_id)
    sub_element(entry, "title", e.title, type="text")
    sub_element(entry, "published", rfc3339(e.published))
    sub_element(entry, "updated", rfc3339(e.published))
    sub_element(sub_element(entry, "author"), "name", e.author or e.feed_title)
    if e.url:
        sub_element(entry, "link", rel="alternate", type="text/html", href=e.url)
    return entry


# --- JSON Feed 1.1 ------------------------------------------------------------------------------


def render_jsonfeed(meta: FeedMeta, entries: Sequence[EntryView]) -> bytes:
    doc: dict[str, Any] = {
        "version": JSONFEED_VERSION,
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": meta.self_url,
        "description": meta.description or meta.title,
        "language": meta.language,
        "authors": [{"name": meta.author}],
        "items": [jsonfeed_item(meta.id_authority, e, meta.labels) for e in entries],
    }
    return (json.dumps(clean_json(doc), ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def jsonfeed_item(
    id_authority: str, e: EntryView, labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """An entry as a JSON Feed 1.1 item (also the items of the webhooks' JSON, which keep the
    tag ids: ``labels`` None — programs match ids, people read the feeds' labels)."""
    item: dict[str, Any] = {"id": item_id(id_authority, e.feed, e.key)}
    if e.url:
        item["url"] = e.url
    item["title"] = e.title
    item["content_html"] = e.content_html or e.summary
    summary = _plain_summary(e.summary or e.content_html)
    if summary:
        item["summary"] = summary
    item["date_published"] = rfc3339(e.published)
    item["authors"] = [{"name": e.author or e.feed_title}]
    item["tags"] = [(labels or {}).get(t, t) for t in e.tags]
    return item


def _plain_summary(html: str) -> str:
    return summary_text(html, SUMMARY_CHARS)


def clean_json(value: Any) -> Any:
    """``clean`` applied to every string of a JSON value."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


# --- <link rel="alternate"> for pages -----------------------------------------------------------

FeedKind = Literal["digest", "une", "tag", "filter"]
_FORMATS = (
    ("rss", RSS_TYPE, "RSS"),
    ("atom", ATOM_TYPE, "Atom"),
    ("json", JSONFEED_TYPE, "JSON Feed"),
)


def alternate_links(
    kind: FeedKind,
    target: str | Iterable[tuple[str, str]],
    *,
    title: str = "",
    base_url: str = "",
) -> list[tuple[str, str, str]]:
    """``(type, title, href)`` of the RSS, Atom and JSON feeds of a page, for
    ``<link rel="alternate" type=… title=… href=…>``.

    ``kind="digest"``/``"tag"``: ``target`` is the digest or tag name; ``"une"``: the
    digest's « À la une »;
    ``kind="filter"``: ``target`` is the filter's query parameters (``[("tag", "ia"), …]``).
    ``href`` is root-relative unless ``base_url`` is given.
    """
    root = base_url.rstrip("/")
    if kind == "filter":
        assert not isinstance(target, str), "filter: target is a list of query parameters"
        query = urlencode(list(target))
        paths = [f"/feed.{ext}" + (f"?{query}" if query else "") for ext, _, _ in _FORMATS]
    else:
        assert isinstance(target, str), f"{kind}: target is a name"
        section = "tags" if kind == "tag" else "digests"
        name = quote(target, safe="") + ("/une" if kind == "une" else "")
        paths = [f"/{section}/{name}.{ext}" for ext, _, _ in _FORMATS]
    label = f" — {title}" if title else ""
    return [
        (mime, f"{name}{label}", root + path)
        for (_, mime, name), path in zip(_FORMATS, paths, strict=True)
    ]


# --- XML helpers --------------------------------------------------------------------------------


def sub_element(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def xml_document(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode()
