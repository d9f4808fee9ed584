"""OPML 2.0 of the sources (``GET /opml``, ``veille opml export``): pure, data in, bytes out.

Sources are grouped by their tags, one folder (``<outline text="Label">``, the name shown for
the tag: ``labels``) per tag, in the order tags first appear in feeds.yaml; then the untagged
sources, at the top level. A source with
several tags is written **once**, under its first tag (a reader importing it in every folder
would subscribe several times), and its full tag list goes into the OPML 2.0 ``category``
attribute (``"/actualite,/ia"``), which ``veille.config.opml.read_opml`` reads back: export → import
gives the same tags. Only ``type: feed`` sources are written (an ``html`` page or an ``imap``
mailbox is nothing an RSS reader can subscribe to).

Titles are the ``title`` of feeds.yaml, else the feed's own title (``site_titles``, by feed
id), else the id; ``htmlUrl`` is given when the site's address is known (``site_urls``).
Escaping is ElementTree's (a ``&`` in a URL comes out as ``&amp;``); control characters, which
XML 1.0 forbids, are removed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from veille.models import Config, FeedSpec

__all__ = ["OPML_CONTENT_TYPE", "export_opml", "render_opml"]

OPML_CONTENT_TYPE = "text/x-opml; charset=utf-8"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def render_opml(
    feeds: Sequence[FeedSpec],
    title: str,
    now: datetime,
    site_titles: Mapping[str, str] | None = None,
    site_urls: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> bytes:
    """The OPML 2.0 document (UTF-8 bytes) listing ``feeds`` (see the module docstring)."""
    site_titles = site_titles or {}
    site_urls = site_urls or {}
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _clean(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(now.astimezone(UTC), usegmt=True)
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")

    folders: dict[str, ET.Element] = {}
    untagged: list[FeedSpec] = []
    for feed in feeds:
        if feed.type != "feed":
            continue
        if not feed.tags:
            untagged.append(feed)
            continue
        first = feed.tags[0]
        if first not in folders:
            name = _clean((labels or {}).get(first) or first)
            folders[first] = ET.SubElement(body, "outline", text=name, title=name)
        _outline(folders[first], feed, site_titles, site_urls)
    for feed in untagged:
        _outline(body, feed, site_titles, site_urls)

    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _outline(
    parent: ET.Element,
    feed: FeedSpec,
    site_titles: Mapping[str, str],
    site_urls: Mapping[str, str],
) -> None:
    name = _clean(feed.title or site_titles.get(feed.id) or feed.id)
    attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": _clean(feed.url)}
    if site_urls.get(feed.id):
        attrs["htmlUrl"] = _clean(site_urls[feed.id])
    if feed.tags:
        attrs["category"] = ",".join(f"/{tag}" for tag in feed.tags)
    ET.SubElement(parent, "outline", attrs)


def export_opml(
    config: Config,
    now: datetime,
    *,
    site_titles: Mapping[str, str] | None = None,
    site_urls: Mapping[str, str] | None = None,
    title: str = "Sources de veille",
) -> bytes:
    """The sources of ``config`` as OPML 2.0, in folders named after its themes' labels."""
    return render_opml(config.feeds, title, now, site_titles, site_urls, labels=config.tag_labels())
