"""Links from a page to the output feeds (RSS, Atom, JSON Feed) that follow it: the
``<link rel="alternate">`` of its head and the visible « S'abonner à cette vue » links."""

from __future__ import annotations

from collections.abc import Callable

from veille.models import DigestSpec, Selection
from veille.render import headline, html
from veille.render.feeds import FeedKind, alternate_links


def alternates(
    spec: DigestSpec, tags: list[str], labels: dict[str, str]
) -> list[tuple[str, str, str]]:
    """The digest's feeds, then those of each chosen theme."""
    found = alternate_links("digest", spec.name, title=spec.title)
    for tag in tags:
        found += alternate_links("tag", tag, title=labels.get(tag, tag))
    return found


def links(
    kind: FeedKind,
    target: str | list[tuple[str, str]],
    title: str,
    own: Callable[[str], str] = str,
) -> tuple[html.Link, ...]:
    """Visible links to the three formats of one feed (``alternate_links``' arguments);
    ``own`` makes an address the reader's own (``web.private.personal_feeds``)."""
    return visible(alternate_links(kind, target, title=title), own)


def visible(
    found: list[tuple[str, str, str]], own: Callable[[str], str] = str
) -> tuple[html.Link, ...]:
    """Visible links to the feeds of ``alternate_links``, named by their format."""
    names = {"application/rss+xml": "RSS", "application/atom+xml": "Atom"}
    return tuple(html.Link(own(href), names.get(mime, "JSON")) for mime, _, href in found)


def owned(
    found: list[tuple[str, str, str]], own: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """``alternate_links``' triples with the reader's own addresses."""
    return [(mime, title, own(href)) for mime, title, href in found]


def of_view(
    spec: DigestSpec, selection: Selection, filtered: bool, shown: headline.Shown
) -> list[tuple[str, str, str]]:
    """The feeds that follow what a page shows: the digest's own, or for a view narrowed by
    the reader, ``/feed.*`` with the same themes, sources and search (a feed has no period:
    it always carries the newest articles)."""
    if not filtered:
        return alternate_links("digest", spec.name, title=spec.title)
    params = [
        *(("tag", t) for t in selection.tags),
        *(("exclude_tag", t) for t in selection.exclude_tags),
        *(("feed", f) for f in selection.feeds),
        *([("q", selection.query)] if selection.query else []),
    ]
    return alternate_links("filter", params, title=headline.subject(shown))
