"""A fast reader for the common shape of feed: plain RSS 2.0 (WordPress, most CMSs) and Atom 1.0.

feedparser is thorough but slow (the largest part of a refresh; figures in BENCHMARKS.md): a
SAX handler in Python for every element, plus passes over every string. Most feeds in the wild
are well-formed RSS 2.0 with a dozen known elements; for those, one ``xml.etree`` parse
(expat, in C) and a walk over the items give **the same entries feedparser gives** — this
module reproduces feedparser's reading of exactly those elements, with feedparser's own helpers
(date parsing, URL joining, the cp1252 fix-up) — at a fraction of the cost.

It is an optimisation, not a second parser: :func:`read` returns ``None`` — and
:mod:`veille.ingest.parse.feed` uses feedparser — as soon as a document steps outside the shapes it
knows:
not well-formed, another root, ``xml:base``/``xml:lang``, an element it does not know inside a
channel, an item or an entry, an attribute it does not know on an element it reads, markup
inside a text element, a repeated single-valued element, an author with an e-mail address
(feedparser parses those)… ``tests/test_fastfeed.py`` checks, on every file of the real-world
corpus and on the benchmark corpus, that whatever this module reads equals what feedparser
reads.

It imports three private helpers of feedparser (``_parse_date``, ``_urljoin``, ``_cp1252``):
the point is to do exactly what feedparser does. feedparser is pinned in pyproject.toml, and
the differential tests fail on an upgrade that changes them.

The input is what :func:`veille.ingest.parse.feed.prepare_xml` produced (UTF-8, no DOCTYPE, no
entity
declarations: nothing can be expanded or fetched).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.mixin import _cp1252
from feedparser.urls import _urljoin

from veille.ingest.parse.dates import entry_date
from veille.ingest.parse.sanitize import RawEntry, text_to_html

__all__ = ["FeedData", "read"]

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_ATOM = "{http://www.w3.org/2005/Atom}"
_WFW = "{http://wellformedweb.org/CommentAPI/}"
_SLASH = "{http://purl.org/rss/1.0/modules/slash/}"
_SY = "{http://purl.org/rss/1.0/modules/syndication/}"
_WP = "{com-wordpress:feed-additions:1}"

# Elements feedparser reads into fields veille never uses: skipped with their content.
_CHANNEL_IGNORED = frozenset(
    {
        "lastBuildDate", "pubDate", "generator", "image", "copyright", "managingEditor",
        "webMaster", "ttl", "category", "docs", "cloud", "rating", "skipHours", "skipDays",
        f"{_SY}updatePeriod", f"{_SY}updateFrequency", f"{_SY}updateBase", f"{_WP}site",
    }
)  # fmt: skip
_ITEM_IGNORED = frozenset(
    {"comments", "enclosure", f"{_WFW}commentRss", f"{_SLASH}comments", f"{_WP}post-id"}
)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RSS_ATTRIBUTES = frozenset({"version"})
_ATOM_ATTRIBUTES = frozenset({_XML_LANG})
_SELF_LINKS = frozenset({"self", "hub"})  # an atom:link in an RSS channel that sets no link
_C1 = re.compile("[\x80-\x9f]")
_LINK_REFERENCE = re.compile("&([A-Za-z0-9_]+);")
# What feedparser's _sync_author_detail takes for an e-mail address (then it rewrites the name).
_EMAILISH = re.compile(r"@")


class _Unknown(Exception):
    """The document leaves the shapes this module reads: feedparser's turn."""


@dataclass(frozen=True, slots=True)
class FeedData:
    """What a format reader found in a feed document, before sanitising."""

    kind: str  # rss | atom | rdf
    title: str
    link: str | None
    subtitle: str
    language: str | None
    entries: list[RawEntry]
    loose: bool = False  # read by feedparser's tolerant parser


def read(data: bytes, base: str, headers: Mapping[str, str]) -> FeedData | None:
    """The feed in ``data`` (output of ``prepare_xml``), or None if it is not a plain one."""
    if b"xml:base" in data:
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    language = headers.get("content-language") or None
    if b"xml:lang" in data:  # understood on the root only, where it is the feed's language
        if data.count(b"xml:lang") != 1 or _XML_LANG not in root.attrib:
            return None
        language = root.attrib[_XML_LANG] or language
    language = language.replace("_", "-") if language else None
    try:
        if root.tag == "rss" and set(root.attrib) <= _RSS_ATTRIBUTES:
            return _Rss(base).feed(root, language)
        if root.tag == f"{_ATOM}feed" and set(root.attrib) <= _ATOM_ATTRIBUTES:
            return _Atom(base).feed(root, language)
    except _Unknown:
        return None
    return None


def _fix(value: str) -> str:
    """feedparser's last passes over every string it keeps (``_FeedParserMixin.pop``)."""
    # UTF-8 read as Latin-1 upstream ("Ã©" → "é"); only pure Latin-1 text can qualify
    with suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    if _C1.search(value):  # windows-1252 characters stored as C1 controls
        value = value.translate(_cp1252)
    return value


def _text(element: ET.Element, allowed: frozenset[str] = frozenset()) -> str:
    """The text of a leaf element, stripped and fixed; anything richer is unknown."""
    if len(element) or (element.attrib and not allowed.issuperset(element.attrib)):
        raise _Unknown
    return _fix((element.text or "").strip())


def _once(found: dict[str, Any], key: str, value: Any) -> None:
    if key in found:  # feedparser's rules for repeats depend on depth and order: not ours
        raise _Unknown
    found[key] = value


_NO_ATTRIBUTES: frozenset[str] = frozenset()
_GUID_ATTRIBUTES = frozenset({"isPermaLink"})
_CATEGORY_ATTRIBUTES = frozenset({"domain"})


class _Reader:
    def __init__(self, base: str) -> None:
        self.base = base

    def _resolve(self, value: str) -> str:
        return _fix(_urljoin(self.base, value)) if value else value


class _Rss(_Reader):
    def feed(self, root: ET.Element, header_language: str | None) -> FeedData:
        channels = list(root)
        if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib:
            raise _Unknown
        found: dict[str, Any] = {}
        entries: list[RawEntry] = []
        for child in channels[0]:
            tag = child.tag
            if tag == "item":
                entries.append(self.item(child))
            elif tag in ("title", "description", "language"):
                _once(found, tag, _text(child))
            elif tag == "link":
                link = _raw_text(child)
                _once(found, tag, _LINK_REFERENCE.sub(r"&\g<1>", self._resolve(link)))
            elif tag == f"{_ATOM}link":
                if child.get("rel") not in _SELF_LINKS or "href" not in child.attrib:
                    raise _Unknown
            elif tag not in _CHANNEL_IGNORED:
                raise _Unknown
        return FeedData(
            kind="rss",
            title=found.get("title", ""),
            link=found.get("link"),
            subtitle=found.get("description", ""),
            language=(found["language"] or None) if "language" in found else header_language,
            entries=entries,
        )

    def item(self, item: ET.Element) -> RawEntry:
        if item.attrib:
            raise _Unknown
        found: dict[str, Any] = {}
        authors: list[str] = []
        categories: list[str] = []
        guid_is_link = False
        for child in item:
            tag = child.tag
            if tag in ("title", "description", "pubDate"):
                _once(found, tag, _text(child))
            elif tag == f"{_CONTENT}encoded":
                _once(found, "content", _text(child))
            elif tag == f"{_DC}date":
                _once(found, "updated", _text(child))
            elif tag == "link":
                href = self._resolve(_raw_text(child)).replace("&amp;", "&")
                _once(found, "link", _LINK_REFERENCE.sub(r"&\g<1>", href))
            elif tag == "guid":
                _once(found, "guid", _text(child, _GUID_ATTRIBUTES))
                guid_is_link = child.get("isPermaLink", "true") == "true"
            elif tag in (f"{_DC}creator", "author"):
                name = _text(child)
                if _EMAILISH.search(name):
                    raise _Unknown
                authors.append(name)
            elif tag == "category":
                categories.append(_text(child, _CATEGORY_ATTRIBUTES))
            elif tag not in _ITEM_IGNORED:
                raise _Unknown
        guid: str | None = found.get("guid")
        link: str | None = found.get("link", guid if guid_is_link else None)
        published, updated = found.get("pubDate"), found.get("updated")
        return RawEntry(
            guid=guid,
            link=link,
            title=found.get("title", ""),
            author=", ".join(a for a in authors if a) or None,
            summary_html=found.get("description", ""),
            content_html=found.get("content", ""),
            base=self.base,
            published=entry_date(published, _parse_date(published)) if published else None,
            updated=entry_date(updated, _parse_date(updated)) if updated else None,
            categories=categories,
        )


def _raw_text(element: ET.Element) -> str:
    """A leaf's stripped text before feedparser's fixes (links are resolved first)."""
    if len(element) or element.attrib:
        raise _Unknown
    return (element.text or "").strip()


# --- Atom 1.0 -------------------------------------------------------------------------------

_TEXT_TYPES = {None: "text", "text": "text", "html": "html"}  # xhtml: feedparser's turn
_LINK_ATTRIBUTES = frozenset({"rel", "type", "href", "hreflang", "title", "length"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_CATEGORY_ATOM_ATTRIBUTES = frozenset({"term", "scheme", "label"})
_TYPE_ATTRIBUTE = frozenset({"type"})
_FEED_IGNORED = frozenset(
    {f"{_ATOM}{name}" for name in ("updated", "generator", "icon", "logo", "rights", "category",
                                   "contributor", "author")}
)  # fmt: skip
_ENTRY_IGNORED = frozenset(
    {f"{_ATOM}rights", f"{_ATOM}contributor", "{http://purl.org/syndication/thread/1.0}total"}
)


class _Atom(_Reader):
    def _text_construct(self, element: ET.Element) -> tuple[str, str]:
        """(type, text) of an Atom text construct; xhtml and external content are unknown."""
        kind = _TEXT_TYPES.get(element.get("type", "").lower() or None)
        if kind is None:
            raise _Unknown
        return kind, _text(element, _TYPE_ATTRIBUTE)

    def _link(self, element: ET.Element, link: str | None) -> str | None:
        """The alternate HTML link after this <link> (feedparser keeps the last one)."""
        href = element.get("href")
        if not href or not _LINK_ATTRIBUTES.issuperset(element.attrib) or len(element):
            raise _Unknown
        rel = element.get("rel", "alternate").lower()
        kind = element.get("type", "application/atom+xml" if rel == "self" else "text/html")
        kind = {"html": "text/html", "xhtml": "application/xhtml+xml"}.get(kind, kind)
        if rel == "alternate" and kind.lower() in _HTML_TYPES:
            return _urljoin(self.base, href)
        return link

    def feed(self, root: ET.Element, language: str | None) -> FeedData:
        found: dict[str, Any] = {}
        link: str | None = None
        entries: list[RawEntry] = []
        for child in root:
            tag = child.tag
            if tag == f"{_ATOM}entry":
                entries.append(self.entry(child))
            elif tag in (f"{_ATOM}title", f"{_ATOM}subtitle"):
                _once(found, tag, self._text_construct(child)[1])
            elif tag == f"{_ATOM}id":
                _once(found, "id", _text(child))
            elif tag == f"{_ATOM}link":
                link = self._link(child, link)
            elif tag not in _FEED_IGNORED:
                raise _Unknown
        return FeedData(
            kind="atom",
            title=found.get(f"{_ATOM}title", ""),
            link=link if link is not None else found.get("id"),
            subtitle=found.get(f"{_ATOM}subtitle", ""),
            language=language,
            entries=entries,
        )

    def entry(self, entry: ET.Element) -> RawEntry:
        if entry.attrib:
            raise _Unknown
        found: dict[str, Any] = {}
        link: str | None = None
        authors: list[str] = []
        categories: list[str] = []
        for child in entry:
            tag = child.tag[len(_ATOM) :] if child.tag.startswith(_ATOM) else child.tag
            if tag in ("id", "published", "updated"):
                _once(found, tag, _text(child))
            elif tag in ("title", "summary", "content"):
                if "src" in child.attrib:
                    raise _Unknown
                _once(found, tag, self._text_construct(child))
            elif tag == "link":
                link = self._link(child, link)
            elif tag == "author":
                authors.append(self._author(child))
            elif tag == "category":
                if len(child) or (child.text or "").strip():
                    raise _Unknown
                if not _CATEGORY_ATOM_ATTRIBUTES.issuperset(child.attrib):
                    raise _Unknown
                categories.append(child.get("term") or child.get("label") or "")
            elif child.tag not in _ENTRY_IGNORED:
                raise _Unknown
        published, updated = found.get("published"), found.get("updated")
        return RawEntry(
            guid=found.get("id"),
            link=link if link is not None else found.get("id"),
            title=found["title"][1] if "title" in found else "",
            author=", ".join(authors) or None,
            summary_html=_as_html(found.get("summary")),
            content_html=_as_html(found.get("content")),
            base=self.base,
            published=entry_date(published, _parse_date(published)) if published else None,
            updated=entry_date(updated, _parse_date(updated)) if updated else None,
            categories=categories,
        )

    def _author(self, author: ET.Element) -> str:
        if author.attrib or (author.text or "").strip():
            raise _Unknown
        name = ""
        for child in author:
            if child.tag == f"{_ATOM}name":
                name = _text(child)
            elif child.tag not in (f"{_ATOM}email", f"{_ATOM}uri"):
                raise _Unknown
        if not name:  # feedparser would show the e-mail address: its turn
            raise _Unknown
        return name


def _as_html(construct: tuple[str, str] | None) -> str:
    if construct is None:
        return ""
    kind, value = construct
    return text_to_html(value) if kind == "text" else value
